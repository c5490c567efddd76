"""Coordinators for counters that are pushed, not polled: the link's meters, the forwarding's.

Both change with every byte or record; each change would cost a state write. A
`CounterCoordinator` follows its source's change notices and publishes a snapshot at most once
every `COUNTER_INTERVAL` (core's `Debouncer`, not immediate: a change waits for the end of the
interval, and later ones join it), so its entities are plain `CoordinatorEntity`s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.core import callback
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .const import DOMAIN, LOGGER

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .m6311 import LinkMeters

COUNTER_INTERVAL = 1.0
"""Seconds between two updates of a counter coordinator, at most."""

type Follow = Callable[[Callable[[], None]], Callable[[], None]]
"""Registers a change listener on a source; returns the call that removes it."""


class CounterCoordinator[T](DataUpdateCoordinator[T]):
    """A snapshot of a source's counters, published when they change, at most once an interval.

    Owned by the entry: `async_start` follows the source, and the call it returns (given to
    `entry.async_on_unload`) stops following and drops a pending update.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        *,
        name: str,
        read: Callable[[], T],
    ) -> None:
        """Describe the source; the first snapshot is read at once."""
        super().__init__(
            hass, LOGGER, config_entry=entry, name=f"{DOMAIN} {name}", update_interval=None
        )
        self._read = read
        self.data = read()
        self._debouncer = Debouncer(
            hass, LOGGER, cooldown=COUNTER_INTERVAL, immediate=False, function=self._publish
        )

    @callback
    def async_start(self, follow: Follow) -> Callable[[], None]:
        """Follow the source's change notices; returns the call that stops it all."""
        unfollow = follow(self._debouncer.async_schedule_call)

        def stop() -> None:
            unfollow()
            self._debouncer.async_shutdown()

        return stop

    async def _async_update_data(self) -> T:
        """A refresh asked for by hand reads the counters as they are."""
        return self._read()

    @callback
    def _publish(self) -> None:
        self.async_set_updated_data(self._read())


@dataclass(frozen=True, slots=True)
class MeterReadings:
    """The link's meters at one moment: bytes since the entry was set up."""

    cellular_data: int
    """Estimated bytes both ways on the cellular link, headers included."""
    serial_bytes_sent: int
    serial_bytes_received: int


def read_meters(meters: LinkMeters) -> Callable[[], MeterReadings]:
    """A reader of the link's meters, for a `CounterCoordinator`."""

    def read() -> MeterReadings:
        return MeterReadings(
            cellular_data=meters.data_usage.traffic.total,
            serial_bytes_sent=meters.serial_bytes_sent,
            serial_bytes_received=meters.serial_bytes_received,
        )

    return read
