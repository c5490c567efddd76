"""Setting entries up against the emulated module and platform, and unloading them."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_ON
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.onenet_m6311.const import EVENT_COMMAND

from .conftest import MASTER_KEY, set_up_entry, state_of, state_of_entry, wait_until

if TYPE_CHECKING:
    import pytest
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from emulator.module import ModuleEmulator
    from emulator.platform import PlatformEmulator

LINK = "binary_sensor.m6311_4567_cloud_link"


async def test_mode1_setup_logs_in_and_unload_logs_out(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    platform: PlatformEmulator,
    device_id: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # serialx logs every byte at this level
    await set_up_entry(hass, mode1_entry)
    assert mode1_entry.state is ConfigEntryState.LOADED
    assert state_of(hass, LINK).state == STATE_ON
    assert platform.is_online(device_id)

    assert await hass.config_entries.async_unload(mode1_entry.entry_id)
    await hass.async_block_till_done()
    assert state_of_entry(mode1_entry) is ConfigEntryState.NOT_LOADED
    await platform.wait_online(device_id, online=False)
    assert "AT+CIOTCONNECTPARA=1" in caplog.text
    assert MASTER_KEY not in caplog.text


async def test_mode2_setup(
    hass: HomeAssistant, mode2_entry: MockConfigEntry, platform: PlatformEmulator, device_id: str
) -> None:
    await set_up_entry(hass, mode2_entry)
    assert state_of(hass, LINK).state == STATE_ON
    assert platform.is_online(device_id)
    assert await hass.config_entries.async_unload(mode2_entry.entry_id)


async def test_encrypted_link(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    platform: PlatformEmulator,
    module: ModuleEmulator,
    device_id: str,
) -> None:
    hass.config_entries.async_update_entry(mode1_entry, data={**mode1_entry.data, "encrypt": True})
    await set_up_entry(hass, mode1_entry)
    assert "AT+CIOTSTART=1" in module.commands
    assert platform.is_online(device_id)
    events = async_capture_events(hass, EVENT_COMMAND)
    await platform.send_command(device_id, b"over AES")  # down the encrypted link too
    await wait_until(lambda: len(events) == 1)
    assert events[0].data["payload"] == "over AES"
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)
