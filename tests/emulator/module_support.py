"""Helpers for the module emulator's tests: a serial client on the real pty, a scripted EDP peer.

Sockets: the Home Assistant test harness installs pytest-socket and, before every test, calls
`socket_allow_hosts(["127.0.0.1"])` then `disable_socket(allow_unix_socket=True)`. The second
refuses to create any TCP socket at all (even a listener on 127.0.0.1); the `socket_enabled`
fixture lifts that for one test, while the first still limits connections to 127.0.0.1. So a
test that uses TCP requests `socket_enabled` (test modules do it with
`pytestmark = pytest.mark.usefixtures("socket_enabled")`), and every address here is
127.0.0.1 (the name `localhost` may resolve to ::1, which is not allowed).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import serialx

from emulator.edp import ConnReq, ConnResp, Decoder, Message, encode
from emulator.module import ModuleEmulator

TIMEOUT = 5.0
"""Longest wait for any expected byte; a failing test fails, it does not hang."""


@dataclass
class SerialClient:
    """The MCU's side of the line: writes commands, reads exact bytes."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    @classmethod
    async def open(cls, url: str, baudrate: int = 115200) -> SerialClient:
        """Open a pty path or a `socket://` URL with serialx, as the integration does."""
        reader, writer = await serialx.open_serial_connection(url=url, baudrate=baudrate)
        return cls(reader, writer)

    def send(self, line: str | bytes, end: bytes = b"\r\n") -> None:
        """Write one command line."""
        self.writer.write((line.encode() if isinstance(line, str) else line) + end)

    async def read(self, count: int) -> bytes:
        """Exactly `count` bytes."""
        async with asyncio.timeout(TIMEOUT):
            return await self.reader.readexactly(count)

    async def expect(self, expected: bytes) -> None:
        """The next bytes on the line are exactly `expected`."""
        assert await self.read(len(expected)) == expected

    async def until(self, marker: bytes) -> bytes:
        """Everything up to and including `marker`."""
        async with asyncio.timeout(TIMEOUT):
            return await self.reader.readuntil(marker)

    async def ask(self, line: str, answer: bytes) -> None:
        """Send a command (echo off) and check its whole answer byte for byte."""
        self.send(line)
        await self.expect(answer)

    async def close(self) -> None:
        """Close the port."""
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


def framed(*lines: str | bytes) -> bytes:
    """Lines as the documented dialect frames them: CR LF before and after each."""
    return b"".join(
        b"\r\n" + (line.encode() if isinstance(line, str) else line) + b"\r\n" for line in lines
    )


type Script = Callable[["EdpPeer", Message], list[Message] | None]
"""What the peer answers to a message; None closes the connection."""


@dataclass
class EdpPeer:
    """A scripted EDP platform on 127.0.0.1 for failures the real platform emulator won't make.

    Plaintext only. By default it accepts every login and answers nothing else.
    """

    script: Script | None = None
    received: list[Message] = field(default_factory=list)
    message_seen: asyncio.Event = field(default_factory=asyncio.Event)
    disconnected: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when a device's connection ends (whichever side closed it)."""
    port: int = 0
    _server: asyncio.Server | None = None
    _writers: list[asyncio.StreamWriter] = field(default_factory=list)

    async def start(self) -> int:
        """Listen on a free port."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Close every connection and stop listening."""
        for writer in self._writers:
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def wait_for(self, kind: type[Message]) -> Message:
        """The first received message of a type, waiting for it if needed."""
        async with asyncio.timeout(TIMEOUT):
            while True:
                for message in self.received:
                    if isinstance(message, kind):
                        return message
                self.message_seen.clear()
                await self.message_seen.wait()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        decoder = Decoder()
        try:
            while data := await reader.read(4096):
                for message in decoder.feed(data):
                    self.received.append(message)
                    self.message_seen.set()
                    answers = self._answer(message)
                    if answers is None:
                        writer.close()
                        return
                    writer.write(b"".join(encode(answer) for answer in answers))
        except OSError:
            return
        finally:
            writer.close()
            self.disconnected.set()

    def _answer(self, message: Message) -> list[Message] | None:
        if self.script is not None:
            return self.script(self, message)
        return [ConnResp(0)] if isinstance(message, ConnReq) else []


@contextlib.asynccontextmanager
async def running(**kwargs: Any) -> AsyncIterator[ModuleEmulator]:
    """A started module emulator (stopped on exit), its boot line already on the line."""
    module = ModuleEmulator(**kwargs)
    await module.start()
    try:
        await module.drained()  # `RDY` is out before a client opens (serialx flushes on open)
        yield module
    finally:
        await module.stop()


@contextlib.asynccontextmanager
async def attached(module: ModuleEmulator, *, echo: bool = False) -> AsyncIterator[SerialClient]:
    """A serial client on the module's pty; echo turned off unless asked for."""
    client = await SerialClient.open(module.serial_path)
    try:
        if not echo:
            await client.ask("ATE0", b"ATE0\r\n" + framed("OK"))
        yield client
    finally:
        await client.close()
