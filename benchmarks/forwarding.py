"""Measuring forwarding: the paced serial line and the first three parts' figures.

The module emulator paces what it prints at the baud rate, but a pseudo-terminal delivers what
the client writes at once. `LineMeter` paces that direction too: every byte the client writes
reaches the module only when its ten bit times at the baud rate are over, one line after the
other (as a UART does). It also counts the bytes both ways, for the wire limit.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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


async def measure_throughput(  # noqa: PLR0913  # the burst, and what each change sets
    bench: Bench,
    forwarder: Forwarder,
    entities: Sequence[str],
    steps: int,
    mode: str,
    *,
    value_of: Callable[[str], str] | None = None,
) -> Throughput:
    """Set `steps` states on each entity at once, time until the outbox confirmed them all.

    `value_of(entity_id)` is the entity's next state; by default the bench's `Values`.
    """
    hass, module, meter, values = bench.hass, bench.module, bench.meter, bench.values
    next_value = value_of or (lambda _entity_id: values.next())
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
                hass.states.async_set(entity_id, next_value(entity_id))
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
