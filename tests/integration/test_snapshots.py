"""Snapshots of what the integration shows: each platform's entities, the device, diagnostics.

A snapshot holds Home Assistant's own serialisation of its registries, whose fields change
between releases (2026.10 reshaped the device entry, 2026.11 added `compat_name`), so each
release the tests run on keeps its own folder: `snapshots/<version>/`. After a deliberate
change, rewrite them on each release:

    scripts/test tests/integration/test_snapshots.py --snapshot-update
    ONENET_HA=oldest scripts/test tests/integration/test_snapshots.py --snapshot-update
    ONENET_HA=newest scripts/test tests/integration/test_snapshots.py --snapshot-update

What changes from run to run is held still (the round trip) or named by its type (the port's
path, the platform's device ID, the trace's times).
"""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import pytest
from homeassistant.const import Platform
from homeassistant.const import __version__ as HA_VERSION  # noqa: N812
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import snapshot_platform
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.matchers import path_type

from custom_components.onenet_m6311 import PLATFORMS
from custom_components.onenet_m6311.const import DOMAIN
from custom_components.onenet_m6311.m6311 import M6311Client

from .conftest import IMEI, set_up, wait_until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import entity_registry as er
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
    from syrupy.assertion import SnapshotAssertion
    from syrupy.location import PyTestLocation

ROUND_TRIP_SECONDS = 0.0125
"""What every ping answers here, so the round trip sensor shows 12.5 ms in the snapshots."""
TRACE_TIME = re.compile(r"^\+\d+\.\d{3} ")


class ReleaseSnapshots(HomeAssistantSnapshotExtension):
    """Home Assistant's snapshot format, one folder per release."""

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        """`snapshots/<Home Assistant version>/` beside the test file."""
        return str(Path(test_location.filepath).parent / "snapshots" / HA_VERSION)


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """The harness's snapshot assertion, kept per release."""
    return snapshot.use_extension(ReleaseSnapshots)


@pytest.fixture(autouse=True)
def steady_round_trip() -> Iterator[None]:
    """Every ping answers in the same time: a measured round trip differs on every run."""
    with patch.object(M6311Client, "ping", return_value=ROUND_TRIP_SECONDS):
        yield


@asynccontextmanager
async def showing(
    hass: HomeAssistant, entry: MockConfigEntry, shown: Platform
) -> AsyncIterator[None]:
    """The entry set up with one platform (as `snapshot_platform` wants), its link measured.

    It is unloaded at the end, while it still has that one platform to unload.
    """
    with patch("custom_components.onenet_m6311.PLATFORMS", [shown]):
        await set_up(hass, entry, ping_interval=300)  # no heartbeat beyond the first
        coordinator = entry.runtime_data.coordinator
        await wait_until(lambda: coordinator.data.ping_round_trip is not None)
        # The counters are published at most once a second: shown as they are now.
        await entry.runtime_data.meters.async_refresh()
        await entry.runtime_data.forwarding.async_refresh()
        await hass.async_block_till_done()
        yield
        assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.usefixtures("every_entity_enabled")
@pytest.mark.parametrize("shown", PLATFORMS)  # not `platform`: that is the emulated OneNET
async def test_each_platforms_entities(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    shown: Platform,
) -> None:
    async with showing(hass, mode1_entry, shown):
        await snapshot_platform(hass, entity_registry, snapshot, mode1_entry.entry_id)


async def test_the_device(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    async with showing(hass, mode1_entry, Platform.BINARY_SENSOR):
        [device] = dr.async_entries_for_config_entry(device_registry, mode1_entry.entry_id)
    assert (DOMAIN, IMEI) in device.identifiers
    assert device == snapshot


async def test_the_diagnostics(
    hass: HomeAssistant,
    mode1_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    async with showing(hass, mode1_entry, Platform.BINARY_SENSOR):
        diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(
            hass, hass_client, mode1_entry
        )
    device_id = mode1_entry.data["device_id"]
    link = diagnostics["link"]
    link["serial_trace"] = [
        TRACE_TIME.sub("", line).replace(device_id, "<device id>") for line in link["serial_trace"]
    ]
    assert diagnostics == snapshot(
        matcher=path_type({"entry.data.device": (str,), "entry.data.device_id": (str,)})
    )
