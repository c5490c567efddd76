"""The outbox: records waiting for the platform, bounded, and on disk within a second.

Records leave only when delivery is confirmed (`+OK`, or `SAVE succ` in acknowledgement
mode): at least once. When the outbox is full the oldest records go, and they are counted:
nothing is lost silently.

Where the records are:
- on disk, all of them, in a SQLite file of the entry's (`outbox_db.py`). The event loop never
  touches it: every read and write runs on the outbox's own thread, each one transaction;
- in memory, only the oldest (the window, at most `WINDOW` records) for the sender, and the
  records not written yet. The rest of a long queue lives only in the file, so memory does not
  grow with the queue, and a start reads only the window.

When changes reach the disk:
- new records, drops, counters: in one transaction `COMMIT_DELAY` after the first of them (or
  at once past `COMMIT_BATCH` records); later changes never push that back;
- a confirmation: at once, and `async_confirm` returns only then, so the sender's next line
  never leaves before the last one is off the disk. After a crash, only the records of the
  line in flight can go twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sqlite3
from collections import OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, NamedTuple

from ..const import LOGGER
from .outbox_db import Changes, OutboxDatabase

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    from .outbox_db import Loaded, Row
    from .values import QueuedValue

DEFAULT_CAPACITY = 10_000
WINDOW = 4096
"""Records held in memory for the sender; the file holds the rest of a longer queue."""
COMMIT_DELAY = 0.5
"""Seconds from the first unwritten change to its transaction: a burst is one write, and a
record is on disk well within a second of its state change."""
UNREADABLE = frozenset({"SQLITE_NOTADB", "SQLITE_CORRUPT"})
"""What SQLite says of a file that is not, or no longer, a database."""
COMMIT_BATCH = 5000
"""Unwritten records that start the transaction at once, so a burst's memory stays bounded."""


class OutboxRecord(NamedTuple):
    """One datapoint waiting to be sent (a tuple: made for every state change, and cheap)."""

    datastream: str
    value: QueuedValue
    time: str | None
    """`YYYY-MM-DD HH:MM:SS` in local time, or None to let the platform stamp it."""


class Outbox:
    """A bounded FIFO of records, on disk, per config entry."""

    def __init__(self, path: Path, capacity: int = DEFAULT_CAPACITY, window: int = WINDOW) -> None:
        """Prepare; `async_open` opens the file and reads what a previous run left."""
        self.path = path
        self.capacity = capacity
        self.sent = 0
        """Records confirmed delivered, since the entry was made."""
        self.dropped = 0
        """Records dropped because the outbox was full, since the entry was made."""
        self.legacy_imported = False
        """Whether the queue of the earlier, JSON outbox was taken in (once)."""
        self._window_size = window
        self._window: deque[tuple[int, OutboxRecord]] = deque()
        """The oldest records, with their ids: always the head of the queue."""
        self._length = 0
        self._window_last_id = 0
        """Every queued record with a larger id is past the window: only the file holds it."""
        self._next_id = 1
        self._in_flight = 0
        """How many of the oldest records the sender holds; a full outbox spares them."""
        self._last_values: dict[str, QueuedValue] = {}
        self._pending = _Pending()
        self._db = OutboxDatabase(path)
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="onenet_m6311_outbox")
        self._lock = asyncio.Lock()
        """One transaction at a time, in the order their changes were gathered."""
        self._timer: asyncio.TimerHandle | None = None
        self._commits: set[asyncio.Task[object]] = set()
        self._refilling = False
        self._failing = False
        self._closed = False

    def __len__(self) -> int:
        """How many records wait."""
        return self._length

    def diagnostics(self) -> dict[str, object]:
        """The outbox's state for a bug report (no record contents)."""
        return {
            "queued": self._length,
            "in_memory": len(self._window),
            "not_yet_on_disk": len(self._pending.inserts),
            "capacity": self.capacity,
            "write_failing": self._failing,
        }

    def last_value(self, datastream: str) -> QueuedValue | None:
        """The value that last entered the outbox for a datastream (kept across restarts)."""
        return self._last_values.get(datastream)

    # -- life cycle ------------------------------------------------------------------------

    async def async_open(self) -> None:
        """Open the file (made if missing) and read what was waiting; trim to the capacity."""
        try:
            loaded = await self._run(self._db.open, self._window_size)
        except sqlite3.DatabaseError as err:
            if err.sqlite_errorname not in UNREADABLE:
                raise  # not the file's content (a folder in its place, no space): no repair
            aside = await self._run(self._db.move_aside)
            LOGGER.error(
                "The outbox file %s could not be read (%s); it was moved to %s and a new one "
                "was started: the records it held are not sent",
                self.path,
                err,
                aside,
            )
            loaded = await self._run(self._db.open, self._window_size)
        self._take_loaded(loaded)
        if self._length > self.capacity:  # the capacity was lowered: the oldest go
            excess = self._length - self.capacity
            self._pending.drop_past_window += excess
            self._window.clear()
            self._window_last_id = 0
            self._length -= excess
            self.dropped += excess
            self._pending.counters = True
            self._extend_window(await self._transact(read=self._window_size))

    async def async_close(self) -> None:
        """Write what is pending, then close the file and end the thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._cancel_timer()
        await self.async_settle()
        await self._transact()
        await self._run(self._db.close)
        await asyncio.get_running_loop().run_in_executor(None, self._thread.shutdown)

    async def async_import(
        self, records: Iterable[OutboxRecord], *, sent: int, dropped: int
    ) -> None:
        """Take in the queue and counters of the earlier JSON outbox, once, in one transaction."""
        self.sent += sent
        self.dropped += dropped
        self.add(records)
        self.legacy_imported = True
        self._pending.counters = True
        await self._transact()

    # -- the queue -------------------------------------------------------------------------

    def add(self, records: Iterable[OutboxRecord]) -> int:
        """Queue records; returns how many old ones were dropped to make room."""
        dropped = 0
        window = self._window
        inserts = self._pending.inserts
        new_values = self._pending.last_values
        last_values = self._last_values
        for record in records:  # run for every state change: kept lean
            if self._length >= self.capacity:
                self._drop_oldest()
                dropped += 1
            record_id = self._next_id
            self._next_id = record_id + 1
            if self._length == len(window) < self._window_size and not self._refilling:
                window.append((record_id, record))
                self._window_last_id = record_id
            self._length += 1
            inserts[record_id] = record
            new_values[record.datastream] = last_values[record.datastream] = record.value
        if dropped:
            self.dropped += dropped
            self._pending.counters = True
        self._schedule_commit(urgent=len(inserts) >= COMMIT_BATCH)
        return dropped

    def take(self, count: int) -> list[OutboxRecord]:
        """The oldest `count` records for sending; they stay until `confirm` or `release`.

        Fewer when the window holds fewer: `async_fill` first tops it up from the file.
        """
        self._in_flight = min(count, len(self._window))
        return [record for _, record in itertools.islice(self._window, self._in_flight)]

    async def async_confirm(self) -> None:
        """The records taken were delivered: remove them, on disk before this returns."""
        self.sent += self._remove_taken()
        await self._transact()

    async def async_discard(self) -> None:
        """The records taken can never be sent: remove them, counted as dropped."""
        self.dropped += self._remove_taken()
        await self._transact()

    def _remove_taken(self) -> int:
        taken, self._in_flight = self._in_flight, 0
        if taken:
            for _ in range(taken - 1):
                self._window.popleft()
            last_id, _ = self._window.popleft()
            self._length -= taken
            self._pending.confirm_through(last_id)
        return taken

    def release(self) -> None:
        """Sending the records taken failed: they stay first in line."""
        self._in_flight = 0

    async def async_fill(self) -> None:
        """Top the window up from the file when it runs low and the queue is longer."""
        if self._length == len(self._window) or len(self._window) >= self._window_size // 2:
            return
        self._refilling = True
        try:
            rows = await self._transact(read=self._window_size - len(self._window))
        finally:
            self._refilling = False
        self._extend_window(rows)

    async def async_flush(self) -> None:
        """Write what is pending now."""
        await self._transact()

    async def async_settle(self) -> None:
        """Wait for the transactions already started (by the cadence or a burst) to end.

        Unlike `async_flush` it starts none: what waits for the cadence keeps waiting, so a
        test on a controlled clock can see which writes the cadence started, and when.
        """
        if self._commits:
            await asyncio.gather(*self._commits, return_exceptions=True)

    def _drop_oldest(self) -> None:
        """Make room for one record: the oldest not being sent goes (it may yet arrive)."""
        window = self._window
        if len(window) > self._in_flight:
            record_id, _ = window[self._in_flight]
            del window[self._in_flight]
            self._pending.forget(record_id)
        elif self._length > len(window):  # past the window: only the file knows which
            self._pending.drop_past_window += 1
        else:  # a capacity smaller than the line in flight: the oldest of that goes
            record_id, _ = window.popleft()
            self._in_flight -= 1
            self._pending.forget(record_id)
        self._length -= 1

    def _take_loaded(self, loaded: Loaded) -> None:
        self._length = loaded.length
        self._next_id = loaded.last_id + 1
        self.sent = loaded.counters.get("sent", 0)
        self.dropped = loaded.counters.get("dropped", 0)
        self.legacy_imported = bool(loaded.counters.get("legacy_imported", 0))
        self._last_values = dict(loaded.last_values)
        self._extend_window(loaded.window)

    def _extend_window(self, rows: list[Row]) -> None:
        """Append records read from the file; the first ones may have been dropped meanwhile."""
        if not rows:
            return
        dropped_meanwhile = min(self._pending.drop_past_window, len(rows))
        self._pending.drop_past_window -= dropped_meanwhile
        self._pending.delete_ids.extend(row[0] for row in rows[:dropped_meanwhile])
        self._window.extend(
            (record_id, OutboxRecord(datastream, value, time))
            for record_id, datastream, value, time in rows[dropped_meanwhile:]
        )
        self._window_last_id = rows[-1][0]

    # -- transactions ----------------------------------------------------------------------

    def _schedule_commit(self, *, urgent: bool = False) -> None:
        if self._closed:
            return
        if urgent:
            self._cancel_timer()
            self._start_commit()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(COMMIT_DELAY, self._start_commit)

    def _start_commit(self) -> None:
        self._timer = None
        task: asyncio.Task[object] = asyncio.get_running_loop().create_task(self._transact())
        self._commits.add(task)
        task.add_done_callback(self._commits.discard)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def _transact(self, read: int = 0) -> list[Row]:
        """One transaction of everything pending (and a read, if asked); the rows read.

        A failed write keeps its changes pending and is tried again; the records stay in
        memory meanwhile. A cancelled caller still lets the transaction end first, so
        transactions keep their order.
        """
        async with self._lock:
            changes = self._collect(read)
            if not changes:
                return []
            self._cancel_timer()
            future = asyncio.get_running_loop().run_in_executor(
                self._thread, self._db.apply, changes
            )
            try:
                rows = await asyncio.shield(future)
            except asyncio.CancelledError:
                with contextlib.suppress(BaseException):
                    await asyncio.wait([future])
                self._settle(future, changes)
                raise
            except Exception:  # noqa: BLE001  # whatever the cause, the changes are kept
                self._settle(future, changes)
                return []
            self._settle(future, changes)
            return rows

    def _collect(self, read: int) -> Changes:
        """Everything pending as one transaction's changes; pending starts empty again."""
        pending, self._pending = self._pending, _Pending()
        return Changes(
            inserts=pending.inserts,
            delete_through=pending.delete_through,
            delete_ids=pending.delete_ids,
            drop_oldest_after=self._window_last_id,
            drop_oldest=pending.drop_past_window,
            counters=(
                {
                    "sent": self.sent,
                    "dropped": self.dropped,
                    "legacy_imported": int(self.legacy_imported),
                }
                if pending.counters
                else {}
            ),
            last_values=pending.last_values,
            read_after=self._window_last_id if read else None,
            read_limit=read,
        )

    def _settle(self, future: asyncio.Future[list[Row]], changes: Changes) -> None:
        """After a transaction: on failure its changes are pending again, to be retried."""
        failed = not future.done() or future.cancelled() or future.exception() is not None
        if not failed:
            if self._failing:
                self._failing = False
                LOGGER.info("The outbox file %s is written again", self.path)
            return
        self._pending.put_back(changes)
        if not self._failing:
            self._failing = True
            error = future.exception() if future.done() and not future.cancelled() else None
            LOGGER.error(
                "Writing the outbox file %s failed (%s); the records stay in memory and the"
                " write is tried again",
                self.path,
                error,
            )
        self._schedule_commit()

    async def _run[T](self, function: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, function, *args)

    def __repr__(self) -> str:
        """For logs and tests."""
        return f"<Outbox {self.path.name}: {self._length} queued, {len(self._window)} in memory>"


class _Pending:
    """The changes gathered on the event loop since the last transaction."""

    def __init__(self) -> None:
        self.inserts: OrderedDict[int, OutboxRecord] = OrderedDict()
        self.delete_through = 0
        self.delete_ids: list[int] = []
        self.drop_past_window = 0
        """The oldest records past the window to drop: only the file knows which they are."""
        self.last_values: dict[str, QueuedValue] = {}
        self.counters = False

    def confirm_through(self, last_id: int) -> None:
        """Records up to `last_id` were delivered; those not written yet never will be."""
        self.delete_through = max(self.delete_through, last_id)
        inserts = self.inserts
        while inserts and next(iter(inserts)) <= last_id:
            inserts.popitem(last=False)
        self.counters = True

    def forget(self, record_id: int) -> None:
        """A record was dropped: unwrite it, or delete it from the file."""
        if self.inserts.pop(record_id, None) is None:
            self.delete_ids.append(record_id)

    def put_back(self, changes: Changes) -> None:
        """A transaction failed: its changes go first again (later ones stay after them)."""
        inserts: OrderedDict[int, OutboxRecord] = OrderedDict(
            (record_id, OutboxRecord(record.datastream, record.value, record.time))
            for record_id, record in changes.inserts.items()
        )
        inserts.update(self.inserts)
        self.inserts = inserts
        self.delete_through = max(self.delete_through, changes.delete_through)
        self.delete_ids = [*changes.delete_ids, *self.delete_ids]
        self.drop_past_window += changes.drop_oldest
        self.last_values = {**changes.last_values, **self.last_values}
        self.counters = self.counters or bool(changes.counters)
