"""The sender: drains the outbox to the module, one command line at a time.

It waits for records, lets a burst gather for the batch window, waits while the link is down,
then takes as many of the oldest records as fit one AT+CIOTDAT line (the library's rule),
sends them, and removes them from the outbox only when the module confirmed them (`+OK`, or
`SAVE succ` in acknowledgement mode); the next line leaves only once that removal is on disk,
so a crash can repeat at most the line in flight. A failure puts them back first in line and
retries with back-off. The serial line is shared fairly: each line is one command on the
client's queue, so heartbeats, actions and cloud commands get their turn between lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from homeassistant.util import dt as dt_util

from ..const import LOGGER
from ..m6311 import M6311Error, M6311ValidationError, Record
from .settings import DELAYED_AFTER, TimeMode
from .values import record_time

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..delivery import Delivery
    from .outbox import Outbox, OutboxRecord
    from .settings import ForwardSettings

FIRST_LOOKAHEAD = 32
"""Records first looked at to fill one line (a 256-byte line holds about 5 typical ones; a
longer limit doubles the look-ahead as needed)."""
RETRY_INITIAL = 1.0
RETRY_MAX = 60.0


class ModuleLink(Protocol):
    """What the sender needs of the module link (the coordinator is one)."""

    async def async_wait_online(self) -> None:
        """Return once the module is logged in (at once if it is)."""


class Sender:
    """Sends what the outbox holds whenever the link is up."""

    def __init__(
        self,
        link: ModuleLink,
        delivery: Delivery,
        outbox: Outbox,
        settings: ForwardSettings,
        on_sent: Callable[[], None],
    ) -> None:
        """Prepare; `run` is the loop, as an entry background task."""
        self._link = link
        self._delivery = delivery
        self._outbox = outbox
        self._settings = settings
        self._on_sent = on_sent
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._running: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Records were queued."""
        self._wakeup.set()

    async def run(self) -> None:
        """Send until stopped."""
        self._running = asyncio.current_task()
        retry = RETRY_INITIAL
        while not self._stopping:
            if not len(self._outbox):
                await self._wakeup.wait()
                self._wakeup.clear()
                await asyncio.sleep(self._settings.batch_window)  # let a burst share lines
                continue
            await self._link.async_wait_online()
            if await self._send_line():
                retry = RETRY_INITIAL
                continue
            await asyncio.sleep(retry * random.uniform(0.5, 1.0))  # noqa: S311  # jitter
            retry = min(retry * 2, RETRY_MAX)

    async def async_stop(self) -> None:
        """Stop after the line in flight, if any (its records stay queued unless confirmed)."""
        self._stopping = True
        if self._running is not None and not self._running.done():
            self._running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._running

    async def _send_line(self) -> bool:
        """Send one line of the oldest records; whether the module confirmed it."""
        await self._outbox.async_fill()
        records = await self._sendable_line()
        if not records:
            return False
        try:
            await self._deliver(records)
        except M6311Error as err:
            self._outbox.release()
            LOGGER.debug("Sending %d records failed (%s); they wait", len(records), err)
            return False
        except BaseException:
            self._outbox.release()  # cancelled on unload: the records stay queued
            raise
        await self._outbox.async_confirm()
        self._on_sent()
        return True

    async def _sendable_line(self) -> list[Record]:
        """The next line; empty when there is nothing to send now.

        The forwarder queues only records the library takes; this is the safety net for one
        it refuses (a line limit lowered since): records go one by one until that one is the
        oldest, which is then dropped, counted and logged, so it cannot block the queue.
        """
        try:
            return self._line_records()
        except M6311ValidationError:
            pass
        (oldest,) = self._outbox.take(1)
        try:
            return self._first_line([oldest])
        except M6311ValidationError as err:
            LOGGER.error("Dropping a record the module cannot take (%s): %s", oldest, err)
            await self._outbox.async_discard()
            self._on_sent()
            return []

    def _line_records(self) -> list[Record]:
        """Take the oldest records that fit one command line (the library decides the fit).

        The look-ahead starts small and doubles only while a line could hold more, so a
        long queue costs a few records' validation per line, not the whole look-ahead's.
        """
        ahead = FIRST_LOOKAHEAD
        while True:
            candidates = self._outbox.take(ahead)
            if not candidates:
                return []
            first_line = self._first_line(candidates)
            if len(first_line) < len(candidates) or len(candidates) < ahead:
                self._outbox.take(len(first_line))  # only these are in flight
                return first_line
            ahead *= 2

    def _first_line(self, candidates: list[OutboxRecord]) -> list[Record]:
        return self._delivery.first_line(self._records(candidates))

    def _records(self, candidates: list[OutboxRecord]) -> list[Record]:
        """The library's records; with TimeMode.DELAYED, times only on records that are late."""
        if self._settings.time_mode is not TimeMode.DELAYED:
            return [Record(r.datastream, r.value, r.time) for r in candidates]
        # Times are local "YYYY-MM-DD HH:MM:SS": as strings they sort as the times do. A time
        # before the second `DELAYED_AFTER` ago is late for sure; one in that second may be up
        # to a second later than the limit and still go without.
        late = record_time(dt_util.now() - timedelta(seconds=DELAYED_AFTER))
        return [
            Record(r.datastream, r.value, r.time if r.time is not None and r.time < late else None)
            for r in candidates
        ]

    async def _deliver(self, records: list[Record]) -> None:
        await self._delivery.send_records(records, ack=self._settings.ack)
