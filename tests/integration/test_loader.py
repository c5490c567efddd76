"""Home Assistant's own loader reads the integration from this repository."""

import json
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import homeassistant
from homeassistant.loader import async_get_integration
from packaging.requirements import Requirement

from custom_components.onenet_m6311.const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


async def test_home_assistant_finds_the_integration(
    hass: HomeAssistant, enable_custom_integrations: None
) -> None:
    integration = await async_get_integration(hass, DOMAIN)
    assert integration.name == "OneNET M6311"
    assert integration.pkg_path == "custom_components.onenet_m6311"
    assert integration.dependencies == ["usb"]
    assert integration.requirements == ["serialx>=1.7.0"]


def test_the_requirements_fit_the_pins_of_this_release() -> None:
    # Home Assistant installs an integration's requirements under its own constraints: a
    # requirement that excludes the release's pin cannot be installed on it. scripts/test runs
    # this on the oldest supported, the pinned and the newest release.
    constraints = Path(homeassistant.__file__).with_name("package_constraints.txt")
    pins = dict(
        line.split("==", 1)
        for line in constraints.read_text(encoding="utf-8").splitlines()
        if "==" in line and not line.startswith("#")
    )
    manifest = Path(__file__).parents[2] / "custom_components/onenet_m6311/manifest.json"
    for requirement in map(Requirement, json.loads(manifest.read_text())["requirements"]):
        pinned = pins[requirement.name]
        assert requirement.specifier.contains(pinned), (requirement, pinned)
        assert metadata.version(requirement.name) == pinned  # what these tests ran with
