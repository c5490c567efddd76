"""Validating the data of AT+CIOTDAT / AT+CIOTSEND and the hex of AT+CIOTBINSEND."""

from __future__ import annotations

import re
import string

_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


def count_records(data: str) -> int | None:
    """The number of `key,time,value` records in `data`, or None when one is malformed.

    Records are separated by `;` (one trailing `;` is allowed, as the document writes
    `key,,value;`); each has exactly three fields, a non-empty key and value, and a time that
    is empty or `YYYY-MM-DD HH:MM:SS`.
    """
    records = data.removesuffix(";").split(";")
    for record in records:
        fields = record.split(",")
        if len(fields) != 3:  # noqa: PLR2004  # key, time, value
            return None
        key, time, value = fields
        if not key or not value or (time and not _TIME.fullmatch(time)):
            return None
    return len(records)


def parse_hex(text: str) -> bytes | None:
    """Bytes from hex digits (`01AA55`), or None when it is not an even run of hex digits."""
    if not text or len(text) % 2 or any(char not in string.hexdigits for char in text):
        return None
    return bytes.fromhex(text)
