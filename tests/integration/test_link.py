"""The link through unplugs, reboots and cloud drops, against the emulated module and platform."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components import usb
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.onenet_m6311 import coordinator as coordinator_module
from custom_components.onenet_m6311.const import (
    CONF_DEVICE,
    CONF_MASTER_KEY,
    CONF_PING_INTERVAL,
    DOMAIN,
)

from .conftest import IMEI, set_up, set_up_without_link, state_of, wait_for_state, wait_until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from emulator.module import ModuleEmulator
    from emulator.platform import PlatformEmulator

LINK = "binary_sensor.m6311_4567_cloud_link"
ROUND_TRIP = "sensor.m6311_4567_ping_round_trip"
UNSET = (STATE_UNKNOWN, STATE_UNAVAILABLE)


pytestmark = pytest.mark.usefixtures("quick_retries")


async def setup(hass: HomeAssistant, entry: MockConfigEntry, ping_interval: float = 0.3) -> None:
    await set_up(hass, entry, **{CONF_PING_INTERVAL: ping_interval})
    assert state_of(hass, LINK).state == STATE_ON


async def test_unplug_and_replug(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup(hass, mode1_entry)
    caplog.set_level(logging.INFO, logger="custom_components.onenet_m6311")
    caplog.clear()
    await module.unplug()
    await wait_for_state(hass, LINK, STATE_OFF)
    assert state_of(hass, ROUND_TRIP).state == STATE_UNAVAILABLE
    await module.replug()
    await wait_for_state(hass, LINK, STATE_ON)
    await platform.wait_online(device_id)
    down = [r for r in caplog.records if "is down" in r.getMessage()]
    up = [r for r in caplog.records if "is up" in r.getMessage()]
    assert (len(down), len(up)) == (1, 1)  # once each, however many retries in between
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_module_reboot_logs_in_again(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
) -> None:
    await setup(hass, mode1_entry)
    commands_before = len(module.commands)
    await module.reboot()  # mode 1 parameters are forgotten; echo is back on
    await wait_for_state(hass, LINK, STATE_OFF)
    await wait_for_state(hass, LINK, STATE_ON)
    await platform.wait_online(device_id)
    after = module.commands[commands_before:]
    assert "ATE0" in after
    assert any(line.startswith("AT+CIOTCONNECTPARA=1,") for line in after)
    assert not module.echo
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_cloud_link_drop_is_noticed_by_the_heartbeat(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
) -> None:
    await setup(hass, mode1_entry, ping_interval=0.2)
    await module.drop_cloud()  # the module prints nothing: only a ping can tell
    await wait_for_state(hass, LINK, STATE_OFF)
    await wait_for_state(hass, LINK, STATE_ON)
    await platform.wait_online(device_id)
    assert module.online
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_heartbeat_reports_round_trip(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, module: ModuleEmulator
) -> None:
    await setup(hass, mode1_entry, ping_interval=0.1)
    await module.drained()
    pings = module.commands.count("AT+CIOTPING")
    while module.commands.count("AT+CIOTPING") < pings + 2:
        await hass.async_block_till_done()
        await wait_for_state(hass, LINK, STATE_ON)
        await module.drained()
    state = state_of(hass, ROUND_TRIP)
    assert state.state != STATE_UNAVAILABLE
    assert float(state.state) >= 0
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_the_round_trip_and_signal_show_at_link_up(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, module: ModuleEmulator
) -> None:
    await setup(hass, mode1_entry, ping_interval=300)  # no heartbeat during the test
    await wait_until(lambda: state_of(hass, ROUND_TRIP).state not in UNSET)
    assert float(state_of(hass, ROUND_TRIP).state) >= 0
    assert mode1_entry.runtime_data.coordinator.data.signal_dbm == -73  # CSQ 20
    assert module.commands.count("AT+CIOTPING") == 1
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_update_entity_reads_the_signal_now(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, module: ModuleEmulator
) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    await setup(hass, mode1_entry, ping_interval=300)
    coordinator = mode1_entry.runtime_data.coordinator
    await wait_until(lambda: coordinator.data.signal_dbm == -73)
    module.firmware.config = dataclasses.replace(module.firmware.config, csq=(10, 0))

    await update_entity(hass, LINK)
    assert coordinator.last_update_success
    assert coordinator.data.signal_dbm == -93
    assert "AT+CIOTSTATUS" in module.commands
    assert state_of(hass, LINK).state == STATE_ON
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_update_entity_finding_the_login_down_reconnects(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    await setup(hass, mode1_entry, ping_interval=300)  # only the update can notice
    await module.drop_cloud()
    await update_entity(hass, ROUND_TRIP)
    await wait_for_state(hass, LINK, STATE_OFF)
    await wait_for_state(hass, LINK, STATE_ON)
    await platform.wait_online(device_id)
    assert mode1_entry.runtime_data.coordinator.last_update_success
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def update_entity(hass: HomeAssistant, entity_id: str) -> None:
    await hass.services.async_call(
        "homeassistant", "update_entity", {"entity_id": entity_id}, blocking=True
    )


async def test_a_missing_port_sets_up_and_says_the_link_is_down_once(
    hass: HomeAssistant, module: ModuleEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=IMEI,
        data={
            CONF_DEVICE: "/dev/ttyNOPE",
            "baudrate": 115200,
            "mode": 1,
            "device_id": "1",
            CONF_MASTER_KEY: "k",
        },
    )
    entry.add_to_hass(hass)
    await set_up_without_link(hass, entry)
    assert entry.state is ConfigEntryState.LOADED  # forwarding does not wait for the module
    assert state_of(hass, LINK).state == STATE_OFF
    await wait_until(lambda: "/dev/ttyNOPE is not up" in caplog.text)
    attempts = caplog.text.count("Connecting to /dev/ttyNOPE failed")
    await wait_until(lambda: caplog.text.count("Connecting to /dev/ttyNOPE failed") > attempts)
    assert caplog.text.count("is not up") == 1  # said once, retried quietly
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_silent_module_at_start_is_waited_for(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module.swallow_answers(3)
    monkeypatch.setattr("custom_components.onenet_m6311.m6311.commands.DEFAULT_TIMEOUT", 0.2)
    await set_up_without_link(hass, mode1_entry)
    assert mode1_entry.state is ConfigEntryState.LOADED
    assert state_of(hass, LINK).state == STATE_OFF
    await wait_for_state(hass, LINK, STATE_ON)  # it answers again: the link comes up
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_refused_logins_at_setup_ask_for_credentials(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, module: ModuleEmulator
) -> None:
    hass.config_entries.async_update_entry(
        mode1_entry, data={**mode1_entry.data, CONF_MASTER_KEY: "wrong-key"}
    )
    await set_up_without_link(hass, mode1_entry)
    assert mode1_entry.state is ConfigEntryState.LOADED
    await wait_until(lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)))
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert module.commands.count("AT+CIOTSTART=0") == 3  # after three refusals, not one
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_no_network_at_start_never_asks_for_credentials(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, module: ModuleEmulator
) -> None:
    # The radio is off: AT+CIOTSTART answers -109, as for refused credentials, but AT+CSQ
    # says there is no signal, so it is no reason to ask the user for new ones.
    await module.set_network(up=False)
    await set_up_without_link(hass, mode1_entry)
    await wait_until(lambda: module.commands.count("AT+CIOTSTART=0") >= 4)
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert state_of(hass, LINK).state == STATE_OFF
    await module.set_network(up=True)
    await wait_for_state(hass, LINK, STATE_ON)
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_repeated_refusals_while_reconnecting_ask_for_credentials(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
) -> None:
    await setup(hass, mode1_entry)
    platform.store.delete_device(device_id)  # the device is deleted in the console
    await module.drop_cloud()
    await wait_for_state(hass, LINK, STATE_OFF)
    await wait_until(lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)))
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_one_lost_ping_answer_is_checked_not_fatal(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("custom_components.onenet_m6311.m6311.commands.PING_TIMEOUT", 0.2)
    await setup(hass, mode1_entry, ping_interval=0.1)
    starts = module.commands.count("AT+CIOTSTART=0")
    statuses = module.commands.count("AT+CIOTSTATUS")
    module.swallow_answers(1)  # the next answer (a ping's) never comes
    await wait_until(lambda: module.commands.count("AT+CIOTSTATUS") > statuses)
    await wait_until(lambda: module.commands.count("AT+CIOTPING") > 3)
    assert module.commands.count("AT+CIOTSTART=0") == starts  # still logged in: no new login
    assert state_of(hass, LINK).state == STATE_ON
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_a_silent_module_after_a_failed_ping_means_reconnecting(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("custom_components.onenet_m6311.m6311.commands.PING_TIMEOUT", 0.2)
    monkeypatch.setattr("custom_components.onenet_m6311.m6311.commands.DEFAULT_TIMEOUT", 0.2)
    monkeypatch.setattr("custom_components.onenet_m6311.m6311.connection.RESYNC_TIMEOUT", 0.2)
    await setup(hass, mode1_entry, ping_interval=0.1)
    # The ping's answer, then the three probes' that should bring the line back in step
    # before the status check: the module is silent, the link is down.
    module.swallow_answers(4)
    await wait_for_state(hass, LINK, STATE_OFF)
    await wait_for_state(hass, LINK, STATE_ON)
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_usb_replug_event_retries_at_once(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    captured: list[Any] = []

    def register(hass: HomeAssistant, callback: Any) -> Any:
        captured.append(callback)
        return lambda: None

    monkeypatch.setattr(
        "custom_components.onenet_m6311.usb.async_register_port_event_callback", register
    )
    await setup(hass, mode1_entry, ping_interval=60)
    starts = module.commands.count("AT+CIOTSTART=0")
    (on_port_event,) = captured
    other = usb.USBDevice(
        device="/dev/ttyOTHER",
        vid="1A86",
        pid="7523",
        serial_number=None,
        manufacturer=None,
        description=None,
    )
    on_port_event({other}, set())  # another adapter: nothing happens
    ours = usb.USBDevice(
        device=str(module.link_path),
        vid="1A86",
        pid="7523",
        serial_number=None,
        manufacturer=None,
        description="M6311",
    )
    on_port_event({ours}, set())
    await wait_until(lambda: module.commands.count("AT+CIOTSTART=0") == starts + 1)
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_another_module_on_the_port_is_not_used(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hass.config_entries.async_update_entry(mode1_entry, unique_id="861234567890123")
    await set_up_without_link(hass, mode1_entry)
    await wait_until(lambda: "another module (IMEI ...4567) answers" in caplog.text)
    assert state_of(hass, "binary_sensor.m6311_0123_cloud_link").state == STATE_OFF
    assert not any(line.startswith("AT+CIOTCONNECTPARA") for line in module.commands)
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_a_swapped_module_is_not_used(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup(hass, mode1_entry)
    await module.unplug()
    await wait_for_state(hass, LINK, STATE_OFF)
    module.firmware.config = dataclasses.replace(module.firmware.config, imei="861234567890123")
    await module.replug()
    since_replug = len(module.commands)  # the commands list outlives the unplug
    await wait_until(lambda: "another module (IMEI ...0123) answers" in caplog.text)
    assert state_of(hass, LINK).state == STATE_OFF
    after = module.commands[since_replug:]
    assert "AT+CGSN" in after
    assert not any(line.startswith(("AT+CIOTCONNECTPARA", "AT+CIOTSTART")) for line in after)
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_a_port_plugged_in_again_is_used_at_once_whatever_the_back_off(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A pty is no USB device: Home Assistant tells nothing when it comes back. With ten
    # minutes between attempts, the link can only be back within this test because the
    # missing device's path was watched.
    monkeypatch.setattr(coordinator_module, "BACKOFF_INITIAL", 600.0)
    monkeypatch.setattr(coordinator_module, "BACKOFF_MAX", 600.0)
    monkeypatch.setattr(coordinator_module, "PORT_POLL", 0.05)
    caplog.set_level(logging.DEBUG, logger="custom_components.onenet_m6311")
    await setup(hass, mode1_entry)
    await module.unplug()
    await wait_for_state(hass, LINK, STATE_OFF)
    # An attempt failed on the missing port: the back-off has begun.
    await wait_until(lambda: "failed: cannot open" in caplog.text)
    await module.replug()
    await wait_for_state(hass, LINK, STATE_ON, within=60)
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)
