"""Cellular thrift: significant changes only, deadbands, the maximum silence, times when late."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.setup import async_setup_component

from custom_components.onenet_m6311.const import (
    CONF_ATTRIBUTES,
    CONF_DEADBANDS,
    CONF_FORWARD_ENTITIES,
    CONF_MAX_SILENCE,
    CONF_SIGNIFICANT_ONLY,
    CONF_TIMESTAMPS,
)
from custom_components.onenet_m6311.forwarding import sender as sender_module
from custom_components.onenet_m6311.forwarding.settings import ForwardSettings, TimeMode

from .conftest import set_up, wait_until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from emulator.module import ModuleEmulator
    from emulator.platform import PlatformEmulator

TEMPERATURE = "sensor.kitchen_temperature"
DOOR = "binary_sensor.hall_door"
LAMP = "light.lamp"
METER = "sensor.water_meter"
CELSIUS = {"device_class": "temperature", "unit_of_measurement": "°C"}
RECORDS = re.compile(r'^AT\+CIOTDAT=\d+,\d+,"(.*)"$')

pytestmark = pytest.mark.usefixtures("quick_retries")


def values(platform: PlatformEmulator, device_id: str, datastream: str) -> list[Any]:
    return [point.value for point in platform.datapoints(device_id, datastream)]


def records_sent(module: ModuleEmulator) -> list[str]:
    """Every record of every AT+CIOTDAT line, as `key,time,value`."""
    return [
        record
        for line in module.commands
        if (match := RECORDS.match(line))
        for record in match[1].split(";")
    ]


@pytest.fixture
async def domains_with_rules(hass: HomeAssistant) -> None:
    """The domains whose significant-change rules the tests rely on, loaded."""
    for domain in ("sensor", "binary_sensor", "light"):
        assert await async_setup_component(hass, domain, {})


@pytest.mark.usefixtures("domains_with_rules")
async def test_only_what_home_assistant_calls_significant_is_sent(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, platform: PlatformEmulator, device_id: str
) -> None:
    hass.states.async_set(TEMPERATURE, "21.0", CELSIUS)
    hass.states.async_set(DOOR, "off", {"device_class": "door"})
    hass.states.async_set(LAMP, "on", {"brightness": 100})
    await set_up(
        hass,
        mode1_entry,
        **{
            CONF_FORWARD_ENTITIES: [TEMPERATURE, DOOR, LAMP],
            CONF_ATTRIBUTES: {LAMP: ["brightness"]},
            CONF_SIGNIFICANT_ONLY: True,
        },
    )
    await wait_until(lambda: len(platform.datapoints(device_id)) == 4)  # the states at start
    forwarder = mode1_entry.runtime_data.forwarder

    hass.states.async_set(TEMPERATURE, "21.3", CELSIUS)  # a sensor with a device class: < 0.5 °C
    hass.states.async_set(DOOR, "off", {"device_class": "door", "battery": 90})  # same state
    hass.states.async_set(LAMP, "on", {"brightness": 101})  # a light: < 3 steps
    await hass.async_block_till_done()
    assert forwarder.stats.insignificant == 3

    hass.states.async_set(TEMPERATURE, "21.6", CELSIUS)  # 0.6 from 21.0, the last sent
    hass.states.async_set(DOOR, "on", {"device_class": "door", "battery": 90})
    hass.states.async_set(LAMP, "on", {"brightness": 120})
    await wait_until(lambda: len(platform.datapoints(device_id)) == 7)
    assert values(platform, device_id, "sensor_kitchen_temperature") == [21.0, 21.6]
    assert values(platform, device_id, "binary_sensor_hall_door") == [0, 1]
    assert values(platform, device_id, "light_lamp__brightness") == [100, 120]
    assert forwarder.stats.insignificant == 3
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_without_the_option_every_change_is_sent(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, platform: PlatformEmulator, device_id: str
) -> None:
    assert await async_setup_component(hass, "sensor", {})
    await set_up(hass, mode1_entry, **{CONF_FORWARD_ENTITIES: [TEMPERATURE]})
    for value in ("21.0", "21.1", "21.2"):
        hass.states.async_set(TEMPERATURE, value, CELSIUS)
    await wait_until(lambda: len(platform.datapoints(device_id)) == 3)
    assert mode1_entry.runtime_data.forwarder.stats.insignificant == 0
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


@pytest.mark.usefixtures("domains_with_rules")
async def test_a_deadband_holds_back_small_moves(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, platform: PlatformEmulator, device_id: str
) -> None:
    hass.states.async_set(METER, "100")  # no device class: Home Assistant has no rule for it
    await set_up(
        hass,
        mode1_entry,
        **{
            CONF_FORWARD_ENTITIES: [METER],
            CONF_SIGNIFICANT_ONLY: True,
            CONF_DEADBANDS: {METER: "1 10%"},
        },
    )
    await wait_until(lambda: len(platform.datapoints(device_id)) == 1)
    hass.states.async_set(METER, "100.5")  # inside 1
    hass.states.async_set(METER, "105")  # outside 1, inside 10 %: both must be passed
    hass.states.async_set(METER, "111")
    await wait_until(lambda: len(platform.datapoints(device_id)) == 2)
    assert values(platform, device_id, "sensor_water_meter") == [100, 111]
    assert mode1_entry.runtime_data.forwarder.stats.insignificant == 2
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_a_quiet_entity_sends_its_value_after_the_maximum_silence(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, platform: PlatformEmulator, device_id: str
) -> None:
    hass.states.async_set(METER, "100")
    started = asyncio.get_running_loop().time()
    await set_up(hass, mode1_entry, **{CONF_FORWARD_ENTITIES: [METER], CONF_MAX_SILENCE: 0.5})
    await wait_until(lambda: len(platform.datapoints(device_id)) == 3)  # a hang guard only
    assert values(platform, device_id, "sensor_water_meter") == [100, 100, 100]
    assert asyncio.get_running_loop().time() - started >= 1.0  # two silences, not sooner
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_only_late_records_carry_their_time(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sender_module, "DELAYED_AFTER", 0.5)
    await set_up(
        hass, mode1_entry, **{CONF_FORWARD_ENTITIES: [METER], CONF_TIMESTAMPS: TimeMode.DELAYED}
    )
    hass.states.async_set(METER, "1")  # leaves at once: the platform stamps its arrival
    await wait_until(lambda: len(platform.datapoints(device_id)) == 1)
    assert records_sent(module) == ["sensor_water_meter,,1"]

    await module.unplug()
    hass.states.async_set(METER, "2")  # waits for the module: late when it leaves
    await asyncio.sleep(1.6)  # beyond the limit and the whole second times count in
    await module.replug()
    await wait_until(lambda: len(platform.datapoints(device_id)) == 2)
    late = records_sent(module)[-1]
    assert re.fullmatch(r"sensor_water_meter,\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,2", late)
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


@pytest.mark.parametrize(
    ("stored", "mode"),
    [
        (True, TimeMode.ALWAYS),  # what earlier versions stored
        (False, TimeMode.NEVER),
        ("delayed", TimeMode.DELAYED),
        (None, TimeMode.ALWAYS),
    ],
)
def test_the_time_option_of_every_version_is_read(stored: object, mode: TimeMode) -> None:
    options = {} if stored is None else {CONF_TIMESTAMPS: stored}
    assert ForwardSettings.from_options(options).time_mode is mode
