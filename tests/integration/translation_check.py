"""Every text the integration shows while the tests run exists in every language it ships.

Home Assistant's validator (hassfest) reads the translation files; Home Assistant's own test set
also watches what integrations show at run time. This does the latter for this integration,
in English and Chinese, through the autouse fixture `every_text_is_translated` (conftest.py):

- each config, options and repair flow result: the step's title and description, a label for
  each field (sections and their fields too), the menu's options, each error and abort reason,
  a selector's translated options, the flow title;
- each repair issue created: its title, and its description unless a flow fixes it;
- each action refusal (HomeAssistantError of this integration): its message;
- each entity registered: its name, an icon (icons.json) or a device class that brings one, and
  an event entity's event types;
- in every text, each {placeholder} is given by the code that shows it.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigFlow, OptionsFlow
from homeassistant.data_entry_flow import FlowResultType, section
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.selector import Selector

from custom_components.onenet_m6311.const import DOMAIN
from custom_components.onenet_m6311.voluptuous_alias import vol

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.core import State
    from homeassistant.data_entry_flow import FlowHandler
    from homeassistant.exceptions import HomeAssistantError
    from homeassistant.helpers import entity_registry as er

INTEGRATION = Path(__file__).resolve().parents[2] / "custom_components" / DOMAIN
LANGUAGES = ("en", "zh-Hans")


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """A translation file's texts by dotted key ("config.step.user.title")."""
    flat: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat |= flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


@cache
def texts(language: str) -> dict[str, str]:
    """A translation file, flattened: "config.step.user.title" -> its text."""
    path = INTEGRATION / "translations" / f"{language}.json"
    return flatten(json.loads(path.read_text(encoding="utf-8")))


@cache
def entity_icons() -> frozenset[tuple[str, str]]:
    """(platform, translation_key) of each entity icons.json gives an icon."""
    icons = json.loads((INTEGRATION / "icons.json").read_text(encoding="utf-8"))
    return frozenset(
        (platform, key) for platform, keys in icons.get("entity", {}).items() for key in keys
    )


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@dataclass
class TranslationCheck:
    """Collects what is missing; the fixture fails the test on any."""

    problems: list[str] = field(default_factory=list)
    repair_keys: dict[str, str] = field(default_factory=dict)
    """The translation key of the issue each repair flow fixes, by flow ID."""

    def require(
        self, key: str, placeholders: Mapping[str, Any] | None = None, *, optional: bool = False
    ) -> None:
        """The text `key` exists in each language, and its placeholders are given."""
        for language in LANGUAGES:
            text = texts(language).get(key)
            if text is None:
                if not optional:
                    self.problems.append(f"{language}.json has no {key}")
                continue
            if missing := _placeholders(text) - set(placeholders or {}):
                self.problems.append(f"{language}.json {key} needs {sorted(missing)}, not given")

    def flow_result(self, flow: FlowHandler, result: Mapping[str, Any]) -> None:
        """What a flow of this integration shows."""
        prefix = self._flow_prefix(flow)
        if prefix is None:
            return
        placeholders = result.get("description_placeholders")
        context: Mapping[str, Any] = flow.context
        title_placeholders: Mapping[str, str] | None = context.get("title_placeholders")
        if prefix == "config." and title_placeholders:
            self.require("config.flow_title", title_placeholders)
        match result["type"]:
            case FlowResultType.FORM:
                step = f"{prefix}step.{result['step_id']}"
                self.require(f"{step}.title", placeholders)
                self.require(f"{step}.description", placeholders, optional=True)
                if result.get("data_schema") is not None:
                    self._fields(step, result["data_schema"])
                for error in (result.get("errors") or {}).values():
                    self.require(f"{prefix}error.{error}", placeholders)
            case FlowResultType.MENU:
                step = f"{prefix}step.{result['step_id']}"
                self.require(f"{step}.title", placeholders)
                for option in result["menu_options"]:
                    self.require(f"{step}.menu_options.{option}")
            case FlowResultType.ABORT:
                self.require(f"{prefix}abort.{result['reason']}", placeholders)
            case FlowResultType.CREATE_ENTRY if description := result.get("description"):
                self.require(f"{prefix}create_entry.{description}", placeholders)
            case _:
                pass

    def _flow_prefix(self, flow: FlowHandler) -> str | None:
        if isinstance(flow, ConfigFlow) and flow.handler == DOMAIN:
            return "config."
        if isinstance(flow, OptionsFlow) and flow.config_entry.domain == DOMAIN:
            return "options."
        if isinstance(flow, RepairsFlow) and flow.handler == DOMAIN:
            # A fixed issue is gone from the registry before its flow's last result.
            issue = ir.async_get(flow.hass).async_get_issue(DOMAIN, flow.issue_id)
            if issue is not None:
                self.repair_keys[flow.flow_id] = str(issue.translation_key)
            return f"issues.{self.repair_keys[flow.flow_id]}.fix_flow."
        return None

    def _fields(self, where: str, schema: vol.Schema) -> None:
        for marker, value in schema.schema.items():
            name = str(marker.schema if isinstance(marker, vol.Marker) else marker)
            if isinstance(value, section):
                self.require(f"{where}.sections.{name}.name")
                self._fields(f"{where}.sections.{name}", value.schema)
                continue
            self.require(f"{where}.data.{name}")
            if isinstance(value, Selector) and (key := value.config.get("translation_key")):
                for option in value.config.get("options", []):
                    option_value = option["value"] if isinstance(option, dict) else option
                    self.require(f"selector.{key}.options.{option_value}")

    def issue(self, issue: ir.IssueEntry) -> None:
        """What a repair issue of this integration shows."""
        if issue.domain != DOMAIN or issue.translation_key is None:
            return
        key = f"issues.{issue.translation_key}"
        self.require(f"{key}.title", issue.translation_placeholders)
        if not issue.is_fixable:
            self.require(f"{key}.description", issue.translation_placeholders)

    def exception(self, err: HomeAssistantError) -> None:
        """The message of a refusal of this integration."""
        if err.translation_domain == DOMAIN and err.translation_key:
            key = f"exceptions.{err.translation_key}.message"
            self.require(key, err.translation_placeholders)

    def entity(self, entry: er.RegistryEntry, state: State | None) -> None:
        """The name, the icon and the event types of one of this integration's entities."""
        platform = entry.domain
        if entry.translation_key is None:
            self.problems.append(f"{entry.entity_id} has no translation_key")
            return
        key = f"entity.{platform}.{entry.translation_key}"
        self.require(f"{key}.name")
        if (platform, entry.translation_key) not in entity_icons() and not (
            entry.original_device_class
        ):
            self.problems.append(f"{entry.entity_id}: no icon in icons.json, no device class")
        if state is not None:
            for event_type in state.attributes.get("event_types", ()):
                self.require(f"{key}.state_attributes.event_type.state.{event_type}")
