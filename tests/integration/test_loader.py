"""Home Assistant's own loader reads the integration from this repository."""

from typing import TYPE_CHECKING

from homeassistant.loader import async_get_integration

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
    assert integration.requirements == ["serialx>=1.11.0"]
