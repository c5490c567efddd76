"""The platform's EDP side: a TCP server that logs devices in and takes their data.

One `EdpSession` per TCP connection. A session logs in once (optionally after the RSA/AES
key exchange), then stores SAVEDATA, answers pings, receives command replies, and is dropped
when it stays silent longer than the keepalive it announced.
"""

import asyncio
import contextlib
import logging
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from emulator.edp import (
    AesCipher,
    CmdReq,
    CmdResp,
    ConnClose,
    ConnReq,
    ConnResp,
    ConnRespCode,
    Decoder,
    EdpError,
    EncryptReq,
    EncryptResp,
    Message,
    PayloadType,
    PingReq,
    PingResp,
    SaveAck,
    SaveAckJson,
    SaveData,
    encode,
    encrypt_session_key,
    new_session_key,
)

from .store import CommandStatus, StoredDatapoint, beijing_now

if TYPE_CHECKING:
    from .events import Changes
    from .store import Command, Store

_LOGGER = logging.getLogger(__name__)
_READ_SIZE = 65536
MAX_BINARY_BYTES = 3 * 1024 * 1024
MAX_DESCRIPTOR_BYTES = 64 * 1024
_AES = 1
# The largest packet worth buffering: a full binary upload plus headers and AES padding.
_MAX_PACKET = MAX_BINARY_BYTES + MAX_DESCRIPTOR_BYTES + 1024


class SaveAckForm(StrEnum):
    """Which SAVEACK the platform answers with."""

    C = "c"
    """`90 04 40 <msg_id> <result>` for every save (the C SDK form)."""
    JSON = "json"
    """`90 <len> 80 <JSON>` for every save (the Java SDK form)."""
    JSON_FOR_BINARY = "json-binary"
    """C form for data, JSON form after a binary save, as the captured reply shows."""


@dataclass(frozen=True, slots=True)
class EdpOptions:
    """Tunables of the EDP server."""

    keepalive_scale: float = 1.0
    """Idle limit = announced keepalive x this (tests shrink it)."""
    login_timeout: float = 30.0
    """Seconds a connection may stay without a CONNREQ."""
    saveack_form: SaveAckForm = SaveAckForm.C


class EdpSession:
    """One device's TCP connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Wrap the streams; nobody is logged in yet."""
        self.reader = reader
        self.writer = writer
        self.decoder = Decoder(max_remaining_length=_MAX_PACKET)
        self.cipher: AesCipher | None = None
        self.device_id: str | None = None
        self.keepalive = 0

    async def send(self, message: Message) -> None:
        """Encode (encrypted once the key exchange is done) and write one message."""
        self.writer.write(encode(message, self.cipher))
        await self.writer.drain()

    def close(self) -> None:
        """Close the TCP connection (the read loop then ends)."""
        self.writer.close()


class EdpServer:
    """Accepts EDP connections and routes their messages to the store."""

    def __init__(self, store: Store, changes: Changes, options: EdpOptions) -> None:
        """Share the store and the change signal with the rest of the emulator."""
        self._store = store
        self._changes = changes
        self.options = options
        self.sessions: dict[str, EdpSession] = {}
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> int:
        """Listen; return the port (useful when `port` is 0)."""
        self._server = await asyncio.start_server(self._handle, host, port)
        port_bound: int = self._server.sockets[0].getsockname()[1]
        return port_bound

    async def stop(self) -> None:
        """Stop listening, close every connection and wait for their handlers to end."""
        if self._server is not None:
            self._server.close()
        for task in list(self._handlers):
            task.cancel()
        if self._handlers:
            await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def is_online(self, device_id: str) -> bool:
        """Is the device logged in right now?"""
        return device_id in self.sessions

    async def deliver(self, command: Command) -> bool:
        """Send a command to its device if it is online; record the outcome."""
        session = self.sessions.get(command.device_id)
        if session is None:
            return False
        try:
            await session.send(CmdReq(command.uuid, command.body))
        except ConnectionError:
            self._store.set_command_status(command.uuid, CommandStatus.SEND_FAILED)
            await self._changes.notify()
            return False
        self._store.set_command_status(command.uuid, CommandStatus.SENT)
        await self._changes.notify()
        return True

    async def kick(self, device_id: str, code: int = 0) -> bool:
        """Drop a device's link from the platform side: CONNCLOSE, then close the socket."""
        session = self.sessions.get(device_id)
        if session is None:
            return False
        try:
            await session.send(ConnClose(code))
        except ConnectionError:
            _LOGGER.debug("device %s went away before CONNCLOSE", device_id)
        session.close()
        await self._forget(session)
        return True

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one connection until it closes, idles out or misbehaves."""
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        session = EdpSession(reader, writer)
        try:
            await self._serve(session)
        except (ConnectionError, EdpError) as err:
            _LOGGER.debug("EDP connection dropped: %s", err)
        finally:
            session.close()
            await self._forget(session)
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            if task is not None:
                self._handlers.discard(task)

    async def _serve(self, session: EdpSession) -> None:
        """The read loop: read with the idle limit, decode, dispatch."""
        while True:
            try:
                async with asyncio.timeout(self._idle_limit(session)):
                    data = await session.reader.read(_READ_SIZE)
            except TimeoutError:
                _LOGGER.debug("EDP connection of %s idle too long", session.device_id)
                return
            if not data:
                return
            messages = session.decoder.feed(data)
            while messages:
                for message in messages:
                    if not await self._dispatch(session, message):
                        return
                # A key exchange pauses the decoder; bytes held meanwhile are decoded now.
                messages = session.decoder.feed(b"")

    def _idle_limit(self, session: EdpSession) -> float | None:
        """Seconds of silence allowed: the login timeout, then the scaled keepalive."""
        if session.device_id is None:
            return self.options.login_timeout
        if session.keepalive == 0:
            return None
        return session.keepalive * self.options.keepalive_scale

    async def _dispatch(self, session: EdpSession, message: Message) -> bool:
        """Act on one message; False closes the connection."""
        match message:
            case EncryptReq():
                return await self._key_exchange(session, message)
            case ConnReq():
                return await self._login(session, message)
            case _ if session.device_id is None:
                _LOGGER.debug("message before login: %r", message)
                return False
            case PingReq():
                await session.send(PingResp())
            case SaveData():
                await self._save(session, session.device_id, message)
            case CmdResp():
                await self._command_response(session.device_id, message)
            case _:
                # PUSHDATA, UPDATEREQ and replies that only a device should receive are
                # not emulated; skipping them keeps the link up as the platform would.
                _LOGGER.debug("ignoring %r", message)
        return True

    async def _key_exchange(self, session: EdpSession, request: EncryptReq) -> bool:
        """ENCRYPTREQ -> ENCRYPTRESP; from then on both directions are AES-encrypted."""
        if session.device_id is not None or session.cipher is not None or request.algorithm != _AES:
            return False
        key = new_session_key()
        await session.send(
            EncryptResp(encrypt_session_key(request.public_exponent, request.modulus, key))
        )
        session.cipher = AesCipher(key)
        session.decoder.cipher = session.cipher
        return True

    async def _login(self, session: EdpSession, request: ConnReq) -> bool:
        """Check a CONNREQ, answer CONNRESP, and on success deliver pending commands."""
        code, device_id = self._check_login(session, request)
        await session.send(ConnResp(code))
        if code != ConnRespCode.ACCEPTED or device_id is None:
            return False
        session.device_id = device_id
        session.keepalive = request.keepalive
        self.sessions[device_id] = session
        await self._changes.notify()
        for command in self._store.commands_due_at_login(device_id):
            await self.deliver(command)
        return True

    def _check_login(
        self, session: EdpSession, request: ConnReq
    ) -> tuple[ConnRespCode, str | None]:
        """The CONNRESP code for a login, and the device it logs in."""
        if session.device_id is not None:
            return ConnRespCode.DUPLICATE_CONNECT, None
        if request.protocol != "EDP" or request.version != 1:
            return ConnRespCode.PROTOCOL_MISMATCH, None
        if request.project_id is None:
            code, device_id = self._check_device_login(request)
        else:
            code, device_id = self._check_project_login(request)
        if device_id is not None and device_id in self.sessions:
            return ConnRespCode.DUPLICATE_CONNECT, None
        return code, device_id

    def _check_device_login(self, request: ConnReq) -> tuple[ConnRespCode, str | None]:
        """Device id + key: the master key, or a key granted this device."""
        if self._store.device(request.device_id) is None:
            return ConnRespCode.DEVICE_AUTH_FAILED, None
        if request.auth == self._store.master_key:
            return ConnRespCode.ACCEPTED, request.device_id
        granted = self._store.key_devices(request.auth)
        if granted is None:
            return ConnRespCode.DEVICE_AUTH_FAILED, None
        if request.device_id not in granted:
            return ConnRespCode.NOT_AUTHORIZED, None
        return ConnRespCode.ACCEPTED, request.device_id

    def _check_project_login(self, request: ConnReq) -> tuple[ConnRespCode, str | None]:
        """Project id + auth_info: 4 for a foreign project, 6 for an unknown auth_info."""
        if request.project_id != self._store.project_id:
            return ConnRespCode.USER_AUTH_FAILED, None
        device_id = self._store.device_by_auth_info(request.auth)
        if device_id is None:
            return ConnRespCode.INVALID_AUTH_CODE, None
        return ConnRespCode.ACCEPTED, device_id

    async def _save(self, session: EdpSession, device_id: str, message: SaveData) -> None:
        """Store a SAVEDATA's points (or its binary) and acknowledge it when asked.

        The points are stored under the sending device. A destination device id in the
        message (device-to-device forwarding) is not emulated and is ignored.
        """
        binary = message.payload_type == PayloadType.BINARY
        try:
            extra = self._store_binary(device_id, message) if binary else None
            if not binary:
                self._store_points(device_id, message)
        except EdpError as err:
            _LOGGER.debug("SAVEDATA from %s refused: %s", device_id, err)
            ack: dict[str, Any] = {"errno": 6, "error": f"invalid parameter: {err}"}
        else:
            ack = {"errno": 0, "error": "succ", **(extra or {})}
            await self._changes.notify()
        if message.msg_id is not None:
            await session.send(self._saveack(message.msg_id, ack, binary=binary))

    def _saveack(self, msg_id: int, ack: dict[str, Any], *, binary: bool) -> Message:
        """The SAVEACK in the configured form."""
        form = self.options.saveack_form
        if form == SaveAckForm.JSON or (form == SaveAckForm.JSON_FOR_BINARY and binary):
            return SaveAckJson(ack)
        return SaveAck(msg_id, 0 if ack["errno"] == 0 else 1)

    def _store_points(self, device_id: str, message: SaveData) -> None:
        """Store the datapoints of types 1 and 3-7; no time means server time."""
        points = message.datapoints()
        now = beijing_now()
        for point in points:
            self._store.add_datapoint(
                StoredDatapoint(device_id, point.datastream, point.at or now, point.value)
            )

    def _store_binary(self, device_id: str, message: SaveData) -> dict[str, str]:
        """Store a binary upload; return the index and token the JSON SAVEACK carries."""
        descriptor, data = message.binary_parts()
        ds_id = descriptor.get("ds_id")
        if not isinstance(ds_id, str) or not ds_id:
            msg = "binary descriptor lacks ds_id"
            raise EdpError(msg)
        # The descriptor's uint16 length already keeps it under 64 KiB.
        if len(data) > MAX_BINARY_BYTES:
            msg = "binary data over 3 MiB"
            raise EdpError(msg)
        index = f"{device_id}_{int(time.time() * 1000)}_{ds_id}"
        at = descriptor.get("at")
        self._store.add_datapoint(
            StoredDatapoint(
                device_id,
                ds_id,
                at if isinstance(at, str) and at else beijing_now(),
                {"index": index},
                descriptor,
                len(data),
                data,
            )
        )
        return {"index": index, "token": secrets.token_hex(4)}

    async def _command_response(self, device_id: str, message: CmdResp) -> None:
        """Record a CMDRESP against the command it answers."""
        if self._store.answer_command(message.cmd_id, device_id, message.body):
            await self._changes.notify()
        else:
            _LOGGER.debug("CMDRESP from %s for unknown command %s", device_id, message.cmd_id)

    async def _forget(self, session: EdpSession) -> None:
        """Mark the session's device offline (if this session is the one logged in)."""
        device_id = session.device_id
        if device_id is not None and self.sessions.get(device_id) is session:
            del self.sessions[device_id]
            await self._changes.notify()
