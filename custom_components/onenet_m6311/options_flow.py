"""Options: the link, then what to forward and how, then each entity's datastream.

init (heartbeat, allowed actions) -> forwarding (entities, label, delivery)
-> entity (one form per forwarded entity, chosen or labelled, when asked for: its datastream,
attributes and deadband) -> saved, entry reloaded

Each entity has a form of its own, with the same fields every time (named once, translated),
the entity named in the title: a single form with a field per entity would have to name its
fields by entity ID, which no translation can label.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import valid_domain
from homeassistant.data_entry_flow import section
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import label_registry as lr
from homeassistant.helpers.selector import (
    AreaSelector,
    AreaSelectorConfig,
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    LabelSelector,
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
    CONF_EXCLUDE_ENTITIES,
    CONF_FORWARD_AREAS,
    CONF_FORWARD_DOMAINS,
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
from .form_fields import number_box
from .forwarding.selection import Selection
from .forwarding.settings import TimeMode
from .forwarding.significance import Deadband
from .forwarding.values import default_datastream
from .m6311 import M6311ValidationError
from .m6311.records import check_datastream
from .voluptuous_alias import vol

if TYPE_CHECKING:
    from homeassistant.core import State

SECTION_DELIVERY = "delivery"
FORWARDED_DOMAINS = [
    "binary_sensor",
    "climate",
    "cover",
    "device_tracker",
    "fan",
    "input_boolean",
    "input_number",
    "light",
    "lock",
    "number",
    "person",
    "sensor",
    "switch",
    "water_heater",
    "weather",
]
"""Domains offered for forwarding by domain (another can be typed)."""
EACH_ENTITY = "each_entity"
"""A forwarding form answer, not an option: go through each entity's form."""
FIELD_DATASTREAM = "datastream"
FIELD_ATTRIBUTES = "attributes"
FIELD_DEADBAND = "deadband"
"""With significant changes only, and for numbers: `0.5`, `2%` or `0.5 2%`."""


def _seconds(minimum: float, maximum: float, step: float = 1) -> vol.All[float]:
    return number_box(float, minimum=minimum, maximum=maximum, step=step, unit="s")


def _link_schema(action_choices: list[str]) -> vol.Schema:
    """Heartbeat, allowed actions (picked from Home Assistant's, or typed), one-shot mode.

    A multiple select shows its label on its "add" button as it is, where a multiple text
    field would show "Add <label>": the select reads right in every language.
    """
    return vol.Schema(
        {
            # No bounds in the selector: out of range is this flow's error, in the user's
            # language and naming the range, not the selector's "Value 5.0 is too small".
            vol.Required(CONF_PING_INTERVAL, default=DEFAULT_PING_INTERVAL): number_box(
                float, unit="s"
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
        vol.Optional(CONF_FORWARD_AREAS, default=[]): AreaSelector(
            AreaSelectorConfig(multiple=True)
        ),
        vol.Optional(CONF_FORWARD_DOMAINS, default=[]): SelectSelector(
            SelectSelectorConfig(
                options=FORWARDED_DOMAINS, multiple=True, custom_value=True, sort=True
            )
        ),
        vol.Optional(CONF_EXCLUDE_ENTITIES, default=[]): EntitySelector(
            EntitySelectorConfig(multiple=True)
        ),
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
        vol.Required(EACH_ENTITY, default=True): BooleanSelector(),
        # Rarely changed: how records travel.
        vol.Required(SECTION_DELIVERY): section(
            vol.Schema(
                {
                    vol.Required(CONF_BATCH_WINDOW, default=DEFAULT_BATCH_WINDOW): _seconds(
                        0.1, 60, 0.1
                    ),
                    vol.Required(CONF_ACK_MODE, default=False): BooleanSelector(),
                    vol.Required(CONF_OUTBOX_CAPACITY, default=DEFAULT_OUTBOX_CAPACITY): number_box(
                        int, minimum=100, maximum=1_000_000
                    ),
                }
            ),
            {"collapsed": True},
        ),
    }
)


class M6311OptionsFlow(OptionsFlowWithReload):
    """The link, the forwarding, each entity; the entry reloads with the options saved."""

    def __init__(self) -> None:
        """Collect the answers of each form."""
        self._options: dict[str, Any] = {}
        self._entities: list[str] = []
        """The entities forwarded with the new options: chosen, or carrying the label."""
        self._position = 0
        """Which of them the entity form is about."""
        self._datastreams: dict[str, str] = {}
        self._attributes: dict[str, list[str]] = {}
        self._deadbands: dict[str, str] = {}

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The link: heartbeat interval and the actions OneNET may call."""
        errors: dict[str, str] = {}
        if user_input is not None:
            interval = user_input[CONF_PING_INTERVAL]
            if not MIN_PING_INTERVAL <= interval <= MAX_PING_INTERVAL:
                errors[CONF_PING_INTERVAL] = "ping_interval_range"
            try:
                actions = _allowed_actions(user_input.get(CONF_ALLOWED_ACTIONS, []))
            except vol.Invalid:
                errors[CONF_ALLOWED_ACTIONS] = "invalid_action"
            if not errors:
                self._options = {**self.config_entry.options, **user_input}
                self._options[CONF_PING_INTERVAL] = round(interval)
                self._options[CONF_ALLOWED_ACTIONS] = actions
                return await self.async_step_forwarding()
        shown = user_input or self.config_entry.options
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                _link_schema(self._action_choices(shown.get(CONF_ALLOWED_ACTIONS, []))), shown
            ),
            errors=errors,
            description_placeholders={
                "min": str(MIN_PING_INTERVAL),
                "max": str(MAX_PING_INTERVAL),
            },
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
        labels = lr.async_get(self.hass)
        errors = {} if user_input is None else _forwarding_errors(user_input, labels)
        if user_input is not None and not errors:
            delivery = user_input.pop(SECTION_DELIVERY, {})
            each_entity = user_input.pop(EACH_ENTITY, True)
            self._options.update(user_input)
            self._options.update(delivery)
            if not user_input.get(CONF_FORWARD_LABEL):
                self._options.pop(CONF_FORWARD_LABEL, None)
            self._options[CONF_FORWARD_DOMAINS] = _domains(
                self._options.get(CONF_FORWARD_DOMAINS, [])
            )
            self._start_entities()
            if each_entity and self._entities:
                return await self.async_step_entity()
            return self._async_save()
        current = dict(self.config_entry.options)
        if labels.async_get_label(current.get(CONF_FORWARD_LABEL) or "") is None:
            # A label deleted since (or never made): shown as nothing, not as an unknown ID.
            current.pop(CONF_FORWARD_LABEL, None)
        current[CONF_TIMESTAMPS] = TimeMode.from_option(current.get(CONF_TIMESTAMPS, True)).value
        current[SECTION_DELIVERY] = {
            key: current[key]
            for key in (CONF_BATCH_WINDOW, CONF_ACK_MODE, CONF_OUTBOX_CAPACITY)
            if key in current
        }
        if user_input is not None:  # shown again with what was typed
            current = {**current, **user_input}
        return self.async_show_form(
            step_id="forwarding",
            data_schema=self.add_suggested_values_to_schema(FORWARDING_SCHEMA, current),
            errors=errors,
        )

    def _start_entities(self) -> None:
        """The entities to go through, each starting with what is stored for it.

        Those chosen by name or by label: a domain or an area may select hundreds, which keep
        their default datastreams rather than asking for a form each.
        """
        named = replace(
            Selection.from_options(self._options), areas=frozenset(), domains=frozenset()
        )
        self._entities = sorted(named.select(self.hass))
        self._position = 0
        stored = self.config_entry.options
        self._datastreams = {
            entity_id: stored.get(CONF_DATASTREAMS, {}).get(entity_id)
            or default_datastream(entity_id)
            for entity_id in self._entities
        }
        self._attributes = _stored_for(self._entities, stored.get(CONF_ATTRIBUTES, {}))
        self._deadbands = _stored_for(self._entities, stored.get(CONF_DEADBANDS, {}))

    async def async_step_entity(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """One forwarded entity: its datastream ID, its attributes, its deadband."""
        entity_id = self._entities[self._position]
        errors: dict[str, str] = {}
        if user_input is not None:
            self._read_entity_answers(entity_id, user_input, errors)
            if not errors:
                self._position += 1
                if self._position < len(self._entities):
                    return await self.async_step_entity()
                return self._async_save()
        return self.async_show_form(
            step_id="entity",
            data_schema=self.add_suggested_values_to_schema(
                self._entity_schema(entity_id),
                user_input or self._entity_answers(entity_id),
            ),
            errors=errors,
            description_placeholders={
                "entity": self._entity_name(entity_id),
                "entity_id": entity_id,
                "position": str(self._position + 1),
                "count": str(len(self._entities)),
            },
            last_step=self._position + 1 == len(self._entities),
        )

    def _entity_schema(self, entity_id: str) -> vol.Schema:
        state = self.hass.states.get(entity_id)
        names = sorted(state.attributes) if state is not None else []
        fields: dict[Any, Any] = {
            vol.Required(FIELD_DATASTREAM): TextSelector(),
            vol.Optional(FIELD_ATTRIBUTES, default=[]): SelectSelector(
                SelectSelectorConfig(options=names, multiple=True, custom_value=True)
            ),
        }
        if self._options.get(CONF_SIGNIFICANT_ONLY) and _is_numeric(state):
            fields[vol.Optional(FIELD_DEADBAND)] = TextSelector()
        return vol.Schema(fields)

    def _entity_answers(self, entity_id: str) -> dict[str, Any]:
        answers: dict[str, Any] = {
            FIELD_DATASTREAM: self._datastreams[entity_id],
            FIELD_ATTRIBUTES: self._attributes.get(entity_id, []),
        }
        if entity_id in self._deadbands:
            answers[FIELD_DEADBAND] = self._deadbands[entity_id]
        return answers

    def _read_entity_answers(
        self, entity_id: str, answers: dict[str, Any], errors: dict[str, str]
    ) -> None:
        """Keep one entity's answers; a wrong one is an error and keeps nothing."""
        datastream = str(answers.get(FIELD_DATASTREAM, "")).strip()
        try:
            check_datastream(datastream)
        except M6311ValidationError:
            errors[FIELD_DATASTREAM] = "invalid_datastream"
        try:
            deadband = Deadband.parse(str(answers.get(FIELD_DEADBAND) or ""))
        except ValueError:
            errors[FIELD_DEADBAND] = "invalid_deadband"
            return
        if errors:
            return
        self._datastreams[entity_id] = datastream
        self._attributes[entity_id] = sorted(set(answers.get(FIELD_ATTRIBUTES, [])))
        if deadband is None:
            self._deadbands.pop(entity_id, None)
        else:
            self._deadbands[entity_id] = str(deadband)

    def _entity_name(self, entity_id: str) -> str:
        state = self.hass.states.get(entity_id)
        return state.name if state is not None else entity_id

    def _async_save(self) -> ConfigFlowResult:
        # Only what differs from the default is kept: renaming an entity keeps working.
        self._options[CONF_DATASTREAMS] = {
            entity_id: datastream
            for entity_id, datastream in self._datastreams.items()
            if datastream != default_datastream(entity_id)
        }
        self._options[CONF_ATTRIBUTES] = {k: v for k, v in self._attributes.items() if v}
        self._options[CONF_DEADBANDS] = dict(self._deadbands)
        return self.async_create_entry(data=self._options)


def _stored_for[T](entities: list[str], stored: dict[str, T]) -> dict[str, T]:
    """What is stored for these entities only (the others are no longer forwarded)."""
    return {entity_id: stored[entity_id] for entity_id in entities if entity_id in stored}


def _is_numeric(state: State | None) -> bool:
    """Whether a deadband means something for the entity: a number now, or a unit."""
    if state is None:
        return False
    if ATTR_UNIT_OF_MEASUREMENT in state.attributes:
        return True
    try:
        float(state.state)
    except ValueError:
        return False
    return True


def _forwarding_errors(answers: dict[str, Any], labels: lr.LabelRegistry) -> dict[str, str]:
    """A domain or a label that does not exist, or entities with no way for a record to leave."""
    if not all(valid_domain(d.strip().lower()) for d in answers.get(CONF_FORWARD_DOMAINS, [])):
        return {CONF_FORWARD_DOMAINS: "invalid_domain"}
    if (label := answers.get(CONF_FORWARD_LABEL)) and labels.async_get_label(label) is None:
        return {CONF_FORWARD_LABEL: "unknown_label"}
    chosen = Selection.from_options(answers).active
    sends = (
        answers.get(CONF_SEND_ON_CHANGE, True)
        or answers.get(CONF_SNAPSHOT_INTERVAL, 0) > 0
        or answers.get(CONF_MAX_SILENCE, 0) > 0
    )
    if chosen and not sends:
        return {"base": "nothing_sent"}
    return {}


def _domains(domains: list[str]) -> list[str]:
    """Domains as typed or picked: trimmed, lower case, each once."""
    return sorted({domain.strip().lower() for domain in domains if domain.strip()})


def _allowed_actions(actions: list[str]) -> list[str]:
    """Each entry must name an action as `domain.action`; blanks and repeats go."""
    return sorted({cv.service(action.strip()) for action in actions if action.strip()})
