"""The throttle between counters that change often and the state writes they cause.

On the test's clock (`freezer` freezes the loop's too): nothing fires by itself, so the calls
are exactly those the interval allows, however busy the machine is.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed_exact

from custom_components.onenet_m6311.throttle import Throttle

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

INTERVAL = timedelta(seconds=1)
ROUNDING = timedelta(microseconds=10)
"""The loop's clock is seconds since 1970 in a float (steps of 0.24 us): a timer armed for
exactly now may read a fraction of a microsecond later, and is due all the same."""


def advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, by: timedelta) -> None:
    """Move the test's clock on and run the timers then due."""
    freezer.tick(by)
    async_fire_time_changed_exact(hass, dt_util.utcnow() + ROUNDING)


async def test_requests_within_an_interval_make_one_call_at_its_end(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    calls: list[datetime] = []
    throttle = Throttle(INTERVAL.total_seconds(), lambda: calls.append(dt_util.utcnow()))
    started = dt_util.utcnow()
    for _ in range(100):
        throttle.request()
    advance(hass, freezer, INTERVAL / 2)
    throttle.request()  # joins the pending call: does not push it back
    advance(hass, freezer, INTERVAL / 2 - timedelta(milliseconds=1))
    assert calls == []  # not before the interval's end
    advance(hass, freezer, timedelta(milliseconds=1))
    assert calls == [started + INTERVAL]
    throttle.request()  # a new interval
    advance(hass, freezer, INTERVAL)
    assert calls == [started + INTERVAL, started + 2 * INTERVAL]


async def test_nothing_runs_after_cancel(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    calls: list[None] = []
    throttle = Throttle(INTERVAL.total_seconds(), lambda: calls.append(None))
    throttle.request()
    throttle.cancel()
    throttle.request()
    advance(hass, freezer, 2 * INTERVAL)
    assert calls == []
