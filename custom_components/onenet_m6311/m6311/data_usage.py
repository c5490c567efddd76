"""What the module's work costs on the cellular link, estimated from the commands it carried out.

The library never sees the cellular side: the module speaks EDP over TCP by itself (docs/edp.md).
But a command the module carried out tells which EDP messages it exchanged with the platform,
and their sizes follow from the command's own parameters: `AT+CIOTDAT` is one SAVEDATA (type 5,
`,;` and the command's data), `AT+CIOTPING` a PINGREQ and its PINGRESP, `AT+CIOTSTART` a TCP
connection and a CONNREQ, and so on. `account` turns one command line into that `Traffic`, and
`DataUsageMeter` adds it up with the cloud commands (`+IOTCMD`) the module received.

docs/data-usage.md is the model: which packets are counted, and what is assumed.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .models import CloudCommand

if TYPE_CHECKING:
    from collections.abc import Callable

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
_COMMAND = re.compile(r"AT\+(?P<name>[A-Z]+)(?P<op>[=?]?)(?P<params>.*)", re.IGNORECASE | re.DOTALL)


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


def _utf8(text: str) -> int:
    return len(text.encode())


@dataclass(frozen=True, slots=True)
class LoginSize:
    """The lengths a CONNREQ carries, never the values: some of them are secrets."""

    device_id: int
    auth: int
    """The device's APIKEY (modes 0 and 1) or its auth_info (mode 2)."""
    project_id: int | None = None
    """Mode 2 only: its CONNREQ names the project and leaves the device ID empty."""

    @property
    def connreq_body(self) -> int:
        """The body of the CONNREQ that logs in with these."""
        project = 0 if self.project_id is None else _string(self.project_id)
        return _CONNREQ_HEAD + _string(self.device_id) + project + _string(self.auth)


STORED_DEVICE_LOGIN = LoginSize(ASSUMED_DEVICE_ID_LENGTH, ASSUMED_KEY_LENGTH)


def _savedata_body(payload: int, msg_id: int) -> int:
    """SAVEDATA: flags, the message ID when one is asked for, the payload type, the payload."""
    return 1 + (2 if msg_id else 0) + 1 + payload


def _split_string_payload(data: str) -> int:
    """Type 5: the separators and the data of AT+CIOTDAT, as one string."""
    return _string(_utf8(_SPLIT_STRING_SEPARATORS + data))


def _binary_payload(datastream: str, size: int) -> int:
    """Type 2: the JSON descriptor `{"ds_id":...}` as a string, a 32-bit length, the bytes."""
    descriptor = json.dumps({"ds_id": datastream}, ensure_ascii=False, separators=(",", ":"))
    return _string(_utf8(descriptor)) + 4 + size


def _command_request_body(size: int) -> int:
    """CMDREQ: the command ID as a string, a 32-bit length, the body."""
    return _string(COMMAND_ID_LENGTH) + 4 + size


_COMMAND_RESPONSE_BODY = _string(COMMAND_ID_LENGTH)
"""CMDRESP without a body, in the C SDK's form (no length), as the module answers."""


# --- packets ----------------------------------------------------------------------------------


def _packets(frame: int) -> int:
    return max(1, math.ceil(frame / MSS))


def exchange(request: int, answer: int | None = None) -> Traffic:
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
        exchange(frame_size(_ENCRYPTREQ_BODY), frame_size(_ENCRYPTRESP_BODY))
        if encrypt
        else NO_TRAFFIC
    )
    connect = exchange(
        frame_size(login.connreq_body, encrypted=encrypt),
        frame_size(_CONNRESP_BODY, encrypted=encrypt),
    )
    return TCP_OPEN + keys + connect


def save_traffic(payload: int, msg_id: int, *, encrypted: bool) -> Traffic:
    """A SAVEDATA, and the platform's SAVEACK when a message ID asks for one."""
    request = frame_size(_savedata_body(payload, msg_id), encrypted=encrypted)
    answer = frame_size(_SAVEACK_BODY, encrypted=encrypted) if msg_id else None
    return exchange(request, answer)


def cloud_command_traffic(size: int, *, encrypted: bool) -> Traffic:
    """A CMDREQ with a body of `size` bytes from the platform, and the module's CMDRESP."""
    return exchange(
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


def account(line: str, context: LinkContext) -> _Account:
    """The traffic of one command line the module carried out, and the context after it.

    Commands that do not reach the platform, and lines this does not understand, cost nothing.
    """
    match = _COMMAND.fullmatch(line.strip())
    if match is None:
        return NO_TRAFFIC, context
    handler = _HANDLERS.get((match["name"].upper(), match["op"]))
    if handler is None:
        return NO_TRAFFIC, context
    return handler(match["params"], context)


def _connect_params(params: str, context: LinkContext) -> _Account:
    values = [value.strip().strip('"') for value in params.split(",")]
    login = _login_size(values)
    return NO_TRAFFIC, context if login is None else replace(context, login=login)


def _login_size(values: list[str]) -> LoginSize | None:
    """The CONNREQ lengths of AT+CIOTCONNECTPARA's parameters (mode 0: stored, not known)."""
    match values:
        case ["0"]:
            return STORED_DEVICE_LOGIN
        case ["1", device_id, key]:
            return LoginSize(_utf8(device_id), _utf8(key))
        case ["2", project_id, auth_key, auth_value]:
            return LoginSize(0, _utf8(_auth_info(auth_key, auth_value)), _utf8(project_id))
    return None


def _auth_info(key: str, value: str) -> str:
    """What the module sends as auth_info: OneNET's object form, the two written as they are."""
    return f'{{"{key}":"{value}"}}'


def _start(params: str, context: LinkContext) -> _Account:
    encrypt = params.strip() == "1"  # without a parameter the module starts in plaintext
    traffic = login_traffic(context.login, encrypt=encrypt)
    return traffic, replace(context, encrypted=encrypt, upload=None)


def _quit(_params: str, context: LinkContext) -> _Account:
    return TCP_CLOSE, replace(context, encrypted=False, upload=None)


def _ping(_params: str, context: LinkContext) -> _Account:
    empty = frame_size(0, encrypted=context.encrypted)
    return exchange(empty, empty), context


def _data(params: str, context: LinkContext) -> _Account:
    """`<msg_id>,<n>,"<data>"`."""
    parts = params.split(",", 2)
    msg_id = _int(parts[0])
    if len(parts) < 3 or msg_id is None:  # noqa: PLR2004  # msg_id, n, data
        return NO_TRAFFIC, context
    payload = _split_string_payload(_unquote(parts[2]))
    return save_traffic(payload, msg_id, encrypted=context.encrypted), context


def _send_once(params: str, context: LinkContext) -> _Account:
    """`<encrypt>,<msg_id>,<n>,"<data>"`: log in, send, log out, with the link's settings."""
    parts = params.split(",", 3)
    msg_id = _int(parts[1]) if len(parts) > 1 else None
    if len(parts) < 4 or msg_id is None:  # noqa: PLR2004  # encrypt, msg_id, n, data
        return NO_TRAFFIC, context
    encrypt = parts[0].strip() == "1"
    payload = _split_string_payload(_unquote(parts[3]))
    traffic = (
        login_traffic(context.login, encrypt=encrypt)
        + save_traffic(payload, msg_id, encrypted=encrypt)
        + TCP_CLOSE
    )
    return traffic, context


def _binary_header(params: str, context: LinkContext) -> _Account:
    """`<msg_id>,<datastream>,<total>`: nothing is sent before the last chunk."""
    parts = [part.strip() for part in params.split(",")]
    if len(parts) != 3:  # noqa: PLR2004  # msg_id, datastream, total
        return NO_TRAFFIC, context
    msg_id, total = _int(parts[0]), _int(parts[2])
    if msg_id is None or total is None:
        return NO_TRAFFIC, context
    return NO_TRAFFIC, replace(context, upload=Upload(msg_id, parts[1], total))


def _binary_chunk(params: str, context: LinkContext) -> _Account:
    """`<n>,<hex>`: the chunk that completes the file sends it, as one SAVEDATA."""
    upload = context.upload
    size = _int(params.split(",", 1)[0])
    if upload is None or size is None:
        return NO_TRAFFIC, context
    received = upload.received + size
    if received < upload.total:
        return NO_TRAFFIC, replace(context, upload=replace(upload, received=received))
    payload = _binary_payload(upload.datastream, received)
    traffic = save_traffic(payload, upload.msg_id, encrypted=context.encrypted)
    return traffic, replace(context, upload=None)


def _binary_end(_params: str, context: LinkContext) -> _Account:
    return NO_TRAFFIC, replace(context, upload=None)


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _unquote(text: str) -> str:
    text = text.strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text  # noqa: PLR2004


_HANDLERS: dict[tuple[str, str], Callable[[str, LinkContext], _Account]] = {
    ("CIOTCONNECTPARA", "="): _connect_params,
    ("CIOTSTART", "="): _start,
    ("CIOTSTART", ""): _start,
    ("CIOTQUIT", ""): _quit,
    ("CIOTPING", ""): _ping,
    ("CIOTDAT", "="): _data,
    ("CIOTSEND", "="): _send_once,
    ("CIOTBINSET", "="): _binary_header,
    ("CIOTBINSEND", "="): _binary_chunk,
    ("CIOTBINEND", ""): _binary_end,
}
"""The commands that make the module talk to the platform, by name and operator."""


class DataUsageMeter:
    """The estimated cellular traffic so far: commands the module carried out, cloud commands."""

    def __init__(self) -> None:
        """Start at nothing, with the module's link settings unknown (mode 0, plaintext)."""
        self.traffic = NO_TRAFFIC
        self._context = LinkContext()

    def count_command(self, line: str) -> None:
        """The module carried out this command line (it answered with success)."""
        traffic, self._context = account(line, self._context)
        self.traffic += traffic

    def count_event(self, event: ModuleEvent) -> None:
        """A line the module printed by itself: a cloud command came over the link."""
        if isinstance(event, CloudCommand):
            size = len(event.data)
            self.traffic += cloud_command_traffic(size, encrypted=self._context.encrypted)
