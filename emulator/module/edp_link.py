"""The module's EDP device connection over real TCP, with the shared codec in `emulator.edp`.

The module is built on OneNET's C SDK, so it speaks the C forms where the SDKs differ: an
empty CMDRESP leaves the body length out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from emulator.edp import (
    AesCipher,
    CmdReq,
    CmdResp,
    ConnClose,
    ConnReq,
    ConnResp,
    Decoder,
    EdpError,
    EncryptReq,
    EncryptResp,
    Message,
    PingReq,
    PingResp,
    RsaKeyPair,
    SaveAck,
    SaveAckJson,
    SaveData,
    encode,
)

from .cloud import CloudRefusedError, CloudUnreachableError, LinkListener, Login

_LOGGER = logging.getLogger(__name__)

type KeySource = Callable[[], Awaitable[RsaKeyPair]]


@dataclass
class EdpByteCount:
    """Bytes the module wrote to its EDP sockets and read from them, over all its links.

    What the integration's estimate of the cellular traffic is checked against: the EDP bytes
    exactly, without TCP/IP (which the kernel adds on 127.0.0.1 as it likes).
    """

    written: int = 0
    read: int = 0
    messages_written: int = 0


class EdpLink:
    """One TCP connection to the platform's EDP port, logged in as the module's device."""

    def __init__(
        self,
        listener: LinkListener,
        address: tuple[str, int],
        idle_timeout: float,
        rsa_key: KeySource,
        counter: EdpByteCount | None = None,
    ) -> None:
        """Connect to `address` when opened; drop the link after `idle_timeout` s of silence.

        `counter` adds up the bytes this link writes and reads (a count of its own if None).
        """
        self._listener = listener
        self.counter = counter if counter is not None else EdpByteCount()
        self._address = address
        self.idle_timeout = idle_timeout
        self._rsa_key = rsa_key
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._decoder = Decoder()
        self._cipher: AesCipher | None = None
        self._inbox: deque[Message] = deque()
        self._tasks: list[asyncio.Task[None]] = []
        self._pong: asyncio.Future[None] | None = None
        self._unacked: deque[int] = deque()
        self._idle_timer: asyncio.Timeout | None = None
        self._open = False

    @property
    def is_open(self) -> bool:
        """True from a successful login until the link goes down."""
        return self._open

    @property
    def keepalive(self) -> int:
        """The keepalive announced in CONNREQ: the idle limit, in whole seconds."""
        return min(max(1, math.ceil(self.idle_timeout)), 0xFFFF)

    async def open(self, login: Login, *, encrypt: bool) -> None:
        """Connect, exchange keys if asked, log in; raises `CloudError` on any failure."""
        try:
            self._reader, self._writer = await asyncio.open_connection(*self._address)
        except OSError as error:
            msg = f"EDP connect to {self._address}: {error!r}"
            raise CloudUnreachableError(msg) from error
        try:
            if encrypt:
                await self._exchange_keys()
            self._write(ConnReq(login.device_id, login.auth, login.project_id, self.keepalive))
            answer = await self._receive()
        except (OSError, EdpError) as error:
            msg = f"EDP login: {error!r}"
            raise CloudUnreachableError(msg) from error
        if not isinstance(answer, ConnResp) or answer.code != 0:
            msg = f"EDP login refused: {answer!r}"
            raise CloudRefusedError(msg)
        self._open = True
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._read_loop(), name="m6311-edp-reader"),
            loop.create_task(self._watch_idle(), name="m6311-edp-idle"),
        ]
        for message in list(self._inbox):  # anything that came right behind CONNRESP
            self._handle(message)
        self._inbox.clear()

    async def _exchange_keys(self) -> None:
        keys = await self._rsa_key()
        self._write(EncryptReq(keys.public_exponent, keys.modulus))
        answer = await self._receive()
        if not isinstance(answer, EncryptResp):
            msg = f"expected ENCRYPTRESP, got {answer!r}"
            raise EdpError(msg)
        self._cipher = AesCipher(keys.decrypt_session_key(answer.encrypted_key))
        self._decoder.cipher = self._cipher
        self._inbox.extend(self._decoder.feed(b""))  # bytes that came behind ENCRYPTRESP

    async def _receive(self) -> Message:
        """The next message during login (before the reader task runs)."""
        while not self._inbox:
            data = await self._reader.read(4096)  # type: ignore[union-attr]
            if not data:
                msg = "the platform closed the connection"
                raise ConnectionResetError(msg)
            self.counter.read += len(data)
            self._inbox.extend(self._decoder.feed(data))
        return self._inbox.popleft()

    def _write(self, message: Message) -> None:
        if self._writer is None or self._writer.is_closing():
            msg = "the EDP link is closed"
            raise CloudUnreachableError(msg)
        packet = encode(message, self._cipher)
        self._writer.write(packet)
        self.counter.written += len(packet)
        self.counter.messages_written += 1
        self._touch()

    def _touch(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.reschedule(asyncio.get_running_loop().time() + self.idle_timeout)

    # --- the module's operations ------------------------------------------------------------

    def send_text(self, text: str, msg_id: int) -> None:
        """SAVEDATA type 5 (split string); `msg_id` 0 asks for no acknowledgement."""
        self._save(SaveData.split_string(text, msg_id or None))

    def send_binary(self, ds_id: str, data: bytes, msg_id: int) -> None:
        """SAVEDATA type 2 with the descriptor `{"ds_id": ...}`."""
        self._save(SaveData.binary({"ds_id": ds_id}, data, msg_id or None))

    def _save(self, message: SaveData) -> None:
        if not self._open:
            msg = "the EDP link is down"
            raise CloudUnreachableError(msg)
        self._write(message)
        if message.msg_id is not None:
            self._unacked.append(message.msg_id)

    async def flush(self) -> None:
        """Wait until written packets are handed to the kernel."""
        if self._writer is None or not self._open:
            msg = "the EDP link is down"
            raise CloudUnreachableError(msg)
        try:
            await self._writer.drain()
        except OSError as error:
            raise CloudUnreachableError(repr(error)) from error

    async def ping(self, limit: float) -> bool:
        """PINGREQ; True when PINGRESP arrives within `limit` seconds."""
        if not self._open:
            return False
        self._pong = asyncio.get_running_loop().create_future()
        try:
            self._write(PingReq())
            async with asyncio.timeout(limit):
                await self._pong
        except TimeoutError, CloudUnreachableError:
            return False
        finally:
            self._pong = None
        return True

    async def close(self) -> None:
        """Close the TCP connection (EDP has no logout message); the listener is not told."""
        await self._shutdown(notify=None)

    # --- the platform's messages -------------------------------------------------------------

    async def _read_loop(self) -> None:
        reason = "the platform closed the connection"
        try:
            while data := await self._reader.read(4096):  # type: ignore[union-attr]
                self.counter.read += len(data)
                self._touch()
                for message in self._decoder.feed(data):
                    if isinstance(message, ConnClose):
                        reason = f"CONNCLOSE {message.code}"
                        break
                    self._handle(message)
                else:
                    continue
                break
        except (OSError, EdpError) as error:
            reason = f"EDP link failed: {error!r}"
        await self._shutdown(notify=reason)

    def _handle(self, message: Message) -> None:
        if isinstance(message, SaveAck):
            with contextlib.suppress(ValueError):
                self._unacked.remove(message.msg_id)
            if message.result == 0:
                self._listener.on_save_ack(message.msg_id)
        elif isinstance(message, SaveAckJson):
            # The JSON form names no message id: it acknowledges the oldest one waiting.
            msg_id = self._unacked.popleft() if self._unacked else None
            if msg_id is not None and message.payload.get("errno", 0) == 0:
                self._listener.on_save_ack(msg_id)
        elif isinstance(message, CmdReq):
            reply = self._listener.on_command(message.cmd_id, message.body)
            with contextlib.suppress(CloudUnreachableError):
                self._write(CmdResp(message.cmd_id, reply, compact=True))
        elif isinstance(message, PingResp):
            if self._pong is not None and not self._pong.done():
                self._pong.set_result(None)
        else:
            _LOGGER.debug("ignored from the platform: %r", message)

    async def _watch_idle(self) -> None:
        """Drop the link when the idle limit passes; `_touch` pushes the limit back."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.idle_timeout) as self._idle_timer:
                await loop.create_future()  # only the timeout ends this
        except TimeoutError:
            await self._shutdown(notify=f"no traffic for {self.idle_timeout} s")

    async def _shutdown(self, notify: str | None) -> None:
        """Close once; cancel the other tasks; tell the listener if `notify` gives a reason."""
        was_open, self._open = self._open, False
        if self._pong is not None and not self._pong.done():
            self._pong.set_exception(CloudUnreachableError("the link went down"))
        if was_open and notify is not None:
            # At once, before any await: the module must not see a half-closed link as its own
            # after it has already opened a new one.
            self._listener.on_closed(notify)
        current = asyncio.current_task()
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            if task is not current:
                task.cancel()
        for task in tasks:
            if task is not current:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
