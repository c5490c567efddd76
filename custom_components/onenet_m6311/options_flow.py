"""Options: the link, then what to forward and how, then each entity's datastream.

init (heartbeat, allowed actions) -> forwarding (entities, label, delivery)
-> datastreams (one per chosen entity, and its attributes) -> saved, entry reloaded
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.data_entry_flow import section
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    LabelSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)

from .const import (
    CONF_ACK_MODE,
    CONF_ALLOWED_ACTIONS,
    CONF_ATTRIBUTES,
    CONF_BATCH_WINDOW,
    CONF_DATASTREAMS,
    CONF_DEADBANDS,
    CONF_FORWARD_ENTITIES,
    CONF_FORWARD_LABEL,
    CONF_KEEP_LINK,
    CONF_MAX_SILENCE,
    CONF_MIN_INTERVAL,
    CONF_OUTBOX_CAPACITY,
    CONF_PING_INTERVAL,
    CONF_SEND_ON_CHANGE,
    CONF_SIGNIFICANT_ONLY,
    CONF_SNAPSHOT_INTERVAL,
    CONF_TIMESTAMPS,
    DEFAULT_BATCH_WINDOW,
    DEFAULT_OUTBOX_CAPACITY,
    DEFAULT_PING_INTERVAL,
    MAX_PING_INTERVAL,
    MIN_PING_INTERVAL,
)
from .forwarding.settings import TimeMode
from .forwarding.significance import Deadband
from .forwarding.values import default_datastream
from .m6311 import M6311ValidationError
from .m6311.records import check_datastream
from .voluptuous_alias import vol

SECTION_DELIVERY = "delivery"
ATTRIBUTES_SUFFIX = " attributes"
"""The datastreams step names an entity's attribute field `<entity_id> attributes`."""
DEADBAND_SUFFIX = " deadband"
"""With significant changes only, its field `<entity_id> deadband` (`0.5`, `2%`, `0.5 2%`)."""


def _seconds(minimum: float, maximum: float, step: float = 1) -> vol.All[float]:
    return vol.All(
        NumberSelector(
            NumberSelectorConfig(
                min=minimum,
                max=maximum,
                step=step,
                unit_of_measurement="s",
                mode=NumberSelectorMode.BOX,
            )
        ),
        vol.Coerce(float),
    )


def _link_schema(action_choices: list[str]) -> vol.Schema:
    """Heartbeat, allowed actions (picked from Home Assistant's, or typed), one-shot mode.

    A multiple select shows its label on its "add" button as it is, where a multiple text
    field would show "Add <label>": the select reads right in every language.
    """
    return vol.Schema(
        {
            vol.Required(CONF_PING_INTERVAL, default=DEFAULT_PING_INTERVAL): vol.All(
                _seconds(MIN_PING_INTERVAL, MAX_PING_INTERVAL), vol.Coerce(int)
            ),
            vol.Optional(CONF_ALLOWED_ACTIONS, default=[]): SelectSelector(
                SelectSelectorConfig(
                    options=action_choices,
                    multiple=True,
                    custom_value=True,  # an action of an integration not loaded yet
                    mode=SelectSelectorMode.DROPDOWN,
                )
            ),
            vol.Required(CONF_KEEP_LINK, default=True): BooleanSelector(),
        }
    )


FORWARDING_SCHEMA = vol.Schema(
    {
        vol.Optional(CONF_FORWARD_ENTITIES, default=[]): EntitySelector(
            EntitySelectorConfig(multiple=True)
        ),
        vol.Optional(CONF_FORWARD_LABEL): LabelSelector(),
        vol.Required(CONF_SEND_ON_CHANGE, default=True): BooleanSelector(),
        vol.Required(CONF_SNAPSHOT_INTERVAL, default=0): _seconds(0, 86400),
        vol.Required(CONF_MIN_INTERVAL, default=0): _seconds(0, 3600),
        vol.Required(CONF_TIMESTAMPS, default=TimeMode.ALWAYS): SelectSelector(
            SelectSelectorConfig(
                options=[mode.value for mode in TimeMode],
                translation_key="time_mode",
                mode=SelectSelectorMode.LIST,
            )
        ),
        vol.Required(CONF_SIGNIFICANT_ONLY, default=False): BooleanSelector(),
        vol.Required(CONF_MAX_SILENCE, default=0): _seconds(0, 86400),
        # Rarely changed: how records travel.
        vol.Required(SECTION_DELIVERY): section(
            vol.Schema(
                {
                    vol.Required(CONF_BATCH_WINDOW, default=DEFAULT_BATCH_WINDOW): _seconds(
                        0.1, 60, 0.1
                    ),
                    vol.Required(CONF_ACK_MODE, default=False): BooleanSelector(),
                    vol.Required(CONF_OUTBOX_CAPACITY, default=DEFAULT_OUTBOX_CAPACITY): vol.All(
                        NumberSelector(
                            NumberSelectorConfig(
                                min=100, max=1_000_000, step=1, mode=NumberSelectorMode.BOX
                            )
                        ),
                        vol.Coerce(int),
                    ),
                }
            ),
            {"collapsed": True},
        ),
    }
)


class M6311OptionsFlow(OptionsFlowWithReload):
    """Three forms; the entry reloads with the new options when they are saved."""

    def __init__(self) -> None:
        """Collect the answers of each form."""
        self._options: dict[str, Any] = {}

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The link: heartbeat interval and the actions OneNET may call."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                actions = _allowed_actions(user_input.get(CONF_ALLOWED_ACTIONS, []))
            except vol.Invalid:
                errors[CONF_ALLOWED_ACTIONS] = "invalid_action"
            else:
                self._options = {**self.config_entry.options, **user_input}
                self._options[CONF_ALLOWED_ACTIONS] = actions
                return await self.async_step_forwarding()
        shown = user_input or self.config_entry.options
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                _link_schema(self._action_choices(shown.get(CONF_ALLOWED_ACTIONS, []))), shown
            ),
            errors=errors,
        )

    def _action_choices(self, allowed: list[str]) -> list[str]:
        """Every action Home Assistant has now, and those already allowed."""
        registered = (
            f"{domain}.{action}"
            for domain, actions in self.hass.services.async_services().items()
            for action in actions
        )
        return sorted({*registered, *allowed})

    async def async_step_forwarding(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Which entities go to OneNET, and how."""
        if user_input is not None:
            delivery = user_input.pop(SECTION_DELIVERY, {})
            self._options.update(user_input)
            self._options.update(delivery)
            if not user_input.get(CONF_FORWARD_LABEL):
                self._options.pop(CONF_FORWARD_LABEL, None)
            if self._options.get(CONF_FORWARD_ENTITIES):
                return await self.async_step_datastreams()
            return self._async_save({}, {})
        current = dict(self.config_entry.options)
        current[CONF_TIMESTAMPS] = TimeMode.from_option(current.get(CONF_TIMESTAMPS, True)).value
        current[SECTION_DELIVERY] = {
            key: current[key]
            for key in (CONF_BATCH_WINDOW, CONF_ACK_MODE, CONF_OUTBOX_CAPACITY)
            if key in current
        }
        return self.async_show_form(
            step_id="forwarding",
            data_schema=self.add_suggested_values_to_schema(FORWARDING_SCHEMA, current),
        )

    async def async_step_datastreams(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Each chosen entity's datastream ID (a default is filled in) and attributes."""
        entities: list[str] = self._options[CONF_FORWARD_ENTITIES]
        errors: dict[str, str] = {}
        if user_input is not None:
            datastreams, attributes = _split_datastream_answers(entities, user_input)
            for entity_id, datastream in datastreams.items():
                try:
                    check_datastream(datastream)
                except M6311ValidationError:
                    errors[entity_id] = "invalid_datastream"
            deadbands = _deadband_answers(entities, user_input, errors)
            if not errors:
                self._options[CONF_DEADBANDS] = deadbands
                return self._async_save(datastreams, attributes)
        return self.async_show_form(
            step_id="datastreams",
            data_schema=self.add_suggested_values_to_schema(
                self._datastreams_schema(entities), user_input or self._current_answers(entities)
            ),
            errors=errors,
        )

    def _datastreams_schema(self, entities: list[str]) -> vol.Schema:
        fields: dict[Any, Any] = {}
        for entity_id in entities:
            state = self.hass.states.get(entity_id)
            names = sorted(state.attributes) if state is not None else []
            fields[vol.Required(entity_id)] = TextSelector()
            fields[vol.Optional(f"{entity_id}{ATTRIBUTES_SUFFIX}", default=[])] = SelectSelector(
                SelectSelectorConfig(options=names, multiple=True, custom_value=True)
            )
            if self._options.get(CONF_SIGNIFICANT_ONLY):
                fields[vol.Optional(f"{entity_id}{DEADBAND_SUFFIX}")] = TextSelector()
        return vol.Schema(fields)

    def _current_answers(self, entities: list[str]) -> dict[str, Any]:
        datastreams = self.config_entry.options.get(CONF_DATASTREAMS, {})
        attributes = self.config_entry.options.get(CONF_ATTRIBUTES, {})
        deadbands = self.config_entry.options.get(CONF_DEADBANDS, {})
        answers: dict[str, Any] = {}
        for entity_id in entities:
            answers[entity_id] = datastreams.get(entity_id, default_datastream(entity_id))
            answers[f"{entity_id}{ATTRIBUTES_SUFFIX}"] = attributes.get(entity_id, [])
            if entity_id in deadbands:
                answers[f"{entity_id}{DEADBAND_SUFFIX}"] = deadbands[entity_id]
        return answers

    def _async_save(
        self, datastreams: dict[str, str], attributes: dict[str, list[str]]
    ) -> ConfigFlowResult:
        # Only what differs from the default is kept: renaming an entity keeps working.
        self._options[CONF_DATASTREAMS] = {
            entity_id: datastream
            for entity_id, datastream in datastreams.items()
            if datastream != default_datastream(entity_id)
        }
        self._options[CONF_ATTRIBUTES] = {k: v for k, v in attributes.items() if v}
        return self.async_create_entry(data=self._options)


def _split_datastream_answers(
    entities: list[str], answers: dict[str, Any]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    datastreams = {entity_id: str(answers[entity_id]).strip() for entity_id in entities}
    attributes = {
        entity_id: sorted(set(answers.get(f"{entity_id}{ATTRIBUTES_SUFFIX}", [])))
        for entity_id in entities
    }
    return datastreams, attributes


def _deadband_answers(
    entities: list[str], answers: dict[str, Any], errors: dict[str, str]
) -> dict[str, str]:
    """Each entity's deadband, as `Deadband` writes it; an unreadable one is an error."""
    deadbands = {}
    for entity_id in entities:
        field_name = f"{entity_id}{DEADBAND_SUFFIX}"
        try:
            deadband = Deadband.parse(str(answers.get(field_name) or ""))
        except ValueError:
            errors[field_name] = "invalid_deadband"
            continue
        if deadband is not None:
            deadbands[entity_id] = str(deadband)
    return deadbands


def _allowed_actions(actions: list[str]) -> list[str]:
    """Each entry must name an action as `domain.action`; blanks and repeats go."""
    return sorted({cv.service(action.strip()) for action in actions if action.strip()})
