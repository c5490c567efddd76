"""What a Home Assistant state becomes on OneNET: one documented rule per kind of state.

| state                                   | sent as                                   |
|-----------------------------------------|-------------------------------------------|
| a number (`21.5`, `3`)                  | that number                               |
| on/off, open/closed, home/not_home, ... | 1 / 0 (`BINARY_VALUES`)                   |
| unavailable, unknown, empty             | not sent (counted as skipped)             |
| any other text                          | the text, `%` `,` `;` `"` and controls    |
|                                         | percent-encoded (`escape_value`: `a,b` -> |
|                                         | `a%2Cb`, ESC -> `%1B`)                    |

Datastream IDs default to the entity ID with `.` made `_` (`sensor.kitchen_temp` ->
`sensor_kitchen_temp`), attributes add `__<attribute>`; an ID longer than OneNET's 64
characters keeps its start and ends in a short hash, so it stays unique.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import TYPE_CHECKING

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN

from ..m6311.records import KEY_MAX_LENGTH, escape_value, format_time

if TYPE_CHECKING:
    from datetime import datetime

type QueuedValue = int | float | str
"""A value as the outbox keeps it: the library's `RecordValue` less `bool`, since a state's
on/off goes as 1/0 (`BINARY_VALUES`) and SQLite keeps no booleans."""

BINARY_VALUES: dict[str, int] = {
    "on": 1,
    "off": 0,
    "open": 1,
    "closed": 0,
    "home": 1,
    "not_home": 0,
    "locked": 1,
    "unlocked": 0,
    "true": 1,
    "false": 0,
    "detected": 1,
    "clear": 0,
    "armed": 1,
    "disarmed": 0,
}
"""States that mean yes or no, and the number each becomes."""

NOT_SENT = frozenset({STATE_UNAVAILABLE, STATE_UNKNOWN, ""})
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_UNSAFE_KEY_CHARACTERS = re.compile(r"[^A-Za-z0-9_.-]")
_HASH_LENGTH = 8
_INT64 = 2**63
"""Integers are kept (in the outbox's SQLite file) as 64-bit; longer ones go as their digits."""
_FLOAT_BITS = 1024
"""An integer of more bits is past any float: no number the platform could store."""


def record_value(value: object) -> QueuedValue | None:
    """The value to send for a state or attribute value; None when it is not sent."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        if -_INT64 <= value < _INT64:
            return value
        # Past a float's range the number means nothing to the platform (and its digits
        # would exceed Python's conversion limit): not sent.
        return _text_value(str(value)) if value.bit_length() <= _FLOAT_BITS else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    text = str(value).strip() if value is not None else ""
    if text in NOT_SENT:
        return None
    return _text_value(text)


def _text_value(text: str) -> QueuedValue:
    if _NUMBER.fullmatch(text) and math.isfinite(number := float(text)):
        # Digits only stay an integer (beyond 64 bits, the same digits as text); anything
        # else with a number's shape is a float.
        if not text.lstrip("+-").isdigit():
            return number
        return integer if -_INT64 <= (integer := int(text)) < _INT64 else text
    if (binary := BINARY_VALUES.get(text.casefold())) is not None:
        return binary
    return escape_value(text)


def default_datastream(entity_id: str, attribute: str | None = None) -> str:
    """The datastream ID an entity (or one of its attributes) is sent to by default."""
    base = entity_id.replace(".", "_")
    if attribute:
        base = f"{base}__{attribute}"
    safe = _UNSAFE_KEY_CHARACTERS.sub("_", base)
    if len(safe) <= KEY_MAX_LENGTH:
        return safe
    digest = hashlib.sha1(safe.encode(), usedforsecurity=False).hexdigest()[:_HASH_LENGTH]
    return f"{safe[: KEY_MAX_LENGTH - _HASH_LENGTH - 1]}_{digest}"


def record_time(when: datetime) -> str:
    """A state's time as OneNET reads it: Beijing time (UTC+8), to the second.

    Whatever Home Assistant's own zone: the library's `format_time` converts it.
    """
    return format_time(when)
