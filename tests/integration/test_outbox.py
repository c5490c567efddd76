"""The outbox: bounded, at least once, on disk within a second, a window of it in memory.

These drive `Outbox` directly on real SQLite files in a temporary folder, and read the files
with a second connection, as a restarted Home Assistant would. None asserts how fast anything
is (that is `scripts/bench`, part 4): the write cadence is checked on the test's own clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import sqlite3
import threading
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from homeassistant.util import dt as dt_util
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_homeassistant_custom_component.common import async_fire_time_changed_exact

from custom_components.onenet_m6311.forwarding import outbox as outbox_module
from custom_components.onenet_m6311.forwarding.outbox import Outbox, OutboxRecord
from custom_components.onenet_m6311.forwarding.outbox_db import Changes, OutboxDatabase

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

    from custom_components.onenet_m6311.forwarding.outbox_db import Row

ROUNDING = timedelta(microseconds=10)
"""Under `freezer` the loop's clock is seconds since 1970 in a float (steps of 0.24 us): a timer
armed for exactly now may read a fraction of a microsecond later, and is due all the same."""


def records(count: int, start: int = 0) -> list[OutboxRecord]:
    return [
        OutboxRecord("t", n, f"2026-11-23 08:00:{n % 60:02}") for n in range(start, start + count)
    ]


def on_disk(path: Path) -> list[int]:
    """The values the file holds, in queue order, read as another process would."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        return [value for (value,) in db.execute("SELECT value FROM records ORDER BY id")]


def write_garbage(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database, but 100 bytes of something else" * 3)


def counters_on_disk(path: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return dict(db.execute("SELECT name, value FROM counters").fetchall())


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / ".storage" / "outbox.sqlite"


@pytest.fixture
async def outbox(path: Path) -> AsyncIterator[Outbox]:
    box = Outbox(path)
    await box.async_open()
    yield box
    await box.async_close()


async def drain(box: Outbox, line: int = 7) -> list[int]:
    """Send everything as the sender does (fill, take a line, confirm); the values sent."""
    sent: list[int] = []
    while len(box):
        await box.async_fill()
        sent.extend(int(record.value) for record in box.take(line))
        await box.async_confirm()
    return sent


async def test_records_leave_only_when_confirmed(outbox: Outbox, path: Path) -> None:
    outbox.add(records(5))
    taken = outbox.take(3)
    assert [r.value for r in taken] == [0, 1, 2]
    outbox.release()  # the send failed: same records again
    assert outbox.take(3) == taken
    await outbox.async_confirm()
    assert on_disk(path) == [3, 4]  # on disk when confirm returns: no waiting for a cadence
    assert len(outbox) == 2
    assert outbox.sent == 3
    assert counters_on_disk(path)["sent"] == 3
    assert [r.value for r in outbox.take(10)] == [3, 4]


async def test_a_full_outbox_drops_the_oldest_and_counts(path: Path) -> None:
    box = Outbox(path, capacity=4)
    await box.async_open()
    assert box.add(records(6)) == 2
    assert box.dropped == 2
    assert [r.value for r in box.take(10)] == [2, 3, 4, 5]
    await box.async_close()
    assert on_disk(path) == [2, 3, 4, 5]
    assert counters_on_disk(path)["dropped"] == 2


async def test_records_being_sent_are_spared_when_full(path: Path) -> None:
    box = Outbox(path, capacity=4)
    await box.async_open()
    box.add(records(4))
    box.take(2)  # 0 and 1 are on the wire
    box.add(records(1, start=4))
    await box.async_confirm()
    assert [r.value for r in box.take(10)] == [3, 4]  # 2 went, not the records in flight
    assert (box.sent, box.dropped) == (2, 1)
    await box.async_close()
    assert on_disk(path) == [3, 4]


async def test_a_capacity_smaller_than_a_line(path: Path) -> None:
    box = Outbox(path, capacity=2)
    await box.async_open()
    box.add(records(2))
    box.take(2)
    box.add(records(1, start=2))
    await box.async_confirm()
    assert [r.value for r in box.take(10)] == [2]
    assert (box.sent, box.dropped) == (1, 1)
    await box.async_close()
    assert on_disk(path) == [2]


async def test_the_outbox_survives_a_restart(path: Path) -> None:
    box = Outbox(path, capacity=10)
    await box.async_open()
    box.add(records(12))
    box.take(1)
    await box.async_confirm()
    await box.async_close()

    again = Outbox(path, capacity=5)
    await again.async_open()
    assert [r.value for r in again.take(10)] == [7, 8, 9, 10, 11]
    assert (again.sent, again.dropped) == (1, 2 + 4)  # a smaller capacity drops the oldest
    assert again.last_value("t") == 11
    await again.async_close()
    assert on_disk(path) == [7, 8, 9, 10, 11]


async def test_a_first_start_has_nothing_to_load(outbox: Outbox, path: Path) -> None:
    assert len(outbox) == 0
    assert outbox.take(10) == []
    assert on_disk(path) == []  # the file exists, empty


def transactions_of(box: Outbox) -> list[list[int]]:
    """The values each transaction of `box` writes from now on, one list per transaction."""
    transactions: list[list[int]] = []
    apply = box._db.apply

    def apply_and_note(changes: Changes) -> list[Row]:
        rows = apply(changes)
        transactions.append([int(record.value) for record in changes.inserts.values()])
        return rows

    box._db.apply = apply_and_note  # type: ignore[method-assign]
    return transactions


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, box: Outbox, milliseconds: int
) -> None:
    """Move the test's clock on, run the timers then due, and wait for the writes they started.

    The loop's clock is frozen too: no timer fires by itself, however slow the machine is.
    """
    freezer.tick(timedelta(milliseconds=milliseconds))
    async_fire_time_changed_exact(hass, dt_util.utcnow() + ROUNDING)
    await box.async_settle()


async def test_a_steady_stream_is_written_on_a_cadence_the_changes_cannot_push_back(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, outbox: Outbox, path: Path
) -> None:
    # A change every 0.2 s for 3 s on the test's clock. A debounce that each change re-armed
    # would write nothing while the stream lasts; writing each change at once would not batch.
    cadence = round(outbox_module.COMMIT_DELAY * 1000)  # milliseconds, like the clock below
    every, stream = 200, 3000
    step = math.gcd(cadence, every)  # the clock stops at every change and every deadline
    transactions = transactions_of(outbox)
    written_at: list[int] = []  # the clock when each transaction ended
    queued_at: list[int] = []  # the clock when each value was queued (values count up)
    now = 0
    while now < stream + cadence:
        if now < stream and now % every == 0:
            outbox.add(records(1, start=len(queued_at)))
            queued_at.append(now)
        await advance(hass, freezer, outbox, step)
        now += step
        written_at += [now] * (len(transactions) - len(written_at))
        # Every record queued a cadence ago or more is in the file, read by another connection.
        due = [value for value, at in enumerate(queued_at) if now - at >= cadence]
        assert on_disk(path)[: len(due)] == due, f"at {now} ms"

    assert on_disk(path) == list(range(stream // every))
    for values, at in zip(transactions, written_at, strict=True):
        first = queued_at[values[0]]
        # Started by the first change it holds, exactly a cadence later, and no later change
        # moved it; it holds every change queued meanwhile.
        assert at == first + cadence, f"{values} written at {at} ms"
        assert values == [value for value, queued in enumerate(queued_at) if first <= queued < at]


async def test_a_long_queue_keeps_only_a_window_in_memory(path: Path) -> None:
    box = Outbox(path, capacity=1000, window=16)
    await box.async_open()
    box.add(records(100))
    await box.async_flush()
    assert len(box) == 100
    assert len(box._window) == 16
    await box.async_close()

    again = Outbox(path, capacity=1000, window=16)
    await again.async_open()  # reads the window, not the queue
    assert len(again) == 100
    assert len(again._window) == 16
    assert await drain(again) == list(range(100))
    assert on_disk(path) == []
    await again.async_close()


async def test_drops_past_the_window_take_the_oldest(path: Path) -> None:
    box = Outbox(path, capacity=50, window=8)
    await box.async_open()
    box.add(records(50))
    box.take(8)  # the whole window is on the wire: the oldest to drop are only in the file
    box.add(records(30, start=50))
    assert box.dropped == 30
    await box.async_confirm()
    assert await drain(box) == list(range(38, 80))
    assert (box.sent, box.dropped) == (50, 30)
    await box.async_close()


async def test_drops_while_the_window_is_being_read(path: Path) -> None:
    # The file is read on the outbox's thread while the event loop goes on queueing and
    # dropping; what was dropped meanwhile must not come back with the read.
    box = Outbox(path, capacity=8, window=4)
    await box.async_open()
    box.add(records(8))  # 0-3 in the window, 4-7 only in the file
    box.take(4)
    await box.async_confirm()  # the window is empty; 4-7 wait in the file
    gate = threading.Event()
    apply = box._db.apply

    def slow_apply(changes: Changes) -> list[Row]:
        gate.wait(5)
        return apply(changes)

    box._db.apply = slow_apply  # type: ignore[method-assign]
    filling = asyncio.create_task(box.async_fill())
    await asyncio.sleep(0.05)  # the read is under way on the outbox's thread
    box.add(records(6, start=8))  # full at 11: 12 and 13 drop the two oldest, 4 and 5
    assert box.dropped == 2
    gate.set()
    await filling
    box._db.apply = apply  # type: ignore[method-assign]
    assert await drain(box) == list(range(6, 14))
    await box.async_close()
    assert on_disk(path) == []


async def test_a_failed_write_is_tried_again_and_said_once(
    outbox: Outbox, path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    apply = outbox._db.apply
    failures = [sqlite3.OperationalError("disk I/O error")] * 2

    def failing_apply(changes: Changes) -> list[Row]:
        if failures:
            raise failures.pop()
        return apply(changes)

    outbox._db.apply = failing_apply  # type: ignore[method-assign]
    outbox.add(records(3))
    await outbox.async_flush()  # fails: kept
    await outbox.async_flush()  # fails again: said once
    assert on_disk(path) == []
    await outbox.async_flush()
    assert on_disk(path) == [0, 1, 2]
    assert caplog.text.count("Writing the outbox file") == 1
    assert "is written again" in caplog.text


async def test_an_unreadable_file_is_moved_aside(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_garbage(path)
    box = Outbox(path)
    await box.async_open()
    box.add(records(2))
    await box.async_close()
    assert on_disk(path) == [0, 1]
    assert path.with_name(path.name + ".corrupt").read_bytes().startswith(b"not a database")
    assert "could not be read" in caplog.text


async def test_closing_writes_what_is_pending(outbox: Outbox, path: Path) -> None:
    outbox.add(records(3))
    await outbox.async_close()
    assert on_disk(path) == [0, 1, 2]
    await outbox.async_close()  # twice is harmless


async def test_last_values_are_kept(path: Path) -> None:
    box = Outbox(path)
    await box.async_open()
    box.add([OutboxRecord("a", 1, None), OutboxRecord("b", "x%2Cy", None)])
    box.add([OutboxRecord("a", 2.5, None)])
    assert box.last_value("a") == 2.5
    await box.async_close()
    again = Outbox(path)
    await again.async_open()
    assert (again.last_value("a"), again.last_value("b"), again.last_value("c")) == (
        2.5,
        "x%2Cy",
        None,
    )
    await again.async_close()


async def test_a_large_burst_is_written_before_its_cadence(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_module, "COMMIT_BATCH", 100)
    monkeypatch.setattr(outbox_module, "COMMIT_DELAY", 60.0)
    box = Outbox(path, capacity=1000)
    await box.async_open()
    box.add(records(150))
    await box.async_settle()  # only a transaction the burst started: the cadence is a minute
    assert len(on_disk(path)) == 150
    await box.async_close()


def test_the_database_refuses_use_before_open(path: Path) -> None:
    with pytest.raises(sqlite3.ProgrammingError):
        OutboxDatabase(path).apply(Changes())


# -- against a model: any sequence of what the forwarder and the sender do ----------------

OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(1, 30)),
        st.tuples(st.just("send"), st.integers(1, 9)),
        st.tuples(st.just("fail"), st.integers(1, 9)),
        st.tuples(st.just("busy"), st.integers(1, 9)),
        st.tuples(st.just("busy_fail"), st.integers(1, 9)),
        st.tuples(st.just("flush"), st.just(0)),
        st.tuples(st.just("restart"), st.just(0)),
    ),
    max_size=25,
)


class Model:
    """The outbox's promise in a few lines: a bounded FIFO that spares the line in flight."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.queue: list[int] = []
        self.sent = self.dropped = 0

    def add(self, values: range, in_flight: int = 0) -> int:
        """Queue values while `in_flight` are on the wire; how many of those are left."""
        for value in values:
            if len(self.queue) >= self.capacity:
                if len(self.queue) > in_flight:
                    del self.queue[in_flight]
                else:  # a capacity smaller than the line: the oldest of the line goes
                    del self.queue[0]
                    in_flight -= 1
                self.dropped += 1
            self.queue.append(value)
        return in_flight


async def run_against_model(
    path: Path, capacity: int, window: int, operations: list[tuple[str, int]]
) -> None:
    model = Model(capacity)
    box = Outbox(path, capacity=capacity, window=window)
    await box.async_open()
    next_value = 0
    for operation, count in operations:
        if operation == "add":
            values = range(next_value, next_value + count)
            next_value += count
            box.add(records(len(values), start=values.start))
            model.add(values)
        elif operation in {"send", "fail"}:
            await box.async_fill()
            line = [int(r.value) for r in box.take(count)]
            assert line == model.queue[: len(line)]
            assert line or not model.queue
            if operation == "send":
                await box.async_confirm()
                del model.queue[: len(line)]
                model.sent += len(line)
            else:
                box.release()
        elif operation in {"busy", "busy_fail"}:  # records arrive while a line is on the wire
            await box.async_fill()
            in_flight = len(box.take(count))
            values = range(next_value, next_value + 5)
            next_value += 5
            box.add(records(5, start=values.start))
            in_flight = model.add(values, in_flight)
            if operation == "busy":
                await box.async_confirm()
                del model.queue[:in_flight]
                model.sent += in_flight
            else:
                box.release()
        elif operation == "flush":
            await box.async_flush()
        else:
            await box.async_close()
            box = Outbox(path, capacity=capacity, window=window)
            await box.async_open()
        assert (len(box), box.sent, box.dropped) == (len(model.queue), model.sent, model.dropped)
    assert await drain(box) == model.queue
    await box.async_close()
    assert on_disk(path) == []


@settings(max_examples=150, deadline=None)
@given(capacity=st.integers(1, 40), window=st.integers(2, 12), operations=OPERATIONS)
def test_any_sequence_keeps_the_promise(
    tmp_path_factory: pytest.TempPathFactory,
    capacity: int,
    window: int,
    operations: list[tuple[str, int]],
) -> None:
    path = tmp_path_factory.mktemp("outbox") / "outbox.sqlite"
    asyncio.run(run_against_model(path, capacity, window, operations))
