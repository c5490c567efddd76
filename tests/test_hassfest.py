"""What Home Assistant's validator (hassfest) checks of a custom integration, checked here.

hassfest ships with Home Assistant's source, not with the package on the index, so these tests
hold its rules for what this integration has: the manifest, services.yaml against the actions
the integration registers, icons.json, the translation files, quality_scale.yaml, and the few
rules it reads in the code (a discovered config flow's unique ID, the config schema, the other
integrations the code imports). Of a custom integration's translations hassfest reads only
en.json; the Chinese file is held to the same rules, as Home Assistant shows it the same way.
Where the frontend is stricter than hassfest (the braces of a text), a test says so. The texts
shown at run time (flow steps, errors, entities, refusals) are checked as the integration tests
run (tests/integration/translation_check.py).
"""

from __future__ import annotations

import ast
import json
import re
import string
from dataclasses import dataclass
from enum import Enum
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from awesomeversion import AwesomeVersion
from homeassistant.const import Platform
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import selector
from homeassistant.requirements import DISCOVERY_INTEGRATIONS
from homeassistant.setup import async_setup_component
from homeassistant.util import slugify
from homeassistant.util.yaml import load_yaml_dict
from packaging.requirements import Requirement

from custom_components.onenet_m6311.const import DOMAIN
from custom_components.onenet_m6311.voluptuous_alias import vol
from tests.integration.translation_check import flatten

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.core import HomeAssistant

INTEGRATION = Path(__file__).resolve().parents[1] / "custom_components" / DOMAIN
LANGUAGES = ("en", "zh-Hans")


def _json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((INTEGRATION / name).read_text(encoding="utf-8"))
    return data


def _services() -> dict[str, Any]:
    return dict(load_yaml_dict(str(INTEGRATION / "services.yaml")))


# -- the shape of a JSON file -----------------------------------------------------------------
# hassfest validates translations and icons.json with schemas: a key it does not list is an
# error, and the keys an integration names itself follow one of a few patterns. A Shape writes
# such a schema down as nested mappings, the leaves saying what kind of value sits there.


class Key(Enum):
    """Keys an integration names itself, and what hassfest asks of them."""

    ANY = "any text"
    SLUG = "a slug: a key Home Assistant's slugify leaves as it is"
    TRANSLATION = "lower-case letters and digits in runs joined by single '_' or '-'"
    SELECTOR = "'_' or a slug"
    NUMBER = "a number"


class Leaf(Enum):
    """Values, and what hassfest asks of them."""

    TEXT = "a text"
    # An entity's states, its attributes' names and states, its unit: nothing fills these in.
    STATE_TEXT = "a text without placeholders"
    # The names of action fields and sections, which hassfest takes as they are.
    NAME = "a string"
    ICON = "an icon"


@dataclass(frozen=True)
class Required:
    """A key hassfest requires in its mapping."""

    key: str


type Shape = Mapping[str | Key | Required, Shape | Leaf]
type Found = list[tuple[str, Leaf, Any]]
"""Each value of a file: its dotted path, what it should be, the value."""


def _key_follows(rule: Key, key: str) -> bool:
    match rule:
        case Key.ANY:
            return True
        case Key.SLUG:
            return key == slugify(key)
        case Key.TRANSLATION:
            return re.fullmatch(r"[a-z0-9]+(?:[_-][a-z0-9]+)*", key) is not None
        case Key.SELECTOR:
            return key in {"_", slugify(key)}
        case Key.NUMBER:
            try:
                float(key)
            except ValueError:
                return False
            return True


def _follow(tree: Mapping[str, Any], shape: Shape, where: str = "") -> tuple[list[str], Found]:
    """Where a tree leaves its shape, and each of its values with what it should be."""
    problems: list[str] = []
    found: Found = []
    named = {
        (rule.key if isinstance(rule, Required) else rule): below
        for rule, below in shape.items()
        if not isinstance(rule, Key)
    }
    wildcard = next(((rule, below) for rule, below in shape.items() if isinstance(rule, Key)), None)
    problems += [
        f"{where}: {rule.key} is missing"
        for rule in shape
        if isinstance(rule, Required) and rule.key not in tree
    ]
    for key, value in tree.items():
        path = f"{where}.{key}" if where else key
        if key in named:
            below = named[key]
        elif wildcard is not None and _key_follows(wildcard[0], key):
            below = wildcard[1]
        else:
            expected = f"keys here are {wildcard[0].value}" if wildcard else "no such key"
            problems.append(f"{path}: hassfest allows {expected}")
            # Its texts are still read: they must follow the text rules too.
            texts = flatten(value, f"{path}.") if isinstance(value, dict) else {path: value}
            found += [(text_path, Leaf.TEXT, text) for text_path, text in texts.items()]
            continue
        if isinstance(below, Leaf):
            found.append((path, below, value))
        elif isinstance(value, dict):
            more_problems, more_found = _follow(value, below, path)
            problems += more_problems
            found += more_found
        else:
            problems.append(f"{path}: should be a mapping")
    return problems, found


# -- manifest.json ---------------------------------------------------------------------------

MANIFEST_KEYS = {
    *("domain", "name", "after_dependencies", "bluetooth", "codeowners", "config_flow"),
    *("dependencies", "dhcp", "disabled", "documentation", "homekit", "import_executor"),
    *("integration_type", "iot_class", "issue_tracker", "loggers", "mqtt", "preview_features"),
    *("quality_scale", "requirements", "single_config_entry", "ssdp", "usb", "version"),
    "zeroconf",
}
"""The keys hassfest's manifest schema knows for a custom integration."""

IOT_CLASSES = {
    *("assumed_state", "calculated", "cloud_polling", "cloud_push", "local_polling"),
    "local_push",
}
INTEGRATION_TYPES = {"device", "entity", "hardware", "helper", "hub", "service", "system"}
QUALITY_SCALES = {"bronze", "silver", "gold", "platinum", "custom", "no_score", "internal"}
QUALITY_SCALES |= {"legacy"}
USB_MATCHER_KEYS = {"vid", "pid", "serial_number", "manufacturer", "description", "known_devices"}
CORE_DOCUMENTATION = "https://www.home-assistant.io/integrations"


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
    assert manifest.get("quality_scale", "custom") in QUALITY_SCALES
    assert all(re.fullmatch(r"@[\w-]+(/[\w-]+)?", owner) for owner in manifest["codeowners"])
    for url in (manifest["documentation"], manifest["issue_tracker"]):
        assert url.startswith("https://")
    # Home Assistant's own pages document core integrations only.
    assert not manifest["documentation"].startswith(CORE_DOCUMENTATION)
    for requirement in manifest["requirements"]:
        assert " " not in requirement, requirement  # hassfest refuses spaces in a requirement
        Requirement(requirement)  # raises on what pip could not read
    # True exactly when the integration ships a config flow; HACS and hassfest read it.
    assert manifest["config_flow"] is (INTEGRATION / "config_flow.py").exists()


def test_manifest_dependencies_are_home_assistant_integrations() -> None:
    import homeassistant.components  # noqa: PLC0415

    components = Path(next(iter(homeassistant.components.__path__)))
    manifest = _json("manifest.json")
    for dependency in manifest.get("dependencies", []) + manifest.get("after_dependencies", []):
        assert (components / dependency / "manifest.json").is_file(), dependency
    # hassfest warns when a custom integration takes a built-in one's domain: it would replace it.
    assert not (components / DOMAIN).exists()


def test_usb_matchers_use_hassfests_keys_and_cases() -> None:
    for matcher in _json("manifest.json")["usb"]:
        assert set(matcher) <= USB_MATCHER_KEYS
        for key in ("vid", "pid"):
            assert re.fullmatch(r"[0-9A-F]{4}", matcher[key]), matcher
        # Discovery compares these in lower case: an upper-case letter would never match.
        for key in ("serial_number", "manufacturer", "description"):
            assert matcher.get(key, "") == matcher.get(key, "").lower(), matcher


def test_every_json_file_parses() -> None:
    for path in INTEGRATION.rglob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))  # hassfest reads every one


# -- services.yaml ----------------------------------------------------------------------------

FIELD_KEYS = {"advanced", "default", "example", "required", "selector"}
"""A field's keys in services.yaml; its name and description live in the translations."""
TARGETED_FIELD_KEYS = FIELD_KEYS | {"filter"}
"""hassfest allows a field a filter only in an action with a target, the filter's scope."""
SECTION_KEYS = {"collapsed", "fields"}


def _sections(description: dict[str, Any] | None) -> dict[str, Any]:
    """An action's sections: the entries of its fields that hold fields themselves."""
    fields = (description or {}).get("fields", {})
    return {key: item for key, item in fields.items() if item and "fields" in item}


def _fields(description: dict[str, Any] | None) -> list[tuple[str, dict[str, Any]]]:
    """An action's fields, those inside its sections too: in the UI and calls they are one set."""
    found: list[tuple[str, dict[str, Any]]] = []
    for key, item in (description or {}).get("fields", {}).items():
        if item and "fields" in item:
            found += item["fields"].items()
        else:
            found.append((key, item))
    return found


def test_services_yaml_follows_hassfests_schema() -> None:
    for name, description in _services().items():
        assert name == slugify(name), name
        if description is None:  # hassfest lets an action go undescribed
            continue
        assert set(description) <= {"fields", "target"}, name
        targeted = "target" in description
        if description.get("target") is not None:
            selector.TargetSelector.CONFIG_SCHEMA(description["target"])  # raises when wrong
        for section_name, section in _sections(description).items():
            assert set(section) <= SECTION_KEYS, f"{name}.{section_name}"
            assert isinstance(section.get("collapsed", False), bool), f"{name}.{section_name}"
        fields = _fields(description)
        assert len({field_name for field_name, _ in fields}) == len(fields), name
        for field_name, field in fields:
            where = f"{name}.{field_name}"
            assert set(field) <= (TARGETED_FIELD_KEYS if targeted else FIELD_KEYS), where
            assert all(field[key] is not None for key in ("example", "default") if key in field)
            assert all(isinstance(field.get(key, False), bool) for key in ("required", "advanced"))
            selector.validate_selector(field["selector"])  # raises on an unknown selector
            if (key := _select_translation_key(field["selector"])) is not None:
                for language in LANGUAGES:
                    assert key in _json(f"translations/{language}.json")["selector"], where


def _select_translation_key(field_selector: dict[str, Any]) -> str | None:
    config = field_selector.get("select") or {}
    key: str | None = config.get("translation_key")
    return key


def test_every_action_field_and_section_is_named_and_described_in_every_language() -> None:
    for language in LANGUAGES:
        described = _json(f"translations/{language}.json")["services"]
        for name, description in _services().items():
            assert described[name]["name"]
            assert described[name]["description"]
            for field_name, _ in _fields(description):
                field = described[name]["fields"][field_name]
                assert field["name"], (language, name, field_name)
                assert field["description"], (language, name, field_name)
            for section_name in _sections(description):
                assert described[name]["sections"][section_name]["name"], (language, name)


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


async def test_action_texts_use_only_the_placeholders_the_action_gives(
    hass: HomeAssistant, enable_custom_integrations: None
) -> None:
    # The frontend fills an action's texts from the placeholders the action registers (none
    # here); any other placeholder, which hassfest lets pass, shows as a translation error.
    assert await async_setup_component(hass, DOMAIN, {})
    for language in LANGUAGES:
        described = _json(f"translations/{language}.json")["services"]
        for name, action in hass.services.async_services_for_domain(DOMAIN).items():
            given = set(action.description_placeholders or {})
            for path, text in flatten(described[name]).items():
                assert _braced(text) <= given, (language, name, path)


def _braced(text: str) -> set[str]:
    """Whatever stands between braces in a text, as the frontend reads it."""
    return set(re.findall(r"{([^{}]*)}", text))


# -- icons.json -------------------------------------------------------------------------------

ICON_STATES: Shape = {Key.TRANSLATION: Leaf.ICON}
ENTITY_ICONS: Shape = {
    "default": Leaf.ICON,
    "state": ICON_STATES,
    "range": {Key.NUMBER: Leaf.ICON},
    "state_attributes": {Key.TRANSLATION: {"default": Leaf.ICON, "state": ICON_STATES}},
}
FLOW_ICONS: Shape = {"step": {Key.ANY: {"sections": {Key.ANY: Leaf.ICON}}}}
ICONS: Shape = {
    # Icons for the sections of flow steps: hassfest takes them, but Home Assistant 2026.10
    # serves none to the frontend (frontend/get_icons), so this integration gives none.
    "config": FLOW_ICONS,
    "options": FLOW_ICONS,
    "issues": {Key.ANY: {"fix_flow": FLOW_ICONS}},
    # A device integration's entities are named by platform, then by translation key
    # ("entity_component" is for the entity, helper and system integrations).
    "entity": {Key.SLUG: {Key.TRANSLATION: ENTITY_ICONS}},
    # An action's icon and its sections' (the bare "mdi:..." of old is deprecated).
    "services": {Key.TRANSLATION: {"service": Leaf.ICON, "sections": {Key.TRANSLATION: Leaf.ICON}}},
}
"""icons.json as hassfest takes it of a device integration."""

PLATFORM_STATES = {"binary_sensor": {"on", "off"}}
"""The states an icon may be given per state for, by platform (the others have open states)."""


def _known_icons() -> set[str]:
    """The Material Design icons the installed frontend can draw (test requirements pin it)."""
    icon_list = files("hass_frontend") / "static" / "mdi" / "iconList.json"
    return {icon["name"] for icon in json.loads(icon_list.read_text(encoding="utf-8"))}


def test_icons_json_follows_hassfests_schema() -> None:
    problems, found = _follow(_json("icons.json"), ICONS)
    assert problems == []
    known = _known_icons()
    for path, _, icon in found:
        assert isinstance(icon, str), path
        assert re.fullmatch(r"mdi:[a-z0-9-]+", icon), path
        # hassfest asks only for the "mdi:" prefix; a name the frontend lacks draws nothing.
        assert icon.removeprefix("mdi:") in known, f"{path}: {icon}"


def test_icons_name_only_translated_entities_and_known_states() -> None:
    icons = _json("icons.json")
    entities = _json("translations/en.json")["entity"]
    for platform, keys in icons["entity"].items():
        assert platform in {p.value for p in Platform}, platform
        for key, icon in keys.items():
            assert key in entities[platform], f"{platform}.{key}"
            if platform in PLATFORM_STATES:
                assert set(icon.get("state", {})) <= PLATFORM_STATES[platform]
            # hassfest: a state's icon that is the default icon says nothing; leave it out.
            for entry in (icon, *icon.get("state_attributes", {}).values()):
                assert entry.get("default") not in entry.get("state", {}).values(), key


def test_every_action_has_an_icon() -> None:
    icons = _json("icons.json")["services"]
    assert set(icons) == set(_services())
    for name, icon in icons.items():
        assert "service" in icon, name
        assert set(icon.get("sections", {})) <= set(_sections(_services()[name])), name


def test_flow_section_icons_name_real_sections() -> None:
    icons = _json("icons.json")
    strings = _json("translations/en.json")
    for flow in ("config", "options"):
        for step, step_icons in icons.get(flow, {}).get("step", {}).items():
            sections = strings[flow]["step"][step].get("sections", {})
            assert set(step_icons.get("sections", {})) <= set(sections), f"{flow}.{step}"


# -- translations -----------------------------------------------------------------------------

FLOW_STEP: Shape = {
    "title": Leaf.TEXT,
    "description": Leaf.TEXT,
    "submit": Leaf.TEXT,
    "data": {Key.ANY: Leaf.TEXT},
    "data_description": {Key.ANY: Leaf.TEXT},
    "menu_options": {Key.ANY: Leaf.TEXT},
    "menu_option_descriptions": {Key.ANY: Leaf.TEXT},
    "sections": {
        Key.ANY: {
            "name": Leaf.TEXT,
            "description": Leaf.TEXT,
            "data": {Key.ANY: Leaf.TEXT},
            "data_description": {Key.ANY: Leaf.TEXT},
        }
    },
}
FLOW: Shape = {
    # config.title, moved to the top of the file long ago, is only a warning for a custom
    # integration: left out here.
    Required("step"): {Key.ANY: FLOW_STEP},
    "flow_title": Leaf.TEXT,
    "error": {Key.ANY: Leaf.TEXT},
    "abort": {Key.ANY: Leaf.TEXT},
    "progress": {Key.ANY: Leaf.TEXT},
    "create_entry": {Key.ANY: Leaf.TEXT},
    "initiate_flow": {Required("user"): Leaf.TEXT},
}
ENTITY_TEXTS: Shape = {
    "name": Leaf.TEXT,
    "state": {Key.TRANSLATION: Leaf.STATE_TEXT},
    "state_attributes": {
        Key.TRANSLATION: {"name": Leaf.STATE_TEXT, "state": {Key.TRANSLATION: Leaf.STATE_TEXT}}
    },
    "unit_of_measurement": Leaf.STATE_TEXT,
}
ACTION_TEXTS: Shape = {
    Required("name"): Leaf.TEXT,
    Required("description"): Leaf.TEXT,
    "fields": {
        Key.TRANSLATION: {
            Required("name"): Leaf.NAME,
            Required("description"): Leaf.TEXT,
            "example": Leaf.TEXT,
        }
    },
    "sections": {Key.TRANSLATION: {Required("name"): Leaf.NAME, "description": Leaf.TEXT}},
}
TRANSLATIONS: Shape = {
    "title": Leaf.TEXT,
    "config": FLOW,
    "options": FLOW,
    "issues": {Key.ANY: {Required("title"): Leaf.TEXT, "description": Leaf.TEXT, "fix_flow": FLOW}},
    "exceptions": {Key.SLUG: {"message": Leaf.TEXT}},
    "entity": {Key.SLUG: {Key.TRANSLATION: ENTITY_TEXTS}},
    "device": {Key.TRANSLATION: {"name": Leaf.TEXT}},
    "selector": {
        Key.SELECTOR: {
            "options": {Key.TRANSLATION: Leaf.TEXT},
            "choices": {Key.TRANSLATION: Leaf.TEXT},
            "unit_of_measurement": {Key.TRANSLATION: Leaf.TEXT},
            "fields": {
                Key.TRANSLATION: {Required("name"): Leaf.NAME, Required("description"): Leaf.TEXT}
            },
        }
    },
    "services": {Key.TRANSLATION: ACTION_TEXTS},
    "common": {Key.SLUG: Leaf.TEXT},
}
"""A translation file as hassfest takes it (script/hassfest/translations.py).

The parts hassfest also knows that this integration has no use for (config_subentries,
device_automation, system_health, conditions, triggers, preview_features, ...) are left out:
a file that takes one up fails here until its rules are written down.
"""


def _translations(language: str) -> tuple[list[str], Found]:
    return _follow(_json(f"translations/{language}.json"), TRANSLATIONS)


@pytest.mark.parametrize("language", LANGUAGES)
def test_translation_keys_follow_hassfests_schema(language: str) -> None:
    problems, found = _translations(language)
    assert problems == []
    assert all(isinstance(value, str) for _, _, value in found)


def _hassfest_placeholders(text: str) -> list[str]:
    """The placeholders hassfest finds in a text, as Python's format strings read them.

    `{{` and `}}` are escaped braces, not placeholders; an empty `{}` and whatever follows a
    `!` or `:` inside the braces go unchecked. Unpaired braces raise ValueError, an error too.
    """
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


def test_placeholders_are_found_as_hassfest_finds_them() -> None:
    assert _hassfest_placeholders('for example {"temperature": 22.5}') == ['"temperature"']
    assert _hassfest_placeholders("{port} at {baud:d} baud, {{escaped}}, {}") == ["port", "baud"]
    assert _hassfest_placeholders("{0} and {a.b}") == ["0", "a.b"]
    with pytest.raises(ValueError, match="Single '}'"):
        _hassfest_placeholders("a } alone")


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_are_identifiers(language: str) -> None:
    problems = []
    for path, leaf, text in _translations(language)[1]:
        if leaf is Leaf.NAME:  # hassfest reads these names as plain strings
            continue
        try:
            names = _hassfest_placeholders(text)
        except ValueError as err:
            problems.append(f"{path}: {err}")
            continue
        if leaf is Leaf.STATE_TEXT and names:
            problems.append(f"{path}: takes no placeholders, has {names}")
        problems += [
            f"{path}: {{{name}}} is no identifier" for name in names if not name.isidentifier()
        ]
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_braces_only_mark_placeholders(language: str) -> None:
    # The frontend formats every text as an ICU message: there a brace opens a placeholder
    # named by an identifier and `{{` escapes nothing, so any other brace (some of which
    # hassfest lets pass) shows as a translation error. An example is written without them.
    for path, text in flatten(_json(f"translations/{language}.json")).items():
        rest = re.sub(r"{[A-Za-z_][A-Za-z0-9_]*}", "", text)
        assert "{" not in rest, path
        assert "}" not in rest, path


URL = re.compile(
    r"(?:(?:ftps?|scp|https?|mqtts?|socket|socks5)://|www\.)"  # a scheme, or www.
    r"[a-z0-9]+(?:[-.][a-z0-9]+)*\.[a-z]{2,5}",  # then a host name with a dot
    re.IGNORECASE,
)
"""What hassfest takes for a URL: it wants URLs given as placeholders, not in the text."""


@pytest.mark.parametrize("language", LANGUAGES)
def test_texts_follow_hassfests_rules(language: str) -> None:
    for path, leaf, text in _translations(language)[1]:
        assert text.strip(), path
        if leaf is Leaf.NAME:  # hassfest asks nothing more of these names
            continue
        cv.string_with_no_html(text)  # raises on HTML, as in hassfest
        assert "<" not in text, path  # the frontend would take it for a tag
        assert text == text.strip(), f"{path}: spaces around"
        assert not URL.search(text), f"{path}: a URL"
        assert not re.search(r"'{\w+}'", text), f"{path}: a placeholder in single quotes"
        # References are resolved only in Home Assistant's own strings: here they would show
        # as they are; hassfest also refuses one joined to other text.
        assert "[%key:" not in text, path
        assert not re.search(r".\[%|%\].", text), path


def _flows(strings: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    flows = [(name, strings[name]) for name in ("config", "options") if name in strings]
    for name, issue in strings.get("issues", {}).items():
        if "fix_flow" in issue:
            flows.append((f"issues.{name}.fix_flow", issue["fix_flow"]))
    return flows


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_field_description_describes_a_field(language: str) -> None:
    # hassfest checks a step's own fields; a section's are held to the same here.
    for flow_name, flow in _flows(_json(f"translations/{language}.json")):
        for step_name, step in flow["step"].items():
            for part in (step, *step.get("sections", {}).values()):
                assert set(part.get("data_description", {})) <= set(part.get("data", {})), (
                    f"{flow_name}.{step_name}"
                )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_issue_is_described_or_fixed(language: str) -> None:
    for name, issue in _json(f"translations/{language}.json").get("issues", {}).items():
        # hassfest: an issue has a description or a flow that fixes it, never both.
        assert ("description" in issue) != ("fix_flow" in issue), name


# -- the code ---------------------------------------------------------------------------------
# hassfest reads a little of the code too. Of a custom integration, a discovered flow without a
# unique ID and async_setup without a config schema are warnings; an undeclared import of
# another integration is an error.

DISCOVERY_STEPS = {
    *("async_step_bluetooth", "async_step_dhcp", "async_step_discovery", "async_step_hassio"),
    *("async_step_homekit", "async_step_mqtt", "async_step_ssdp", "async_step_usb"),
    "async_step_zeroconf",
}
"""The config flow steps discovery starts: hassfest wants each such flow to set a unique ID."""

INTERNAL_INTEGRATIONS = {
    *("alert", "automation", "conversation", "default_config", "device_automation", "frontend"),
    *("group", "homeassistant", "input_boolean", "input_button", "input_datetime"),
    *("input_number", "input_select", "input_text", "media_source", "mjpeg", "onboarding"),
    *("panel_custom", "persistent_notification", "person", "script", "shopping_list", "stream"),
    *("sun", "system_health", "system_log", "timer", "webhook", "websocket_api", "zone"),
}
"""Integrations hassfest lets any integration import without naming them in the manifest."""


def _module(name: str) -> ast.Module:
    return ast.parse((INTEGRATION / name).read_text(encoding="utf-8"))


def test_discovered_config_flows_set_a_unique_id() -> None:
    discovery_steps = [
        node
        for node in ast.walk(_module("config_flow.py"))
        if isinstance(node, ast.AsyncFunctionDef) and node.name in DISCOVERY_STEPS
    ]
    assert discovery_steps  # the manifest's USB matchers start one
    # hassfest finds the call anywhere in the file; in each discovery step is where it keeps
    # a module plugged in again from being offered twice.
    for step in discovery_steps:
        calls = {ast.unparse(node.func) for node in ast.walk(step) if isinstance(node, ast.Call)}
        assert "self.async_set_unique_id" in calls, step.name


def test_async_setup_comes_with_a_config_schema() -> None:
    # An integration that can set up from configuration.yaml says what it takes there (here:
    # nothing, config entries only).
    init = _module("__init__.py")
    functions = {node.name for node in init.body if isinstance(node, ast.AsyncFunctionDef)}
    functions |= {node.name for node in init.body if isinstance(node, ast.FunctionDef)}
    names = {
        target.id
        for node in init.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    names |= {
        alias.asname or alias.name
        for node in init.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    if functions & {"async_setup", "setup"}:
        assert names & {"CONFIG_SCHEMA", "PLATFORM_SCHEMA", "PLATFORM_SCHEMA_BASE"}


COMPONENTS = "homeassistant.components."


def _imported_integrations(node: ast.AST) -> set[str]:
    """The integrations a piece of code imports, as hassfest collects them."""
    if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
        return set()  # only the type checker imports these
    found = set()
    if isinstance(node, ast.ImportFrom) and node.module == "homeassistant.components":
        found |= {alias.name for alias in node.names}
    elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(COMPONENTS):
        found.add(str(node.module).split(".")[2])
    elif isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.startswith(COMPONENTS):
                found.add(alias.name.split(".")[2])
    for child in ast.iter_child_nodes(node):
        found |= _imported_integrations(child)
    return found


def test_imported_integrations_are_declared() -> None:
    manifest = _json("manifest.json")
    allowed = {DOMAIN, *(platform.value for platform in Platform), *INTERNAL_INTEGRATIONS}
    allowed |= {*manifest.get("dependencies", []), *manifest.get("after_dependencies", [])}
    allowed |= {
        domain
        for domain, keys in DISCOVERY_INTEGRATIONS.items()
        if any(key in manifest for key in keys)
    }
    # An integration may import the integration whose platform it provides (repairs.py).
    allowed |= {path.stem for path in INTEGRATION.iterdir()}
    used: set[str] = set()
    for path in INTEGRATION.rglob("*.py"):
        used |= _imported_integrations(ast.parse(path.read_text(encoding="utf-8")))
    assert "usb" in used  # the scan finds them
    assert used - allowed == set()


# -- quality_scale.yaml -----------------------------------------------------------------------
# hassfest reads it only of core integrations; it is kept to the same schema here.

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
