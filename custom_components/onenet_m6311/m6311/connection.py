"""The module link: one command in flight, answers matched, unsolicited lines dispatched.

A `ModuleConnection` opens the port with serialx (device paths, socket:// and esphome:// URLs)
and runs one read loop that decodes every byte the module prints. Final results and
information lines go to the command in flight, whose listener is registered before its bytes
are written, so an answer that arrives at once cannot be missed. Unsolicited lines (cloud
commands, acknowledgements, boot lines) go to subscribers, also when they arrive in the middle
of an answer. When the port goes away the pending command fails with `M6311ConnectionError`
and subscribers are told once with `ConnectionLost`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Self

import serialx

from . import commands
from .errors import M6311CommandError, M6311ConnectionError, M6311TimeoutError, error_for_code
from .models import ConnectionLost, ModuleEvent
from .redaction import SECRETS, install_log_filter
from .responses import Final, Info, LineDecoder, Response

if TYPE_CHECKING:
    from types import TracebackType

    from .commands import Command

_LOGGER = logging.getLogger(__name__)

DEFAULT_BAUDRATE = 115200
OPEN_TIMEOUT = 10.0
"""Opening a local port is instant; socket:// and esphome:// URLs cross a network."""
RESYNC_TIMEOUT = 2.0
"""How long the `AT` sent after a timed-out command may take (see `_resync`)."""
RESYNC_SETTLE = 0.2
"""How long to let a second final result arrive after that `AT` (see `_resync`)."""
READ_SIZE = 4096

type EventCallback = Callable[[ModuleEvent], None]
type StreamOpener = Callable[..., Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


@dataclass(slots=True)
class _Pending:
    """The command in flight: what it was, the lines gathered so far, and its outcome."""

    command: Command
    future: asyncio.Future[Response]
    lines: list[str] = field(default_factory=list)

    def is_echo(self, text: str) -> bool:
        """Whether a line is the module echoing this command back (echo on)."""
        return text.strip() == self.command.line

    def is_answer(self, text: str) -> bool:
        """Whether a line is a dialect's answer that ends this command (no OK follows)."""
        folded = text.casefold()
        return any(folded.startswith(prefix.casefold()) for prefix in self.command.answer_prefixes)


class ModuleConnection:
    """A serial link to one module: open, close, subscribe, execute."""

    def __init__(
        self,
        url: str,
        *,
        baudrate: int = DEFAULT_BAUDRATE,
        open_connection: StreamOpener = serialx.open_serial_connection,
    ) -> None:
        """Describe the module's port; nothing is opened before `connect`."""
        self.url = url
        self.baudrate = baudrate
        self._open_connection = open_connection
        self._writer: asyncio.StreamWriter | None = None
        self._read_task: asyncio.Task[None] | None = None
        self._decoder = LineDecoder()
        self._lock = asyncio.Lock()
        self._pending: _Pending | None = None
        self._subscribers: list[EventCallback] = []
        self._needs_resync = False
        self._lost_reason: str | None = None

    @property
    def connected(self) -> bool:
        """Whether the port is open and being read."""
        return self._read_task is not None and not self._read_task.done()

    async def connect(self) -> None:
        """Open the port and start reading it."""
        if self.connected:
            return
        install_log_filter()
        try:
            async with asyncio.timeout(OPEN_TIMEOUT):
                reader, writer = await self._open_connection(url=self.url, baudrate=self.baudrate)
        except (OSError, TimeoutError, serialx.SerialException) as err:
            msg = f"cannot open {self.url}: {err.__class__.__name__}: {err}"
            raise M6311ConnectionError(msg) from err
        self._writer = writer
        self._decoder = LineDecoder()
        self._lost_reason = None
        self._needs_resync = False
        self._read_task = asyncio.get_running_loop().create_task(
            self._read_loop(reader), name=f"m6311 reader {self.url}"
        )

    async def close(self) -> None:
        """Close the port; safe to call at any time, any number of times."""
        task, self._read_task = self._read_task, None
        writer, self._writer = self._writer, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, serialx.SerialException):
                await writer.wait_closed()
        self._fail_pending(M6311ConnectionError("the connection was closed"))

    async def __aenter__(self) -> Self:
        """Connect for the duration of an `async with` block."""
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close at the end of an `async with` block."""
        await self.close()

    def subscribe(self, callback: EventCallback) -> Callable[[], None]:
        """Call `callback` with every unsolicited event; returns the call that unsubscribes."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(callback)

        return unsubscribe

    async def execute(self, command: Command) -> Response:
        """Send one command and return its answer; module errors raise their exception."""
        async with self._lock:
            if self._needs_resync:
                await self._resync()
            return await self._exchange(command)

    # -- reading ---------------------------------------------------------------------------

    async def _read_loop(self, reader: asyncio.StreamReader) -> None:
        reason = "the port closed"
        try:
            while data := await reader.read(READ_SIZE):
                for item in self._decoder.feed(data):
                    self._dispatch(item)
        except (OSError, serialx.SerialException) as err:
            reason = f"the port failed: {err}"
        self._connection_lost(reason)

    def _dispatch(self, item: Final | Info | ModuleEvent) -> None:
        if isinstance(item, Final):
            self._on_final(item)
        elif isinstance(item, Info):
            self._on_info(item.text)
        else:
            self._notify(item)

    def _on_final(self, final: Final) -> None:
        pending = self._pending
        if pending is None or pending.future.done():
            # Length only: a stray answer may hold a key (`+OK=<device key>`).
            _LOGGER.debug(
                "Ignoring a final result with no command waiting (%d chars)", len(final.raw)
            )
            return
        if final.ok:
            pending.future.set_result(Response(lines=tuple(pending.lines), value=final.value))
        else:
            pending.future.set_exception(error_for_code(pending.command.name, final.code))

    def _on_info(self, text: str) -> None:
        pending = self._pending
        if pending is None or pending.future.done():
            _LOGGER.debug("Ignoring a line with no command waiting (%d chars)", len(text))
            return
        if pending.is_echo(text):
            return
        pending.lines.append(text)
        if pending.is_answer(text):
            pending.future.set_result(Response(lines=tuple(pending.lines), value=None))

    def _notify(self, event: ModuleEvent) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:
                # A subscriber's bug must not stop the read loop, or every command would hang.
                _LOGGER.exception("A subscriber failed on %s", type(event).__name__)

    def _connection_lost(self, reason: str) -> None:
        if self._lost_reason is not None:
            return
        self._lost_reason = reason
        _LOGGER.debug("Connection to %s lost: %s", self.url, reason)
        self._fail_pending(M6311ConnectionError(f"connection to the module lost: {reason}"))
        self._notify(ConnectionLost(reason))

    def _fail_pending(self, error: M6311ConnectionError) -> None:
        if self._pending is not None and not self._pending.future.done():
            self._pending.future.set_exception(error)

    # -- writing ---------------------------------------------------------------------------

    async def _exchange(self, command: Command) -> Response:
        writer = self._writer
        if writer is None or not self.connected:
            msg = f"{command.name}: not connected to the module"
            raise M6311ConnectionError(msg)
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        # The listener exists before the first byte leaves: a fast answer cannot be missed.
        self._pending = _Pending(command, future)
        try:
            _LOGGER.debug("Sending %s", command.redacted_line)
            # serialx logs the bytes, the echo and the answer: keep the secrets out of them.
            with SECRETS.scoped(command.secrets):
                await self._write(writer, command)
                return await self._answer(command, future)
        finally:
            self._pending = None
            if not future.done():
                future.cancel()

    async def _answer(self, command: Command, future: asyncio.Future[Response]) -> Response:
        try:
            async with asyncio.timeout(command.timeout):
                return await future
        except TimeoutError:
            self._needs_resync = True
            msg = f"{command.name}: no answer from the module within {command.timeout:g} s"
            raise M6311TimeoutError(msg) from None

    @staticmethod
    async def _write(writer: asyncio.StreamWriter, command: Command) -> None:
        try:
            writer.write(command.encode())
            await writer.drain()
        except (OSError, serialx.SerialException) as err:
            msg = f"{command.name}: writing to the module failed: {err}"
            raise M6311ConnectionError(msg) from err

    async def _resync(self) -> None:
        """Absorb a late answer to a timed-out command before the next command is sent.

        Without echo nothing ties an answer to its command: a late `+OK` would be read as the
        next command's answer. A plain `AT` takes the first final result that comes (the late
        one, or its own); a short quiet time after it lets a second one arrive while no command
        waits, so it is ignored instead of being read as the next command's answer.
        """
        probe = dataclasses.replace(commands.at(), timeout=RESYNC_TIMEOUT)
        with contextlib.suppress(M6311CommandError):  # any final result will do
            await self._exchange(probe)
        await asyncio.sleep(RESYNC_SETTLE)
        self._needs_resync = False
