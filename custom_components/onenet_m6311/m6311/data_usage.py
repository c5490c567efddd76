"""What the module's work costs on the cellular link, estimated from the commands it carried out.

The library never sees the cellular side: the module speaks EDP over TCP by itself (docs/edp.md).
But a command the module carried out tells which EDP messages it exchanged with the platform,
and their sizes follow from the command's own parameters, which each command states when it is built
(`Command.exchange`, see exchanges.py): `AT+CIOTDAT` is one SAVEDATA (type 5, `,;` and the
command's data), `AT+CIOTPING` a PINGREQ and its PINGRESP, `AT+CIOTSTART` a TCP connection and
a CONNREQ, and so on. `account` prices one such exchange as `Traffic`, and `DataUsageMeter` adds
it up with the cloud commands (`+IOTCMD`) the module received.

docs/data-usage.md is the model: which packets are counted, and what is assumed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from . import exchanges
from .exchanges import LoginSize, utf8_size
from .models import CloudCommand

if TYPE_CHECKING:
    from .commands import Command
    from .models import ModuleEvent

IP_TCP_HEADER = 40
"""Bytes of headers in every packet: IPv4 (20) and TCP (20), without options."""
SYN_OPTION = 4
"""The MSS option of SYN and SYN-ACK: the only TCP option counted (see docs/data-usage.md)."""
MSS = 1460
"""The most EDP bytes one packet carries: an MTU of 1500 less the headers."""
COMMAND_ID_LENGTH = 36
"""A platform command's ID in CMDREQ and CMDRESP: OneNET's UUID text."""
ASSUMED_DEVICE_ID_LENGTH = 9
"""Mode 0 logs in with the device ID the module stores, which the library does not read."""
ASSUMED_KEY_LENGTH = 28
"""... and with the device's APIKEY: OneNET's are 28 base64 characters."""

_AES_BLOCK = 16
_LENGTH_GROUP = 7
"""Bits per byte of EDP's remaining length."""
_CONNREQ_HEAD = 2 + 3 + 1 + 1 + 2
"""CONNREQ before the IDs: the protocol name "EDP" as a string, version, flags, keepalive."""
_ENCRYPTREQ_BODY = 4 + 128 + 1
"""RSA public exponent, RSA-1024 modulus, algorithm; sent in the clear."""
_ENCRYPTRESP_BODY = 2 + 128
"""The AES key, RSA-encrypted, as a string; sent in the clear."""
_CONNRESP_BODY = 2
_SAVEACK_BODY = 4
"""The C SDK's form: flags, message ID, result (docs/edp.md)."""
_SPLIT_STRING_SEPARATORS = ",;"
"""What the module puts before the data of AT+CIOTDAT to make a type 5 payload."""


@dataclass(frozen=True, slots=True)
class Traffic:
    """Bytes over the cellular link: EDP bytes and IP packets, each way.

    Up is what the module sends (and the SIM uploads), down what the platform sends.
    """

    edp_up: int = 0
    edp_down: int = 0
    packets_up: int = 0
    packets_down: int = 0
    tcp_options: int = 0
    """Bytes of TCP options beyond the fixed headers (SYN and SYN-ACK), both ways."""

    def __add__(self, other: Traffic) -> Traffic:
        """Both together."""
        return Traffic(
            self.edp_up + other.edp_up,
            self.edp_down + other.edp_down,
            self.packets_up + other.packets_up,
            self.packets_down + other.packets_down,
            self.tcp_options + other.tcp_options,
        )

    def reversed(self) -> Traffic:
        """The same exchange started by the platform: up and down swapped."""
        return Traffic(
            self.edp_down, self.edp_up, self.packets_down, self.packets_up, self.tcp_options
        )

    @property
    def edp_bytes(self) -> int:
        """EDP bytes both ways: what the module and the platform wrote to their sockets."""
        return self.edp_up + self.edp_down

    @property
    def overhead(self) -> int:
        """Bytes of IP and TCP headers both ways."""
        return IP_TCP_HEADER * (self.packets_up + self.packets_down) + self.tcp_options

    @property
    def total(self) -> int:
        """Every byte both ways: what an operator bills."""
        return self.edp_bytes + self.overhead


NO_TRAFFIC = Traffic()


# --- EDP sizes --------------------------------------------------------------------------------


def frame_size(body: int, *, encrypted: bool = False) -> int:
    """One EDP message with a body of `body` bytes: type byte, remaining length, body.

    On an encrypted link the body is AES-encrypted with EDP's padding, 1 to 16 bytes; an
    empty body (PINGREQ, PINGRESP) stays clear, as OneNET's C SDK leaves it (docs/edp.md).
    """
    if encrypted and body:
        body = (body // _AES_BLOCK + 1) * _AES_BLOCK
    return 1 + _remaining_length_size(body) + body


def _remaining_length_size(body: int) -> int:
    """Bytes of the remaining length: 7 bits each (as MQTT's)."""
    return max(1, math.ceil(body.bit_length() / _LENGTH_GROUP))


def _string(size: int) -> int:
    """An EDP string of `size` bytes: its 16-bit length, then the bytes."""
    return 2 + size


def _connreq_body(login: LoginSize) -> int:
    """The body of the CONNREQ that logs in with these lengths."""
    project = 0 if login.project_id is None else _string(login.project_id)
    return _CONNREQ_HEAD + _string(login.device_id) + project + _string(login.auth)


STORED_DEVICE_LOGIN = LoginSize(ASSUMED_DEVICE_ID_LENGTH, ASSUMED_KEY_LENGTH)


def _savedata_body(payload: int, msg_id: int) -> int:
    """SAVEDATA: flags, the message ID when one is asked for, the payload type, the payload."""
    return 1 + (2 if msg_id else 0) + 1 + payload


def _split_string_payload(data_bytes: int) -> int:
    """Type 5: the separators and the data of AT+CIOTDAT, as one string."""
    return _string(len(_SPLIT_STRING_SEPARATORS) + data_bytes)


def _binary_payload(datastream: str, size: int) -> int:
    """Type 2: the JSON descriptor `{"ds_id":...}` as a string, a 32-bit length, the bytes."""
    descriptor = json.dumps({"ds_id": datastream}, ensure_ascii=False, separators=(",", ":"))
    return _string(utf8_size(descriptor)) + 4 + size


def _command_request_body(size: int) -> int:
    """CMDREQ: the command ID as a string, a 32-bit length, the body."""
    return _string(COMMAND_ID_LENGTH) + 4 + size


_COMMAND_RESPONSE_BODY = _string(COMMAND_ID_LENGTH)
"""CMDRESP without a body, in the C SDK's form (no length), as the module answers."""


# --- packets ----------------------------------------------------------------------------------


def _packets(frame: int) -> int:
    return max(1, math.ceil(frame / MSS))


def exchange_traffic(request: int, answer: int | None = None) -> Traffic:
    """The module sends a message of `request` bytes, and the platform answers or not.

    Each packet is acknowledged by one from the other side: the platform's answer carries the
    acknowledgement of the request's last packet, and the module acknowledges the answer.
    """
    sent = _packets(request)
    if answer is None:
        return Traffic(edp_up=request, packets_up=sent, packets_down=sent)
    answered = _packets(answer)
    return Traffic(
        edp_up=request,
        edp_down=answer,
        packets_up=sent + answered,
        packets_down=sent - 1 + answered,
    )


TCP_OPEN = Traffic(packets_up=2, packets_down=1, tcp_options=2 * SYN_OPTION)
"""SYN, SYN-ACK, ACK."""
TCP_CLOSE = Traffic(packets_up=2, packets_down=1)
"""FIN, the platform's FIN-ACK, ACK."""


def login_traffic(login: LoginSize, *, encrypt: bool) -> Traffic:
    """A TCP connection, the key exchange when encrypting, CONNREQ and CONNRESP."""
    keys = (
        exchange_traffic(frame_size(_ENCRYPTREQ_BODY), frame_size(_ENCRYPTRESP_BODY))
        if encrypt
        else NO_TRAFFIC
    )
    connect = exchange_traffic(
        frame_size(_connreq_body(login), encrypted=encrypt),
        frame_size(_CONNRESP_BODY, encrypted=encrypt),
    )
    return TCP_OPEN + keys + connect


def save_traffic(payload: int, msg_id: int, *, encrypted: bool) -> Traffic:
    """A SAVEDATA, and the platform's SAVEACK when a message ID asks for one."""
    request = frame_size(_savedata_body(payload, msg_id), encrypted=encrypted)
    answer = frame_size(_SAVEACK_BODY, encrypted=encrypted) if msg_id else None
    return exchange_traffic(request, answer)


def cloud_command_traffic(size: int, *, encrypted: bool) -> Traffic:
    """A CMDREQ with a body of `size` bytes from the platform, and the module's CMDRESP."""
    return exchange_traffic(
        frame_size(_command_request_body(size), encrypted=encrypted),
        frame_size(_COMMAND_RESPONSE_BODY, encrypted=encrypted),
    ).reversed()


# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Upload:
    """A file between AT+CIOTBINSET and the chunk that completes it."""

    msg_id: int
    datastream: str
    total: int
    received: int = 0


@dataclass(frozen=True, slots=True)
class LinkContext:
    """What the size of a command's traffic depends on beyond the command itself."""

    login: LoginSize = STORED_DEVICE_LOGIN
    """The module logs in with what the last AT+CIOTCONNECTPARA set (mode 0 before any)."""
    encrypted: bool = False
    """The long link was opened with AT+CIOTSTART=1."""
    upload: Upload | None = None


type _Account = tuple[Traffic, LinkContext]


def account(exchange: exchanges.Exchange | None, context: LinkContext) -> _Account:  # noqa: PLR0911  # a case a kind
    """The traffic of what a command the module carried out exchanged, and the context after it.

    Commands that do not reach the platform (`exchange` None) cost nothing.
    """
    match exchange:
        case exchanges.SetsLogin(login):
            return NO_TRAFFIC, replace(context, login=login or STORED_DEVICE_LOGIN)
        case exchanges.OpensLink(encrypt):
            traffic = login_traffic(context.login, encrypt=encrypt)
            return traffic, replace(context, encrypted=encrypt, upload=None)
        case exchanges.ClosesLink():
            return TCP_CLOSE, replace(context, encrypted=False, upload=None)
        case exchanges.Pings():
            empty = frame_size(0, encrypted=context.encrypted)
            return exchange_traffic(empty, empty), context
        case exchanges.SavesData(msg_id, data_bytes):
            payload = _split_string_payload(data_bytes)
            return save_traffic(payload, msg_id, encrypted=context.encrypted), context
        case exchanges.SendsOnce(encrypt, msg_id, data_bytes):
            return _send_once(encrypt, msg_id, data_bytes, context.login), context
        case exchanges.AnnouncesFile(msg_id, datastream, total):
            return NO_TRAFFIC, replace(context, upload=Upload(msg_id, datastream, total))
        case exchanges.SendsChunk(size):
            return _binary_chunk(size, context)
        case exchanges.EndsFile():
            return NO_TRAFFIC, replace(context, upload=None)
    return NO_TRAFFIC, context


def _send_once(encrypt: bool, msg_id: int, data_bytes: int, login: LoginSize) -> Traffic:  # noqa: FBT001
    """Log in, send, log out, with the link's settings."""
    payload = _split_string_payload(data_bytes)
    return (
        login_traffic(login, encrypt=encrypt)
        + save_traffic(payload, msg_id, encrypted=encrypt)
        + TCP_CLOSE
    )


def _binary_chunk(size: int, context: LinkContext) -> _Account:
    """The chunk that completes the file sends it, as one SAVEDATA."""
    upload = context.upload
    if upload is None:
        return NO_TRAFFIC, context
    received = upload.received + size
    if received < upload.total:
        return NO_TRAFFIC, replace(context, upload=replace(upload, received=received))
    payload = _binary_payload(upload.datastream, received)
    traffic = save_traffic(payload, upload.msg_id, encrypted=context.encrypted)
    return traffic, replace(context, upload=None)


class DataUsageMeter:
    """The estimated cellular traffic so far: commands the module carried out, cloud commands."""

    def __init__(self) -> None:
        """Start at nothing, with the module's link settings unknown (mode 0, plaintext)."""
        self.traffic = NO_TRAFFIC
        self._context = LinkContext()

    def count_command(self, command: Command) -> None:
        """The module carried out this command (it answered with success)."""
        traffic, self._context = account(command.exchange, self._context)
        self.traffic += traffic

    def count_event(self, event: ModuleEvent) -> None:
        """A line the module printed by itself: a cloud command came over the link."""
        if isinstance(event, CloudCommand):
            size = len(event.data)
            self.traffic += cloud_command_traffic(size, encrypted=self._context.encrypted)
