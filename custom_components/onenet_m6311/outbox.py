"""The outbox: records waiting for the platform, bounded, and kept across restarts.

Records leave only when delivery is confirmed (`+OK`, or `SAVE succ` in acknowledgement
mode), so a link down, an unplug or a restart loses nothing: at least once. When the outbox
is full the oldest records go, and they are counted: nothing is lost silently. Writes to disk
are debounced through Home Assistant's storage helper, so a burst of states is one write.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from homeassistant.helpers.storage import Store

from .const import DOMAIN

if TYPE_CHECKING:
    from collections.abc import Iterable

    from homeassistant.core import HomeAssistant

    from .values import RecordValue

STORAGE_VERSION = 1
SAVE_DELAY = 2.0
"""Seconds a change may wait before it is written; a burst of states becomes one write."""
DEFAULT_CAPACITY = 10_000


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """One datapoint waiting to be sent."""

    datastream: str
    value: RecordValue
    time: str | None
    """`YYYY-MM-DD HH:MM:SS` in local time, or None to let the platform stamp it."""


class _Stored(TypedDict):
    records: list[list[Any]]
    dropped: int
    sent: int


class Outbox:
    """A bounded FIFO of records, persisted per config entry."""

    def __init__(
        self, hass: HomeAssistant, entry_id: str, capacity: int = DEFAULT_CAPACITY
    ) -> None:
        """An empty outbox; `async_load` brings back what a previous run left."""
        self.capacity = capacity
        self.dropped = 0
        """Records dropped because the outbox was full, since the entry was made."""
        self.sent = 0
        """Records confirmed delivered, since the entry was made."""
        self._records: deque[OutboxRecord] = deque()
        self._in_flight = 0
        """How many of the oldest records the sender holds; a full outbox spares them."""
        self._store: Store[_Stored] = Store(hass, STORAGE_VERSION, f"{DOMAIN}.outbox.{entry_id}")

    def __len__(self) -> int:
        """How many records wait."""
        return len(self._records)

    async def async_load(self) -> None:
        """Load what was waiting when Home Assistant stopped (oldest dropped if over capacity)."""
        stored = await self._store.async_load()
        if stored is None:
            return
        self.dropped, self.sent = stored["dropped"], stored["sent"]
        self.add(OutboxRecord(*fields) for fields in stored["records"])

    def add(self, records: Iterable[OutboxRecord]) -> int:
        """Queue records; returns how many old ones were dropped to make room."""
        dropped = 0
        for record in records:
            if len(self._records) >= self.capacity:
                self._drop_oldest()
                dropped += 1
            self._records.append(record)
        self.dropped += dropped
        self._schedule_save()
        return dropped

    def _drop_oldest(self) -> None:
        # The oldest record not being sent goes: one being sent may yet arrive.
        if self._in_flight < len(self._records):
            del self._records[self._in_flight]
        else:  # a capacity smaller than a batch: nothing else to give
            self._records.popleft()
            self._in_flight -= 1

    def take(self, count: int) -> list[OutboxRecord]:
        """The oldest `count` records for sending; they stay until `confirm` or `release`."""
        self._in_flight = min(count, len(self._records))
        return [self._records[index] for index in range(self._in_flight)]

    def confirm(self) -> None:
        """The records taken were delivered: remove them."""
        for _ in range(self._in_flight):
            self._records.popleft()
        self.sent += self._in_flight
        self._in_flight = 0
        self._schedule_save()

    def release(self) -> None:
        """Sending the records taken failed: they stay first in line."""
        self._in_flight = 0

    async def async_save_now(self) -> None:
        """Write at once (on unload: a debounced write might not happen otherwise)."""
        await self._store.async_save(self._data())

    def _schedule_save(self) -> None:
        self._store.async_delay_save(self._data, SAVE_DELAY)

    def _data(self) -> _Stored:
        return {
            "records": [[r.datastream, r.value, r.time] for r in self._records],
            "dropped": self.dropped,
            "sent": self.sent,
        }
