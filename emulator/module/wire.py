"""The module's UART: a pseudo-terminal and an optional TCP socket, and the paced output.

The pty master is a plain non-blocking file descriptor, so the loop watches it with
`add_reader` / `add_writer`: no thread (Home Assistant's test harness fails a test that leaves
one behind) and no blocking call on the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import random
import sys
import termios
import tty
from collections.abc import Awaitable, Callable
from pathlib import Path

_LOGGER = logging.getLogger(__name__)

BITS_PER_BYTE = 10
"""8N1: a start bit, eight data bits and a stop bit."""
WRITE_STALL_LIMIT = 1.0
"""Seconds to wait for a client that reads nothing before the bytes are lost (a UART overrun)."""

WRITTEN_KEPT = 1 << 20
"""How many of the last printed bytes `OutputPump.written` keeps for inspection."""

type DataCallback = Callable[[bytes], None]

_SPEEDS = {
    getattr(termios, f"B{rate}"): rate
    for rate in (
        *(1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800),
        *(500000, 576000, 921600, 1000000, 1500000, 2000000, 3000000, 4000000),
    )
    if hasattr(termios, f"B{rate}")
}
"""termios speed constants to bits per second."""


def line_noise(data: bytes) -> bytes:
    """What a UART makes of bytes sent at another baud rate: junk, never a CR or LF."""
    return bytes(byte | 0x80 for byte in data)


READ_SETTLE_SECONDS = 0.1
"""How long the client's input queue must stay empty to count as read (`read_by_client`)."""


class PtyPort:
    """A pseudo-terminal pair in raw mode; clients open `path` (or the stable `link_path`)."""

    def __init__(self, on_data: DataCallback, link_path: str | os.PathLike[str] | None) -> None:
        """Remember where input goes and where the stable symlink lives."""
        self._on_data = on_data
        self.link_path = None if link_path is None else Path(link_path)
        self.path: str | None = None
        self._master = -1
        self._slave = -1
        self.overrun_bytes = 0
        """Bytes lost because no client read them (see `stall_limit`)."""
        self.stall_limit = WRITE_STALL_LIMIT
        self.required_baudrate: int | None = None
        """When set, a client whose port speed differs exchanges only line noise with us."""

    @property
    def is_open(self) -> bool:
        """True between `open` and `close`."""
        return self._master >= 0

    def open(self) -> str:
        """Create the pair, watch the master and point the symlink at the slave."""
        self._master, self._slave = os.openpty()
        # Raw on both ends: the emulator must see CR and LF as sent, and print bytes unchanged.
        tty.setraw(self._master)
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        # The slave stays open here so that reads on the master never see EIO while no client
        # has the port open (a real UART does not notice a closed host either).
        asyncio.get_running_loop().add_reader(self._master, self._on_readable)
        self.path = os.ttyname(self._slave)
        if self.link_path is not None:
            self._point_link(self.path)
        return self.path

    def close(self) -> None:
        """Unplug: close both ends; the slave path disappears, a client's reads fail."""
        if self._master >= 0:
            asyncio.get_running_loop().remove_reader(self._master)
            asyncio.get_running_loop().remove_writer(self._master)
            os.close(self._master)
            self._master = -1
        if self._slave >= 0:
            os.close(self._slave)
            self._slave = -1
        if self.link_path is not None:
            self.link_path.unlink(missing_ok=True)

    def _point_link(self, target: str) -> None:
        temporary = self.link_path.with_name(self.link_path.name + ".new")  # type: ignore[union-attr]
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(target)
        temporary.replace(self.link_path)  # type: ignore[arg-type]

    def _on_readable(self) -> None:
        try:
            data = os.read(self._master, 4096)
        except BlockingIOError:
            return
        except OSError:
            _LOGGER.debug("pty master read failed", exc_info=True)
            return
        if data:
            self._on_data(data if self.speeds_match() else line_noise(data))

    def unread(self) -> int:
        """Bytes printed that the client has not read yet (0 once the port is closed)."""
        if self._slave < 0:
            return 0
        waiting = fcntl.ioctl(self._slave, termios.FIONREAD, b"\0\0\0\0")
        return int.from_bytes(waiting, sys.byteorder)

    async def read_by_client(self) -> None:
        """Return once the client has read what was printed.

        Closing a pty drops what its client has not read yet: a replay that ends waits here.
        The kernel hands bytes written to the master on to the client's queue a moment later,
        so the queue must stay empty for 0.1 s, not be empty once.
        """
        empty_since = None
        loop = asyncio.get_running_loop()
        while empty_since is None or loop.time() - empty_since < READ_SETTLE_SECONDS:
            if self.unread():
                empty_since = None
            elif empty_since is None:
                empty_since = loop.time()
            await asyncio.sleep(0.01)

    def client_baudrate(self) -> int | None:
        """The speed the client set on its end of the pty (None: not a standard rate)."""
        try:
            attributes = termios.tcgetattr(self._slave)
        except termios.error:
            return None
        return _SPEEDS.get(attributes[5])

    def speeds_match(self) -> bool:
        """True unless a speed is required and the client's port is set to another one."""
        required = self.required_baudrate
        return required is None or self.client_baudrate() == required

    async def write(self, data: bytes) -> None:
        """Write all of `data`, waiting while the client is slow, dropping it when it stalls."""
        view = memoryview(data if self.speeds_match() else line_noise(data))
        while view and self._master >= 0:
            try:
                written = os.write(self._master, view)
            except BlockingIOError:
                if not await self._wait_writable():
                    self.overrun_bytes += len(view)
                    # What the host did not read is lost, as on a UART: start over clean.
                    with contextlib.suppress(termios.error):
                        termios.tcflush(self._slave, termios.TCIFLUSH)
                    return
                continue
            view = view[written:]

    async def _wait_writable(self) -> bool:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()
        master = self._master
        loop.add_writer(master, ready.set_result, None)
        try:
            async with asyncio.timeout(self.stall_limit):
                await ready
        except TimeoutError:
            return False
        finally:
            if self._master == master:
                loop.remove_writer(master)
        return True


MAX_PIECES = 4
"""A jittered write reaches the TCP client in at most this many pieces."""


def cut_at_random(data: bytes, rng: random.Random) -> list[bytes]:
    """`data` in 1 to `MAX_PIECES` non-empty pieces, cut at random points."""
    count = min(rng.randint(1, MAX_PIECES), len(data))
    cuts = sorted(rng.sample(range(1, len(data)), count - 1))
    return [data[start:end] for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True)]


class TcpPort:
    """A TCP listener on 127.0.0.1 serving the same UART to one client at a time.

    With `jitter`, what the module prints reaches the client as through a network transport
    (a serial-to-Wi-Fi bridge, `socket://` or `esphome://`): each write in 1-4 pieces with
    random pauses of up to `jitter` seconds between them. A task per client sends them, so the
    pauses hold back neither the pty nor the pacing of the line.
    """

    def __init__(
        self, on_data: DataCallback, port: int, jitter: float = 0.0, seed: int | None = None
    ) -> None:
        """Listen on `port` (0: any free port) once `start` runs; `seed` makes jitter repeat."""
        self._on_data = on_data
        self._requested_port = port
        self._server: asyncio.Server | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._outbox: asyncio.Queue[bytes] | None = None
        self.accepting = True
        self.port = 0
        self.jitter = jitter
        self._random = random.Random(seed)  # noqa: S311  # timing noise, not a secret

    @property
    def has_client(self) -> bool:
        """True while a client is connected."""
        return self._writer is not None

    async def start(self) -> int:
        """Start listening; returns the port."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self._requested_port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Drop the client and stop listening."""
        await self.drop_client()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def drop_client(self) -> None:
        """Close the current client's connection (unplug)."""
        writer, self._writer, self._outbox = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._writer is not None or not self.accepting:
            writer.close()  # one client at a time, and none while unplugged
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return
        self._writer = writer
        sender = self._start_jittered_sender(writer) if self.jitter > 0 else None
        try:
            while data := await reader.read(4096):
                self._on_data(data)
        except OSError:
            _LOGGER.debug("TCP serial client failed", exc_info=True)
        finally:
            if self._writer is writer:
                self._writer, self._outbox = None, None
                writer.close()
            if sender is not None:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sender

    def _start_jittered_sender(self, writer: asyncio.StreamWriter) -> asyncio.Task[None]:
        outbox: asyncio.Queue[bytes] = asyncio.Queue()
        self._outbox = outbox
        return asyncio.get_running_loop().create_task(
            self._send_jittered(writer, outbox), name="m6311-tcp-jitter"
        )

    async def _send_jittered(
        self, writer: asyncio.StreamWriter, outbox: asyncio.Queue[bytes]
    ) -> None:
        while True:
            pieces = cut_at_random(await outbox.get(), self._random)
            await self._send(writer, pieces[0])
            for piece in pieces[1:]:
                await asyncio.sleep(self._random.uniform(0, self.jitter))
                await self._send(writer, piece)

    async def write(self, data: bytes) -> None:
        """Send to the client if one is connected (otherwise the bytes are lost, as on a UART)."""
        writer = self._writer
        if writer is None:
            return
        if self.jitter > 0 and self._outbox is not None:
            self._outbox.put_nowait(data)  # the client's sender task delivers it in pieces
            return
        await self._send(writer, data)

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, data: bytes) -> None:
        writer.write(data)
        try:
            async with asyncio.timeout(WRITE_STALL_LIMIT):
                await writer.drain()
        except TimeoutError, OSError:
            _LOGGER.debug("TCP serial client stalled", exc_info=True)


class Garbler:
    """Corrupts a requested number of output bytes (a noisy line)."""

    def __init__(self) -> None:
        """Nothing to corrupt yet."""
        self.remaining = 0

    def apply(self, data: bytes) -> bytes:
        """Flip bits in the first `remaining` bytes of `data`; every touched byte changes."""
        if not self.remaining or not data:
            return data
        count = min(self.remaining, len(data))
        self.remaining -= count
        # XOR 0x80 always changes a byte and never turns it into another 7-bit character.
        return bytes(byte ^ 0x80 for byte in data[:count]) + data[count:]


class PacedQueue:
    """One direction of the line: bytes queued, then delivered by one task at the baud rate.

    A slice is delivered once its last bit is out: the task sleeps per slice (about 10 ms of
    line time), never per byte, and against a running deadline so nothing drifts.
    """

    def __init__(self, baudrate: int, task_name: str) -> None:
        """Deliver at `baudrate` once `start` runs."""
        self.baudrate = baudrate
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._task_name = task_name
        self._line_free_at = 0.0

    def start(self) -> None:
        """Start the delivering task."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self._task_name)

    async def stop(self) -> None:
        """Cancel the task and forget what was on the way."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.discard()

    def discard(self) -> None:
        """Forget what is on the way (power loss)."""
        while not self._queue.empty():
            self._queue.get_nowait()

    async def _run(self) -> None:
        raise NotImplementedError

    async def _paced(self, data: bytes, deliver: Callable[[bytes], Awaitable[None]]) -> None:
        """Hand `data` to `deliver` slice by slice, each when its wire time is over."""
        loop = asyncio.get_running_loop()
        for start in range(0, len(data), self._slice):
            piece = data[start : start + self._slice]
            self._line_free_at = max(self._line_free_at, loop.time()) + self._seconds(len(piece))
            await asyncio.sleep(self._line_free_at - loop.time())
            await deliver(piece)

    @property
    def _slice(self) -> int:
        return max(16, self.baudrate // BITS_PER_BYTE // 100)

    def _seconds(self, count: int) -> float:
        return count * BITS_PER_BYTE / self.baudrate


class InputPump(PacedQueue):
    """Delivers what the host writes at the baud rate: a UART takes ten bit times a byte.

    A pseudo-terminal hands the module a 1 KB command line at once, where the wire would take
    88 ms at 115200 baud; with this between them, a long upload takes on the emulator the time
    it takes on a module, and so do the heartbeats and idle limits around it.
    """

    def __init__(self, baudrate: int, deliver: DataCallback) -> None:
        """Deliver to `deliver`, paced, once `start` runs."""
        super().__init__(baudrate, "m6311-input")
        self._deliver = deliver

    def feed(self, data: bytes) -> None:
        """Bytes the host wrote: they arrive one slice after the other."""
        if data:
            self._queue.put_nowait(data)

    async def _run(self) -> None:
        while True:
            await self._paced(await self._queue.get(), self._deliver_piece)

    async def _deliver_piece(self, piece: bytes) -> None:
        self._deliver(piece)


class OutputPump(PacedQueue):
    """Serializes everything the module prints and paces it at the baud rate."""

    def __init__(
        self,
        baudrate: int,
        sinks: Callable[[], list[Callable[[bytes], Awaitable[None]]]],
        garbler: Garbler,
    ) -> None:
        """`sinks` lists the async writers of the attached ends at the time of each write."""
        super().__init__(baudrate, "m6311-output")
        self._sinks = sinks
        self._garbler = garbler
        self._idle = asyncio.Event()
        self._idle.set()
        self.written = bytearray()
        """The last `WRITTEN_KEPT` bytes printed (for inspection in tests)."""

    def write(self, data: bytes) -> None:
        """Queue bytes for the line."""
        if data:
            self._idle.clear()
            self._queue.put_nowait(data)

    async def drained(self) -> None:
        """Wait until everything queued has gone out."""
        await self._idle.wait()

    async def _run(self) -> None:
        while True:
            if self._queue.empty():
                self._idle.set()
            chunk = bytearray(await self._queue.get())
            while not self._queue.empty():  # one pass for all that is waiting
                chunk += self._queue.get_nowait()
            data = self._garbler.apply(bytes(chunk))
            self.written += data
            if len(self.written) > WRITTEN_KEPT:  # a long demo run must not grow without end
                del self.written[: len(self.written) - WRITTEN_KEPT]
            await self._paced(data, self._to_sinks)

    async def _to_sinks(self, piece: bytes) -> None:
        for sink in self._sinks():
            await sink(piece)
