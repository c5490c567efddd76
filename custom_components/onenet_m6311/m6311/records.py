"""Data records for AT+CIOTDAT and AT+CIOTSEND: `key,time,value` joined with `;`.

The module's document fixes only the separators: a comma between the three fields of a record,
a semicolon between records, and double quotes around the whole data parameter. So no field may
hold `,` `;` `"`, CR or LF: the module (and the platform behind it) would cut the record there.
The rest is decided here, once, and every record is checked before anything is sent:

Key (the OneNET datastream ID)
    1 to 64 ASCII characters, each a letter, a digit, `_`, `-` or `.`. OneNET's own datastream
    names are of this shape; the rule keeps keys safe in the record format and in a URL.

Value
    - `bool` is sent as `1` or `0` (the platform has no boolean type);
    - `int` as its decimal digits (one past Python's digit limit is refused, never a bare
      `ValueError`);
    - `float` as the shortest text that reads back as the same float, never with an exponent
      (`1e-07` is sent as `0.0000001`, `1e+22` as `10000000000000000000000.0`), because the
      platform is not known to read exponents; NaN and infinities have no meaning there and are
      refused;
    - `str` is sent as it is, so it may not be empty and may not hold `,` `;` `"` or a control
      character (C0, CR and LF among them, or DEL: ESC and Ctrl-Z mean things to AT modems).
      Callers that want to send arbitrary text use `escape_value`, the one rule of this library
      for that: percent-encoding of exactly `%` `,` `;` `"`, the C0 controls and DEL (`%25
      %2C %3B %22`, `%00` to `%1F`, `%7F`). It is reversible (`unescape_value`) and leaves
      every other character alone, so `35%`-like texts from the document's examples stay
      readable once unescaped.

Time
    `YYYY-MM-DD HH:MM:SS` or empty (`key,,value`, the platform then stamps the record itself).
    The platform keeps and shows times as Beijing time (UTC+8, no daylight saving) and reads the
    field so, whatever the zone of the home: an aware `datetime` is converted to UTC+8
    (`PLATFORM_TIME_ZONE`), a naive one is taken as already in it, both without microseconds.
    A `str` must already be exactly of that shape, in that zone, and name a real date and time.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING

from .errors import M6311ValidationError, Reason

if TYPE_CHECKING:
    from collections.abc import Iterable

type RecordValue = str | int | float | bool
"""What a record may carry; see the module docstring for how each type is written."""

KEY_MAX_LENGTH = 64
"""Longest datastream key accepted (characters)."""

KEY_RULE = "1 to 64 ASCII letters, digits, '_', '-' or '.'"
"""The key rule, as error messages state it."""

TIME_FORMAT = "YYYY-MM-DD HH:MM:SS"
"""The record time format, as error messages state it."""

PLATFORM_TIME_ZONE = timezone(timedelta(hours=8), "UTC+08:00")
"""The zone OneNET reads record times in and stamps arrivals with (Beijing time; China has no
daylight saving): docs/onenet-http.md."""

CONTROL_CHARACTERS = "".join(map(chr, range(0x20))) + "\x7f"
"""C0 controls and DEL: CR and LF end the line, and others mean things to AT modems (ESC,
Ctrl-Z ends a text in SMS mode, backspace edits the line) or to the platform (NUL)."""
FORBIDDEN_VALUE_CHARACTERS = ',;"' + CONTROL_CHARACTERS
"""Characters that would break a record: separators, the quote, line ends and other controls."""

_KEY_PATTERN = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
# [0-9] rather than \d: \d also matches non-ASCII digits, which datetime would then accept.
_TIME_PATTERN = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})")

_ESCAPES = {
    "%": "%25",
    ",": "%2C",
    ";": "%3B",
    '"': "%22",
    **{char: f"%{ord(char):02X}" for char in CONTROL_CHARACTERS},
}
_ESCAPE_TABLE = str.maketrans(_ESCAPES)
_UNESCAPES = {code: char for char, code in _ESCAPES.items()}
# One pass over the text: `%252C` must come back as `%2C`, not as `,`.
_UNESCAPE_PATTERN = re.compile("|".join(re.escape(code) for code in _UNESCAPES), re.IGNORECASE)

_CHARACTER_NAMES = {",": "comma", ";": "semicolon", '"': "double quote", "\r": "CR", "\n": "LF"}


def escape_value(text: str) -> str:
    """Percent-encode the characters a record value cannot hold, so any text can be sent.

    Exactly these are replaced: `%` by `%25` (so the encoding is reversible), `,` by `%2C`,
    `;` by `%3B`, `"` by `%22`, and every C0 control and DEL by its code (CR `%0D`, LF `%0A`,
    NUL `%00`, ESC `%1B`, Ctrl-Z `%1A`, DEL `%7F`, ...). Nothing else changes.
    `unescape_value` is the inverse. The result is still refused by the record rules when
    `text` is empty.
    """
    return text.translate(_ESCAPE_TABLE)


def unescape_value(text: str) -> str:
    """Undo `escape_value`: decode its codes, in either case, in one pass.

    The codes are `%25 %2C %3B %22`, `%00` to `%1F` and `%7F`.
    Any other `%` sequence is left as it is, so text that was never escaped (such as `35%`)
    comes back unchanged.
    """
    return _UNESCAPE_PATTERN.sub(lambda match: _UNESCAPES[match[0].upper()], text)


def check_datastream(key: object) -> str:
    """Return `key` when it is a valid datastream key, else raise `M6311ValidationError`."""
    if not isinstance(key, str) or not _KEY_PATTERN.fullmatch(key):
        msg = f"datastream key {key!r} is invalid: a key is {KEY_RULE}"
        raise M6311ValidationError(msg, reason=Reason.KEY_INVALID, placeholders={"key": str(key)})
    return key


def format_value(value: object) -> str:
    """Return the record text of a value (see the module docstring), or raise.

    Raises:
        M6311ValidationError: the value has another type, is NaN or infinite, or is a text that
            is empty or holds a character that would break the record.
    """
    # bool first: it is a subclass of int, and True must not become "True" or "1" by accident.
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # past Python's digit limit: no record could carry it anyway
            bits = str(value.bit_length())
            msg = f"a record value cannot be an integer of {bits} bits"
            raise M6311ValidationError(
                msg, reason=Reason.VALUE_INTEGER_TOO_LONG, placeholders={"bits": bits}
            ) from None
    if isinstance(value, float):
        return _format_float(value)
    if isinstance(value, str):
        return _check_text_value(value)
    kind = type(value).__name__
    msg = f"a record value must be str, int, float or bool, not {kind}"
    raise M6311ValidationError(msg, reason=Reason.VALUE_TYPE, placeholders={"type": kind})


def _format_float(value: float) -> str:
    if not math.isfinite(value):
        msg = f"a record value cannot be {value!r}: the platform has no such number"
        raise M6311ValidationError(
            msg, reason=Reason.VALUE_NOT_FINITE, placeholders={"value": repr(value)}
        )
    text = repr(value)  # the shortest text that reads back as the same float
    if "e" not in text:
        return text
    # Same digits, positional notation: Decimal keeps repr's digits exactly.
    text = format(Decimal(text), "f")
    return text if "." in text else f"{text}.0"


def _check_text_value(value: str) -> str:
    if not value:
        msg = "a record value cannot be an empty text"
        raise M6311ValidationError(msg, reason=Reason.VALUE_EMPTY)
    for char in value:
        if char in FORBIDDEN_VALUE_CHARACTERS:
            name = _CHARACTER_NAMES.get(char, f"control character U+{ord(char):04X}")
            msg = (
                f"a record value cannot hold a {name} ({char!r}): it would break the record "
                "format; escape the text with escape_value()"
            )
            raise M6311ValidationError(
                msg,
                reason=Reason.VALUE_CHARACTER,
                placeholders={"character": f"U+{ord(char):04X}"},
            )
    return value


def format_time(time: object) -> str:
    """Return the record text of a sample time: `YYYY-MM-DD HH:MM:SS`, or empty for None.

    Raises:
        M6311ValidationError: a text not of exactly that shape or not a real date and time, or
            another type.
    """
    if time is None:
        return ""
    if isinstance(time, datetime):
        if time.tzinfo is not None:
            time = time.astimezone(PLATFORM_TIME_ZONE)
        # Wall-clock fields, seconds resolution. Explicit fields rather than strftime: %Y does
        # not zero-pad years below 1000 everywhere.
        return (
            f"{time.year:04d}-{time.month:02d}-{time.day:02d} "
            f"{time.hour:02d}:{time.minute:02d}:{time.second:02d}"
        )
    if isinstance(time, str):
        match = _TIME_PATTERN.fullmatch(time)
        if match is None:
            msg = f"record time {time!r} is not of the form {TIME_FORMAT}"
            raise M6311ValidationError(msg, reason=Reason.TIME_FORMAT, placeholders={"time": time})
        year, month, day, hour, minute, second = (int(field) for field in match.groups())
        try:
            datetime(year, month, day, hour, minute, second)  # noqa: DTZ001  # only a check
        except ValueError:
            msg = f"record time {time!r} is not a real date and time"
            raise M6311ValidationError(
                msg, reason=Reason.TIME_INVALID, placeholders={"time": time}
            ) from None
        return time
    kind = type(time).__name__
    msg = f"a record time must be a datetime, a text or None, not {kind}"
    raise M6311ValidationError(msg, reason=Reason.TIME_TYPE, placeholders={"type": kind})


@dataclass(frozen=True, slots=True)
class Record:
    """One data point for the platform: its `datastream` ID, `value`, and optional sample `time`.

    The fields are checked when the record is made, so an invalid record cannot exist.

    Raises:
        M6311ValidationError: a field breaks the rules in the module docstring.
    """

    datastream: str
    value: RecordValue
    time: datetime | str | None = None

    def __post_init__(self) -> None:
        """Check every field now, so the error points at the code that made the record."""
        check_datastream(self.datastream)
        format_value(self.value)
        format_time(self.time)


def encode_record(record: Record) -> str:
    """Return the record as the module's data format wants it: `key,time,value`."""
    return f"{record.datastream},{format_time(record.time)},{format_value(record.value)}"


def encode_records(records: Iterable[Record]) -> str:
    """Return the records joined with `;`, in order.

    Raises:
        M6311ValidationError: no records (the module has nothing to send).
    """
    encoded = [encode_record(record) for record in records]
    if not encoded:
        msg = "at least one record is needed"
        raise M6311ValidationError(msg, reason=Reason.RECORDS_EMPTY)
    return ";".join(encoded)
