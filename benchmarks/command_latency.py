"""Part 6 of the benchmark: from a cloud command on the serial line to Home Assistant's bus.

The emulated module prints each command as a platform command makes it print one
(`+IOTCMD=<length>,<payload>`, through its output paced at the baud rate), and the time runs
until the integration fires `onenet_m6311_command`. Beside it, in the same loop and in turn
with it, the same bytes go through a bare pseudo-terminal: the emulator's own paced output and
pty on one end, a serialx stream reader (what the integration reads the port with) on the
other, timed until the reader has them all. The difference is the integration's own work.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Self

import serialx
from homeassistant.core import Event, HomeAssistant, callback

from custom_components.onenet_m6311.const import EVENT_COMMAND
from emulator.module.wire import Garbler, OutputPump, PtyPort

from .forwarding import BAUDRATE, percentile, require, wire_seconds

if TYPE_CHECKING:
    from collections.abc import Sequence

    from emulator.module import ModuleEmulator

ARRIVAL_TIMEOUT = 5.0
"""Seconds a command may take to arrive before the run stops as invalid."""


def command_body(sequence: int) -> bytes:
    """A command's payload, JSON as a platform application would send; numbered to match."""
    payload = {"mode": "away", "heating": 18.5, "sequence": sequence}
    return json.dumps(payload, separators=(",", ":")).encode()


class BarePty:
    """The module's paced output into a pty, read on the other end with serialx."""

    def __init__(self) -> None:
        """Nothing is open before `async with`."""
        self._pty = PtyPort(lambda _data: None, link_path=None)  # nothing is written back
        self._output = OutputPump(BAUDRATE, lambda: [self._pty.write], Garbler())
        self._reader: asyncio.StreamReader | None = None
        self._writer: serialx.SerialStreamWriter[serialx.BaseSerialTransport] | None = None

    async def __aenter__(self) -> Self:
        """Open the pty, start the paced output, open the slave as the integration would."""
        path = self._pty.open()
        self._output.start()
        self._reader, self._writer = await serialx.open_serial_connection(
            url=path, baudrate=BAUDRATE
        )
        return self

    async def __aexit__(self, *_exc: object) -> None:
        """Close the reader, the output and the pty."""
        if self._writer is not None:
            self._writer.close()
            await self._writer.wait_closed()
        await self._output.stop()
        self._pty.close()

    async def round_trip(self, frame: bytes) -> float:
        """Seconds from handing `frame` to the paced output until the reader has all of it."""
        if self._reader is None:
            msg = "BarePty is used outside its `async with`"
            raise RuntimeError(msg)
        loop = asyncio.get_running_loop()
        received = bytearray()
        started = loop.time()
        self._output.write(frame)
        async with asyncio.timeout(ARRIVAL_TIMEOUT):
            while len(received) < len(frame):
                received += await self._reader.read(4096)
        ended = loop.time()
        require(received == frame, f"the bare pty delivered {bytes(received)!r}")
        return ended - started


class CommandEvents:
    """The `onenet_m6311_command` events, each with the loop time it was fired at."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Listen from now on (a callback listener runs inside `async_fire` itself)."""
        self._loop = asyncio.get_running_loop()
        self._arrivals: asyncio.Queue[tuple[float, str]] = asyncio.Queue()
        self.stop = hass.bus.async_listen(EVENT_COMMAND, self._on_command)

    @callback
    def _on_command(self, event: Event) -> None:
        self._arrivals.put_nowait((self._loop.time(), event.data["payload"]))

    async def next(self) -> tuple[float, str]:
        """The next event's time and payload."""
        async with asyncio.timeout(ARRIVAL_TIMEOUT):
            return await self._arrivals.get()


@dataclass(frozen=True, slots=True)
class CommandLatency:
    """Seconds per command, through the integration and through the bare pty, in turn."""

    integration: list[float]
    bare: list[float]
    frame: int
    """Bytes of one command as printed (line ends included)."""
    gap: float
    """Seconds between one command's arrival and the next one."""


async def measure_command_latency(
    hass: HomeAssistant, module: ModuleEmulator, count: int, gap: float
) -> CommandLatency:
    """`count` commands printed by the module, each beside the same bytes on a bare pty."""
    loop = asyncio.get_running_loop()
    phrases = module.firmware.phrases
    events = CommandEvents(hass)
    integration, bare = [], []
    try:
        async with BarePty() as pty:
            for sequence in range(count):
                body = command_body(sequence)
                lines = phrases.command(body)
                bare.append(await pty.round_trip(phrases.frame(lines)))
                await asyncio.sleep(gap)
                started = loop.time()
                module.firmware.unsolicited(lines)  # what a CMDREQ from the platform does
                arrived, payload = await events.next()
                require(payload == body.decode(), f"command {sequence} arrived as {payload!r}")
                integration.append(arrived - started)
                await asyncio.sleep(gap)
    finally:
        events.stop()
    return CommandLatency(
        integration=integration,
        bare=bare,
        frame=len(phrases.frame(phrases.command(command_body(count - 1)))),
        gap=gap,
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _row(name: str, samples: Sequence[float]) -> str:
    return (
        f"| {name} | {len(samples)} | {_ms(percentile(samples, 50))} | "
        f"{_ms(percentile(samples, 99))} | {_ms(max(samples))} |"
    )


def command_latency_section(figures: CommandLatency) -> list[str]:
    """The Markdown of part 6."""
    return [
        "## 6. Latency of a cloud command to Home Assistant's bus",
        "",
        (
            f"{len(figures.integration)} commands, one at a time, {figures.gap * 1000:.0f} ms "
            "apart. *Through the integration*: from the moment the emulated module prints the "
            "command (`+IOTCMD=<length>,<JSON payload>`, as it does for a platform command, "
            f"{figures.frame} bytes with its line ends, through its output paced at {BAUDRATE} "
            "baud) to the `onenet_m6311_command` event on Home Assistant's bus (a callback "
            "listener, run by the firing itself); the event's payload is checked against the "
            "command's. *Bare pty*: the same bytes through the emulator's same paced output "
            "into a pseudo-terminal of its own, timed until a serialx stream reader on the "
            "other end (`serialx.open_serial_connection`, the asyncio stack the integration "
            "reads the port with) has all of them. The two alternate, one of each per command, "
            f"in the same event loop. Both include the line's wire time, "
            f"{wire_seconds(figures.frame) * 1000:.1f} ms: the difference is the integration's "
            "own work (reading, the line decoder, the command's JSON, the device lookup, the "
            "event)."
        ),
        "",
        "| path | commands | p50 (ms) | p99 (ms) | max (ms) |",
        "|---|---|---|---|---|",
        _row("through the integration, to the bus event", figures.integration),
        _row("bare pty, same bytes, to the reader", figures.bare),
        "",
        (
            "The integration's own share, p50 through it minus p50 bare: "
            f"{_ms(percentile(figures.integration, 50) - percentile(figures.bare, 50))} ms."
        ),
        "",
    ]
