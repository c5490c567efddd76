"""Part 4 of the benchmark: the outbox on disk and in memory, each figure from a fresh process.

`outbox_probe.py` does one measurement per process; this runs them on queues of 10,000 and
100,000 records and writes the section of docs/benchmark.md.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from custom_components.onenet_m6311.forwarding.outbox import COMMIT_DELAY
from custom_components.onenet_m6311.forwarding.outbox_db import PAGE_SIZE

from .outbox_probe import MEASURED, PER_COMMIT, PER_LINE

QUEUES = (10_000, 100_000)
REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class DiskRun:
    """Bytes written per record with `queued` records waiting."""

    queued: int
    add_wchar: float
    add_write_bytes: float
    confirm_wchar: float
    confirm_write_bytes: float


@dataclass(frozen=True, slots=True)
class OutboxFigures:
    """Everything part 4 measured."""

    disk: list[DiskRun]
    open_seconds: float
    open_rss: int
    queue_rss: int
    queued: int


async def probe(*args: str) -> dict[str, float]:
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
    figures: dict[str, float] = json.loads(out)
    return figures


async def measure_outbox() -> OutboxFigures:
    """Disk bytes per record at each queue length, the start and the memory at the largest."""
    runs = []
    with tempfile.TemporaryDirectory(prefix="onenet-outbox-bench-") as folder:
        for queued in QUEUES:
            path = str(Path(folder) / f"queue-{queued}.sqlite")
            await probe("fill", path, str(queued))
            disk = await probe("disk", path)
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
        opened = await probe("open", largest)
        queueing = await probe("queue", str(Path(folder) / "queued.sqlite"), str(QUEUES[-1]))
    return OutboxFigures(
        disk=runs,
        open_seconds=opened["seconds"],
        open_rss=int(opened["rss_delta"]),
        queue_rss=int(queueing["rss_delta"]),
        queued=QUEUES[-1],
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
    ]
    return out
