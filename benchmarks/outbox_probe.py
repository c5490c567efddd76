"""One measurement of the outbox per process, printed as one line of JSON.

`python -m benchmarks.outbox_probe KIND PATH [COUNT]`; the benchmark (`outbox.py`) runs it in a
fresh process each time, so the disk counters (`/proc/self/io`) and the resident memory belong
to the outbox alone:

- `fill PATH COUNT`: a file with COUNT queued records, as a link down for long leaves it;
- `disk PATH`: on that queue, records arrive as the forwarder writes them (a transaction per
  `PER_COMMIT` records) and lines are confirmed as the sender does (`PER_LINE` a line); the
  bytes the process wrote per record, for each;
- `open PATH`: the time to open that file at start, and the memory it then costs;
- `queue PATH COUNT`: the memory of a process that queued COUNT records itself;
- `stream PATH`: a steady stream of changes (`STREAM_RATE` a second) into an empty outbox; the
  seconds from each change to the end of the transaction that wrote it.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from custom_components.onenet_m6311.forwarding.outbox import COMMIT_DELAY, Outbox, OutboxRecord

if TYPE_CHECKING:
    from custom_components.onenet_m6311.forwarding.outbox_db import Changes, Row

CAPACITY = 1_000_000
PER_COMMIT = 10
"""Records per transaction while they arrive: 20 changes a second, one transaction each 0.5 s."""
PER_LINE = 20
"""Records per confirmed line: what a 1,024-byte line holds of records with their times."""
MEASURED = 2_000
"""Records added, then confirmed, in a `disk` measurement."""
STREAM_RATE = 20
"""Changes a second in a `stream` measurement: a busy home, and several changes a transaction."""
STREAM_CHANGES = 600
"""Changes in a `stream` measurement (30 s of them)."""
STREAM_PATIENCE = 30.0
"""Seconds the last changes of a stream may take to reach the disk before the run fails."""


def record(number: int) -> OutboxRecord:
    """A typical record: a sensor's reading with its time."""
    return OutboxRecord(
        "sensor_kitchen_temperature", 20 + (number % 100) / 10, "2026-11-27 12:00:00"
    )


def io_counters() -> dict[str, int]:
    """This process's I/O counters.

    `wchar`: bytes handed to `write()`; `write_bytes`: bytes sent to the storage device.
    """
    counters = {}
    for line in Path("/proc/self/io").read_text(encoding="ascii").splitlines():
        name, _, value = line.partition(":")
        counters[name] = int(value)
    return counters


def rss_bytes() -> int:
    """Resident memory of this process."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def fill(path: Path, count: int) -> dict[str, float]:
    """A file holding `count` queued records."""
    box = Outbox(path, CAPACITY)
    await box.async_open()
    for start in range(0, count, 5_000):
        box.add(record(n) for n in range(start, min(start + 5_000, count)))
        await box.async_flush()
    await box.async_close()
    return {"queued": count}


async def disk(path: Path) -> dict[str, float]:
    """Bytes written per record added and per record confirmed, on the queue in `path`."""
    box = Outbox(path, CAPACITY)
    await box.async_open()
    queued = len(box)
    before = io_counters()
    for start in range(0, MEASURED, PER_COMMIT):
        box.add(record(n) for n in range(start, start + PER_COMMIT))
        await box.async_flush()
    added = io_counters()
    for _ in range(MEASURED // PER_LINE):
        await box.async_fill()
        box.take(PER_LINE)
        await box.async_confirm()
    confirmed = io_counters()
    await box.async_close()
    return {
        "queued": queued,
        "add_wchar": (added["wchar"] - before["wchar"]) / MEASURED,
        "add_write_bytes": (added["write_bytes"] - before["write_bytes"]) / MEASURED,
        "confirm_wchar": (confirmed["wchar"] - added["wchar"]) / MEASURED,
        "confirm_write_bytes": (confirmed["write_bytes"] - added["write_bytes"]) / MEASURED,
    }


async def open_file(path: Path) -> dict[str, float]:
    """Seconds to open a queue at start, and the memory that costs."""
    gc.collect()
    rss_before = rss_bytes()
    started = time.perf_counter()
    box = Outbox(path, CAPACITY)
    await box.async_open()
    seconds = time.perf_counter() - started
    gc.collect()
    rss_after = rss_bytes()
    queued = len(box)
    await box.async_close()
    return {"queued": queued, "seconds": seconds, "rss_delta": rss_after - rss_before}


async def queue(path: Path, count: int) -> dict[str, float]:
    """The memory of a process that queued `count` records itself (the link down)."""
    gc.collect()
    rss_before = rss_bytes()
    box = Outbox(path, CAPACITY)
    await box.async_open()
    for start in range(0, count, 20):  # state changes arrive a few at a time
        box.add(record(n) for n in range(start, start + 20))
        if start % 1_000 == 0:
            await asyncio.sleep(0)  # let the transactions run
    await box.async_flush()
    gc.collect()
    rss_after = rss_bytes()
    queued = len(box)
    await box.async_close()
    return {"queued": queued, "rss_delta": rss_after - rss_before}


def note_commits(box: Outbox, committed: dict[int, float], writes: list[float]) -> None:
    """Note when each record's transaction ended (`committed`, by value) and how long it took.

    `OutboxDatabase.apply` returns once SQLite's COMMIT has (`synchronous=FULL`) flushed it.
    """
    apply = box._db.apply  # noqa: SLF001  # this process's own outbox, timed from inside

    def apply_and_note(changes: Changes) -> list[Row]:
        started = time.monotonic()
        rows = apply(changes)
        ended = time.monotonic()
        writes.append(ended - started)
        for record in changes.inserts.values():
            committed[int(record.value)] = ended
        return rows

    box._db.apply = apply_and_note  # type: ignore[method-assign]  # noqa: SLF001


async def stream(path: Path) -> dict[str, list[float]]:
    """Seconds from each change of a steady stream to the end of the transaction holding it."""
    box = Outbox(path, CAPACITY)
    await box.async_open()
    committed: dict[int, float] = {}
    writes: list[float] = []
    note_commits(box, committed, writes)
    changed: list[float] = []
    loop = asyncio.get_running_loop()
    start = loop.time()
    for number in range(STREAM_CHANGES):
        # On a schedule, not a sleep after each change: a late change does not slow the stream.
        await asyncio.sleep(max(0.0, start + number / STREAM_RATE - loop.time()))
        changed.append(time.monotonic())
        box.add([OutboxRecord("sensor_kitchen_temperature", number, "2026-11-27 12:00:00")])
    async with asyncio.timeout(STREAM_PATIENCE):  # the cadence writes the last ones: no flush
        while len(committed) < STREAM_CHANGES:  # noqa: ASYNC110  # the outbox's thread notes them
            await asyncio.sleep(COMMIT_DELAY / 10)
    await box.async_close()
    return {
        "latencies": [committed[number] - at for number, at in enumerate(changed)],
        "writes": writes,
    }


async def main(argv: list[str]) -> dict[str, float] | dict[str, list[float]]:
    """Run the measurement named on the command line."""
    kind, path = argv[0], Path(argv[1])
    if kind == "fill":
        return await fill(path, int(argv[2]))
    if kind == "disk":
        return await disk(path)
    if kind == "open":
        return await open_file(path)
    if kind == "queue":
        return await queue(path, int(argv[2]))
    if kind == "stream":
        return await stream(path)
    msg = f"unknown measurement {kind!r}"
    raise SystemExit(msg)


if __name__ == "__main__":
    sys.stdout.write(json.dumps(asyncio.run(main(sys.argv[1:]))) + "\n")
