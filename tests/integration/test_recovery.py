"""A module that heals itself and says where it stands, against the emulated module.

The emulated module can wedge (logins and pings refused until it restarts), lose its SIM or its
registration on demand, and answers the network's standard commands as real firmware does
(emulator/module/README.md). Nothing here waits a fixed time: each test waits for what it
expects, with the retries made quick (`quick_retries`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.helpers import issue_registry as ir

from custom_components.onenet_m6311 import recovery
from custom_components.onenet_m6311.const import CONF_FORWARD_ENTITIES, DOMAIN

from .conftest import set_up, set_up_without_link, state_of, wait_for_state, wait_until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from emulator.module import ModuleEmulator
    from emulator.platform import PlatformEmulator

LINK = "binary_sensor.m6311_4567_cloud_link"
RESTARTS = "sensor.m6311_4567_module_restarts"
REGISTRATION = "sensor.m6311_4567_network_registration"
SIM = "sensor.m6311_4567_sim"
OPERATOR = "sensor.m6311_4567_operator"
QUALITY = "sensor.m6311_4567_signal_quality"
PROBE = "sensor.recovery_probe"

pytestmark = pytest.mark.usefixtures("quick_retries", "every_entity_enabled")


def issues(hass: HomeAssistant) -> set[str]:
    """The translation keys of this integration's open repair issues."""
    registry = ir.async_get(hass)
    return {
        str(issue.translation_key)
        for (domain, _), issue in registry.issues.items()
        if domain == DOMAIN
    }


def values(platform: PlatformEmulator, device_id: str) -> list[Any]:
    return [point.value for point in platform.datapoints(device_id, "sensor_recovery_probe")]


async def test_a_wedged_module_is_restarted_and_nothing_queued_is_lost(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
) -> None:
    hass.states.async_set(PROBE, "0")
    await set_up(hass, mode1_entry, **{CONF_FORWARD_ENTITIES: [PROBE]})
    await module.wedge()  # logins and pings refused until a restart
    await wait_for_state(hass, LINK, STATE_OFF)
    for value in range(1, 6):  # changes while the module cannot send them
        hass.states.async_set(PROBE, str(value))
    await wait_for_state(hass, LINK, STATE_ON, within=30)  # restarted, logged in again
    assert module.restarts == 1  # AT+CFUN=1,1, once: it helped
    assert not module.wedged
    assert state_of(hass, RESTARTS).state == "1"
    await wait_until(lambda: {1, 2, 3, 4, 5} <= set(values(platform, device_id)))
    assert issues(hass) == set()
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_restarts_that_do_not_help_raise_a_repair_until_the_link_works(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(recovery, "RESTART_MIN_INTERVAL", 0.0)
    await module.set_network_state(registration=3)  # denied: no restart mends that
    await set_up_without_link(hass, mode1_entry)
    await wait_until(lambda: "module_unreachable" in issues(hass), within=60)
    assert module.restarts >= recovery.REPAIR_AFTER_RESTARTS
    assert state_of(hass, REGISTRATION).state == "denied"  # and it says why
    assert state_of(hass, LINK).state == STATE_OFF
    await module.set_network_state(registration=1)
    await wait_for_state(hass, LINK, STATE_ON, within=30)
    await wait_until(lambda: "module_unreachable" not in issues(hass))
    assert state_of(hass, REGISTRATION).state == "home"
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_restarts_are_spaced(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, module: ModuleEmulator
) -> None:
    # A module that keeps failing is restarted once per RESTART_MIN_INTERVAL (10 min), not at
    # every third attempt.
    await module.set_network_state(registration=2)
    await set_up_without_link(hass, mode1_entry)
    await wait_until(lambda: module.restarts == 1, within=30)
    starts = module.commands.count("AT+CIOTSTART=0")
    await wait_until(lambda: module.commands.count("AT+CIOTSTART=0") >= starts + 6, within=30)
    assert module.restarts == 1
    assert state_of(hass, REGISTRATION).state == "searching"
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_refused_credentials_are_not_a_reason_to_restart(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
) -> None:
    platform.store.delete_device(device_id)  # refused with a signal: the credentials
    await set_up_without_link(hass, mode1_entry)
    await wait_until(lambda: module.commands.count("AT+CIOTSTART=0") >= 5)
    assert module.restarts == 0
    assert "module_unreachable" not in issues(hass)
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


@pytest.mark.parametrize(
    ("sim", "shown", "issue"),
    [("absent", "absent", "sim_absent"), ("pin", "pin_required", "sim_locked")],
)
async def test_a_sim_problem_shows_and_is_a_repair_until_the_sim_is_ready(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    module: ModuleEmulator,
    sim: str,
    shown: str,
    issue: str,
) -> None:
    await module.set_network_state(sim=sim)
    await set_up_without_link(hass, mode1_entry)
    await wait_until(lambda: issue in issues(hass))
    assert state_of(hass, SIM).state == shown
    assert state_of(hass, REGISTRATION).state == "not_registered"
    await module.set_network_state(sim="ready")
    await wait_for_state(hass, LINK, STATE_ON, within=30)
    assert state_of(hass, SIM).state == "ready"
    assert issue not in issues(hass)
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_where_the_module_stands_follows_its_reports(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, module: ModuleEmulator
) -> None:
    # Heartbeats 10 minutes apart: what changes can only come from the module's own reports.
    await set_up(hass, mode1_entry, ping_interval=600)
    assert state_of(hass, REGISTRATION).state == "home"
    assert state_of(hass, OPERATOR).state == "CHINA MOBILE"
    assert state_of(hass, SIM).state == "ready"
    assert 0 <= int(state_of(hass, QUALITY).state) <= 100
    await module.set_network_state(registration=5)  # the module prints +CGREG: 5
    await wait_for_state(hass, REGISTRATION, "roaming")
    await module.set_network_state(sim="absent")  # +CPIN: NOT INSERTED
    await wait_for_state(hass, SIM, "absent")
    await wait_until(lambda: "sim_absent" in issues(hass))
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_the_restart_button(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, module: ModuleEmulator
) -> None:
    await set_up(hass, mode1_entry)
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.m6311_4567_restart_module"}, blocking=True
    )
    assert module.restarts == 1
    assert state_of(hass, RESTARTS).state == "1"
    await wait_for_state(hass, LINK, STATE_ON, within=30)
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)
