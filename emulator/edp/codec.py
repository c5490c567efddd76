"""Turning messages into packets and a byte stream back into messages."""

import json
from typing import TYPE_CHECKING, Any

from .errors import EdpError
from .framing import (
    MAX_REMAINING_LENGTH,
    Reader,
    decode_remaining_length,
    encode_remaining_length,
    encode_string,
    encode_uint16,
    encode_uint32,
)
from .messages import (
    CmdReq,
    CmdResp,
    ConnClose,
    ConnReq,
    ConnResp,
    EncryptReq,
    EncryptResp,
    Message,
    MessageType,
    PingReq,
    PingResp,
    SaveAck,
    SaveAckJson,
    SaveData,
    Unknown,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from .crypto import AesCipher

_CONNREQ_PROJECT = 0x80
_CONNREQ_AUTH = 0x40
_SAVEDATA_DEVICE = 0x80
_SAVEDATA_MSG_ID = 0x40
_SAVEACK_C = 0x40
_SAVEACK_JSON = 0x80
_EXPONENT_BYTES = 4
_MODULUS_BYTES = 128
_UNENCRYPTED = frozenset({MessageType.ENCRYPTREQ, MessageType.ENCRYPTRESP})
_UNDECODED = frozenset({MessageType.PUSHDATA, MessageType.UPDATEREQ, MessageType.UPDATERESP})


def encode(message: Message, cipher: AesCipher | None = None) -> bytes:
    """One packet: type byte, remaining length, body (AES-encrypted when a cipher is given).

    ENCRYPTREQ, ENCRYPTRESP and empty bodies are never encrypted, whatever the cipher.
    """
    if isinstance(message, Unknown):
        packet_type, body = message.type, message.body
    else:
        packet_type, encode_body = _ENCODERS[type(message)]
        body = encode_body(message)
    if cipher is not None and _is_encrypted(packet_type, body):
        body = cipher.encrypt(body)
    return bytes([packet_type]) + encode_remaining_length(len(body)) + body


def _is_encrypted(packet_type: int, body: bytes) -> bool:
    """Does this body travel AES-encrypted on an encrypted link?

    The key exchange is in the clear, and so is an empty body: the C SDK's SymmEncrypt and
    SymmDecrypt (edp_c Openssl.c) return untouched a packet whose remaining length is 0, so an
    SDK device sends PINGREQ as `C0 00` and reads PINGRESP as `D0 00` on an encrypted link.
    """
    return packet_type not in _UNENCRYPTED and len(body) > 0


def _connreq_body(message: ConnReq) -> bytes:
    """CONNREQ: protocol name, version, flags, keepalive, device id, [project id], auth."""
    header = encode_string(message.protocol) + bytes([message.version])
    if message.project_id is None:
        flags, ids = _CONNREQ_AUTH, encode_string(message.device_id)
    else:
        flags = _CONNREQ_PROJECT | _CONNREQ_AUTH
        ids = encode_string("") + encode_string(message.project_id)
    keepalive = encode_uint16(message.keepalive)
    return header + bytes([flags]) + keepalive + ids + encode_string(message.auth)


def _savedata_body(message: SaveData) -> bytes:
    """SAVEDATA: flags, [device id], [msg id], type, payload."""
    flags = 0
    head = b""
    if message.device_id is not None:
        flags |= _SAVEDATA_DEVICE
        head += encode_string(message.device_id)
    if message.msg_id is not None:
        if message.msg_id == 0:
            # 0 is what AT+CIOTDAT uses for "no acknowledgement"; on the wire that is no id.
            msg = "SAVEDATA msg_id must be 1..65535 (None asks for no SAVEACK)"
            raise EdpError(msg)
        flags |= _SAVEDATA_MSG_ID
        head += encode_uint16(message.msg_id)
    return bytes([flags]) + head + bytes([message.payload_type]) + message.payload


def _cmdresp_body(message: CmdResp) -> bytes:
    """CMDRESP: like CMDREQ, but the C SDK form drops the uint32 for an empty body."""
    head = encode_string(message.cmd_id)
    if message.compact and not message.body:
        return head
    return head + encode_uint32(len(message.body)) + message.body


def _encryptreq_body(message: EncryptReq) -> bytes:
    """ENCRYPTREQ: 4-byte exponent, 128-byte modulus, algorithm byte (no length prefixes)."""
    try:
        exponent = message.public_exponent.to_bytes(_EXPONENT_BYTES, "big")
        modulus = message.modulus.to_bytes(_MODULUS_BYTES, "big")
    except OverflowError as err:
        msg = "RSA key does not fit ENCRYPTREQ (4-byte exponent, 128-byte modulus)"
        raise EdpError(msg) from err
    return exponent + modulus + bytes([message.algorithm])


def _saveack_body(message: SaveAck) -> bytes:
    """SAVEACK, C SDK form."""
    return bytes([_SAVEACK_C]) + encode_uint16(message.msg_id) + bytes([message.result])


def _saveack_json_body(message: SaveAckJson) -> bytes:
    """SAVEACK, JSON form."""
    document = json.dumps(dict(message.payload), ensure_ascii=False, separators=(",", ":"))
    return bytes([_SAVEACK_JSON]) + encode_string(document)


def _cmdreq_body(message: CmdReq) -> bytes:
    """CMDREQ: cmd id string, uint32 length, body."""
    return encode_string(message.cmd_id) + encode_uint32(len(message.body)) + message.body


# Each message class, its packet type, and how its body is written. The callables take the
# class in their key; Any is the price of keeping one table instead of a long match.
_ENCODERS: dict[type, tuple[MessageType, Callable[[Any], bytes]]] = {
    ConnReq: (MessageType.CONNREQ, _connreq_body),
    ConnResp: (MessageType.CONNRESP, lambda message: bytes([message.flags, message.code])),
    ConnClose: (MessageType.CONNCLOSE, lambda message: bytes([message.code])),
    SaveData: (MessageType.SAVEDATA, _savedata_body),
    SaveAck: (MessageType.SAVEACK, _saveack_body),
    SaveAckJson: (MessageType.SAVEACK, _saveack_json_body),
    CmdReq: (MessageType.CMDREQ, _cmdreq_body),
    CmdResp: (MessageType.CMDRESP, _cmdresp_body),
    PingReq: (MessageType.PINGREQ, lambda _: b""),
    PingResp: (MessageType.PINGRESP, lambda _: b""),
    EncryptReq: (MessageType.ENCRYPTREQ, _encryptreq_body),
    EncryptResp: (MessageType.ENCRYPTRESP, lambda message: encode_string(message.encrypted_key)),
}


def decode_body(packet_type: int, body: bytes) -> Message:
    """Decode one plaintext body of the given packet type."""
    try:
        kind = MessageType(packet_type)
    except ValueError:
        msg = f"unknown packet type 0x{packet_type:02x}"
        raise EdpError(msg) from None
    if kind in _UNDECODED:
        return Unknown(packet_type, body)
    reader = Reader(body)
    message = _DECODERS[kind](reader)
    reader.expect_end(kind.name)
    return message


def _decode_connreq(reader: Reader) -> ConnReq:
    """CONNREQ, both login forms."""
    protocol = reader.string()
    version = reader.uint8()
    flags = reader.uint8()
    keepalive = reader.uint16()
    device_id = reader.string()
    project_id = reader.string() if flags & _CONNREQ_PROJECT else None
    auth = reader.string() if flags & _CONNREQ_AUTH else ""
    return ConnReq(device_id, auth, project_id, keepalive, protocol, version)


def _decode_connresp(reader: Reader) -> ConnResp:
    """CONNRESP; a license string after flags 1 (Java SDK) is read and dropped."""
    flags = reader.uint8()
    code = reader.uint8()
    if flags == 1 and reader.remaining:
        reader.raw_string()
    return ConnResp(code, flags)


def _decode_savedata(reader: Reader) -> SaveData:
    """SAVEDATA: the payload is kept as bytes; SaveData's readers parse it."""
    flags = reader.uint8()
    device_id = reader.string() if flags & _SAVEDATA_DEVICE else None
    msg_id = reader.uint16() if flags & _SAVEDATA_MSG_ID else None
    payload_type = reader.uint8()
    return SaveData(payload_type, reader.rest(), msg_id, device_id)


def _decode_saveack(reader: Reader) -> SaveAck | SaveAckJson:
    """SAVEACK in the C form (flags 0x40) or the JSON form (flags 0x80)."""
    flags = reader.uint8()
    if flags == _SAVEACK_C:
        return SaveAck(reader.uint16(), reader.uint8())
    if flags == _SAVEACK_JSON:
        text = reader.string()
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as err:
            msg = f"SAVEACK JSON is invalid: {err}"
            raise EdpError(msg) from err
        if not isinstance(payload, dict):
            msg = "SAVEACK JSON is not an object"
            raise EdpError(msg)
        return SaveAckJson(payload)
    msg = f"SAVEACK flags 0x{flags:02x} are neither 0x40 nor 0x80"
    raise EdpError(msg)


def _decode_cmdreq(reader: Reader) -> CmdReq:
    """CMDREQ: cmd id string, uint32 length, body."""
    cmd_id = reader.string()
    return CmdReq(cmd_id, reader.take(reader.uint32()))


def _decode_cmdresp(reader: Reader) -> CmdResp:
    """CMDRESP, with or without the uint32 length for an empty body."""
    cmd_id = reader.string()
    if not reader.remaining:
        return CmdResp(cmd_id, b"", compact=True)
    return CmdResp(cmd_id, reader.take(reader.uint32()))


def _decode_encryptreq(reader: Reader) -> EncryptReq:
    """ENCRYPTREQ: exponent, modulus, algorithm."""
    exponent = int.from_bytes(reader.take(_EXPONENT_BYTES), "big")
    modulus = int.from_bytes(reader.take(_MODULUS_BYTES), "big")
    return EncryptReq(exponent, modulus, reader.uint8())


_DECODERS: dict[MessageType, Callable[[Reader], Message]] = {
    MessageType.CONNREQ: _decode_connreq,
    MessageType.CONNRESP: _decode_connresp,
    MessageType.CONNCLOSE: lambda reader: ConnClose(reader.uint8()),
    MessageType.SAVEDATA: _decode_savedata,
    MessageType.SAVEACK: _decode_saveack,
    MessageType.CMDREQ: _decode_cmdreq,
    MessageType.CMDRESP: _decode_cmdresp,
    MessageType.PINGREQ: lambda _: PingReq(),
    MessageType.PINGRESP: lambda _: PingResp(),
    MessageType.ENCRYPTREQ: _decode_encryptreq,
    MessageType.ENCRYPTRESP: lambda reader: EncryptResp(reader.raw_string()),
}


class Decoder:
    """Turns a TCP byte stream, split anywhere, into messages.

    Key exchange: after it decodes an ENCRYPTREQ or ENCRYPTRESP the decoder pauses, keeping
    any later bytes buffered, because those are encrypted with a key it does not know yet.
    Setting `cipher` (to the AesCipher, or to None to stay in plaintext) resumes it; the
    buffered bytes are decoded by the next `feed` call (`feed(b"")` will do).
    """

    def __init__(self, max_remaining_length: int = MAX_REMAINING_LENGTH) -> None:
        """Refuse packets whose remaining length exceeds `max_remaining_length`."""
        self._buffer = bytearray()
        self._cipher: AesCipher | None = None
        self._max_length = max_remaining_length
        self.awaiting_cipher = False
        """True between a key exchange message and the next assignment to `cipher`."""

    @property
    def cipher(self) -> AesCipher | None:
        """The AES cipher bodies are decrypted with (None: plaintext)."""
        return self._cipher

    @cipher.setter
    def cipher(self, cipher: AesCipher | None) -> None:
        self._cipher = cipher
        self.awaiting_cipher = False

    @property
    def buffered(self) -> int:
        """Bytes received but not yet decoded (part of a packet, or held while paused)."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Message]:
        """Add bytes; return every message now complete, in order."""
        self._buffer += data
        messages: list[Message] = []
        while not self.awaiting_cipher:
            message = self._next()
            if message is None:
                break
            messages.append(message)
            if isinstance(message, (EncryptReq, EncryptResp)):
                self.awaiting_cipher = True
        return messages

    def _next(self) -> Message | None:
        """Take one complete packet off the buffer, or None if it is not all here yet."""
        if not self._buffer:
            return None
        packet_type = self._buffer[0]
        if packet_type & 0x0F:
            msg = f"packet type byte 0x{packet_type:02x} has a non-zero low nibble"
            raise EdpError(msg)
        header = decode_remaining_length(self._buffer, 1)
        if header is None:
            return None
        length, start = header
        if length > self._max_length:
            msg = f"remaining length {length} exceeds the limit {self._max_length}"
            raise EdpError(msg)
        if len(self._buffer) < start + length:
            return None
        body = bytes(self._buffer[start : start + length])
        del self._buffer[: start + length]
        # An empty body is clear (see _is_encrypted); a sender that encrypts one anyway sends
        # a 16-byte block of padding, which still decrypts to nothing.
        if self._cipher is not None and _is_encrypted(packet_type, body):
            body = self._cipher.decrypt(body)
        return decode_body(packet_type, body)
