"""A scripted fake module on a real pseudo-terminal, for the client's tests.

The client opens the pty's slave path with serialx exactly as it opens a USB adapter; the fake
holds the master side. Each command line the client writes is looked up in a script of replies
(bytes written back verbatim, so tests control every byte: echo, CR-only line ends, unsolicited
lines inside an answer, silence). Unlike the module emulator this knows no protocol: it is the
tool for exact byte-level situations.

Like a real module it answers one command at a time, in order: a reply may take its time
(`Timed`), and the next command's reply comes only after it, however soon that command was
written. That is what makes a late answer arrive before the next command's, as on the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tty
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Timed:
    """A reply printed in pieces: each `(seconds, bytes)` after the previous piece."""

    pieces: tuple[tuple[float, bytes], ...]

    @classmethod
    def after(cls, seconds: float, data: bytes) -> Timed:
        """One piece, `seconds` after the command arrived (and the previous reply ended)."""
        return cls(((seconds, data),))


type Reply = bytes | Callable[[str], bytes] | Timed


@dataclass
class FakeModule:
    """A pty pair; `replies` maps a command line (without line end) to what the module prints."""

    replies: dict[str, Reply] = field(default_factory=dict)
    fallback: Reply | None = None
    """The reply to a line missing from `replies` (None: silence)."""
    echo: bool = False
    received: list[str] = field(default_factory=list)
    bytes_read: int = 0
    """Every byte the client wrote, as the module's side of the line read it."""
    bytes_written: int = 0
    """Every byte printed on the line for the client."""
    _master: int = -1
    _slave: int = -1
    _buffer: bytes = b""
    _line_seen: asyncio.Event = field(default_factory=asyncio.Event)
    _queue: asyncio.Queue[tuple[float, bytes]] = field(default_factory=asyncio.Queue)
    _worker: asyncio.Task[None] | None = None

    def open(self) -> str:
        """Create the pty pair and start answering; returns the path clients open."""
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        loop = asyncio.get_running_loop()
        loop.add_reader(self._master, self._on_readable)
        self._worker = loop.create_task(self._print_replies())
        return os.ttyname(self._slave)

    def close(self) -> None:
        """Unplug: close both sides; a client reading the slave sees the port vanish."""
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None
        if self._master >= 0:
            asyncio.get_running_loop().remove_reader(self._master)
            os.close(self._master)
            self._master = -1
        if self._slave >= 0:
            os.close(self._slave)
            self._slave = -1

    def write(self, data: bytes) -> None:
        """Print bytes on the line, unasked (unsolicited lines, boot lines)."""
        if self._master >= 0:
            self.bytes_written += os.write(self._master, data)

    async def wait_for_line(self, count: int = 1) -> None:
        """Wait until `count` command lines in all have been received."""
        while len(self.received) < count:
            self._line_seen.clear()
            await self._line_seen.wait()

    async def replied(self) -> None:
        """Wait until every reply asked for so far has been printed."""
        await self._queue.join()

    def _on_readable(self) -> None:
        with contextlib.suppress(BlockingIOError):
            data = os.read(self._master, 4096)
            self.bytes_read += len(data)
            self._buffer += data
        while b"\r" in self._buffer:
            raw, _, rest = self._buffer.partition(b"\r")
            self._buffer = rest.removeprefix(b"\n")
            self._answer(raw.decode())

    def _answer(self, line: str) -> None:
        self.received.append(line)
        self._line_seen.set()
        if self.echo:
            self.write(line.encode() + b"\r\r\n")
        reply = self.replies.get(line, self.fallback)
        if reply is None:
            return  # silence: the client's timeout is under test
        if isinstance(reply, Timed):
            for piece in reply.pieces:
                self._queue.put_nowait(piece)
        else:
            self._queue.put_nowait((0.0, reply(line) if callable(reply) else reply))

    async def _print_replies(self) -> None:
        """One reply after the other, each piece after its delay: a module's one-at-a-time."""
        while True:
            seconds, data = await self._queue.get()
            if seconds:
                await asyncio.sleep(seconds)
            self.write(data)
            self._queue.task_done()
