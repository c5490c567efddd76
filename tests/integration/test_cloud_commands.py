"""Commands sent from the platform reach the event entity, the bus, and allowed actions."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.onenet_m6311.const import (
    CONF_ALLOWED_ACTIONS,
    DOMAIN,
    EVENT_COMMAND,
    EVENT_COMMAND_REJECTED,
)

from .conftest import IMEI, set_up_entry, state_of, wait_for_state, wait_until

if TYPE_CHECKING:
    from homeassistant.core import Event, HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from emulator.module import ModuleEmulator
    from emulator.platform import PlatformEmulator

EVENT_ENTITY = "event.m6311_4567_cloud_command"
COMMANDS = "sensor.m6311_4567_commands_received"
SWITCH = "input_boolean.porch"


@pytest.fixture
async def loaded(hass: HomeAssistant, mode1_entry: MockConfigEntry) -> MockConfigEntry:
    """The mode 1 entry set up, with an input_boolean for service calls to act on."""
    assert await async_setup_component(hass, "input_boolean", {"input_boolean": {"porch": {}}})
    await set_up_entry(hass, mode1_entry)
    return mode1_entry


async def send(platform: PlatformEmulator, device_id: str, payload: bytes | dict[str, Any]) -> None:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    await platform.send_command(device_id, body)


async def test_a_command_fires_the_event_entity_and_the_bus_event(
    hass: HomeAssistant, loaded: MockConfigEntry, platform: PlatformEmulator, device_id: str
) -> None:
    events = async_capture_events(hass, EVENT_COMMAND)
    payload = 'heat,on;"quoted"\r\n温度'.encode()  # commas, quotes, CR LF, UTF-8: cut by length
    await send(platform, device_id, payload)
    await wait_until(lambda: len(events) == 1)

    (device,) = dr.async_entries_for_config_entry(dr.async_get(hass), loaded.entry_id)
    assert device.identifiers == {(DOMAIN, IMEI)}
    assert events[0].data == {
        "device_id": device.id,
        "config_entry_id": loaded.entry_id,
        "payload": payload.decode(),
        "length": len(payload),
        "json": None,
        "truncated": False,
    }
    state = state_of(hass, EVENT_ENTITY)
    assert state.attributes["event_type"] == "command"
    assert state.attributes["payload"] == payload.decode()
    assert state.attributes["length"] == len(payload)
    await wait_for_state(hass, COMMANDS, "1")


async def test_json_payload_is_parsed(
    hass: HomeAssistant, loaded: MockConfigEntry, platform: PlatformEmulator, device_id: str
) -> None:
    events = async_capture_events(hass, EVENT_COMMAND)
    await send(platform, device_id, {"mode": "away", "level": 3})
    await wait_until(lambda: len(events) == 1)
    assert events[0].data["json"] == {"mode": "away", "level": 3}
    assert state_of(hass, EVENT_ENTITY).attributes["json"] == {"mode": "away", "level": 3}


async def test_an_allowed_action_runs(
    hass: HomeAssistant, loaded: MockConfigEntry, platform: PlatformEmulator, device_id: str
) -> None:
    hass.config_entries.async_update_entry(
        loaded, options={CONF_ALLOWED_ACTIONS: ["input_boolean.turn_on"]}
    )
    await hass.async_block_till_done()  # the options reload the entry
    call = {"action": "input_boolean.turn_on", "target": {"entity_id": SWITCH}}
    await send(platform, device_id, call)
    await wait_for_state(hass, SWITCH, STATE_ON)


@pytest.mark.parametrize(
    ("call", "allowed", "reason"),
    [
        ({"action": "input_boolean.turn_on", "target": {"entity_id": SWITCH}}, [], "not_allowed"),
        (
            {"action": "input_boolean.turn_on", "target": "porch"},
            ["input_boolean.turn_on"],
            "invalid",
        ),
        ({"action": "nothing.here"}, ["nothing.here"], "unknown_action"),
        (
            {"action": "input_boolean.turn_on", "target": {"entity_id": SWITCH}, "data": {"x": 1}},
            ["input_boolean.turn_on"],
            "failed",
        ),
    ],
)
async def test_refused_actions_are_reported(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    platform: PlatformEmulator,
    device_id: str,
    call: dict[str, Any],
    allowed: list[str],
    reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if allowed:
        hass.config_entries.async_update_entry(loaded, options={CONF_ALLOWED_ACTIONS: allowed})
        await hass.async_block_till_done()
    rejected: list[Event] = async_capture_events(hass, EVENT_COMMAND_REJECTED)
    await send(platform, device_id, call)
    await wait_until(lambda: len(rejected) == 1)
    assert rejected[0].data["reason"] == reason
    assert rejected[0].data["action"] == call["action"]
    assert state_of(hass, SWITCH).state == STATE_OFF
    assert "Refused a service call from OneNET" in caplog.text


async def test_a_command_cut_short_by_the_module_never_runs_its_action(
    hass: HomeAssistant, loaded: MockConfigEntry, module: ModuleEmulator
) -> None:
    hass.config_entries.async_update_entry(
        loaded, options={CONF_ALLOWED_ACTIONS: ["input_boolean.turn_on"]}
    )
    await hass.async_block_till_done()
    events = async_capture_events(hass, EVENT_COMMAND)
    rejected = async_capture_events(hass, EVENT_COMMAND_REJECTED)
    call = json.dumps({"action": "input_boolean.turn_on", "target": {"entity_id": SWITCH}})
    # The firmware announces more bytes than it prints: the payload ends when the line goes
    # quiet, and is marked as cut short.
    await module.pty.write(f"+IOTCMD={len(call) + 20},{call}\r\n".encode())
    await wait_until(lambda: len(rejected) == 1)
    assert events[0].data["truncated"] is True
    assert events[0].data["json"] == json.loads(call)
    assert rejected[0].data["reason"] == "truncated"
    await hass.async_block_till_done()
    assert state_of(hass, SWITCH).state == STATE_OFF
