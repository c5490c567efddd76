"""Plays the module's side of a serial trace on a pseudo-terminal: a user's bug report as a test.

The integration's diagnostics carry the last lines of the serial line (the library's
`SerialTrace`: `+<seconds> > <sent>` and `+<seconds> < <printed>`, every byte escaped).
`ReplayModule` reads such a trace and behaves as the module did: what it printed before the
first command is printed when the first command comes (before its answer: a pty loses what is
printed before a client opens it), and each time the client sends the trace's next
command, what the module printed after it is printed again, at the same delays, one command
at a time as a module answers. A line the client sends that is not the trace's next command
(`**REDACTED**` stands for any text, a clipped `...` for any end) is recorded in `mismatches`
and gets no answer.

    python -m emulator.replay TRACE [--link PATH]

TRACE is a text file of trace lines, or a Home Assistant diagnostics download (its
`serial_trace` list is found wherever it is). The command prints the pseudo-terminal's path,
plays until the trace is over or Ctrl-C, and exits 1 when the client sent something else.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Self

from .module.wire import PtyPort

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

REDACTED = "**REDACTED**"
_ENTRY = re.compile(r"\+([0-9]+\.[0-9]+) ([<>]) (.*)")
_HIDDEN = re.compile(r"<([0-9]+) bytes hidden>")


@dataclass(frozen=True, slots=True)
class TraceEntry:
    """One line of a trace (the format is the integration's, docs/protocol.md describes it)."""

    at: float
    direction: Literal[">", "<"]
    text: str

    @property
    def data(self) -> bytes:
        """The escaped bytes themselves; a hidden part stands as that many `*`."""
        text = _HIDDEN.sub(lambda match: "*" * int(match[1]), self.text)
        return text.encode("ascii").decode("unicode_escape").encode("latin-1")


def parse(lines: Iterable[str]) -> list[TraceEntry]:
    """Trace lines into entries; other lines (comments, blanks) are skipped.

    The emulator reads the format by itself rather than through the integration's library:
    it stands for the module, and knows nothing of the integration.
    """
    entries = []
    for line in lines:
        if match := _ENTRY.fullmatch(line.rstrip("\n")):
            direction: Literal[">", "<"] = ">" if match[2] == ">" else "<"
            entries.append(TraceEntry(float(match[1]), direction, match[3]))
    return entries


@dataclass(frozen=True, slots=True)
class Exchange:
    """A command of the trace and what the module printed after it, with delays."""

    sent: TraceEntry | None
    """None for what was printed before the first command."""
    printed: tuple[tuple[float, bytes], ...]
    """(seconds after the previous piece, bytes), the first piece timed from the command."""

    def matches(self, line: str) -> bool:
        """Whether the client's `line` (without its line end) is this exchange's command."""
        if self.sent is None:
            return False
        expected = self.sent.data.decode("latin-1").removesuffix("\r\n")
        pattern = ".*".join(re.escape(part) for part in expected.split(REDACTED))
        if pattern.endswith(re.escape("...")):
            pattern = pattern.removesuffix(re.escape("...")) + ".*"
        return re.fullmatch(pattern, line, re.DOTALL) is not None


def exchanges(entries: Sequence[TraceEntry]) -> list[Exchange]:
    """The trace cut into exchanges: each sent line with what was printed until the next."""
    result: list[Exchange] = []
    sent: TraceEntry | None = None
    printed: list[tuple[float, bytes]] = []
    last = 0.0
    for entry in entries:
        if entry.direction == ">":
            if sent is not None or printed:
                result.append(Exchange(sent, tuple(printed)))
            sent, printed, last = entry, [], entry.at
        else:
            printed.append((max(0.0, entry.at - last), entry.data))
            last = entry.at
    if sent is not None or printed:
        result.append(Exchange(sent, tuple(printed)))
    return result


def read_trace(path: Path) -> list[TraceEntry]:
    """Trace lines from a text file, or from a diagnostics JSON file's `serial_trace`."""
    text = path.read_text(encoding="utf-8")
    try:
        document = json.loads(text)
    except ValueError:
        return parse(text.splitlines())
    lines = _find_trace(document)
    if lines is None:
        msg = f"{path}: no serial_trace in this JSON file"
        raise ValueError(msg)
    return parse(lines)


def _find_trace(document: object) -> list[str] | None:
    if isinstance(document, dict):
        if isinstance(trace := document.get("serial_trace"), list):
            return [str(line) for line in trace]
        document = list(document.values())
    if isinstance(document, list):
        for item in document:
            if (found := _find_trace(item)) is not None:
                return found
    return None


@dataclass
class ReplayModule:
    """The module's side of a trace, on a pty; an async context manager."""

    entries: Sequence[TraceEntry]
    link_path: Path | None = None
    mismatches: list[str] = field(default_factory=list)
    """Lines the client sent that were not the trace's next command."""
    received: list[str] = field(default_factory=list)
    _script: list[Exchange] = field(default_factory=list)
    _port: PtyPort | None = None
    _buffer: bytes = b""
    _queue: asyncio.Queue[tuple[float, bytes] | None] = field(default_factory=asyncio.Queue)
    _printer: asyncio.Task[None] | None = None
    _done: asyncio.Event = field(default_factory=asyncio.Event)
    _before_first: Exchange | None = None

    @property
    def path(self) -> str:
        """The pseudo-terminal clients open."""
        if self._port is None or self._port.path is None:
            msg = "the replay is not started"
            raise RuntimeError(msg)
        return str(self.link_path or self._port.path)

    async def __aenter__(self) -> Self:
        """Open the pty and print what came before the first command."""
        self._script = exchanges(self.entries)
        self._port = PtyPort(self._on_data, self.link_path)
        self._port.open()
        self._printer = asyncio.get_running_loop().create_task(self._print())
        if self._script and self._script[0].sent is None:
            self._before_first = self._script.pop(0)
        self._maybe_done()
        return self

    async def __aexit__(self, *_: object) -> None:
        """Stop printing and close the pty."""
        if self._printer is not None:
            self._printer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._printer
        if self._port is not None:
            self._port.close()

    async def finished(self) -> None:
        """Wait until every command of the trace came and its answer was printed and read.

        The client gets up to a second to read the last answer: closing the pty drops it.
        """
        await self._done.wait()
        await self._queue.join()
        if self._port is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self._port.read_by_client()

    def _on_data(self, data: bytes) -> None:
        self._buffer += data
        while b"\r" in self._buffer:
            raw, _, rest = self._buffer.partition(b"\r")
            self._buffer = rest.removeprefix(b"\n")
            self._command(raw.decode("latin-1"))

    def _command(self, line: str) -> None:
        self.received.append(line)
        if self._before_first is not None:  # kept until someone listens: a pty drops it else
            self._play(self._before_first)
            self._before_first = None
        if self._script and self._script[0].matches(line):
            self._play(self._script.pop(0))
        else:
            self.mismatches.append(line)
        self._maybe_done()

    def _play(self, exchange: Exchange) -> None:
        for piece in exchange.printed:
            self._queue.put_nowait(piece)

    def _maybe_done(self) -> None:
        if not self._script:
            self._done.set()

    async def _print(self) -> None:
        port = self._port
        while True:
            item = await self._queue.get()
            if item is not None and port is not None:
                seconds, data = item
                if seconds:
                    await asyncio.sleep(seconds)
                await port.write(data)
            self._queue.task_done()


async def run(argv: Sequence[str]) -> int:
    """The command line: play a trace until it is over or Ctrl-C; 1 on a mismatch."""
    parser = argparse.ArgumentParser(prog="python -m emulator.replay", description=__doc__)
    parser.add_argument("trace", type=Path, help="trace lines, or a diagnostics JSON file")
    parser.add_argument("--link", type=Path, help="a stable symlink to the pty")
    args = parser.parse_args(argv)
    entries = read_trace(args.trace)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with ReplayModule(entries, link_path=args.link) as replay:
        sys.stdout.write(f"{replay.path}\n")
        sys.stdout.flush()
        waiting = [asyncio.create_task(replay.finished()), asyncio.create_task(stop.wait())]
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        for task in waiting:
            task.cancel()
    for line in replay.mismatches:
        sys.stderr.write(f"not in the trace: {line!r}\n")
    return 1 if replay.mismatches else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m emulator.replay`."""
    return asyncio.run(run(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
