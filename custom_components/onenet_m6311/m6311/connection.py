"""The module link: one command in flight, answers matched exactly, unsolicited lines dispatched.

A `ModuleConnection` opens the port with serialx (device paths, socket:// and esphome:// URLs)
and runs one read loop that decodes every byte the module prints. Final results and
information lines go to the command in flight, whose listener is registered before its bytes
are written, so an answer that arrives at once cannot be missed. Unsolicited lines (cloud
commands, acknowledgements, boot lines) go to subscribers, also when they arrive in the middle
of an answer. When the port goes away the pending command fails with `M6311ConnectionError`
and subscribers are told once with `ConnectionLost`.

Which answer is whose. Nothing on the line names the command an answer belongs to, so:

- A command that ends without its final result (a timeout, or the caller's cancellation) may
  still be answered later. The line is then out of step, and before the next command the
  connection sends a probe whose answer is unlike any other (`AT+CSQ`, whose `+CSQ:` line no
  other command prints; `AT+CGSN`, whose IMEI, when the command out of step was `AT+CSQ`).
  The module answers in order, so every late line comes before the probe's: lines are ignored
  until the probe's own line, its final result ends the probe, and the line must then stay
  quiet for `RESYNC_QUIET`. Otherwise another probe follows (`RESYNC_ATTEMPTS` in all).
- Dialects answer some commands with an information line (`+CIOTPING: OK`,
  `+CIOTSTATUS: 1`); some print a final result after it, some do not. The line answers the
  command, and a final result within `ANSWER_LINGER` after it is part of the same answer; when
  none came by then, one may still come, so the line counts as out of step (a probe first).
- A final result without its line end counts once the line is quiet long enough (see
  `responses.LineDecoder.quiet_needed`), and a cloud command's payload is read by its declared
  length (see `responses.LineDecoder`).
- Network reports (`+CREG: 1`, `+CTZV: ...`, `Call Ready`) come whenever the network changes,
  also between an answer's lines: they are events, never part of an answer, unless the
  command in flight is their query (`Command.claims`). `CONNECT OK` / `CONNECT FAIL` answer
  a command that reports its login (`Command.reports_login`) and are events otherwise.

What watches the link without taking part in it (the meters and the serial trace of
`meters.py` and `trace.py`) hears of each command written, each chunk read and each command the
module carried out (`watch`); the connection itself keeps none of that.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Self

import serialx

from . import commands
from .errors import (
    DeviceConnectError,
    M6311CommandError,
    M6311ConnectionError,
    M6311TimeoutError,
    Reason,
    error_for_code,
)
from .listeners import Listeners
from .models import Connected, ConnectFailed, ConnectionLost, ModuleEvent, NetworkReport
from .redaction import SECRETS
from .responses import IMEI_LINE, SIGNAL_ANSWER, Final, Info, LineDecoder, Response

if TYPE_CHECKING:
    from types import TracebackType

    from .commands import Command

_LOGGER = logging.getLogger(__name__)

DEFAULT_BAUDRATE = 115200
OPEN_TIMEOUT = 10.0
"""Opening a local port is instant; socket:// and esphome:// URLs cross a network."""
RESYNC_TIMEOUT = 2.0
"""How long a resynchronising probe may take (see the module docstring)."""
RESYNC_QUIET = 0.2
"""How long the line must stay quiet after a probe's answer for the line to be in step."""
RESYNC_ATTEMPTS = 3
"""Probes tried before a command fails because the module is not in step."""
ANSWER_LINGER = 0.3
"""After a dialect's information answer, how long a final result may still belong to it."""
READ_SIZE = 4096

type EventCallback = Callable[[ModuleEvent], None]
type Opened = tuple[asyncio.StreamReader, asyncio.StreamWriter]
type StreamOpener = Callable[..., Awaitable[Opened]]


class Connectable(abc.ABC):
    """Connected for the duration of an `async with` block."""

    @abc.abstractmethod
    async def connect(self) -> None:
        """Open the port and start reading it."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Close the port; safe to call at any time, any number of times."""

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


class LinkWatcher:
    """What watches the link's bytes without taking part (meters, the serial trace).

    Each method does nothing here: a watcher overrides what it watches.
    """

    def sent(self, command: Command, size: int) -> None:
        """`size` bytes of `command` were written (while its secrets are being hidden)."""

    def received(self, data: bytes, *, hidden: bool) -> None:
        """Bytes read; `hidden` when they may hold a secret nobody registered."""

    def carried_out(self, command: Command) -> None:
        """The module answered `command` with success: whatever it does, it has done."""


@dataclass(slots=True)
class _Pending:
    """The command in flight: what it was, the lines gathered so far, and its outcome."""

    command: Command
    future: asyncio.Future[Response]
    lines: list[str] = field(default_factory=list)
    marker: re.Pattern[str] | None = None
    """A probe's own line: finals before it are late answers of other commands."""
    marker_seen: bool = False
    linger: asyncio.TimerHandle | None = None
    """Set when a dialect's information line answered: ends the command unless a final
    result comes first."""

    def is_echo(self, text: str) -> bool:
        """Whether a line is the module echoing this command back (echo on)."""
        return text.strip() == self.command.line

    def is_answer(self, text: str) -> bool:
        """Whether a line is a dialect's answer to this command (maybe with no OK after it)."""
        folded = text.casefold()
        return any(folded.startswith(prefix.casefold()) for prefix in self.command.answer_prefixes)

    def finish(self) -> None:
        """End with the lines gathered (a dialect's information answer, no final after it)."""
        self.linger = None
        if not self.future.done():
            self.future.set_result(Response(lines=tuple(self.lines), value=None))

    def cancel_linger(self) -> None:
        """Forget the pending end (a final came, or the command is over)."""
        if self.linger is not None:
            self.linger.cancel()
            self.linger = None


@dataclass(frozen=True, slots=True)
class _Probe:
    """A command whose answer holds a line no other command prints."""

    command: Command
    marker: re.Pattern[str]


_PROBES = (
    _Probe(commands.signal(), re.compile(rf"\s*{re.escape(SIGNAL_ANSWER)} *:", re.IGNORECASE)),
    _Probe(commands.imei(), re.compile(rf"\s*(?:{IMEI_LINE.pattern})\s*\Z", re.IGNORECASE)),
)


class ModuleConnection(Connectable):
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
        self._subscribers: Listeners[[ModuleEvent]] = Listeners("a subscriber")
        self._out_of_step: str | None = None
        """The name of a command that ended without its final result, while the line is out
        of step because of it."""
        self._idle: asyncio.TimerHandle | None = None
        self._reads = 0
        """Chunks read so far: whether the line stayed quiet (`_stays_quiet`)."""
        self._sent: Listeners[[Command, int]] = Listeners("a link watcher")
        self._received: Listeners[[bytes]] = Listeners("a link watcher")
        self._carried_out: Listeners[[Command]] = Listeners("a link watcher")
        self._lost_reason: str | None = None
        self._abandoned_opens: set[asyncio.Future[Opened]] = set()
        """Opens given up on, kept until they end and are closed (`_open`)."""

    def watch(self, watcher: LinkWatcher) -> Callable[[], None]:
        """Tell `watcher` of the link's traffic from now on; returns the call that stops it.

        It is told from the read loop and for every write, so it should only take note.
        """
        removers = (
            self._sent.add(watcher.sent),
            self._received.add(
                lambda data: watcher.received(data, hidden=self._answer_is_hidden())
            ),
            self._carried_out.add(watcher.carried_out),
        )

        def stop() -> None:
            for remove in removers:
                remove()

        return stop

    @property
    def connected(self) -> bool:
        """Whether the port is open and being read."""
        return self._read_task is not None and not self._read_task.done()

    async def connect(self) -> None:
        """Open the port and start reading it."""
        if self.connected:
            return
        try:
            reader, writer = await self._open()
        except (OSError, TimeoutError, serialx.SerialException) as err:
            msg = f"cannot open {self.url}: {err.__class__.__name__}: {err}"
            raise M6311ConnectionError(msg) from err
        self._writer = writer
        self._decoder = LineDecoder()
        self._lost_reason = None
        self._out_of_step = None
        self._read_task = asyncio.get_running_loop().create_task(
            self._read_loop(reader), name=f"m6311 reader {self.url}"
        )

    async def _open(self) -> Opened:
        """Open the port within `OPEN_TIMEOUT`, never cancelling an open in flight.

        serialx opens a device in a worker thread. Cancelled there (a timeout, an unload),
        the open still finishes, and if it then fails (the port went away meanwhile) asyncio
        reports the error of an abandoned future, which a busy machine turns into a random
        failure. So the open runs as a task of its own that is waited for, not cancelled: one
        given up on is closed when it completes (`_discard_open`), and kept until then.

        Raises:
            TimeoutError: not open within `OPEN_TIMEOUT`.
        """
        opening: asyncio.Future[Opened] = asyncio.ensure_future(
            self._open_connection(url=self.url, baudrate=self.baudrate)
        )
        try:
            done, _ = await asyncio.wait({opening}, timeout=OPEN_TIMEOUT)
        except asyncio.CancelledError:
            self._abandon(opening)
            raise
        if not done:
            self._abandon(opening)
            msg = f"not open within {OPEN_TIMEOUT:g} s"
            raise TimeoutError(msg)
        return opening.result()

    def _abandon(self, opening: asyncio.Future[Opened]) -> None:
        self._abandoned_opens.add(opening)
        opening.add_done_callback(self._discard_open)

    def _discard_open(self, opening: asyncio.Future[Opened]) -> None:
        """An open given up on has ended: close what it opened; its failure is expected."""
        self._abandoned_opens.discard(opening)
        if opening.cancelled() or opening.exception() is not None:
            return
        _, writer = opening.result()
        writer.close()

    async def close(self) -> None:
        """Close the port; safe to call at any time, any number of times.

        An open given up on (`_open`) is waited for here, so nothing outlives the close.
        """
        if self._abandoned_opens:
            await asyncio.wait(set(self._abandoned_opens), timeout=OPEN_TIMEOUT)
        task, self._read_task = self._read_task, None
        writer, self._writer = self._writer, None
        self._cancel_idle()
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, serialx.SerialException):
                await writer.wait_closed()
        self._fail_pending(M6311ConnectionError("the connection was closed"))

    def subscribe(self, callback: EventCallback) -> Callable[[], None]:
        """Call `callback` with every unsolicited event; returns the call that unsubscribes."""
        return self._subscribers.add(callback)

    async def execute(
        self, command: Command, *, timeout: float | None = None, resync: bool = True
    ) -> Response:
        """Send one command and return its answer; module errors raise their exception.

        `timeout` replaces the command's own (seconds until its final result). With `resync`
        False the command goes out even while the line is out of step, which stays so: only
        for a command sent again and again whose answers are all alike (`AT` while a module
        starts), so that a late one may answer a later one.
        """
        async with self._lock:
            if resync and self._out_of_step is not None:
                await self._resync()
            return await self._exchange(command, timeout=timeout)

    # -- reading ---------------------------------------------------------------------------

    async def _read_loop(self, reader: asyncio.StreamReader) -> None:
        reason = "the port closed"
        loop = asyncio.get_running_loop()
        try:
            while data := await reader.read(READ_SIZE):
                self._reads += 1
                self._received.notify(data)
                self._cancel_idle()
                for item in self._decoder.feed(data):
                    self._dispatch(item)
                if (quiet := self._decoder.quiet_needed()) is not None:
                    self._idle = loop.call_later(quiet, self._on_idle)
        except (OSError, serialx.SerialException) as err:
            reason = f"the port failed: {err}"
        self._cancel_idle()
        self._connection_lost(reason)

    def _answer_is_hidden(self) -> bool:
        pending = self._pending
        return SECRETS.hiding or (pending is not None and pending.command.secret_answer)

    def _on_idle(self) -> None:
        """The line went quiet with bytes held: what silence completes is told now."""
        self._idle = None
        for item in self._decoder.flush_idle():
            self._dispatch(item)

    def _cancel_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    def _dispatch(self, item: Final | Info | ModuleEvent) -> None:
        if isinstance(item, Final):
            self._on_final(item)
        elif isinstance(item, Info):
            self._on_info(item.text)
        elif isinstance(item, NetworkReport) and self._claimed(item):
            self._on_info(item.text)  # the query's own answer (AT+CREG? and +CREG: 0,1)
        else:
            if isinstance(item, Connected | ConnectFailed):
                self._on_login_report(item)
            self._notify(item)

    def _active(self) -> _Pending | None:
        """The command in flight, if it still waits for its answer (not a probe's prelude)."""
        pending = self._pending
        if pending is None or pending.future.done():
            return None
        if pending.marker is not None and not pending.marker_seen:
            return None
        return pending

    def _claimed(self, report: NetworkReport) -> bool:
        pending = self._active()
        return pending is not None and pending.command.claim(report.text)

    def _on_login_report(self, report: Connected | ConnectFailed) -> None:
        """A login command's report: `CONNECT FAIL` refuses it, `CONNECT OK` answers it.

        `CONNECT OK` counts as a dialect's information answer does: a final right after it
        belongs to it.
        """
        pending = self._active()
        if pending is None or not pending.command.reports_login:
            return
        if isinstance(report, ConnectFailed):
            pending.cancel_linger()
            pending.future.set_exception(DeviceConnectError(pending.command.name))
            return
        pending.lines.append(report.text)
        if pending.linger is None:
            loop = asyncio.get_running_loop()
            pending.linger = loop.call_later(ANSWER_LINGER, self._end_on_information, pending)

    def _on_final(self, final: Final) -> None:
        pending = self._pending
        if pending is None or pending.future.done():
            # Length only: a stray answer may hold a key (`+OK=<device key>`).
            _LOGGER.debug(
                "Ignoring a final result with no command waiting (%d chars)", len(final.raw)
            )
            return
        if pending.marker is not None and not pending.marker_seen:
            _LOGGER.debug("Ignoring a late final result before the probe's answer")
            return
        pending.cancel_linger()
        if final.ok:
            pending.future.set_result(Response(lines=tuple(pending.lines), value=final.value))
        else:
            error = error_for_code(pending.command.name, final.code)
            error.answer = final.raw.strip()  # a refusal's own words: never a secret
            pending.future.set_exception(error)

    def _on_info(self, text: str) -> None:
        pending = self._pending
        if pending is None or pending.future.done():
            _LOGGER.debug("Ignoring a line with no command waiting (%d chars)", len(text))
            return
        if pending.marker is not None and not pending.marker_seen:
            pending.marker_seen = bool(pending.marker.match(text))
            return  # late lines of other commands, or the probe's own: not an answer's lines
        if pending.is_echo(text):
            return
        pending.lines.append(text)
        if pending.is_answer(text) and pending.linger is None:
            loop = asyncio.get_running_loop()
            pending.linger = loop.call_later(ANSWER_LINGER, self._end_on_information, pending)

    def _end_on_information(self, pending: _Pending) -> None:
        """No final result followed a dialect's information answer: it alone answers.

        Its final result may still come, later than `ANSWER_LINGER`: the line counts as out of
        step, so the next command is preceded by a probe and never takes that result.
        """
        if not pending.future.done():
            pending.finish()
            self._out_of_step = pending.command.name

    def _notify(self, event: ModuleEvent) -> None:
        self._subscribers.notify(event)

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

    async def _exchange(
        self,
        command: Command,
        *,
        timeout: float | None = None,
        marker: re.Pattern[str] | None = None,
    ) -> Response:
        writer = self._writer
        if writer is None or not self.connected:
            msg = f"{command.name}: not connected to the module"
            raise M6311ConnectionError(msg)
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        # The listener exists before the first byte leaves: a fast answer cannot be missed.
        pending = self._pending = _Pending(command, future, marker=marker)
        try:
            _LOGGER.debug("Sending %s", command.redacted_line)
            # serialx logs the bytes, the echo and the answer: keep the secrets out of them.
            with SECRETS.scoped(command.secrets):
                await self._write(writer, command)
                response = await self._answer(command, future, timeout)
                self._carried_out.notify(command)
                return response
        finally:
            self._pending = None
            pending.cancel_linger()
            if not future.done() or future.cancelled():
                # Timed out, or the caller was cancelled (awaiting the answer cancels it): the
                # answer may still come.
                self._out_of_step = command.name
                future.cancel()
            else:
                future.exception()  # retrieved: a failure is raised above, or superseded

    async def _answer(
        self, command: Command, future: asyncio.Future[Response], timeout: float | None
    ) -> Response:
        seconds = command.timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(seconds):
                return await future
        except TimeoutError:
            msg = f"{command.name}: no answer from the module within {seconds:g} s"
            raise M6311TimeoutError(
                msg,
                reason=Reason.NO_ANSWER,
                placeholders={"command": command.name, "seconds": f"{seconds:g}"},
            ) from None

    async def _write(self, writer: asyncio.StreamWriter, command: Command) -> None:
        data = command.encode()
        try:
            writer.write(data)
            self._sent.notify(command, len(data))
            await writer.drain()
        except (OSError, serialx.SerialException) as err:
            msg = f"{command.name}: writing to the module failed: {err}"
            raise M6311ConnectionError(msg) from err

    async def _resync(self) -> None:
        """Bring the line back in step after a command that ended without its answer.

        See the module docstring: probes whose answer no other command prints, every line
        before the probe's own ignored, and quiet after it.

        Raises:
            M6311TimeoutError: no probe got its answer and quiet after it.
        """
        # The first probe is unlike the command out of step (its late answer would look like
        # the probe's); then they take turns, so none follows its own timed-out self.
        first = 1 if self._out_of_step == _PROBES[0].command.name else 0
        for attempt in range(RESYNC_ATTEMPTS):
            probe = _PROBES[(first + attempt) % len(_PROBES)]
            try:
                await self._exchange(probe.command, timeout=RESYNC_TIMEOUT, marker=probe.marker)
            except M6311CommandError:
                continue  # an error instead of the probe's line: not proof of anything
            except M6311TimeoutError:
                continue  # the probe itself is now what is out of step
            if await self._stays_quiet(RESYNC_QUIET):
                self._out_of_step = None
                _LOGGER.debug("Back in step with the module after %s", probe.command.name)
                return
        msg = f"the module's answers are out of step after {RESYNC_ATTEMPTS} probes"
        raise M6311TimeoutError(msg, reason=Reason.OUT_OF_STEP)

    async def _stays_quiet(self, seconds: float) -> bool:
        """Whether nothing at all is printed for `seconds` (what is printed is ignored)."""
        heard = self._reads
        await asyncio.sleep(seconds)
        return self._reads == heard
