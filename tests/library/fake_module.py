"""A scripted fake module on a real pseudo-terminal, for the client's tests.

The client opens the pty's slave path with serialx exactly as it opens a USB adapter; the fake
holds the master side. Each command line the client writes is looked up in a script of replies
(bytes written back verbatim, so tests control every byte: echo, CR-only line ends, unsolicited
lines inside an answer, silence). Unlike the module emulator this knows no protocol: it is the
tool for exact byte-level situations.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tty
from collections.abc import Callable
from dataclasses import dataclass, field

type Reply = bytes | Callable[[str], bytes]


@dataclass
class FakeModule:
    """A pty pair; `replies` maps a command line (without line end) to what the module prints."""

    replies: dict[str, Reply] = field(default_factory=dict)
    fallback: Reply | None = None
    """The reply to a line missing from `replies` (None: silence)."""
    echo: bool = False
    received: list[str] = field(default_factory=list)
    _master: int = -1
    _slave: int = -1
    _buffer: bytes = b""
    _line_seen: asyncio.Event = field(default_factory=asyncio.Event)

    def open(self) -> str:
        """Create the pty pair and start answering; returns the path clients open."""
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        asyncio.get_running_loop().add_reader(self._master, self._on_readable)
        return os.ttyname(self._slave)

    def close(self) -> None:
        """Unplug: close both sides; a client reading the slave sees the port vanish."""
        if self._master >= 0:
            asyncio.get_running_loop().remove_reader(self._master)
            os.close(self._master)
            self._master = -1
        if self._slave >= 0:
            os.close(self._slave)
            self._slave = -1

    def write(self, data: bytes) -> None:
        """Print bytes on the line, unasked (unsolicited lines, boot lines)."""
        os.write(self._master, data)

    async def wait_for_line(self, count: int = 1) -> None:
        """Wait until `count` command lines in all have been received."""
        while len(self.received) < count:
            self._line_seen.clear()
            await self._line_seen.wait()

    def _on_readable(self) -> None:
        with contextlib.suppress(BlockingIOError):
            self._buffer += os.read(self._master, 4096)
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
        self.write(reply(line) if callable(reply) else reply)
