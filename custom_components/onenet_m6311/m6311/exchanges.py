"""What a command makes the module exchange with the platform, stated when the command is built.

The library never sees the cellular side: the module speaks EDP over TCP by itself
(docs/edp.md). A command's own parameters tell which EDP messages it makes the module send:
`AT+CIOTDAT` one SAVEDATA holding its data, `AT+CIOTPING` a PINGREQ, `AT+CIOTSTART` a TCP
connection and a login. Each builder in `commands` states that as one of these values
(`Command.exchange`) from the arguments it was given, and `data_usage` prices it; nothing reads
a command line back. Only a line typed by hand (`commands.raw`) has no arguments to tell it, so
`typed_exchange` reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LoginSize:
    """The lengths a CONNREQ carries, never the values: some of them are secrets."""

    device_id: int
    auth: int
    """The device's APIKEY (modes 0 and 1) or its auth_info (mode 2)."""
    project_id: int | None = None
    """Mode 2 only: its CONNREQ names the project and leaves the device ID empty."""


@dataclass(frozen=True, slots=True)
class SetsLogin:
    """AT+CIOTCONNECTPARA: what the next login sends; nothing leaves the module yet."""

    login: LoginSize | None
    """None in mode 0: the module logs in with the device it stores, which is not read."""


@dataclass(frozen=True, slots=True)
class OpensLink:
    """AT+CIOTSTART: a TCP connection, the key exchange when encrypting, and the login."""

    encrypt: bool


@dataclass(frozen=True, slots=True)
class ClosesLink:
    """AT+CIOTQUIT: the TCP connection closed."""


@dataclass(frozen=True, slots=True)
class Pings:
    """AT+CIOTPING: a PINGREQ and the platform's PINGRESP."""


@dataclass(frozen=True, slots=True)
class SavesData:
    """AT+CIOTDAT: one SAVEDATA of type 5 (`,;` and the data), acknowledged when msg_id > 0."""

    msg_id: int
    data_bytes: int
    """UTF-8 bytes of the command's data, as the module puts it in the payload."""


@dataclass(frozen=True, slots=True)
class SendsOnce:
    """AT+CIOTSEND: a login, one SAVEDATA as AT+CIOTDAT's, and the TCP connection closed."""

    encrypt: bool
    msg_id: int
    data_bytes: int


@dataclass(frozen=True, slots=True)
class AnnouncesFile:
    """AT+CIOTBINSET: nothing is sent before the chunk that completes the file."""

    msg_id: int
    datastream: str
    total: int


@dataclass(frozen=True, slots=True)
class SendsChunk:
    """AT+CIOTBINSEND: a chunk of `size` bytes; the one that completes the file sends it."""

    size: int


@dataclass(frozen=True, slots=True)
class EndsFile:
    """AT+CIOTBINEND: an unfinished file is dropped."""


type Exchange = (
    SetsLogin | OpensLink | ClosesLink | Pings | SavesData | SendsOnce | AnnouncesFile | SendsChunk
) | EndsFile
"""Every command that reaches the platform, or changes what a later one sends."""


def utf8_size(text: str) -> int:
    """Bytes of text in UTF-8, as the module writes it."""
    return len(text.encode())


def auth_info(key: str, value: str) -> str:
    """What the module sends as auth_info: OneNET's object form, the two written as they are."""
    return f'{{"{key}":"{value}"}}'


# --- a line typed by hand ---------------------------------------------------------------------

_TYPED = re.compile(r"AT\+(?P<name>[A-Z]+)(?P<op>[=?]?)(?P<params>.*)", re.IGNORECASE | re.DOTALL)


def typed_exchange(line: str) -> Exchange | None:
    """What a command line typed by hand makes the module exchange; None for what stays local.

    A line this does not understand (a query, missing parameters) is taken to send nothing.
    """
    match = _TYPED.fullmatch(line.strip())
    if match is None:
        return None
    name, op, params = match["name"].upper(), match["op"], match["params"]
    if op == "?":
        return None
    if op == "":
        return _BARE.get(name)
    reader = _WITH_PARAMETERS.get(name)
    return None if reader is None else reader(params)


def _login(params: str) -> Exchange | None:
    match [value.strip().strip('"') for value in params.split(",")]:
        case ["0"]:
            return SetsLogin(None)
        case ["1", device_id, key]:
            return SetsLogin(LoginSize(utf8_size(device_id), utf8_size(key)))
        case ["2", project_id, key, value]:
            size = LoginSize(0, utf8_size(auth_info(key, value)), utf8_size(project_id))
            return SetsLogin(size)
    return None


def _start(params: str) -> Exchange | None:
    return OpensLink(encrypt=params.strip() == "1")


def _data(params: str) -> Exchange | None:
    """`<msg_id>,<n>,"<data>"`."""
    parts = params.split(",", 2)
    msg_id = _int(parts[0])
    if len(parts) < 3 or msg_id is None:  # noqa: PLR2004  # msg_id, n, data
        return None
    return SavesData(msg_id, utf8_size(_unquote(parts[2])))


def _send_once(params: str) -> Exchange | None:
    """`<encrypt>,<msg_id>,<n>,"<data>"`."""
    parts = params.split(",", 3)
    msg_id = _int(parts[1]) if len(parts) > 1 else None
    if len(parts) < 4 or msg_id is None:  # noqa: PLR2004  # encrypt, msg_id, n, data
        return None
    return SendsOnce(parts[0].strip() == "1", msg_id, utf8_size(_unquote(parts[3])))


def _binary_header(params: str) -> Exchange | None:
    """`<msg_id>,<datastream>,<total>`."""
    parts = [part.strip() for part in params.split(",")]
    if len(parts) != 3:  # noqa: PLR2004  # msg_id, datastream, total
        return None
    msg_id, total = _int(parts[0]), _int(parts[2])
    if msg_id is None or total is None:
        return None
    return AnnouncesFile(msg_id, parts[1], total)


def _binary_chunk(params: str) -> Exchange | None:
    """`<n>,<hex>`."""
    size = _int(params.split(",", 1)[0])
    return None if size is None else SendsChunk(size)


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _unquote(text: str) -> str:
    text = text.strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text  # noqa: PLR2004


_BARE: dict[str, Exchange] = {
    "CIOTSTART": OpensLink(encrypt=False),  # without a parameter the module starts in plaintext
    "CIOTQUIT": ClosesLink(),
    "CIOTPING": Pings(),
    "CIOTBINEND": EndsFile(),
}
_WITH_PARAMETERS = {
    "CIOTCONNECTPARA": _login,
    "CIOTSTART": _start,
    "CIOTDAT": _data,
    "CIOTSEND": _send_once,
    "CIOTBINSET": _binary_header,
    "CIOTBINSEND": _binary_chunk,
}
