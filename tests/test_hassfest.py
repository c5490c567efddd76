"""What Home Assistant's validator (hassfest) checks of a custom integration, checked here.

hassfest ships with Home Assistant's source, not with the package on the index, so these tests
hold its rules for what this integration has: the manifest, services.yaml against the actions
the integration registers, icons.json, the translation files and quality_scale.yaml. The texts
shown at run time (flow steps, errors, entities, refusals) are checked as the integration tests
run (tests/integration/translation_check.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from awesomeversion import AwesomeVersion
from homeassistant.const import Platform
from homeassistant.helpers import selector
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
from packaging.requirements import Requirement

from custom_components.onenet_m6311.const import DOMAIN
from custom_components.onenet_m6311.voluptuous_alias import vol

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

INTEGRATION = Path(__file__).resolve().parents[1] / "custom_components" / DOMAIN
LANGUAGES = ("en", "zh-Hans")


def _json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((INTEGRATION / name).read_text(encoding="utf-8"))
    return data


def _services() -> dict[str, Any]:
    return dict(load_yaml_dict(str(INTEGRATION / "services.yaml")))


# -- manifest.json ---------------------------------------------------------------------------

MANIFEST_KEYS = {
    *("domain", "name", "after_dependencies", "bluetooth", "codeowners", "config_flow"),
    *("dependencies", "dhcp", "disabled", "documentation", "homekit", "import_executor"),
    *("integration_type", "iot_class", "issue_tracker", "loggers", "mqtt", "quality_scale"),
    *("requirements", "single_config_entry", "ssdp", "usb", "version", "zeroconf"),
}
"""The keys hassfest's manifest schema knows for a custom integration."""

IOT_CLASSES = {
    *("assumed_state", "calculated", "cloud_polling", "cloud_push", "local_polling"),
    "local_push",
}
INTEGRATION_TYPES = {"device", "entity", "hardware", "helper", "hub", "service", "system"}
USB_MATCHER_KEYS = {"vid", "pid", "serial_number", "manufacturer", "description"}


def test_manifest_keys_are_known_and_in_hassfests_order() -> None:
    manifest = _json("manifest.json")
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert set(keys) <= MANIFEST_KEYS
    assert manifest["domain"] == DOMAIN == INTEGRATION.name
    assert manifest["name"] == "OneNET M6311"


def test_manifest_values_follow_hassfests_schema() -> None:
    manifest = _json("manifest.json")
    # A custom integration must carry a version Home Assistant can compare.
    assert AwesomeVersion(manifest["version"]).strategy != "unknown"
    assert manifest["iot_class"] in IOT_CLASSES
    assert manifest["integration_type"] in INTEGRATION_TYPES
    assert all(re.fullmatch(r"@[\w-]+(/[\w-]+)?", owner) for owner in manifest["codeowners"])
    for url in (manifest["documentation"], manifest["issue_tracker"]):
        assert url.startswith("https://")
    for requirement in manifest["requirements"]:
        Requirement(requirement)  # raises on what pip could not read
    # True exactly when the integration ships a config flow; HACS and hassfest read it.
    assert manifest["config_flow"] is (INTEGRATION / "config_flow.py").exists()


def test_manifest_dependencies_are_home_assistant_integrations() -> None:
    import homeassistant.components  # noqa: PLC0415

    components = Path(next(iter(homeassistant.components.__path__)))
    manifest = _json("manifest.json")
    for dependency in manifest.get("dependencies", []) + manifest.get("after_dependencies", []):
        assert (components / dependency / "manifest.json").is_file(), dependency


def test_usb_matchers_use_hassfests_keys_and_upper_case_hex() -> None:
    for matcher in _json("manifest.json")["usb"]:
        assert set(matcher) <= USB_MATCHER_KEYS
        for key in ("vid", "pid"):
            assert re.fullmatch(r"[0-9A-F]{4}", matcher[key]), matcher


# -- services.yaml ----------------------------------------------------------------------------

FIELD_KEYS = {"advanced", "default", "example", "filter", "required", "selector"}
"""A field's keys in services.yaml; its name and description live in the translations."""


def test_services_yaml_follows_hassfests_schema() -> None:
    for name, description in _services().items():
        assert set(description) <= {"fields", "target"}, name
        for field_name, field in description.get("fields", {}).items():
            where = f"{name}.{field_name}"
            assert set(field) <= FIELD_KEYS, where
            selector.validate_selector(field["selector"])  # raises on an unknown selector
            if (key := _select_translation_key(field["selector"])) is not None:
                for language in LANGUAGES:
                    assert key in _json(f"translations/{language}.json")["selector"], where


def _select_translation_key(field_selector: dict[str, Any]) -> str | None:
    config = field_selector.get("select") or {}
    key: str | None = config.get("translation_key")
    return key


def test_every_action_field_is_named_and_described_in_every_language() -> None:
    for language in LANGUAGES:
        described = _json(f"translations/{language}.json")["services"]
        for name, description in _services().items():
            assert described[name]["name"]
            assert described[name]["description"]
            for field_name in description.get("fields", {}):
                field = described[name]["fields"][field_name]
                assert field["name"], (language, name, field_name)
                assert field["description"], (language, name, field_name)


async def test_services_yaml_describes_exactly_the_registered_actions(
    hass: HomeAssistant, enable_custom_integrations: None
) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    registered = hass.services.async_services_for_domain(DOMAIN)
    described = _services()
    assert set(registered) == set(described)
    for name, action in registered.items():
        assert isinstance(action.schema, vol.Schema), name
        fields = described[name].get("fields", {})
        markers = {str(marker): marker for marker in action.schema.schema}
        assert set(markers) == set(fields), name
        for field_name, marker in markers.items():
            # The UI marks a field required exactly when the action refuses a call without it.
            assert fields[field_name].get("required", False) is isinstance(marker, vol.Required)
            if "default" in fields[field_name]:
                assert marker.default() == fields[field_name]["default"], (name, field_name)


# -- icons.json -------------------------------------------------------------------------------

PLATFORM_STATES = {"binary_sensor": {"on", "off"}}
"""The states an icon may be given per state for, by platform (the others have open states)."""


def test_icons_name_only_translated_entities_and_known_states() -> None:
    icons = _json("icons.json")
    assert set(icons) <= {"entity", "services"}
    entities = _json("translations/en.json")["entity"]
    for platform, keys in icons["entity"].items():
        assert platform in {p.value for p in Platform}, platform
        for key, icon in keys.items():
            assert key in entities[platform], f"{platform}.{key}"
            assert set(icon) <= {"default", "state", "range", "state_attributes"}
            assert re.fullmatch(r"mdi:[a-z0-9-]+", icon["default"])
            if platform in PLATFORM_STATES:
                assert set(icon.get("state", {})) <= PLATFORM_STATES[platform]


def test_every_action_has_an_icon() -> None:
    icons = _json("icons.json")["services"]
    assert set(icons) == set(_services())
    for icon in icons.values():
        assert re.fullmatch(r"mdi:[a-z0-9-]+", icon["service"])


# -- translations -----------------------------------------------------------------------------

TRANSLATION_SECTIONS = {"config", "options", "entity", "exceptions", "issues", "services"}
TRANSLATION_SECTIONS |= {"selector", "device", "common", "title", "device_automation"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_translation_files_follow_hassfests_rules(language: str) -> None:
    strings = _json(f"translations/{language}.json")
    assert set(strings) <= TRANSLATION_SECTIONS
    for path, key, value in _walk(strings):
        # hassfest: keys are lower-case snake case (field names are what the schema says).
        if not {"data", "data_description", "fields", "state"} & set(path[-1:]):
            assert re.fullmatch(r"[a-z0-9_-]+", key), ".".join((*path, key))
        if isinstance(value, str):
            assert value.strip(), ".".join((*path, key))
            assert "[%key:" not in value  # references need Home Assistant's own strings
            assert "<" not in value  # hassfest forbids HTML in translations


Entry = tuple[tuple[str, ...], str, Any]
"""Where a key sits in a translation file, the key, its value."""


def _walk(tree: dict[str, Any], path: tuple[str, ...] = ()) -> list[Entry]:
    found: list[Entry] = []
    for key, value in tree.items():
        found.append((path, key, value))
        if isinstance(value, dict):
            found += _walk(value, (*path, key))
    return found


# -- quality_scale.yaml -----------------------------------------------------------------------

QUALITY_SCALE_RULES = {
    # Bronze
    *("action-setup", "appropriate-polling", "brands", "common-modules", "config-flow"),
    *("config-flow-test-coverage", "dependency-transparency", "docs-actions"),
    *("docs-conditions", "docs-high-level-description", "docs-installation-instructions"),
    *("docs-removal-instructions", "docs-triggers", "entity-event-setup", "entity-unique-id"),
    *("has-entity-name", "runtime-data", "test-before-configure", "test-before-setup"),
    "unique-config-entry",
    # Silver
    *("action-exceptions", "config-entry-unloading", "docs-configuration-parameters"),
    *("docs-installation-parameters", "entity-unavailable", "integration-owner"),
    *("log-when-unavailable", "parallel-updates", "reauthentication-flow", "test-coverage"),
    # Gold
    *("devices", "diagnostics", "discovery", "discovery-update-info", "docs-data-update"),
    *("docs-examples", "docs-known-limitations", "docs-supported-devices"),
    *("docs-supported-functions", "docs-troubleshooting", "docs-use-cases", "dynamic-devices"),
    *("entity-category", "entity-device-class", "entity-disabled-by-default"),
    *("entity-translations", "exception-translations", "icon-translations"),
    *("reconfiguration-flow", "repair-issues", "stale-devices"),
    # Platinum
    *("async-dependency", "inject-websession", "strict-typing"),
}
"""hassfest's rules (script/hassfest/quality_scale.py, ALL_RULES), 54 of them."""


def test_quality_scale_marks_every_real_rule_and_only_those() -> None:
    rules = load_yaml_dict(str(INTEGRATION / "quality_scale.yaml"))["rules"]
    assert len(QUALITY_SCALE_RULES) == 54
    assert set(rules) == QUALITY_SCALE_RULES
    for name, rule in rules.items():
        status = rule if isinstance(rule, str) else rule["status"]
        assert status in {"done", "todo", "exempt"}, name
        if status == "exempt":
            assert isinstance(rule, dict), f"{name}: exempt, why?"
            assert rule["comment"].strip(), f"{name}: exempt, why?"
