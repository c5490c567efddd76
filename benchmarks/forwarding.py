"""Measuring forwarding: the paced serial line, the three figures, and the report.

The module emulator paces what it prints at the baud rate, but a pseudo-terminal delivers what
the client writes at once. `LineMeter` paces that direction too: every byte the client writes
reaches the module only when its ten bit times at the baud rate are over, one line after the
other (as a UART does). It also counts the bytes both ways, for the wire limit.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import platform
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from typing import TYPE_CHECKING

from homeassistant.const import __version__ as ha_version

from .outbox import OutboxFigures, outbox_section

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from homeassistant.core import HomeAssistant

    from custom_components.onenet_m6311.forwarding.forwarder import Forwarder
    from emulator.module import ModuleEmulator

BAUDRATE = 115200
BITS_PER_BYTE = 10
"""8N1: start bit, eight data bits, stop bit."""
CLOUD_LATENCY = 0.2
"""Seconds the module emulator waits before every cloud operation (a cellular round trip)."""


def wire_seconds(count: int, baudrate: int = BAUDRATE) -> float:
    """How long `count` bytes take on the line."""
    return count * BITS_PER_BYTE / baudrate


class LineMeter:
    """Paces the client -> module direction at the baud rate; counts bytes both ways."""

    def __init__(self, module: ModuleEmulator, baudrate: int = BAUDRATE) -> None:
        """Sit between the module's pty and its firmware (installed at once)."""
        self.baudrate = baudrate
        self.written = 0
        """Bytes the client wrote (client -> module)."""
        self.read = 0
        """Bytes the module printed (module -> client)."""
        self.first_write_at: float | None = None
        """Loop time of the first byte written since `mark`."""
        self._loop = asyncio.get_running_loop()
        self._line_free_at = 0.0
        self._slice = max(16, baudrate // BITS_PER_BYTE // 100)  # about 10 ms of line time
        pty = module.pty
        self._deliver: Callable[[bytes], None] = pty._on_data  # noqa: SLF001  # the hook point
        pty._on_data = self._arrive  # noqa: SLF001
        print_to_pty = pty.write

        async def counted(data: bytes) -> None:
            self.read += len(data)
            await print_to_pty(data)

        pty.write = counted  # type: ignore[method-assign]

    def mark(self) -> None:
        """Start looking for the next first write."""
        self.first_write_at = None

    def _arrive(self, data: bytes) -> None:
        now = self._loop.time()
        if self.first_write_at is None:
            self.first_write_at = now
        self.written += len(data)
        for start in range(0, len(data), self._slice):
            piece = data[start : start + self._slice]
            self._line_free_at = max(self._line_free_at, now) + wire_seconds(
                len(piece), self.baudrate
            )
            self._loop.call_at(self._line_free_at, self._deliver, piece)


class Values:
    """State values that never repeat (a repeated state would be no change)."""

    def __init__(self) -> None:
        """Start at 0.00."""
        self._counter = itertools.count()

    def next(self) -> str:
        """A temperature-like reading, different from every one before."""
        return f"{next(self._counter) / 100:.2f}"


@dataclass(frozen=True, slots=True)
class Bench:
    """What every measurement uses: Home Assistant, the module, the line and the values."""

    hass: HomeAssistant
    module: ModuleEmulator
    meter: LineMeter
    values: Values


def require(condition: object, message: str) -> None:
    """Stop the run when what it measured is not valid."""
    if not condition:
        raise RuntimeError(message)


def ciotdat_lines(module: ModuleEmulator) -> int:
    """How many AT+CIOTDAT lines the module received so far."""
    return sum(line.startswith("AT+CIOTDAT=") for line in module.commands)


# -- 1. throughput -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Throughput:
    """A burst of records through the module, first byte written to last confirmation."""

    mode: str
    records: int
    lines: int
    seconds: float
    written: int
    read: int

    @property
    def rate(self) -> float:
        """Records per second achieved."""
        return self.records / self.seconds

    @property
    def wire(self) -> float:
        """Seconds the bytes of the run take on the line, both directions one after the other."""
        return wire_seconds(self.written + self.read)

    @property
    def limit(self) -> float:
        """Records per second if the line carried nothing but these bytes, back to back."""
        return self.records / self.wire

    @property
    def model(self) -> float:
        """Seconds predicted by: every line costs its wire time plus one cloud latency."""
        return self.wire + self.lines * CLOUD_LATENCY


def on_each_confirmation(forwarder: Forwarder, callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` the moment each line is confirmed; returns the call that stops it.

    The forwarder's own listeners (its sensors) hear of the counters at most once a second; a
    measurement needs the moment itself, so this wraps the sender's callback.
    """
    sender = forwarder.sender
    original = sender._on_sent  # noqa: SLF001  # the measuring point

    def both() -> None:
        original()
        callback()

    sender._on_sent = both  # noqa: SLF001

    def stop() -> None:
        sender._on_sent = original  # noqa: SLF001

    return stop


async def measure_throughput(
    bench: Bench, forwarder: Forwarder, entities: Sequence[str], steps: int, mode: str
) -> Throughput:
    """Set `steps` states on each entity at once, time until the outbox confirmed them all."""
    hass, module, meter, values = bench.hass, bench.module, bench.meter, bench.values
    loop = asyncio.get_running_loop()
    records = len(entities) * steps
    base_sent = forwarder.outbox.sent
    lines_before = ciotdat_lines(module)
    done = asyncio.Event()
    ended: list[float] = []

    def confirmed() -> None:
        if not ended and forwarder.outbox.sent - base_sent >= records:
            ended.append(loop.time())
            done.set()

    unsubscribe = on_each_confirmation(forwarder, confirmed)
    written, read = meter.written, meter.read
    meter.mark()
    try:
        for _ in range(steps):
            for entity_id in entities:
                hass.states.async_set(entity_id, values.next())
        async with asyncio.timeout(600):
            await done.wait()
    finally:
        unsubscribe()
    started = meter.first_write_at
    if started is None:
        msg = "nothing was written"
        raise RuntimeError(msg)
    return Throughput(
        mode=mode,
        records=forwarder.outbox.sent - base_sent,
        lines=ciotdat_lines(module) - lines_before,
        seconds=ended[0] - started,
        written=meter.written - written,
        read=meter.read - read,
    )


# -- 2. event-loop cost ----------------------------------------------------------------------


@dataclass(slots=True)
class Cost:
    """CPU seconds on the event loop's thread per burst, one entry per round."""

    changes: int
    """State changes per burst."""
    baseline: list[float] = field(default_factory=list)
    ours: list[float] = field(default_factory=list)
    theirs: list[float] = field(default_factory=list)
    ours_wall: list[float] = field(default_factory=list)
    """Wall seconds of our bursts (they must end before the sender's batch window does)."""

    def per_change(self, side: list[float]) -> float:
        """Median over rounds of (side - baseline) per change, in seconds."""
        return statistics.median(
            (value - base) / self.changes for value, base in zip(side, self.baseline, strict=True)
        )

    @property
    def baseline_per_change(self) -> float:
        """Median over rounds of the baseline per change, in seconds."""
        return statistics.median(value / self.changes for value in self.baseline)


async def burst_cpu(
    hass: HomeAssistant, entities: Sequence[str], steps: int, values: Values
) -> tuple[float, float]:
    """CPU seconds on this thread (the loop's) and wall seconds of a burst of state changes.

    The burst is `steps` new states for each entity, then `async_block_till_done`, so every
    listener, and every task it started, has run before the clock stops.
    """
    await hass.async_block_till_done()
    wall, cpu = time.perf_counter(), time.thread_time()
    for _ in range(steps):
        for entity_id in entities:
            hass.states.async_set(entity_id, values.next())
    await hass.async_block_till_done()
    return time.thread_time() - cpu, time.perf_counter() - wall


# -- 3. latency ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Latency:
    """Seconds from each change to its confirmation, in the order of the changes."""

    samples: list[float]
    steady: int
    """How many samples (the last ones) came from changes made after the first confirmation,
    that is once the stream's start (the sender's first batch window) was over."""


async def measure_latency(
    bench: Bench, forwarder: Forwarder, entities: Sequence[str], changes: int, interval: float
) -> Latency:
    """Seconds from each state change to its record's confirmation, for a steady stream.

    The outbox is first in, first out and every change here makes exactly one record, so the
    k-th change is confirmed when the outbox's `sent` counter passes k.
    """
    hass, values = bench.hass, bench.values
    loop = asyncio.get_running_loop()
    base_sent = forwarder.outbox.sent
    changed_at: list[float] = []
    confirmed_at: list[float] = []
    done = asyncio.Event()

    def confirmed() -> None:
        now = loop.time()
        sent = min(forwarder.outbox.sent - base_sent, len(changed_at))
        confirmed_at.extend([now] * (sent - len(confirmed_at)))
        if len(confirmed_at) >= changes:
            done.set()

    unsubscribe = on_each_confirmation(forwarder, confirmed)
    try:
        start = loop.time()
        for index in range(changes):
            await asyncio.sleep(max(0.0, start + index * interval - loop.time()))
            changed_at.append(loop.time())
            hass.states.async_set(entities[index % len(entities)], values.next())
        async with asyncio.timeout(120):
            await done.wait()
    finally:
        unsubscribe()
    first = confirmed_at[0]
    return Latency(
        samples=[end - begin for begin, end in zip(changed_at, confirmed_at, strict=True)],
        steady=sum(begin >= first for begin in changed_at),
    )


def percentile(samples: Sequence[float], percent: int) -> float:
    """The `percent`-th percentile (statistics.quantiles, inclusive method)."""
    return statistics.quantiles(samples, n=100, method="inclusive")[percent - 1]


# -- the report ----------------------------------------------------------------------------


def machine() -> dict[str, str]:
    """CPU, cores, Python, Home Assistant and serialx versions, and the date (blocking I/O)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:  # noqa: PTH123
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "CPU": cpu,
        "cores": f"{os.cpu_count()} (usable by this process: {usable})",
        "Python": platform.python_version(),
        "Home Assistant": ha_version,
        "serialx": metadata.version("serialx"),
        "OS": f"{platform.system()} {platform.release()}",
    }


@dataclass(frozen=True, slots=True)
class Results:
    """Everything one run measured."""

    throughput: list[Throughput]
    cost: Cost
    cost_rounds: int
    cost_entities: int
    latency: dict[str, Latency]
    latency_interval: float
    machine: dict[str, str]
    outbox: OutboxFigures


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f}"


def report(results: Results) -> str:
    """The Markdown report (docs/benchmark.md)."""
    out = [
        "# Forwarding benchmark",
        "",
        (
            "Written by `scripts/bench` (`benchmarks/`); every figure below comes from the run "
            "described here. Do not edit by hand: run `scripts/bench` again."
        ),
        "",
        "## Machine and parameters",
        "",
        "| | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in results.machine.items()),
        (
            f"| serial line | {BAUDRATE} baud, 8N1 ({BITS_PER_BYTE} bits per byte), both "
            "directions paced (module output by the emulator, client input by `LineMeter`) |"
        ),
        (
            f"| cloud latency | {CLOUD_LATENCY * 1000:.0f} ms before every cloud operation "
            "(module emulator `cloud_latency`) |"
        ),
        (
            "| integration options | defaults (batch window 1 s, line limit 1024 bytes, timestamps "
            "on, heartbeat 60 s) unless stated |"
        ),
        "",
        "## 1. Throughput",
        "",
        (
            "A burst of state changes on 10 sensors (numeric states, with their times), timed from "
            "the first byte the client writes to the last record confirmed in the outbox (`+OK`; "
            "`SAVE succ` in acknowledgement mode). The wire limit is the records per second if the "
            "line carried only the bytes this run put on it, both directions back to back: "
            "`115200 / 10 / (bytes written + bytes read per record)`."
        ),
        "",
        (
            "| mode | records | lines | records/line | bytes/record written + read | achieved "
            "records/s | wire limit records/s | achieved / limit | s per line | of which wire | "
            "model: wire + lines x latency |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    out.extend(
        f"| {run.mode} | {run.records} | {run.lines} | {run.records / run.lines:.1f} | "
        f"{run.written / run.records:.1f} + {run.read / run.records:.1f} | {run.rate:.1f} | "
        f"{run.limit:.1f} | {run.rate / run.limit:.2f} | {run.seconds / run.lines:.3f} | "
        f"{run.wire / run.lines:.3f} | {run.model:.1f} s of {run.seconds:.1f} s measured |"
        for run in results.throughput
    )
    out.append("")
    out.extend(
        f"{run.mode}: per line {run.seconds / run.lines * 1000:.0f} ms measured, of which "
        f"{CLOUD_LATENCY * 1000:.0f} ms cloud latency and {run.wire / run.lines * 1000:.0f} ms "
        f"wire time; the rest ({(run.seconds - run.model) / run.lines * 1000:.0f} ms) is "
        "turnaround (the client, the loop, the emulators)."
        for run in results.throughput
    )
    out += [
        "",
        (
            "What bounds throughput: one command is in flight at a time, and each line waits a "
            "cloud latency before its `+OK`, so records/s is about records-per-line / (wire time "
            "of a line + latency). The line itself would carry the records faster (the wire "
            "limit); a larger share of the line limit, or more records per line, is the only "
            "lever, since the module takes one command at a time."
        ),
    ]
    cost = results.cost
    ours, theirs = cost.per_change(cost.ours), cost.per_change(cost.theirs)

    def rounds(side: list[float]) -> str:
        pairs = zip(side, cost.baseline, strict=True)
        return ", ".join(_us((value - base) / cost.changes) for value, base in pairs)

    out += [
        "",
        "## 2. Event-loop cost per forwarded state change",
        "",
        (
            f"CPU time of the event loop's thread (`time.thread_time`) around a burst of "
            f"{cost.changes} `hass.states.async_set` calls (new numeric states on "
            f"{results.cost_entities} sensors) and `hass.async_block_till_done()`, minus the "
            "same burst on entities that neither "
            "listens to; median over "
            f"{results.cost_rounds} rounds, each round measuring the three sides one after the "
            "other in the same Home Assistant. Home Assistant's `mqtt_statestream` is set up from "
            "YAML (`base_topic`, `include: entities`) with `mqtt.async_publish` replaced by a "
            "no-op coroutine. **Ours includes** the state-change listener, the record (value, "
            "time, validation), the outbox add (in memory; with the transaction's start when its "
            "timer falls in the burst), waking the sender and marking the counters for their "
            "sensors (written at most once a second). **Ours excludes** sending (the sender "
            "sleeps its 1 s batch window through every measured burst: checked, no line went out "
            "during one) and the outbox's SQLite work, which "
            "runs on the outbox's own thread (part 4); theirs excludes publishing (mocked), as "
            "asked."
        ),
        "",
        "| | CPU per change (us) |",
        "|---|---|",
        f"| baseline: `async_set` with neither listening | {_us(cost.baseline_per_change)} |",
        f"| ours (above baseline) | {_us(ours)} |",
        f"| mqtt_statestream (above baseline) | {_us(theirs)} |",
        f"| **ratio ours / mqtt_statestream** | **{ours / theirs:.2f}** |",
        "",
        (
            f"Samples: {results.cost_rounds} rounds x {cost.changes} changes per side "
            f"({results.cost_rounds * cost.changes} changes each). Per round, ours minus baseline "
            f"(us per change): {rounds(cost.ours)}; mqtt_statestream minus baseline: "
            f"{rounds(cost.theirs)}."
        ),
        "",
        "## 3. Latency from state change to confirmation",
        "",
        (
            f"One state change every {results.latency_interval * 1000:.0f} ms (10 sensors in "
            "turn), each timed from just before `async_set` to its record's confirmation in the "
            "outbox "
            "(`+OK`; `SAVE succ` in acknowledgement mode). *All*: every change, the first ones "
            "included (they wait the sender's whole 1 s batch window, which only an empty outbox "
            "starts). *Steady*: the changes made after the first confirmation."
        ),
        "",
        "| mode | samples | changes | p50 (ms) | p99 (ms) | max (ms) |",
        "|---|---|---|---|---|---|",
    ]
    for mode, latency in results.latency.items():
        for name, samples in (
            ("all", latency.samples),
            ("steady", latency.samples[-latency.steady :]),
        ):
            out.append(
                f"| {mode} | {name} | {len(samples)} | {_ms(percentile(samples, 50))} | "
                f"{_ms(percentile(samples, 99))} | {_ms(max(samples))} |"
            )
    out += ["", *outbox_section(results.outbox)]
    return "\n".join(out).rstrip("\n") + "\n"
