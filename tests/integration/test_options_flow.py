"""The options flow: link settings, what to forward, and each entity's datastream."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import label_registry as lr

from custom_components.onenet_m6311.const import (
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
)
from custom_components.onenet_m6311.forwarding.settings import TimeMode
from custom_components.onenet_m6311.forwarding.significance import Deadband

from .conftest import set_up_entry, state_of_entry, wait_until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from emulator.platform import PlatformEmulator

KITCHEN = "sensor.kitchen_temperature"
HALL = "binary_sensor.hall_door"
HEATER = "input_boolean.heater"
LINK = {CONF_PING_INTERVAL: 45, CONF_ALLOWED_ACTIONS: [], CONF_KEEP_LINK: True}
DELIVERY = {CONF_BATCH_WINDOW: 0.5, CONF_ACK_MODE: True, CONF_OUTBOX_CAPACITY: 500}


def forwarding(**chosen: Any) -> dict[str, Any]:
    return {
        CONF_SEND_ON_CHANGE: True,
        CONF_SNAPSHOT_INTERVAL: 0,
        CONF_MIN_INTERVAL: 5,
        CONF_TIMESTAMPS: "always",
        CONF_SIGNIFICANT_ONLY: False,
        CONF_MAX_SILENCE: 0,
        "delivery": DELIVERY,
        **chosen,
    }


def placeholders(result: Any) -> dict[str, str]:
    """The form's description placeholders."""
    return dict(result["description_placeholders"])


def fields(result: Any) -> set[str]:
    """The names of the form's fields."""
    return {str(marker) for marker in result["data_schema"].schema}


def suggested(result: Any, key: str) -> Any:
    for marker in result["data_schema"].schema:
        if marker == key:
            return (marker.description or {}).get("suggested_value")
    raise AssertionError(key)


async def test_each_entity_has_its_own_form(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, platform: PlatformEmulator, device_id: str
) -> None:
    hass.states.async_set(
        KITCHEN, "21", {"humidity": 40, "unit_of_measurement": "°C", "friendly_name": "Kitchen"}
    )
    await set_up_entry(hass, mode1_entry)
    result = await hass.config_entries.options.async_init(mode1_entry.entry_id)
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(result["flow_id"], LINK)
    assert result["step_id"] == "forwarding"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], forwarding(**{CONF_FORWARD_ENTITIES: [KITCHEN, HALL]})
    )
    # In entity ID order: the hall's binary sensor first, then the kitchen.
    assert result["step_id"] == "entity"
    assert placeholders(result) == {
        "entity": HALL,  # no state yet: named by its ID
        "entity_id": HALL,
        "position": "1",
        "count": "2",
    }
    assert suggested(result, "datastream") == "binary_sensor_hall_door"  # the default
    assert not result["last_step"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"datastream": "binary_sensor_hall_door"}
    )
    assert result["step_id"] == "entity"
    assert placeholders(result)["entity"] == "Kitchen"
    assert result["last_step"]
    assert "deadband" not in fields(result)  # significant changes only: off

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"datastream": "kitchen temp"}
    )
    assert result["errors"] == {"datastream": "invalid_datastream"}  # a space: not an ID
    assert placeholders(result)["position"] == "2"  # the same entity again

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"datastream": "kitchen", "attributes": ["humidity", "humidity"]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert mode1_entry.options == {
        **LINK,
        CONF_FORWARD_ENTITIES: [KITCHEN, HALL],
        CONF_FORWARD_AREAS: [],
        CONF_FORWARD_DOMAINS: [],
        CONF_EXCLUDE_ENTITIES: [],
        CONF_SEND_ON_CHANGE: True,
        CONF_SNAPSHOT_INTERVAL: 0,
        CONF_MIN_INTERVAL: 5,
        CONF_TIMESTAMPS: "always",
        CONF_SIGNIFICANT_ONLY: False,
        CONF_MAX_SILENCE: 0,
        **DELIVERY,
        CONF_DATASTREAMS: {KITCHEN: "kitchen"},  # the hall keeps its default: not stored
        CONF_DEADBANDS: {},
        CONF_ATTRIBUTES: {KITCHEN: ["humidity"]},
    }
    assert state_of_entry(mode1_entry) is ConfigEntryState.LOADED  # reloaded with them
    forwarder = mode1_entry.runtime_data.forwarder
    assert forwarder.settings.datastream(KITCHEN) == "kitchen"
    assert forwarder.settings.ack

    # Opening the options again shows what is stored.
    result = await hass.config_entries.options.async_init(mode1_entry.entry_id)
    assert suggested(result, CONF_PING_INTERVAL) == 45
    result = await hass.config_entries.options.async_configure(result["flow_id"], LINK)
    assert suggested(result, CONF_FORWARD_ENTITIES) == [KITCHEN, HALL]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], forwarding(**{CONF_FORWARD_ENTITIES: [KITCHEN]})
    )
    assert suggested(result, "datastream") == "kitchen"
    assert suggested(result, "attributes") == ["humidity"]
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_without_each_entitys_form_each_keeps_what_it_has(
    hass: HomeAssistant, mode1_entry: MockConfigEntry
) -> None:
    stored = {
        CONF_FORWARD_ENTITIES: [KITCHEN, HALL],
        CONF_DATASTREAMS: {KITCHEN: "kitchen", HALL: "hall"},
        CONF_ATTRIBUTES: {KITCHEN: ["humidity"]},
    }
    hass.config_entries.async_update_entry(mode1_entry, options=stored)
    assert await hass.config_entries.async_setup(mode1_entry.entry_id)
    result = await hass.config_entries.options.async_init(mode1_entry.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], LINK)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], forwarding(**{CONF_FORWARD_ENTITIES: [KITCHEN], "each_entity": False})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert "each_entity" not in mode1_entry.options  # an answer, not an option
    assert mode1_entry.options[CONF_DATASTREAMS] == {KITCHEN: "kitchen"}  # the hall: gone
    assert mode1_entry.options[CONF_ATTRIBUTES] == {KITCHEN: ["humidity"]}
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_entities_chosen_by_label_have_their_forms(
    hass: HomeAssistant, mode1_entry: MockConfigEntry
) -> None:
    label = lr.async_get(hass).async_create("To OneNET")
    registry = er.async_get(hass)
    entry = registry.async_get_or_create("sensor", "test", "outdoor", suggested_object_id="outdoor")
    registry.async_update_entity(entry.entity_id, labels={label.label_id})
    assert await hass.config_entries.async_setup(mode1_entry.entry_id)
    result = await hass.config_entries.options.async_init(mode1_entry.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], LINK)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], forwarding(**{CONF_FORWARD_LABEL: label.label_id})
    )
    assert result["step_id"] == "entity"
    assert placeholders(result)["entity_id"] == "sensor.outdoor"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"datastream": "outdoor"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert mode1_entry.options[CONF_DATASTREAMS] == {"sensor.outdoor": "outdoor"}
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_a_label_without_entities_needs_no_entity_form(
    hass: HomeAssistant, mode1_entry: MockConfigEntry
) -> None:
    label = lr.async_get(hass).async_create("To OneNET")
    assert await hass.config_entries.async_setup(mode1_entry.entry_id)
    result = await hass.config_entries.options.async_init(mode1_entry.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], LINK)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], forwarding(**{CONF_FORWARD_LABEL: label.label_id})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert mode1_entry.options[CONF_FORWARD_LABEL] == label.label_id
    assert mode1_entry.options[CONF_FORWARD_ENTITIES] == []

    # Clearing the label removes it.
    result = await hass.config_entries.options.async_init(mode1_entry.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], LINK)
    result = await hass.config_entries.options.async_configure(result["flow_id"], forwarding())
    await hass.async_block_till_done()
    assert CONF_FORWARD_LABEL not in mode1_entry.options
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_significant_changes_only_asks_for_each_entitys_deadband(
    hass: HomeAssistant, mode1_entry: MockConfigEntry
) -> None:
    # An earlier version stored the time option as a switch: off is "never".
    hass.config_entries.async_update_entry(mode1_entry, options={CONF_TIMESTAMPS: False})
    hass.states.async_set(KITCHEN, "21.5", {"unit_of_measurement": "°C"})
    hass.states.async_set(HEATER, "on")
    assert await hass.config_entries.async_setup(mode1_entry.entry_id)
    result = await hass.config_entries.options.async_init(mode1_entry.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], LINK)
    assert suggested(result, CONF_TIMESTAMPS) == "never"
    chosen = {CONF_FORWARD_ENTITIES: [KITCHEN, HEATER], CONF_SIGNIFICANT_ONLY: True}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], forwarding(**chosen, **{CONF_TIMESTAMPS: "delayed"})
    )
    assert result["step_id"] == "entity"
    assert placeholders(result)["entity_id"] == HEATER
    assert "deadband" not in fields(result)  # on/off: no number to move
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"datastream": "heater"}
    )
    assert placeholders(result)["entity_id"] == KITCHEN
    deadband = "deadband"

    answers = {"datastream": "sensor_kitchen_temperature", deadband: "2 %x"}
    result = await hass.config_entries.options.async_configure(result["flow_id"], answers)
    assert result["errors"] == {deadband: "invalid_deadband"}

    answers[deadband] = "0.50, 2%"
    result = await hass.config_entries.options.async_configure(result["flow_id"], answers)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert mode1_entry.options[CONF_DEADBANDS] == {KITCHEN: "0.5 2%"}
    assert mode1_entry.options[CONF_TIMESTAMPS] == "delayed"
    settings = mode1_entry.runtime_data.forwarder.settings
    assert settings.deadbands == {KITCHEN: Deadband(absolute=0.5, percent=2.0)}
    assert settings.time_mode is TimeMode.DELAYED
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


@pytest.mark.parametrize("interval", [5, 101, 9.5])
async def test_a_heartbeat_out_of_range_names_the_range(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, interval: float
) -> None:
    assert await hass.config_entries.async_setup(mode1_entry.entry_id)
    result = await hass.config_entries.options.async_init(mode1_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**LINK, CONF_PING_INTERVAL: interval}
    )
    assert result["errors"] == {CONF_PING_INTERVAL: "ping_interval_range"}
    assert placeholders(result) == {"min": "10", "max": "100"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**LINK, CONF_PING_INTERVAL: 100}
    )
    assert result["step_id"] == "forwarding"
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_forwarding_that_could_send_nothing_is_refused(
    hass: HomeAssistant, mode1_entry: MockConfigEntry
) -> None:
    assert await hass.config_entries.async_setup(mode1_entry.entry_id)
    result = await hass.config_entries.options.async_init(mode1_entry.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], LINK)
    silent = {CONF_FORWARD_ENTITIES: [KITCHEN], CONF_SEND_ON_CHANGE: False, "each_entity": False}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], forwarding(**silent)
    )
    assert result["errors"] == {"base": "nothing_sent"}
    assert mode1_entry.options == {}  # nothing saved
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], forwarding(**silent, **{CONF_SNAPSHOT_INTERVAL: 600})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_saving_the_options_keeps_what_users_read(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, platform: PlatformEmulator, device_id: str
) -> None:
    # The entry reloads with the options saved; the counters and the serial trace go on.
    await set_up_entry(hass, mode1_entry)
    await platform.send_command(device_id, b"on")
    coordinator = mode1_entry.runtime_data.coordinator
    await wait_until(lambda: coordinator.data.commands_received == 1)
    mode1_entry.runtime_data.forwarder.insignificant = 4  # as if four changes were skipped
    before = coordinator.client.trace.lines()
    result = await hass.config_entries.options.async_init(mode1_entry.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], LINK)
    result = await hass.config_entries.options.async_configure(result["flow_id"], forwarding())
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    reloaded = mode1_entry.runtime_data
    assert reloaded.coordinator is not coordinator  # a new run of the entry
    assert reloaded.coordinator.data.commands_received == 1
    assert reloaded.forwarder.stats.insignificant == 4
    assert reloaded.coordinator.client.trace.lines()[: len(before)] == before
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_a_label_that_is_gone_shows_as_nothing_and_cannot_be_saved(
    hass: HomeAssistant, mode1_entry: MockConfigEntry
) -> None:
    # Stored by an earlier run (or by hand) and since deleted: the form does not show its raw
    # ID as an unknown item, and a label that does not exist is refused.
    hass.config_entries.async_update_entry(
        mode1_entry, options={CONF_FORWARD_LABEL: "onenet_forward"}
    )
    assert await hass.config_entries.async_setup(mode1_entry.entry_id)
    result = await hass.config_entries.options.async_init(mode1_entry.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], LINK)
    assert suggested(result, CONF_FORWARD_LABEL) is None
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], forwarding(**{CONF_FORWARD_LABEL: "onenet_forward"})
    )
    assert result["errors"] == {CONF_FORWARD_LABEL: "unknown_label"}
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)
