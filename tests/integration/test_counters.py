"""The counter coordinators: pushed counters published at most once an interval, never late.

On the test's clock (`freezer` freezes the loop's too): nothing fires by itself, so the updates
are exactly those the interval allows, however busy the machine is.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed_exact,
)

from custom_components.onenet_m6311.const import DOMAIN
from custom_components.onenet_m6311.counters import COUNTER_INTERVAL, CounterCoordinator

if TYPE_CHECKING:
    from collections.abc import Callable

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

INTERVAL = timedelta(seconds=COUNTER_INTERVAL)
ROUNDING = timedelta(microseconds=10)
"""The loop's clock is seconds since 1970 in a float (steps of 0.24 us): a timer armed for
exactly now may read a fraction of a microsecond later, and is due all the same."""


class Source:
    """A counter with change notices, as the meters and the forwarder have."""

    def __init__(self) -> None:
        self.value = 0
        self.listeners: list[Callable[[], None]] = []

    def follow(self, listener: Callable[[], None]) -> Callable[[], None]:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def count(self) -> None:
        self.value += 1
        for listener in list(self.listeners):
            listener()


async def advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, by: timedelta) -> None:
    """Move the test's clock on, run the timers then due and what they started."""
    freezer.tick(by)
    async_fire_time_changed_exact(hass, dt_util.utcnow() + ROUNDING)
    await hass.async_block_till_done()


type Updates = list[tuple[datetime, int]]


def published(
    hass: HomeAssistant, source: Source
) -> tuple[CounterCoordinator[int], Updates, Callable[[], None]]:
    """A coordinator following `source`, the updates it publishes, and its stop."""
    entry = MockConfigEntry(domain=DOMAIN)
    entry.add_to_hass(hass)
    coordinator = CounterCoordinator(hass, entry, name="test", read=lambda: source.value)
    updates: Updates = []
    coordinator.async_add_listener(lambda: updates.append((dt_util.utcnow(), coordinator.data)))
    return coordinator, updates, coordinator.async_start(source.follow)


async def test_changes_within_an_interval_make_one_update_at_its_end(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    source = Source()
    _, updates, stop = published(hass, source)
    started = dt_util.utcnow()
    for _ in range(100):
        source.count()
    await advance(hass, freezer, INTERVAL / 2)
    source.count()  # joins the pending update: does not push it back
    await advance(hass, freezer, INTERVAL / 2 - timedelta(milliseconds=1))
    assert updates == []  # not before the interval's end
    await advance(hass, freezer, timedelta(milliseconds=1))
    assert updates == [(started + INTERVAL, 101)]
    source.count()  # within the cooldown after an update: at the end of the next interval
    await advance(hass, freezer, INTERVAL)
    assert updates == [(started + INTERVAL, 101), (started + 2 * INTERVAL, 102)]
    stop()


async def test_nothing_is_published_after_stop(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    source = Source()
    coordinator, updates, stop = published(hass, source)
    source.count()
    stop()
    assert source.listeners == []  # no longer followed
    source.count()
    await advance(hass, freezer, 3 * INTERVAL)
    assert updates == []
    assert coordinator.data == 0  # the snapshot taken when it was made
