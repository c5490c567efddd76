"""Reading what the module prints: final results, information lines and unsolicited events.

`LineDecoder` turns the raw serial byte stream into items, `parse_line` classifies one
complete line, and the `read_*` functions turn a command's `Response` into typed results.

Accepted forms (be liberal: the document contradicts itself and firmwares differ):

Final results (end the pending command)
    `+OK`, `+OK=<value>` (the value may be empty, `+OK=` ends AT+CIOTBINEND), `+OK <text>`
    (`+OK PING succ!`), `OK`; `+ERR`, `+ERR=<code>` (also `+ERR:<code>`), `ERROR`,
    `+CME ERROR: <n>` and `+CMS ERROR: <n>` (standard 3GPP errors of the module's own
    commands such as AT+CGSN). `+OK`/`+ERR` are read in any case, as nothing else starts with
    them; bare `OK` and `ERROR` only in capitals, the standard result codes, so that a
    firmware's free text such as "ok" cannot end a command early.

Unsolicited lines (events, whatever command is pending)
    `+IOTCMD=<len>,<data>`, `+IOTCMD:<len>,<data>`, `+CIOTCMD:<len>,<data>` (either separator,
    spaces around it tolerated) become `CloudCommand`; `SAVE succ!msg:<id>` `SaveAck`;
    `BIN SEND OVER!` `BinarySendOver`; `CONNECT` / `CONNECT OK` `Connected`; `CONNECT FAIL`
    `ConnectFailed`; `RDY` and `+PBREADY` `ModuleBoot`; the network reports real firmware
    prints whenever its network changes (`+CREG:`, `+CGREG:`, `+CEREG:`, `+CTZV:`, `+CTZE:`,
    `+CPIN:`, `Call Ready`, `SMS Ready`) `NetworkReport`: never a value of the command in
    flight, unless that command is the query of the same family (`Command.claims`).

Everything else is an information line (`Info`): IMEI digits, `+CSQ: 20,99`, firmware text,
echoes of commands, and the dialects' answers `CIOTSTATUS:device_up`, `+CIOTSTATUS: 1`,
`+CIOTPING: OK` (the client ends a command on those through `Command.answer_prefixes`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

from .commands import MAX_LINE_LIMIT, PING_ANSWER_PREFIXES, STATUS_ANSWER_PREFIXES
from .errors import M6311ProtocolError
from .models import (
    BinarySendOver,
    CloudCommand,
    Connected,
    ConnectFailed,
    LinkStatus,
    ModuleBoot,
    NetworkReport,
    SaveAck,
    SignalQuality,
)

if TYPE_CHECKING:
    from collections.abc import Callable

MAX_LINE_BYTES = MAX_LINE_LIMIT
"""Longest line kept whole (bytes, without line end); longer ones are cut, see `LineDecoder`."""
MAX_COMMAND_PAYLOAD = 64 * 1024
"""Largest `+IOTCMD` payload believed (bytes): the platform's own limit for a command."""


@dataclass(frozen=True, slots=True)
class Final:
    """A final result: the module's answer that ends a command."""

    ok: bool
    """True for `+OK`/`OK` forms, False for errors."""
    value: str | None
    """Text after `+OK=`, `+OK ` or `+ERR=` (may be empty), None when the line has none."""
    code: int | None
    """The error code of `+ERR=<code>` (and of `+CME ERROR: <n>`), None otherwise."""
    raw: str
    """The line as received."""


@dataclass(frozen=True, slots=True)
class Info:
    """An information line: part of a command's answer (or an echo, or stray text)."""

    text: str


type ModuleLineEvent = (
    CloudCommand | SaveAck | BinarySendOver | Connected | ConnectFailed | NetworkReport | ModuleBoot
)
"""The unsolicited events a line can carry."""

type DecodedItem = Final | Info | ModuleLineEvent
"""What `LineDecoder.feed` yields."""

FINAL_QUIET = 0.2
"""Seconds of silence after which a final result without its line end counts, when nothing
can follow it (`OK`, `+OK`, `ERROR`, `+OK PING succ!`: the document writes the last one bare)."""
TRANSPORT_PATIENCE = 2.0
"""Seconds of silence after which bytes that may still grow are decided anyway: a cloud
command's payload short of its declared length, a value-bearing final (`+OK=12` may become
`+OK=1234`) without its line end. A `socket://` or `esphome://` port crosses Wi-Fi, which
pauses a stream for tenths of a second; a module's own UART does not pause inside a line."""

_OK_PATTERN = re.compile(r"\+OK(?:(=)(.*)|( )(.*))?", re.IGNORECASE | re.DOTALL)
_ERR_PATTERN = re.compile(r"\+ERR(?:\s*[=:]\s*(.*))?", re.IGNORECASE | re.DOTALL)
_STANDARD_ERROR_PATTERN = re.compile(r"\+CM[ES] ERROR\s*:\s*(.*)", re.IGNORECASE | re.DOTALL)
_CODE_PATTERN = re.compile(r"[+-]?[0-9]{1,9}")

_COMMAND_PATTERN = re.compile(r"\+C?IOTCMD *[=:] *([0-9]{1,12}) *,(.*)", re.IGNORECASE | re.DOTALL)
# The same header in bytes for the decoder; spaces only (never \s: it would swallow CR/LF).
_COMMAND_HEADER = re.compile(rb"\+C?IOTCMD *[=:] *([0-9]{1,12}) *,", re.IGNORECASE)
_SAVE_PATTERN = re.compile(r"SAVE +succ! *msg *: *([0-9]{1,9})", re.IGNORECASE)
_BIN_OVER_PATTERN = re.compile(r"BIN +SEND +OVER!?", re.IGNORECASE)
_CONNECT_PATTERN = re.compile(r"CONNECT(?: +OK)?", re.IGNORECASE)
_CONNECT_FAIL_PATTERN = re.compile(r"CONNECT +FAIL(?:ED)?", re.IGNORECASE)
_REPORT_PATTERN = re.compile(r"\+(C?E?G?REG|CTZ[VE]|CPIN) *: *(.*)", re.IGNORECASE | re.DOTALL)
_NOTICE_PATTERN = re.compile(r"(?:CALL|SMS) +READY", re.IGNORECASE)
_CLOSED_LINES = frozenset(
    {"OK", "+OK", "ERROR", "+ERR", "+OK PING SUCC!", "CONNECT OK", "CONNECT FAIL"}
)
"""Finals and events nothing can be added to: they count after `FINAL_QUIET` without their
line end. `CONNECT` is not one: on a network port ` OK` may still be on its way."""
_BOOT_PATTERN = re.compile(r"RDY|\+PBREADY", re.IGNORECASE)
_LINE_END = re.compile(rb"[\r\n]")


def _code(text: str) -> int | None:
    text = text.strip()
    return int(text) if _CODE_PATTERN.fullmatch(text) else None


def parse_final(line: str) -> Final | None:
    """Return the final result `line` is, or None when it is not one."""
    text = line.strip()
    if text == "OK":
        return Final(ok=True, value=None, code=None, raw=line)
    if text == "ERROR":
        return Final(ok=False, value=None, code=None, raw=line)
    if match := _OK_PATTERN.fullmatch(text):
        # `+OK=<value>` keeps the value verbatim (may be empty); `+OK <text>` keeps the text.
        value = match[2] if match[1] else match[4] if match[3] else None
        return Final(ok=True, value=value, code=None, raw=line)
    if match := _ERR_PATTERN.fullmatch(text):
        value = match[1]
        return Final(ok=False, value=value, code=None if value is None else _code(value), raw=line)
    if match := _STANDARD_ERROR_PATTERN.fullmatch(text):
        return Final(ok=False, value=match[1], code=_code(match[1]), raw=line)
    return None


def parse_event(line: str) -> ModuleLineEvent | None:
    """Return the unsolicited event `line` is, or None when it is not one.

    A `+IOTCMD` line read here as a whole line takes everything after the comma as data; the
    `LineDecoder` instead cuts the data by its declared byte length, as it may hold line ends.
    """
    # The payload is kept to the line's end, trailing spaces included: they may be data.
    if match := _COMMAND_PATTERN.fullmatch(line.lstrip()):
        return CloudCommand(match[2].encode())
    text = line.strip()
    return _transfer_event(text) or _link_event(text) or _network_report(text)


def _transfer_event(text: str) -> SaveAck | BinarySendOver | None:
    """What the platform did with data: stored it, or took a whole file."""
    if match := _SAVE_PATTERN.fullmatch(text):
        return SaveAck(int(match[1]))
    if _BIN_OVER_PATTERN.fullmatch(text):
        return BinarySendOver()
    return None


def _link_event(text: str) -> Connected | ConnectFailed | ModuleBoot | None:
    """The platform login reported, or the module (re)started."""
    if _CONNECT_PATTERN.fullmatch(text):
        return Connected(text)
    if _CONNECT_FAIL_PATTERN.fullmatch(text):
        return ConnectFailed(text)
    if _BOOT_PATTERN.fullmatch(text):
        return ModuleBoot(text)
    return None


def _network_report(text: str) -> NetworkReport | None:
    """Registration, time zone, SIM state, or a start-up notice."""
    if match := _REPORT_PATTERN.fullmatch(text):
        return NetworkReport(kind=match[1].upper(), value=match[2].strip(), text=text)
    if _NOTICE_PATTERN.fullmatch(text):
        return NetworkReport(kind=" ".join(text.split()), value="", text=text)
    return None


def parse_line(line: str) -> Final | Info | ModuleLineEvent:
    """Classify one complete line (without its line end): final result, event, or information.

    Events are tried before finals; no event form can be read as a final, so the order only
    saves work.
    """
    return parse_event(line) or parse_final(line) or Info(line)


class LineDecoder:
    """Turns the module's byte stream into finals, information lines and events, in order.

    Lines end with CR LF, CR alone (a dialect) or LF; empty lines are dropped; a line not yet
    ended waits for the next `feed`. Bytes that are not UTF-8 are replaced (U+FFFD). Noise at
    the start of a line (NUL, other C0 controls, DEL, and bytes no UTF-8 text starts with, such
    as the 0xFF a module prints while it powers up) is dropped, so it cannot hide an answer.

    A cloud command `+IOTCMD=<len>,` (and its dialects) is followed by `len` bytes of payload,
    whatever they hold (CR, LF, commas, quotes, text that looks like `+OK` or `+ERR=-108`, any
    bytes): the declared length is the truth, as the real M6311R driver reads it (copy exactly
    `len` bytes after the comma; docs/protocol.md, evidence). The command is told as soon as
    they are all there, and the line end after them is consumed. Only the bytes can prove the
    count wrong:

    - a payload that ends with a line end which the next byte does not follow with another is
      one whose count included its line end: told without it, and the next line is read;
    - a payload not followed by a line end, with a final result, an event or an information
      answer (below) on a line that starts inside it, was over-counted: it ends where that
      line begins, told with `truncated=True`, and the line is read as what it is;
    - a payload still short after `TRANSPORT_PATIENCE` of silence (a network port pauses, so a
      shorter silence proves nothing) was over-counted: if a line inside it is a final
      result, an event or the information answer of a command sent while commands may arrive
      (`+CSQ:`, `+CIOTPING:`, `+CIOTSTATUS:`), the payload ends where that line begins and
      the line is read as what it is (the module's answer was waiting behind the count);
      otherwise all that came is the payload. Either way it is told with `truncated=True`.

    If the payload is followed by something else than a line end (a module that counted
    characters rather than bytes, say), the rest of that line is told as an `Info`, never as a
    final or an event, so stray payload cannot end a command or fake an acknowledgement.

    A line without its line end is held until more bytes come; when the line goes quiet
    instead, `flush_idle` tells it if it is a final result or an event (the document writes
    `+OK PING succ!` with no line end), and keeps holding anything else. `quiet_needed` says
    how much silence that takes: `FINAL_QUIET` for a final nothing can be added to,
    `TRANSPORT_PATIENCE` for anything that may still grow.

    Memory is bounded, and what `feed` yields does not depend on how the stream is split:

    - a declared length above `MAX_COMMAND_PAYLOAD` (64 KiB, the platform's limit) is not
      believed: the line is read as an ordinary line and told as an `Info`;
    - a line longer than `MAX_LINE_BYTES` (8 KiB) is cut: its first `MAX_LINE_BYTES` bytes are
      told as an `Info` and the rest, up to the next line end, is dropped.
    """

    def __init__(self) -> None:
        """Start with an empty buffer, at the beginning of a line."""
        self._buffer = bytearray()
        self._after_payload = False  # a cloud command's payload has just ended
        self._info_only = False  # the current line is told as Info, whatever it says
        self._discarding = False  # dropping the rest of an over-long line

    @property
    def waiting(self) -> bool:
        """Whether bytes are held for a line (or a payload) not complete yet."""
        return bool(self._buffer)

    def quiet_needed(self) -> float | None:
        """Seconds of silence after which `flush_idle` may decide what is held (None: never).

        A final nothing can be added to needs `FINAL_QUIET`; a payload short of its count, or
        a line that may yet become a final or an event, `TRANSPORT_PATIENCE`; other text waits
        for its line end however long it takes.
        """
        if not self._buffer or self._discarding:
            return None
        if _COMMAND_HEADER.match(self._buffer) and not self._info_only:
            return TRANSPORT_PATIENCE
        held = _decode(self._buffer).strip()
        if self._info_only or "\r" in held or "\n" in held:
            return None
        if " ".join(held.upper().split()) in _CLOSED_LINES:
            return FINAL_QUIET
        if _may_start(held.upper().encode(), _ANSWER_STARTS):
            return TRANSPORT_PATIENCE
        return None

    def reset(self) -> None:
        """Forget any partial line (after the port reopens, say)."""
        self._buffer.clear()
        self._after_payload = self._info_only = self._discarding = False

    def feed(self, data: bytes) -> list[DecodedItem]:
        """Add received bytes; return the items they complete, in stream order."""
        self._buffer += data
        return self._decode(idle=False)

    def flush_idle(self) -> list[DecodedItem]:
        """The line went quiet: tell what a final silence completes (see the class doc)."""
        return self._decode(idle=True)

    def _decode(self, *, idle: bool) -> list[DecodedItem]:
        items: list[DecodedItem] = []
        pos = 0
        while pos < len(self._buffer):
            step = self._step(pos, items, idle=idle)
            if step is None:
                break  # the rest needs more bytes
            pos = step
        del self._buffer[:pos]
        return items

    def _step(self, pos: int, items: list[DecodedItem], *, idle: bool) -> int | None:
        """Decode from `pos` on: the new position, or None to wait for more bytes."""
        buffer = self._buffer
        if self._discarding:
            return self._discard(pos)
        if self._after_payload:
            # The payload's own line end is dropped below with the empty lines; anything
            # else right after the payload is not the module's next line.
            self._after_payload = False
            self._info_only = buffer[pos] not in b"\r\n"
            return pos
        if buffer[pos] in b"\r\n":  # a line end, or an empty line
            return pos + 1
        if buffer[pos] in _NOISE and not self._info_only:
            return pos + 1  # noise before a line: a power-up glitch, not the module's words
        if not self._info_only and (header := _COMMAND_HEADER.match(buffer, pos)):
            length = int(header[1])
            if length <= MAX_COMMAND_PAYLOAD:
                return self._payload(header.end(), header.end() + length, items, idle=idle)
            self._info_only = True  # an absurd length: not believed
        return self._line(pos, items, idle=idle)

    def _payload(
        self, start: int, stop: int, items: list[DecodedItem], *, idle: bool
    ) -> int | None:
        """A cloud command's payload from `start`, declared to end at `stop`."""
        buffer = self._buffer
        if len(buffer) >= stop:
            return self._whole_payload(start, stop, items, idle=idle)
        if not idle:
            return None  # the count is the truth: wait for it
        # Quiet for `TRANSPORT_PATIENCE` and still short: the count was wrong.
        cut = _answer_inside(buffer, start, stop)
        if cut is not None:
            items.append(CloudCommand(bytes(buffer[start:cut]), truncated=True))
            return cut
        items.append(CloudCommand(_without_line_end(buffer[start:]), truncated=True))
        return len(buffer)

    def _whole_payload(
        self, start: int, stop: int, items: list[DecodedItem], *, idle: bool
    ) -> int | None:
        """Every declared byte is there: the byte after them settles how to read them."""
        buffer = self._buffer
        if len(buffer) == stop and not idle:
            return None  # the next byte tells whether the count was right
        payload = bytes(buffer[start:stop])
        ended = len(buffer) == stop or buffer[stop] in b"\r\n"
        if payload.endswith((b"\r", b"\n")) and (len(buffer) == stop or not ended):
            # The declared length counted the line end: the line is over.
            items.append(CloudCommand(_without_line_end(payload)))
            return stop
        if not ended and (cut := _answer_inside(buffer, start, stop)) is not None:
            # No line end after the count, and an answer inside it: over-counted, and the
            # module's next line began inside (the bytes prove the count wrong).
            items.append(CloudCommand(bytes(buffer[start:cut]), truncated=True))
            return cut
        items.append(CloudCommand(payload))
        self._after_payload = True
        return stop

    def _discard(self, pos: int) -> int:
        """Drop the rest of an over-long line, up to (not including) its line end."""
        end = _LINE_END.search(self._buffer, pos)
        if end is None:
            return len(self._buffer)
        self._discarding = False
        return end.start()

    def _line(self, pos: int, items: list[DecodedItem], *, idle: bool) -> int | None:
        buffer = self._buffer
        end = _LINE_END.search(buffer, pos)
        stop = len(buffer) if end is None else end.start()
        if stop - pos > MAX_LINE_BYTES:
            # Cut at a fixed count, whether or not the line end is there yet, so that the
            # result does not depend on how the stream arrived.
            items.append(Info(_decode(buffer[pos : pos + MAX_LINE_BYTES])))
            self._info_only = False
            self._discarding = True
            return pos + MAX_LINE_BYTES
        text = _decode(buffer[pos:stop])
        if end is None:
            # Quiet after a whole final or event without its line end: it counts.
            item = None if self._info_only or not idle else parse_line(text)
            if item is None or isinstance(item, Info):
                return None
            items.append(item)
            return stop
        items.append(Info(text) if self._info_only else parse_line(text))
        self._info_only = False
        return stop


_NOISE = frozenset(
    [
        *range(0x09),
        0x0B,
        0x0C,
        *range(0x0E, 0x20),
        0x7F,
        *range(0x80, 0xC2),
        *range(0xF5, 0x100),
    ]
)
"""Bytes dropped before a line: controls (not TAB, CR, LF) and bytes no UTF-8 text starts
with (continuation bytes, 0xC0, 0xC1, 0xF5 to 0xFF)."""

_ANSWER_STARTS = (
    b"+OK",
    b"+ERR",
    b"+CME ERROR",
    b"+CMS ERROR",
    b"OK",
    b"ERROR",
    b"+IOTCMD",
    b"+CIOTCMD",
    b"SAVE",
    b"BIN",
    b"CONNECT",
    b"RDY",
    b"+PBREADY",
    b"+CREG",
    b"+CGREG",
    b"+CEREG",
    b"+CTZV",
    b"+CTZE",
    b"+CPIN",
    b"CALL READY",
    b"SMS READY",
)
"""How every final result and event line starts (in capitals): a line that cannot start so
is neither, whatever follows."""

SIGNAL_ANSWER = "+CSQ"
"""How AT+CSQ's answer starts (`+CSQ: 20,99`); no other command prints it."""
_INFO_ANSWER_NAMES = (
    SIGNAL_ANSWER,
    *(prefix.removesuffix(":") for prefix in PING_ANSWER_PREFIXES + STATUS_ANSWER_PREFIXES),
)
"""The information answers of the commands sent while cloud commands may arrive (signal
probes, heartbeats, status checks: `+CSQ: 20,99`, `+CIOTPING: OK`, `+CIOTSTATUS: 1`)."""
_INFO_ANSWER_STARTS = tuple(name.encode() for name in _INFO_ANSWER_NAMES)
_INFO_ANSWER = re.compile(
    b"(?:" + b"|".join(re.escape(start) for start in _INFO_ANSWER_STARTS) + rb") *:",
    re.IGNORECASE,
)


def _answer_inside(buffer: bytearray, start: int, stop: int) -> int | None:
    """Where a line end inside a short payload is followed by an answer (None: nowhere).

    Called once the line went quiet with the payload short of its count. Only lines that
    start inside the declared payload count; a line that may still become an answer (its own
    end not there yet) is taken for one.
    """
    search_from = start
    while (end := _LINE_END.search(buffer, search_from, min(stop, len(buffer)))) is not None:
        line_start = end.start()
        while line_start < len(buffer) and buffer[line_start] in b"\r\n":
            line_start += 1
        if line_start >= stop:
            return None  # the line end ends the payload: not inside it
        line_end = _LINE_END.search(buffer, line_start)
        head = bytes(buffer[line_start : line_start + 16]).lstrip(b" \t").upper()
        if _may_start(head, _ANSWER_STARTS + _INFO_ANSWER_STARTS) and (
            line_end is None or _is_answer(bytes(buffer[line_start : line_end.start()]))
        ):
            return end.start()
        search_from = line_start
    return None


def _may_start(head: bytes, tokens: tuple[bytes, ...]) -> bool:
    """Whether a line beginning `head` starts, or may yet start, with one of `tokens`."""
    return any(token.startswith(head) or head.startswith(token) for token in tokens)


def _is_answer(line: bytes) -> bool:
    """A final result, an event, or the information answer of a command in flight."""
    return bool(_INFO_ANSWER.match(line.lstrip(b" \t"))) or not isinstance(
        parse_line(_decode(line)), Info
    )


def _without_line_end(data: bytes | bytearray) -> bytes:
    """`data` without one trailing line end (CR LF, LF or CR)."""
    data = bytes(data)
    for ending in (b"\r\n", b"\n", b"\r"):
        if data.endswith(ending):
            return data[: -len(ending)]
    return data


def _decode(data: bytes | bytearray) -> str:
    return data.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class Response:
    """A command's successful answer, as the client gathered it."""

    lines: tuple[str, ...]
    """Information lines received for the command, in order, its echo excluded."""
    value: str | None
    """The final result's value (`+OK=<value>`), None when there was none."""

    def first[T](self, read: Callable[[str], T | None]) -> T | None:
        """What `read` makes of the first information line it makes anything of, else None."""
        return next((found for line in self.lines if (found := read(line)) is not None), None)

    def first_match(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        """The first information line that is `pattern` whole, blanks around it aside."""
        return self.first(lambda line: pattern.fullmatch(line.strip()))


_STATUS_VALUES = {"device_up": LinkStatus.UP, "device_down": LinkStatus.DOWN}
_STATUS_LINE = re.compile(r"\+?CIOTSTATUS *: *(device_up|device_down|1|0)", re.IGNORECASE)
_STATUS_NUMBERS = {"1": LinkStatus.UP, "0": LinkStatus.DOWN}
_SIGNAL_LINE = re.compile(
    re.escape(SIGNAL_ANSWER) + r" *: *([0-9]{1,2}) *, *([0-9]{1,2})", re.IGNORECASE
)
IMEI_LINE = re.compile(r'(?:\+C?GSN *: *(?:[0-9] *, *)?)?"?([0-9]{14,17})"?', re.IGNORECASE)
"""AT+CGSN's answer in every form firmware of this family prints: the bare IMEI,
`+CGSN: <imei>`, `+CGSN: 1,<imei>` (27.007's SN type first), `+GSN: <imei>`, maybe quoted."""
_FIRMWARE_PREFIX = re.compile(r"\+CGMR *: *", re.IGNORECASE)
_OTHER_INFORMATION = re.compile(r"\+[A-Z][A-Z0-9]* *:", re.IGNORECASE)
"""`+NAME:` lines: another command's information, never the firmware text of AT+CGMR."""


def _unexpected(command: str, response: Response) -> NoReturn:
    # Only for answers that hold no secret: status, signal, IMEI, firmware.
    msg = (
        f"unexpected answer to {command}: lines {list(response.lines)!r}, value {response.value!r}"
    )
    raise M6311ProtocolError(msg)


def read_status(response: Response) -> LinkStatus:
    """The platform link state from AT+CIOTSTATUS, in any of its forms.

    `+OK=device_up` / `+OK=Device_down` (any case), or a line `CIOTSTATUS:device_up`,
    `+CIOTSTATUS: 1` / `0` (either prefix with either value form).

    Raises:
        M6311ProtocolError: none of these.
    """
    if response.value is not None and (
        status := _STATUS_VALUES.get(response.value.strip().lower())
    ):
        return status
    if match := response.first_match(_STATUS_LINE):
        word = match[1].lower()
        return _STATUS_VALUES.get(word) or _STATUS_NUMBERS[word]
    _unexpected("CIOTSTATUS", response)


def read_signal(response: Response) -> SignalQuality:
    """Signal strength and bit error rate from AT+CSQ (`+CSQ: <rssi>,<ber>`).

    Raises:
        M6311ProtocolError: no such line.
    """
    if match := response.first_match(_SIGNAL_LINE):
        return SignalQuality(rssi=int(match[1]), ber=int(match[2]))
    _unexpected("CSQ", response)


def read_imei(response: Response) -> str:
    """The IMEI from AT+CGSN: 14 to 17 digits in any of `IMEI_LINE`'s forms.

    Raises:
        M6311ProtocolError: no such line.
    """
    if match := response.first_match(IMEI_LINE):
        return match[1]
    _unexpected("CGSN", response)


def read_firmware(response: Response) -> str:
    """The firmware version from AT+CGMR: the first non-empty line, `+CGMR:` stripped.

    A line of another command's `+NAME:` form is never the version (an unknown report that
    slipped in); a module that puts it in the final result instead (`+OK=<version>`) is read
    too.

    Raises:
        M6311ProtocolError: no text at all.
    """
    for line in response.lines:
        stripped = line.strip()
        if _OTHER_INFORMATION.match(stripped) and not _FIRMWARE_PREFIX.match(stripped):
            continue
        if text := _FIRMWARE_PREFIX.sub("", stripped, count=1).strip():
            return text
    if response.value is not None and (text := response.value.strip()):
        return text
    _unexpected("CGMR", response)


_VALUE_LINE = re.compile(r"\+([A-Z][A-Z0-9]*) *: *(.*)", re.IGNORECASE | re.DOTALL)


def read_value(response: Response, command: str) -> str:
    """The value (device ID, device key) of `+OK=<value>`, surrounding spaces removed.

    Firmwares with plain `OK` results print the value as an information line before it,
    V.25ter style (`+CIOTID: <value>`); that form is read too, from the line of `command`
    (`CIOTID`) only: another line (`+CREG: 1`, a report) is never the value.

    Raises:
        M6311ProtocolError: the answer carried no value, or an empty one. The message does not
            repeat the answer, which may be a secret.
    """
    candidates = [response.value] if response.value is not None else []
    candidates += [
        match[2]
        for line in response.lines
        if (match := _VALUE_LINE.fullmatch(line.strip())) and match[1].upper() == command.upper()
    ]
    for candidate in candidates:
        if value := candidate.strip():
            return value
    msg = "unexpected answer: the module gave no value"
    raise M6311ProtocolError(msg)
