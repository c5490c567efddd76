"""Forwarding states to the emulated platform: times, batching, outages, a full outbox."""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, STATE_OFF
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers import label_registry as lr

from custom_components.onenet_m6311.const import (
    CONF_ACK_MODE,
    CONF_ATTRIBUTES,
    CONF_DATASTREAMS,
    CONF_FORWARD_ENTITIES,
    CONF_FORWARD_LABEL,
    CONF_KEEP_LINK,
    CONF_LINE_LIMIT,
    CONF_MIN_INTERVAL,
    CONF_OUTBOX_CAPACITY,
    CONF_SNAPSHOT_INTERVAL,
    CONF_TIMESTAMPS,
    DOMAIN,
)
from custom_components.onenet_m6311.forwarding.outbox import Outbox
from custom_components.onenet_m6311.forwarding.outbox_files import outbox_path

from .conftest import set_up, set_up_without_link, state_of, wait_until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from emulator.module import ModuleEmulator
    from emulator.platform import PlatformEmulator

KITCHEN = "sensor.kitchen_temperature"
LINK = "binary_sensor.m6311_4567_cloud_link"


pytestmark = pytest.mark.usefixtures("quick_retries")


def values(platform: PlatformEmulator, device_id: str, datastream: str) -> list[Any]:
    return [point.value for point in platform.datapoints(device_id, datastream)]


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC", "America/Los_Angeles"])
async def test_a_state_change_arrives_with_its_time(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    platform: PlatformEmulator,
    device_id: str,
    zone: str,
) -> None:
    # OneNET keeps times as Beijing time: the record says when the state changed there,
    # whatever Home Assistant's zone, as the platform's own arrival stamps do.
    await hass.config.async_set_time_zone(zone)
    await set_up(hass, mode1_entry, **{CONF_FORWARD_ENTITIES: [KITCHEN]})
    hass.states.async_set(KITCHEN, "21.5", {"unit_of_measurement": "°C"})
    state = hass.states.get(KITCHEN)
    assert state is not None
    point = await platform.wait_datapoint(device_id, "sensor_kitchen_temperature")
    assert point.value == 21.5
    beijing = state.last_updated.astimezone(ZoneInfo("Asia/Shanghai"))
    assert point.at.startswith(beijing.strftime("%Y-%m-%d %H:%M:%S"))
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_a_thousand_changes_arrive_in_far_fewer_commands(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
) -> None:
    entities = [f"sensor.probe_{n}" for n in range(10)]
    await set_up(hass, mode1_entry, **{CONF_FORWARD_ENTITIES: entities})
    # The emulated module takes lines of 1024 bytes (as a limit learnt or configured would be).
    mode1_entry.runtime_data.coordinator.client.line_limit = 1024
    before = sum(line.startswith("AT+CIOTDAT=") for line in module.commands)
    for step in range(100):
        for entity_id in entities:
            hass.states.async_set(entity_id, str(step))
    await wait_until(lambda: len(platform.datapoints(device_id)) == 1000, within=60)
    commands = sum(line.startswith("AT+CIOTDAT=") for line in module.commands) - before
    assert commands <= 1000 / 20  # at least 20 records a line
    for entity_id in entities:
        assert values(platform, device_id, entity_id.replace(".", "_")) == list(range(100))
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


@pytest.mark.parametrize("keep_link", [True, False])
async def test_a_module_with_shorter_lines_teaches_its_limit_and_loses_nothing(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
    keep_link: bool,
) -> None:
    # The module refuses lines over 150 bytes (the integration starts at 256): the refused
    # records go again in shorter lines, and the entry keeps what the module taught.
    module.firmware.config = dataclasses.replace(module.firmware.config, max_line=150)
    entities = [f"sensor.probe_{n}" for n in range(6)]
    await set_up(hass, mode1_entry, **{CONF_FORWARD_ENTITIES: entities, CONF_KEEP_LINK: keep_link})
    for step in range(10):
        for entity_id in entities:
            hass.states.async_set(entity_id, str(step))
        await hass.async_block_till_done()
    await wait_until(lambda: len(platform.datapoints(device_id)) == 60, within=60)
    for entity_id in entities:
        assert values(platform, device_id, entity_id.replace(".", "_")) == list(range(10))
    client = mode1_entry.runtime_data.coordinator.client
    assert client.line_limit <= 150
    assert mode1_entry.data[CONF_LINE_LIMIT] == client.line_limit
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


@pytest.mark.parametrize("outage", ["drop_cloud", "unplug", "reboot"])
async def test_an_outage_in_a_stream_loses_nothing(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
    outage: str,
) -> None:
    await set_up(hass, mode1_entry, **{CONF_FORWARD_ENTITIES: [KITCHEN]})
    for step in range(50):
        hass.states.async_set(KITCHEN, str(step))
        if step == 20:
            await getattr(module, outage)()
        if step == 35 and outage == "unplug":
            await module.replug()
        await hass.async_block_till_done()
    await wait_until(lambda: len(values(platform, device_id, "sensor_kitchen_temperature")) >= 50)
    received = values(platform, device_id, "sensor_kitchen_temperature")
    assert sorted(set(received)) == list(range(50))  # at least once: duplicates allowed
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_a_home_assistant_restart_loses_nothing(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
) -> None:
    await set_up(hass, mode1_entry, **{CONF_FORWARD_ENTITIES: [KITCHEN]})
    await module.set_network(up=False)  # nothing can leave: everything stays in the outbox
    for step in range(30):
        hass.states.async_set(KITCHEN, str(step))
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)
    await module.set_network(up=True)
    assert await hass.config_entries.async_setup(mode1_entry.entry_id)  # the same storage
    await wait_until(lambda: len(values(platform, device_id, "sensor_kitchen_temperature")) >= 30)
    assert sorted(set(values(platform, device_id, "sensor_kitchen_temperature"))) == list(range(30))
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_a_full_outbox_drops_the_oldest_and_says_so(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await set_up(hass, mode1_entry, **{CONF_FORWARD_ENTITIES: [KITCHEN], CONF_OUTBOX_CAPACITY: 10})
    await module.set_network(up=False)
    for step in range(25):
        hass.states.async_set(KITCHEN, str(step))
    await hass.async_block_till_done()
    issue_id = f"outbox_full_{mode1_entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    assert "The outbox is full" in caplog.text
    assert mode1_entry.runtime_data.forwarder.stats.dropped == 15
    await module.set_network(up=True)
    await wait_until(lambda: len(values(platform, device_id, "sensor_kitchen_temperature")) >= 10)
    assert values(platform, device_id, "sensor_kitchen_temperature") == list(range(15, 25))
    await wait_until(lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None)
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_unavailable_states_are_skipped_and_counted(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, platform: PlatformEmulator, device_id: str
) -> None:
    await set_up(hass, mode1_entry, **{CONF_FORWARD_ENTITIES: [KITCHEN]})
    hass.states.async_set(KITCHEN, "unavailable")
    hass.states.async_set(KITCHEN, "unknown")
    hass.states.async_set(KITCHEN, "on")
    await platform.wait_datapoint(device_id, "sensor_kitchen_temperature")
    assert values(platform, device_id, "sensor_kitchen_temperature") == [1]
    assert mode1_entry.runtime_data.forwarder.stats.skipped == 2
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_datastreams_attributes_and_the_minimum_interval(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, platform: PlatformEmulator, device_id: str
) -> None:
    await set_up(
        hass,
        mode1_entry,
        **{
            CONF_FORWARD_ENTITIES: [KITCHEN],
            CONF_DATASTREAMS: {KITCHEN: "kitchen"},
            CONF_ATTRIBUTES: {KITCHEN: ["humidity"]},
            CONF_MIN_INTERVAL: 0.5,
        },
    )
    hass.states.async_set(KITCHEN, "20", {"humidity": 40})
    hass.states.async_set(KITCHEN, "21", {"humidity": 41})  # within the interval: held...
    hass.states.async_set(KITCHEN, "22", {"humidity": 41})  # ...and replaced: the last wins,
    hass.states.async_set(KITCHEN, "22", {"humidity": 42})  # per datastream
    await wait_until(lambda: len(values(platform, device_id, "kitchen")) == 2)
    assert values(platform, device_id, "kitchen") == [20, 22]
    assert values(platform, device_id, "kitchen__humidity") == [40, 42]
    hass.states.async_set(KITCHEN, "22", {"humidity": 42, "other": 1})  # nothing forwarded changed
    hass.states.async_set(KITCHEN, "22", {"humidity": 43})  # only the attribute changed
    await wait_until(lambda: len(values(platform, device_id, "kitchen__humidity")) == 3)
    assert values(platform, device_id, "kitchen") == [20, 22]
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_entities_with_the_label_are_followed_as_labels_change(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, platform: PlatformEmulator, device_id: str
) -> None:
    label = lr.async_get(hass).async_create("OneNET")
    registry = er.async_get(hass)
    first = registry.async_get_or_create("sensor", "test", "first", suggested_object_id="first")
    second = registry.async_get_or_create("sensor", "test", "second", suggested_object_id="second")
    registry.async_update_entity(first.entity_id, labels={label.label_id})
    await set_up(hass, mode1_entry, **{CONF_FORWARD_LABEL: label.label_id})
    hass.states.async_set(first.entity_id, "1")
    hass.states.async_set(second.entity_id, "2")  # no label yet: not forwarded
    await platform.wait_datapoint(device_id, "sensor_first")
    registry.async_update_entity(second.entity_id, labels={label.label_id})
    await hass.async_block_till_done()
    hass.states.async_set(second.entity_id, "3")
    await platform.wait_datapoint(device_id, "sensor_second")
    assert values(platform, device_id, "sensor_second") == [3]
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_snapshots_and_acknowledgement_mode(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
) -> None:
    hass.states.async_set(KITCHEN, "19")
    await set_up(
        hass,
        mode1_entry,
        **{CONF_FORWARD_ENTITIES: [KITCHEN], CONF_SNAPSHOT_INTERVAL: 0.2, CONF_ACK_MODE: True},
    )
    await wait_until(lambda: len(values(platform, device_id, "sensor_kitchen_temperature")) >= 2)
    assert set(values(platform, device_id, "sensor_kitchen_temperature")) == {19}
    assert any(
        line.startswith("AT+CIOTDAT=") and not line.startswith("AT+CIOTDAT=0,")
        for line in module.commands
    )  # a message id: the platform acknowledges
    forwarder = mode1_entry.runtime_data.forwarder
    # Confirmed once SAVE succ arrived; the counter moves before the confirmation is on disk,
    # the time of the last send once it is.
    await wait_until(lambda: forwarder.stats.sent >= 2 and forwarder.stats.last_sent is not None)
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_one_shot_mode_sends_without_holding_the_link(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
) -> None:
    await set_up(
        hass,
        mode1_entry,
        **{CONF_FORWARD_ENTITIES: [KITCHEN], CONF_KEEP_LINK: False, CONF_ACK_MODE: True},
    )
    assert not module.online  # nothing holds the login open
    hass.states.async_set(KITCHEN, "18.5")
    point = await platform.wait_datapoint(device_id, "sensor_kitchen_temperature")
    assert point.value == 18.5
    assert any(line.startswith("AT+CIOTSEND=0,") for line in module.commands)
    assert not any(line.startswith("AT+CIOTSTART") for line in module.commands)
    await wait_until(lambda: mode1_entry.runtime_data.forwarder.stats.sent == 1)
    assert not module.online  # and it logged out again
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_short_records_fill_long_lines(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
) -> None:
    entities = [f"sensor.s{n}" for n in range(4)]
    await set_up(hass, mode1_entry, **{CONF_FORWARD_ENTITIES: entities, CONF_TIMESTAMPS: False})
    mode1_entry.runtime_data.coordinator.client.line_limit = 1024  # the emulated module's lines
    await module.set_network(up=False)  # let 200 records gather, then send them at once
    for step in range(50):
        for entity_id in entities:
            hass.states.async_set(entity_id, str(step))
    await hass.async_block_till_done()
    before = len(module.commands)
    await module.set_network(up=True)
    await wait_until(lambda: len(platform.datapoints(device_id)) == 200, within=30)
    counts = [
        int(line.split(",")[1])
        for line in module.commands[before:]
        if line.startswith("AT+CIOTDAT=")
    ]
    # "sensor_s0,,7" is 12 bytes: a 1024-byte line holds about 75, far more than 32.
    assert max(counts) > 64
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_an_invalid_datastream_is_skipped_and_said(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    platform: PlatformEmulator,
    device_id: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The options flow refuses such an ID; options written by hand could still hold one.
    await set_up(
        hass,
        mode1_entry,
        **{CONF_FORWARD_ENTITIES: [KITCHEN, "sensor.hall"], CONF_DATASTREAMS: {KITCHEN: "a b"}},
    )
    hass.states.async_set(KITCHEN, "1")
    hass.states.async_set(KITCHEN, "2")
    hass.states.async_set("sensor.hall", "3")
    await platform.wait_datapoint(device_id, "sensor_hall")
    assert mode1_entry.runtime_data.forwarder.stats.skipped == 2
    assert caplog.text.count("Not forwarding sensor.kitchen_temperature") == 1  # said once
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


# -- nothing missed: forwarding from boot, changes made while stopped, files --------------


async def test_forwarding_starts_while_the_module_is_unplugged(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
) -> None:
    await module.unplug()
    await set_up_without_link(hass, mode1_entry, **{CONF_FORWARD_ENTITIES: [KITCHEN]})
    assert mode1_entry.state is ConfigEntryState.LOADED
    assert state_of(hass, LINK).state == STATE_OFF
    for step in range(20):
        hass.states.async_set(KITCHEN, str(step))
    await hass.async_block_till_done()
    assert mode1_entry.runtime_data.forwarder.stats.queued == 20
    (device,) = dr.async_entries_for_config_entry(dr.async_get(hass), mode1_entry.entry_id)
    assert device.sw_version is None  # not asked yet
    await module.replug()
    await wait_until(lambda: len(values(platform, device_id, "sensor_kitchen_temperature")) >= 20)
    assert values(platform, device_id, "sensor_kitchen_temperature") == list(range(20))
    (shown,) = dr.async_entries_for_config_entry(dr.async_get(hass), mode1_entry.entry_id)
    assert shown.sw_version == module.firmware.config.firmware  # shown once read
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_changes_made_while_unloaded_are_sent_at_the_next_start(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, platform: PlatformEmulator, device_id: str
) -> None:
    hall = "sensor.hall"
    await set_up(
        hass,
        mode1_entry,
        **{CONF_FORWARD_ENTITIES: [KITCHEN, hall], CONF_ATTRIBUTES: {KITCHEN: ["humidity"]}},
    )
    hass.states.async_set(KITCHEN, "20", {"humidity": 40})
    hass.states.async_set(hall, "on")
    await wait_until(lambda: len(platform.datapoints(device_id)) == 3)
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)

    hass.states.async_set(KITCHEN, "21", {"humidity": 40})  # nobody follows it now
    hass.states.async_remove(hall)  # gone, and back later with the value it had
    await set_up(
        hass,
        mode1_entry,
        **{CONF_FORWARD_ENTITIES: [KITCHEN, hall], CONF_ATTRIBUTES: {KITCHEN: ["humidity"]}},
    )
    await wait_until(lambda: len(values(platform, device_id, "sensor_kitchen_temperature")) == 2)
    hass.states.async_set(hall, "on")  # appears with its last value: nothing new
    hass.states.async_set(KITCHEN, "22", {"humidity": 40})
    await wait_until(lambda: len(values(platform, device_id, "sensor_kitchen_temperature")) == 3)
    assert values(platform, device_id, "sensor_kitchen_temperature") == [20, 21, 22]
    assert values(platform, device_id, "sensor_kitchen_temperature__humidity") == [40]
    assert values(platform, device_id, "sensor_hall") == [1]
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_home_assistant_stopping_writes_the_outbox(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, module: ModuleEmulator
) -> None:
    await set_up(hass, mode1_entry, **{CONF_FORWARD_ENTITIES: [KITCHEN]})
    await module.set_network(up=False)
    for step in range(5):
        hass.states.async_set(KITCHEN, str(step))
    await hass.async_block_till_done()
    path = outbox_path(hass, mode1_entry.entry_id)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)  # entries are not unloaded on a stop
    await hass.async_block_till_done()
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert [v for (v,) in db.execute("SELECT value FROM records ORDER BY id")] == [
            0,
            1,
            2,
            3,
            4,
        ]
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_the_outbox_of_an_earlier_release_is_taken_in_once(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mode1_entry: MockConfigEntry,
    platform: PlatformEmulator,
    device_id: str,
) -> None:
    key = f"onenet_m6311.outbox.{mode1_entry.entry_id}"
    hass_storage[key] = {
        "version": 1,
        "key": key,
        "data": {
            "records": [["kitchen", n, "2026-11-23 08:00:00"] for n in range(3)],
            "dropped": 4,
            "sent": 5,
        },
    }
    await set_up(hass, mode1_entry, **{CONF_FORWARD_ENTITIES: [KITCHEN]})
    await wait_until(lambda: len(values(platform, device_id, "kitchen")) == 3)
    assert values(platform, device_id, "kitchen") == [0, 1, 2]
    assert key not in hass_storage  # removed once taken in
    stats = mode1_entry.runtime_data.forwarder.stats
    await wait_until(lambda: mode1_entry.runtime_data.forwarder.stats.sent == 5 + 3)
    assert stats.dropped == 4
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_a_crash_between_import_and_removal_imports_nothing_twice(
    hass: HomeAssistant, hass_storage: dict[str, Any], mode1_entry: MockConfigEntry
) -> None:
    key = f"onenet_m6311.outbox.{mode1_entry.entry_id}"
    legacy = {
        "version": 1,
        "key": key,
        "data": {"records": [["kitchen", 1, None]], "dropped": 0, "sent": 0},
    }
    hass_storage[key] = legacy
    path = outbox_path(hass, mode1_entry.entry_id)
    box = Outbox(path)
    await box.async_open()
    await box.async_import([], sent=0, dropped=0)  # imported, then "crashed" before the removal
    await box.async_close()
    await set_up_without_link(hass, mode1_entry, **{CONF_FORWARD_ENTITIES: [KITCHEN]})
    assert mode1_entry.runtime_data.forwarder.stats.queued == 0
    assert key not in hass_storage
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_removing_the_entry_removes_its_outbox(
    hass: HomeAssistant, mode1_entry: MockConfigEntry
) -> None:
    await set_up(hass, mode1_entry, **{CONF_FORWARD_ENTITIES: [KITCHEN]})
    path = outbox_path(hass, mode1_entry.entry_id)
    assert path.exists()
    assert await hass.config_entries.async_remove(mode1_entry.entry_id)
    await hass.async_block_till_done()
    assert not path.exists()
    assert not path.with_name(path.name + "-wal").exists()


async def test_an_unopenable_outbox_postpones_the_set_up(
    hass: HomeAssistant, mode1_entry: MockConfigEntry
) -> None:
    outbox_path(hass, mode1_entry.entry_id).mkdir(parents=True)  # a folder where the file goes
    hass.config_entries.async_update_entry(mode1_entry, options={CONF_FORWARD_ENTITIES: [KITCHEN]})
    assert not await hass.config_entries.async_setup(mode1_entry.entry_id)
    assert mode1_entry.state is ConfigEntryState.SETUP_RETRY
    assert "outbox file cannot be opened" in (mode1_entry.reason or "")


async def test_a_record_the_module_cannot_take_is_dropped_not_blocking(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await set_up(hass, mode1_entry, **{CONF_FORWARD_ENTITIES: [KITCHEN, "sensor.hall"]})
    await module.set_network(up=False)
    hass.states.async_set("sensor.hall", "1")
    hass.states.async_set(KITCHEN, "x" * 100)
    hass.states.async_set("sensor.hall", "2")
    await hass.async_block_till_done()
    mode1_entry.runtime_data.coordinator.client.line_limit = 100  # lowered since they were queued
    await module.set_network(up=True)
    await wait_until(lambda: len(values(platform, device_id, "sensor_hall")) == 2)
    assert values(platform, device_id, "sensor_hall") == [1, 2]
    assert mode1_entry.runtime_data.forwarder.stats.dropped == 1
    assert "Dropping a record the module cannot take" in caplog.text
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)
