"""The data sensors count what the emulated module actually sent and received.

The module emulator speaks real EDP over TCP to the platform emulator and counts the bytes it
writes to its socket and reads from it (`ModuleEmulator.edp_bytes`). The integration never sees
that socket: it estimates from the AT commands. Here the estimate of EDP bytes must equal the
module's count exactly, both ways, and the sensor must add the TCP/IP headers per packet as
docs/data-usage.md says.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import State
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import mock_restore_cache_with_extra_data

from custom_components.onenet_m6311 import counters as counters_module
from custom_components.onenet_m6311.const import CONF_ENCRYPT, CONF_FORWARD_ENTITIES, DOMAIN
from custom_components.onenet_m6311.diagnostics import async_get_config_entry_diagnostics

from .conftest import set_up, state_of, wait_until

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from custom_components.onenet_m6311.m6311 import M6311Client
    from emulator.module import ModuleEmulator
    from emulator.platform import PlatformEmulator

CELLULAR = "sensor.m6311_4567_cellular_data_estimated"
SERIAL_SENT = "sensor.m6311_4567_serial_bytes_sent"
SERIAL_RECEIVED = "sensor.m6311_4567_serial_bytes_received"
KITCHEN = "sensor.kitchen_temperature"
HEADERS = 40
"""IPv4 and TCP headers of one packet, as docs/data-usage.md counts them."""
SYN_OPTIONS = 2 * 4
"""The MSS option of SYN and SYN-ACK."""
MSS = 1460
QUIET = 0.1
"""Longer than the sensors' write interval here: what changed is shown after it."""

pytestmark = pytest.mark.usefixtures("quick_retries", "quick_data_writes", "every_entity_enabled")


@pytest.fixture
def quick_data_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The data sensors show a change within 10 ms instead of a second."""
    monkeypatch.setattr(counters_module, "COUNTER_INTERVAL", 0.01)


def shown(hass: HomeAssistant, entity_id: str) -> int:
    return int(state_of(hass, entity_id).state)


def client_of(entry: MockConfigEntry) -> M6311Client:
    client: M6311Client = entry.runtime_data.coordinator.client
    return client


async def quiet(hass: HomeAssistant) -> None:
    """Let the sensors' pending writes happen (nothing else runs: no heartbeat here)."""
    await asyncio.sleep(QUIET)
    await hass.async_block_till_done()


@dataclass(frozen=True)
class Reading:
    """What the cellular sensor shows, and what the module wrote and read over EDP."""

    shown: int
    written: int
    read: int


def read_now(hass: HomeAssistant, module: ModuleEmulator) -> Reading:
    return Reading(shown(hass, CELLULAR), module.edp_bytes.written, module.edp_bytes.read)


async def step_costs(
    hass: HomeAssistant, module: ModuleEmulator, before: Reading, packets: int
) -> Reading:
    """The sensor grew by the module's EDP bytes both ways and `packets` packets of headers."""
    await quiet(hass)
    after = read_now(hass, module)
    edp = (after.written - before.written) + (after.read - before.read)
    assert after.shown - before.shown == edp + HEADERS * packets
    return after


async def set_up_quietly(hass: HomeAssistant, entry: MockConfigEntry, **options: object) -> None:
    """Set up with no heartbeat after the first (which the link makes at once), and wait for it."""
    await set_up(hass, entry, ping_interval=300, **options)
    coordinator = entry.runtime_data.coordinator
    await wait_until(lambda: coordinator.data.ping_round_trip is not None)
    await quiet(hass)


def records_sent(entry: MockConfigEntry, count: int) -> Callable[[], bool]:
    """Whether the forwarding has sent `count` records (its send returned: all was counted)."""
    forwarder = entry.runtime_data.forwarder
    return lambda: forwarder.stats.sent == count


async def call(hass: HomeAssistant, entry: MockConfigEntry, service: str, **data: object) -> None:
    await hass.services.async_call(
        DOMAIN, service, {"config_entry_id": entry.entry_id, **data}, blocking=True
    )


@pytest.mark.parametrize("encrypt", [False, True], ids=["plain", "encrypted"])
async def test_the_data_sensors_count_what_the_emulated_module_actually_sent(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
    tmp_path: Path,
    encrypt: bool,
) -> None:
    hass.config_entries.async_update_entry(
        mode1_entry, data={**mode1_entry.data, CONF_ENCRYPT: encrypt}
    )
    await set_up_quietly(hass, mode1_entry, **{CONF_FORWARD_ENTITIES: [KITCHEN]})
    client = client_of(mode1_entry)

    # The login: SYN, SYN-ACK, ACK; the key exchange (three packets) when encrypting; CONNREQ,
    # CONNRESP, ACK; and the first heartbeat: PINGREQ, PINGRESP, ACK.
    login_packets = 3 + (3 if encrypt else 0) + 3 + 3
    at_login = read_now(hass, module)
    assert at_login.shown == at_login.written + at_login.read + HEADERS * login_packets + 8

    reading = at_login
    await call(hass, mode1_entry, "ping")
    reading = await step_costs(hass, module, reading, packets=3)

    # Acknowledged: SAVEDATA up, SAVEACK down, ACK up. Not: SAVEDATA up, ACK down.
    values = {"t": 21.5, "lamp": "开灯"}
    await call(hass, mode1_entry, "send_data", values=values, wait_for_ack=True)
    reading = await step_costs(hass, module, reading, packets=3)
    await call(hass, mode1_entry, "send_data", values={"t": 22}, wait_for_ack=False)
    reading = await step_costs(hass, module, reading, packets=2)

    for count, value in enumerate(("20.5", "21", "21.5"), start=1):
        hass.states.async_set(KITCHEN, value)
        await wait_until(records_sent(mode1_entry, count))
        reading = await step_costs(hass, module, reading, packets=2)

    # From the platform: CMDREQ down, CMDRESP up, ACK down.
    coordinator = mode1_entry.runtime_data.coordinator
    uuid = await platform.send_command(device_id, "开灯".encode())
    await platform.wait_command_response(uuid)
    await wait_until(lambda: coordinator.data.commands_received == 1)
    reading = await step_costs(hass, module, reading, packets=3)

    # A file of two packets: each acknowledged down, the SAVEACK with the last, its ACK up.
    picture = tmp_path / "snap.jpg"
    picture.write_bytes(bytes(range(256)) * 8)
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    file = {"datastream": "image", "file_path": str(picture), "wait_for_ack": True}
    await call(hass, mode1_entry, "send_file", **file)
    frame = module.edp_bytes.written - reading.written
    assert math.ceil(frame / MSS) == 2
    reading = await step_costs(hass, module, reading, packets=2 + 2 + 1)

    traffic = client.meters.data_usage.traffic
    assert (traffic.edp_up, traffic.edp_down) == (module.edp_bytes.written, module.edp_bytes.read)
    assert shown(hass, CELLULAR) == traffic.total
    assert shown(hass, SERIAL_SENT) == client.meters.serial_bytes_sent > 0
    assert shown(hass, SERIAL_RECEIVED) == client.meters.serial_bytes_received > 0
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_the_counters_go_on_from_their_value_before_the_restart(
    hass: HomeAssistant, mode1_entry: MockConfigEntry
) -> None:
    restored = {"native_value": 5000, "native_unit_of_measurement": "B"}
    unknown = {"native_value": None, "native_unit_of_measurement": "B"}
    mock_restore_cache_with_extra_data(
        hass,
        [
            (State(CELLULAR, "5000"), restored),
            (State(SERIAL_SENT, STATE_UNKNOWN), unknown),
        ],
    )
    await set_up_quietly(hass, mode1_entry)
    client = client_of(mode1_entry)
    assert shown(hass, CELLULAR) == 5000 + client.meters.data_usage.traffic.total
    # Nothing kept: counted from zero again, a reset that `total_increasing` allows.
    assert shown(hass, SERIAL_SENT) == client.meters.serial_bytes_sent
    assert shown(hass, SERIAL_RECEIVED) == client.meters.serial_bytes_received
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_a_reload_never_takes_the_counters_back(
    hass: HomeAssistant, mode1_entry: MockConfigEntry
) -> None:
    await set_up_quietly(hass, mode1_entry)
    before = {entity_id: shown(hass, entity_id) for entity_id in (CELLULAR, SERIAL_SENT)}
    assert await hass.config_entries.async_reload(mode1_entry.entry_id)
    coordinator = mode1_entry.runtime_data.coordinator
    await coordinator.async_wait_online()
    await wait_until(lambda: coordinator.data.ping_round_trip is not None)
    await quiet(hass)
    client = client_of(mode1_entry)  # a new client, counting from zero
    assert shown(hass, CELLULAR) == before[CELLULAR] + client.meters.data_usage.traffic.total
    assert shown(hass, SERIAL_SENT) == before[SERIAL_SENT] + client.meters.serial_bytes_sent
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_the_diagnostics_show_the_counters_in_their_parts(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, module: ModuleEmulator
) -> None:
    await set_up_quietly(hass, mode1_entry)
    usage = (await async_get_config_entry_diagnostics(hass, mode1_entry))["data_usage"]
    client = client_of(mode1_entry)
    assert usage["edp_up"] == module.edp_bytes.written
    assert usage["edp_down"] == module.edp_bytes.read
    assert usage["cellular_bytes"] == shown(hass, CELLULAR)
    assert usage["serial_bytes_sent"] == client.meters.serial_bytes_sent
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_a_renamed_sensor_keeps_its_restored_part(
    hass: HomeAssistant, mode1_entry: MockConfigEntry
) -> None:
    """A new entity ID re-adds the same entity, under a name with nothing to restore."""
    restored = {"native_value": 5000, "native_unit_of_measurement": "B"}
    mock_restore_cache_with_extra_data(hass, [(State(CELLULAR, "5000"), restored)])
    await set_up_quietly(hass, mode1_entry)
    er.async_get(hass).async_update_entity(CELLULAR, new_entity_id="sensor.cellular_renamed")
    await quiet(hass)
    client = client_of(mode1_entry)
    assert shown(hass, "sensor.cellular_renamed") == 5000 + client.meters.data_usage.traffic.total
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)
