"""Fixtures: the emulated OneNET platform and M6311 module, and config entries for them.

The integration talks to the module emulator through a real pseudo-terminal, and the module
to the platform emulator over real TCP on 127.0.0.1 (so `socket_enabled`).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from unittest.mock import PropertyMock, patch

import pytest
from homeassistant.core import ServiceRegistry, callback
from homeassistant.data_entry_flow import FlowManager
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_state_change_event
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.onenet_m6311 import coordinator as coordinator_module
from custom_components.onenet_m6311.const import (
    CONF_AUTH_KEY,
    CONF_AUTH_VALUE,
    CONF_BATCH_WINDOW,
    CONF_BAUDRATE,
    CONF_DEVICE,
    CONF_DEVICE_ID,
    CONF_ENCRYPT,
    CONF_MASTER_KEY,
    CONF_MODE,
    CONF_PING_INTERVAL,
    CONF_PROJECT_ID,
    DOMAIN,
)
from custom_components.onenet_m6311.forwarding import sender as sender_module
from emulator.module import ModuleEmulator
from emulator.platform import PlatformEmulator

from .translation_check import TranslationCheck

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator
    from pathlib import Path

    from homeassistant.config_entries import ConfigEntry, ConfigEntryState
    from homeassistant.core import HomeAssistant, State
    from homeassistant.data_entry_flow import FlowHandler

IMEI = "867567041234567"
MASTER_KEY = "syp2wjH2rowlyX1H7bqwynVVnK8="
AUTH_VALUE = "DcvGb46zAagazMtLuBcVnNk66tg="
AUTH_INFO = f'{{"SYS":"{AUTH_VALUE}"}}'
"""What a module sends for auth_info key SYS and that value (OneNET's object form)."""


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Every test here loads this repository's integration."""


@pytest.fixture(autouse=True)
async def every_text_is_translated(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Fail a test in which the integration showed a text missing in a language it ships.

    What is checked: translation_check.py. Flows, issues and action refusals are seen as they
    happen; entities at the end of the test, while its Home Assistant still runs.
    """
    check = TranslationCheck()
    handle_step = FlowManager._async_handle_step
    get_or_create_issue = ir.IssueRegistry.async_get_or_create
    call_service = ServiceRegistry.async_call

    async def handle_step_checked(
        self: FlowManager[Any, Any, Any], flow: FlowHandler, *args: Any
    ) -> Any:
        result = await handle_step(self, flow, *args)
        check.flow_result(flow, result)
        return result

    def get_or_create_issue_checked(self: ir.IssueRegistry, *args: Any, **kwargs: Any) -> Any:
        issue = get_or_create_issue(self, *args, **kwargs)
        check.issue(issue)
        return issue

    async def call_service_checked(self: ServiceRegistry, *args: Any, **kwargs: Any) -> Any:
        try:
            return await call_service(self, *args, **kwargs)
        except HomeAssistantError as err:
            check.exception(err)
            raise

    with (
        patch.object(FlowManager, "_async_handle_step", handle_step_checked),
        patch.object(ir.IssueRegistry, "async_get_or_create", get_or_create_issue_checked),
        patch.object(ServiceRegistry, "async_call", call_service_checked),
    ):
        yield
        if "hass" in request.fixturenames:
            hass: HomeAssistant = request.getfixturevalue("hass")
            for entry in er.async_get(hass).entities.values():
                if entry.platform == DOMAIN:
                    check.entity(entry, hass.states.get(entry.entity_id))
    assert not check.problems, "missing texts:\n" + "\n".join(check.problems)


@pytest.fixture
def every_entity_enabled() -> Iterator[None]:
    """Entities disabled by default too (the signal, the serial counters)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """A configuration folder of the test's own: the outbox writes real files in `.storage/`."""
    return hass_tmp_config_dir


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnects and resends within moments instead of seconds (1 s up to 5 min)."""
    monkeypatch.setattr(coordinator_module, "BACKOFF_INITIAL", 0.05)
    monkeypatch.setattr(coordinator_module, "BACKOFF_MAX", 0.2)
    monkeypatch.setattr(sender_module, "RETRY_INITIAL", 0.05)
    monkeypatch.setattr(sender_module, "RETRY_MAX", 0.2)


async def set_up(hass: HomeAssistant, entry: MockConfigEntry, **options: Any) -> None:
    """Set an entry up with quick heartbeats, batches and the options given; wait for its link.

    The link comes up in the background, after the set-up.
    """
    await set_up_without_link(hass, entry, **options)
    await wait_online_link(entry)


async def set_up_without_link(hass: HomeAssistant, entry: MockConfigEntry, **options: Any) -> None:
    """As `set_up`, without waiting for the link (the module may be away)."""
    hass.config_entries.async_update_entry(
        entry, options={CONF_PING_INTERVAL: 0.3, CONF_BATCH_WINDOW: 0.05, **options}
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def set_up_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set an entry up as it is, and wait for its link (made in the background)."""
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await wait_online_link(entry)


HANG_GUARD = 60.0
"""How long a wait may last before the test fails as hung. Not a speed claim: on an idle
machine these waits end in a fraction of a second, with both cores busy they took over 10 s;
how fast things are is `scripts/bench`'s business."""


async def wait_online_link(entry: ConfigEntry, within: float = HANG_GUARD) -> None:
    """Wait until the entry's module link is up."""
    coordinator = entry.runtime_data.coordinator
    async with asyncio.timeout(within):
        await coordinator.async_wait_online()


@pytest.fixture
async def platform(socket_enabled: None) -> AsyncIterator[PlatformEmulator]:
    """The emulated OneNET platform (in-memory database)."""
    emulator = PlatformEmulator(master_key=MASTER_KEY, project_id="23219")
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def module(platform: PlatformEmulator, tmp_path: Path) -> AsyncIterator[ModuleEmulator]:
    """The emulated M6311 on a pseudo-terminal, talking to the emulated platform.

    Entries use its stable link path (like /dev/serial/by-id/...), which survives a replug.
    """
    emulator = ModuleEmulator(
        platform_http_url=platform.http_url,
        edp_port=platform.edp_port,
        imei=IMEI,
        link_path=tmp_path / "ttyM6311",
    )
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
def device_id(platform: PlatformEmulator) -> str:
    """A device made on the platform, with an auth_info for mode 2."""
    return platform.create_device("home", auth_info=AUTH_INFO)


def entry_data(module: ModuleEmulator, mode: int, **credentials: Any) -> dict[str, Any]:
    """Config entry data for the module in a mode."""
    return {
        CONF_DEVICE: module.link_path,
        CONF_BAUDRATE: 115200,
        CONF_MODE: mode,
        CONF_ENCRYPT: False,
        **credentials,
    }


@pytest.fixture
def mode1_entry(hass: HomeAssistant, module: ModuleEmulator, device_id: str) -> MockConfigEntry:
    """An entry in mode 1 (device ID and master APIKEY), added to hass but not set up."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"M6311 {IMEI[-4:]}",
        unique_id=IMEI,
        data=entry_data(module, 1, **{CONF_DEVICE_ID: device_id, CONF_MASTER_KEY: MASTER_KEY}),
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
def mode2_entry(hass: HomeAssistant, module: ModuleEmulator, device_id: str) -> MockConfigEntry:
    """An entry in mode 2 (project ID and auth_info)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=IMEI,
        data=entry_data(
            module,
            2,
            **{CONF_PROJECT_ID: "23219", CONF_AUTH_KEY: "SYS", CONF_AUTH_VALUE: AUTH_VALUE},
        ),
    )
    entry.add_to_hass(hass)
    return entry


async def wait_for_state(
    hass: HomeAssistant, entity_id: str, state: str, within: float = HANG_GUARD
) -> None:
    """Wait until an entity has a state (it may have it already)."""
    reached = asyncio.Event()

    @callback
    def check(*_: object) -> None:
        current = hass.states.get(entity_id)
        if current is not None and current.state == state:
            reached.set()

    check()
    unsubscribe = async_track_state_change_event(hass, [entity_id], check)
    try:
        async with asyncio.timeout(within):
            await reached.wait()
    finally:
        unsubscribe()


async def wait_until(predicate: Callable[[], bool], within: float = HANG_GUARD) -> None:
    """Poll a condition nothing announces (a flow started, a log line written)."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110  # nothing announces these: poll
            await asyncio.sleep(0.02)


def state_of(hass: HomeAssistant, entity_id: str) -> State:
    """An entity's state, which must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} does not exist"
    return state


def state_of_entry(entry: ConfigEntry) -> ConfigEntryState:
    """An entry's state, read anew (a plain attribute read would be narrowed by mypy)."""
    return entry.state
