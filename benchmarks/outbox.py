"""Part 4 of the benchmark: the outbox on disk and in memory, each figure from a fresh process.

`outbox_probe.py` does one measurement per process; this runs them on queues of 10,000 and
100,000 records, and a steady stream on an idle machine and with every core kept busy, and
writes the section of docs/benchmark.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from custom_components.onenet_m6311.forwarding.outbox import COMMIT_DELAY
from custom_components.onenet_m6311.forwarding.outbox_db import PAGE_SIZE

from .forwarding import percentile
from .outbox_probe import MEASURED, PER_COMMIT, PER_LINE, STREAM_CHANGES, STREAM_RATE

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

QUEUES = (10_000, 100_000)
REPO = Path(__file__).resolve().parent.parent
BUSY_LOOP = """\
import os
parent = os.getppid()
print("spinning", flush=True)
while os.getppid() == parent:  # ends with the benchmark, even one killed
    for _ in range(1_000_000):
        pass
"""
"""A process that keeps one core busy, in pure Python, until stopped or orphaned."""


@dataclass(frozen=True, slots=True)
class DiskRun:
    """Bytes written per record with `queued` records waiting."""

    queued: int
    add_wchar: float
    add_write_bytes: float
    confirm_wchar: float
    confirm_write_bytes: float


@dataclass(frozen=True, slots=True)
class StreamRun:
    """Seconds from change to on disk for each change of a stream, and each transaction's."""

    machine: str
    cores_busy: float
    """Cores busy on average while the stream ran, whoever used them: *idle* is checked."""
    latencies: list[float]
    writes: list[float]


@dataclass(frozen=True, slots=True)
class OutboxFigures:
    """Everything part 4 measured."""

    disk: list[DiskRun]
    open_seconds: float
    open_rss: int
    queue_rss: int
    queued: int
    streams: list[StreamRun]
    busy_loops: int


async def probe[T](*args: str) -> dict[str, T]:
    """One measurement in a fresh process; its JSON line."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.outbox_probe",
        *args,
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO,
    )
    out, _ = await process.communicate()
    if process.returncode:
        msg = f"outbox_probe {' '.join(args)} exited with {process.returncode}"
        raise RuntimeError(msg)
    figures: dict[str, T] = json.loads(out)
    return figures


def cpu_jiffies() -> tuple[int, int]:
    """Busy and total time of all CPUs since boot, in clock ticks (/proc/stat's first line)."""
    with Path("/proc/stat").open(encoding="ascii") as stat:
        user, nice, system, idle, iowait, irq, softirq, steal = map(
            int, stat.readline().split()[1:9]
        )
    total = user + nice + system + idle + iowait + irq + softirq + steal
    return total - idle - iowait, total


def usable_cores() -> int:
    """The cores this process may run on: one busy loop for each keeps them all busy."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@contextlib.asynccontextmanager
async def busy_cores(count: int) -> AsyncIterator[None]:
    """`count` processes each spinning a core, from when all spin until the block ends."""
    loops: list[asyncio.subprocess.Process] = []
    try:
        for _ in range(count):  # each noted once started, so that `finally` stops it
            loops.append(  # noqa: PERF401
                await asyncio.create_subprocess_exec(
                    sys.executable, "-c", BUSY_LOOP, stdout=asyncio.subprocess.PIPE
                )
            )
        for loop in loops:
            assert loop.stdout is not None  # noqa: S101  # made with stdout=PIPE
            await loop.stdout.readline()  # spinning, not still starting
        yield
    finally:
        for loop in loops:
            loop.kill()
        for loop in loops:
            await loop.wait()


async def measure_stream(path: Path, machine: str) -> StreamRun:
    """A steady stream into an empty outbox, in a fresh process; how busy the CPUs were."""
    busy_before, total_before = cpu_jiffies()
    figures: dict[str, list[float]] = await probe("stream", str(path))
    busy_after, total_after = cpu_jiffies()
    if len(figures["latencies"]) != STREAM_CHANGES:
        msg = f"{len(figures['latencies'])} of {STREAM_CHANGES} changes timed"
        raise RuntimeError(msg)
    share = (busy_after - busy_before) / (total_after - total_before)
    return StreamRun(
        machine=machine,
        cores_busy=share * (os.cpu_count() or 1),
        latencies=figures["latencies"],
        writes=figures["writes"],
    )


async def measure_outbox() -> OutboxFigures:
    """Disk bytes per record at each queue length, the start and the memory at the largest."""
    runs = []
    with tempfile.TemporaryDirectory(prefix="onenet-outbox-bench-") as folder:
        for queued in QUEUES:
            path = str(Path(folder) / f"queue-{queued}.sqlite")
            await probe("fill", path, str(queued))
            disk: dict[str, float] = await probe("disk", path)
            runs.append(
                DiskRun(
                    queued=int(disk["queued"]),
                    add_wchar=disk["add_wchar"],
                    add_write_bytes=disk["add_write_bytes"],
                    confirm_wchar=disk["confirm_wchar"],
                    confirm_write_bytes=disk["confirm_write_bytes"],
                )
            )
        largest = str(Path(folder) / f"queue-{QUEUES[-1]}.sqlite")
        opened: dict[str, float] = await probe("open", largest)
        queueing: dict[str, float] = await probe(
            "queue", str(Path(folder) / "queued.sqlite"), str(QUEUES[-1])
        )
        streams = [await measure_stream(Path(folder) / "stream-idle.sqlite", "idle")]
        busy_loops = usable_cores()
        async with busy_cores(busy_loops):
            streams.append(
                await measure_stream(Path(folder) / "stream-busy.sqlite", "every core busy")
            )
    return OutboxFigures(
        disk=runs,
        open_seconds=opened["seconds"],
        open_rss=int(opened["rss_delta"]),
        queue_rss=int(queueing["rss_delta"]),
        queued=QUEUES[-1],
        streams=streams,
        busy_loops=busy_loops,
    )


def outbox_section(figures: OutboxFigures) -> list[str]:
    """The Markdown of part 4."""
    mib = 1024 * 1024
    out = [
        "## 4. The outbox on disk and in memory",
        "",
        (
            "Each figure comes from a fresh process (`benchmarks/outbox_probe.py`), so the "
            "counters of `/proc/self/io` and the resident memory are the outbox's alone. *Added*: "
            f"{MEASURED} records queued {PER_COMMIT} to a transaction (20 state changes a second, "
            f"one transaction each {COMMIT_DELAY:g} s). *Confirmed*: the same number confirmed "
            f"{PER_LINE} to a line, each line's deletion its own transaction, as the sender does. "
            "`wchar` is what SQLite handed to `write()`; `write_bytes` what reached the storage "
            "device (whole 4 KiB blocks, `synchronous=FULL`: every transaction is flushed). "
            f"Pages of {PAGE_SIZE} bytes, WAL journal."
        ),
        "",
        (
            "| records queued | added: wchar per record | added: write_bytes per record | "
            "confirmed: wchar per record | confirmed: write_bytes per record |"
        ),
        "|---|---|---|---|---|",
    ]
    out.extend(
        f"| {run.queued:,} | {run.add_wchar:.0f} | {run.add_write_bytes:.0f} | "
        f"{run.confirm_wchar:.0f} | {run.confirm_write_bytes:.0f} |"
        for run in figures.disk
    )
    out += [
        "",
        (
            "The bytes per record do not grow with the queue: a transaction appends the new "
            "records and deletes a line's by their ids, it never rewrites the queue."
        ),
        "",
        f"| with {figures.queued:,} records queued | |",
        "|---|---|",
        f"| time to open the outbox at start | {figures.open_seconds * 1000:.0f} ms |",
        (
            "| resident memory after opening it (only the oldest 4,096 records are read) | "
            f"{figures.open_rss / mib:.1f} MiB |"
        ),
        (
            "| resident memory of a process that queued them itself (the link down) | "
            f"{figures.queue_rss / mib:.1f} MiB |"
        ),
        "",
        *stream_section(figures),
    ]
    return out


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def stream_section(figures: OutboxFigures) -> list[str]:
    """The Markdown of part 4's change-to-on-disk latency."""
    out = [
        "### Change to on disk",
        "",
        (
            f"A steady stream of {STREAM_CHANGES} changes, {STREAM_RATE} a second, into an empty "
            "outbox in a fresh process; each change timed from just before `Outbox.add` to the "
            "end of the transaction that wrote it (SQLite's COMMIT returned, flushed: "
            "`synchronous=FULL`). The outbox starts a transaction "
            f"{COMMIT_DELAY * 1000:.0f} ms after the first change not yet written, and later "
            f"changes never push it back, so by design a change waits 0 to "
            f"{COMMIT_DELAY * 1000:.0f} ms, then the transaction itself. *Every core busy*: "
            f"{figures.busy_loops} processes (one per core) each spinning a Python loop, "
            "started before the stream and stopped after it. *Cores busy*: the CPU time of the "
            "whole machine while the stream ran (`/proc/stat`), in cores, the stream's own "
            "included. The tests check the cadence on a controlled clock "
            "(`tests/integration/test_outbox.py`); this is what it costs in time on this machine."
        ),
        "",
        (
            "| machine | cores busy | changes | transactions | change to on disk p50 (ms) "
            "| p99 (ms) | max (ms) | transaction p50 (ms) | transaction max (ms) |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    out.extend(
        f"| {run.machine} | {run.cores_busy:.2f} | {len(run.latencies)} | {len(run.writes)} | "
        f"{_ms(percentile(run.latencies, 50))} | {_ms(percentile(run.latencies, 99))} | "
        f"{_ms(max(run.latencies))} | {_ms(percentile(run.writes, 50))} | "
        f"{_ms(max(run.writes))} |"
        for run in figures.streams
    )
    out.append("")
    return out
