"""EDP messages as frozen dataclasses, one per packet type."""

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from . import payloads
from .errors import EdpError
from .framing import encode_string
from .payloads import Datapoint, PayloadType

if TYPE_CHECKING:
    from collections.abc import Mapping


class MessageType(IntEnum):
    """The first byte of a packet (type in the high nibble)."""

    CONNREQ = 0x10
    CONNRESP = 0x20
    PUSHDATA = 0x30
    CONNCLOSE = 0x40
    UPDATEREQ = 0x50
    UPDATERESP = 0x60
    SAVEDATA = 0x80
    SAVEACK = 0x90
    CMDREQ = 0xA0
    CMDRESP = 0xB0
    PINGREQ = 0xC0
    PINGRESP = 0xD0
    ENCRYPTREQ = 0xE0
    ENCRYPTRESP = 0xF0


class ConnRespCode(IntEnum):
    """CONNRESP return codes."""

    ACCEPTED = 0
    PROTOCOL_MISMATCH = 1
    DEVICE_AUTH_FAILED = 2
    SERVER_FAILURE = 3
    USER_AUTH_FAILED = 4
    NOT_AUTHORIZED = 5
    INVALID_AUTH_CODE = 6
    INVALID_ACTIVATION_CODE = 7
    ALREADY_ACTIVATED = 8
    DUPLICATE_CONNECT = 9


@dataclass(frozen=True, slots=True)
class ConnReq:
    """CONNREQ: log in.

    With `project_id` None it is a device-id login (flags 0x40, `auth` is the APIKEY);
    otherwise a project-id login (flags 0xC0, the device id is sent empty and `auth` is
    the device's auth_info). `protocol` and `version` exist so tests can send a mismatch.
    """

    device_id: str
    auth: str
    project_id: str | None = None
    keepalive: int = 300
    protocol: str = "EDP"
    version: int = 1


@dataclass(frozen=True, slots=True)
class ConnResp:
    """CONNRESP: `code` is a ConnRespCode value; `flags` 1 means a license string followed."""

    code: int
    flags: int = 0


@dataclass(frozen=True, slots=True)
class ConnClose:
    """CONNCLOSE: the platform is closing the link, with an error code."""

    code: int


@dataclass(frozen=True, slots=True)
class SaveData:
    """SAVEDATA: one typed payload (the bytes after the type byte, length prefixes included).

    `msg_id` set asks the platform for a SAVEACK; `device_id` set addresses another device.
    """

    payload_type: int
    payload: bytes
    msg_id: int | None = None
    device_id: str | None = None

    @classmethod
    def split_string(cls, text: str, msg_id: int | None = None) -> SaveData:
        """Type 5: `text` starts with the field and record separators, e.g. `,;temp,22.5`."""
        return cls(PayloadType.SPLIT_STRING, encode_string(text), msg_id)

    @classmethod
    def binary(
        cls, descriptor: Mapping[str, Any], data: bytes, msg_id: int | None = None
    ) -> SaveData:
        """Type 2: a JSON descriptor (`ds_id` required by the platform) and the bytes."""
        return cls(PayloadType.BINARY, payloads.binary_payload(descriptor, data), msg_id)

    @classmethod
    def json(cls, obj: object, payload_type: int, msg_id: int | None = None) -> SaveData:
        """Types 1, 3 and 4: a JSON document in the shape the type names."""
        if payload_type not in payloads.JSON_TYPES:
            msg = f"payload type {payload_type} is not a JSON type (1, 3, 4)"
            raise EdpError(msg)
        return cls(payload_type, payloads.json_payload(obj), msg_id)

    def datapoints(self) -> list[Datapoint]:
        """The datapoints carried (types 1, 3-7; repeated blocks included)."""
        return payloads.datapoints(self.payload_type, self.payload)

    def binary_parts(self) -> tuple[dict[str, Any], bytes]:
        """The descriptor and the bytes of a type 2 payload."""
        return payloads.binary_parts(self.payload_type, self.payload)


@dataclass(frozen=True, slots=True)
class SaveAck:
    """SAVEACK, C SDK form: `90 04 40 <uint16 msg_id> <result>` (result 0 = ok)."""

    msg_id: int
    result: int = 0


@dataclass(frozen=True, slots=True)
class SaveAckJson:
    """SAVEACK, Java SDK form: `90 <len> 80 <uint16 len> <JSON>` (seen after binary saves)."""

    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class CmdReq:
    """CMDREQ: a platform command; `cmd_id` is the command's UUID."""

    cmd_id: str
    body: bytes


@dataclass(frozen=True, slots=True)
class CmdResp:
    """CMDRESP: the device's reply to a command.

    The encoder writes the uint32 body length always (the Java SDK form, same layout as
    CMDREQ). `compact=True` asks for the C SDK form, which leaves the uint32 out when the
    body is empty; the decoder sets it when it read that form.
    """

    cmd_id: str
    body: bytes
    compact: bool = False


@dataclass(frozen=True, slots=True)
class PingReq:
    """PINGREQ (`C0 00`)."""


@dataclass(frozen=True, slots=True)
class PingResp:
    """PINGRESP (`D0 00`)."""


@dataclass(frozen=True, slots=True)
class EncryptReq:
    """ENCRYPTREQ: the device's RSA-1024 public key; algorithm 1 = AES."""

    public_exponent: int
    modulus: int
    algorithm: int = 1


@dataclass(frozen=True, slots=True)
class EncryptResp:
    """ENCRYPTRESP: the AES-128 session key, RSA PKCS#1 v1.5 encrypted to the device's key."""

    encrypted_key: bytes


@dataclass(frozen=True, slots=True)
class Unknown:
    """A well-framed packet this codec does not decode (PUSHDATA, UPDATEREQ, UPDATERESP)."""

    type: int
    body: bytes


type Message = (
    ConnReq
    | ConnResp
    | ConnClose
    | SaveData
    | SaveAck
    | SaveAckJson
    | CmdReq
    | CmdResp
    | PingReq
    | PingResp
    | EncryptReq
    | EncryptResp
    | Unknown
)
