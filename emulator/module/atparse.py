"""Splitting a command line into its name, operator and parameters."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class Op(enum.Enum):
    """What the command line asks: run (`AT+X`), query (`AT+X?`) or set (`AT+X=...`)."""

    RUN = ""
    QUERY = "?"
    SET = "="


@dataclass(frozen=True)
class CommandLine:
    """One command line: the upper-case name after `AT` and the raw text after the operator."""

    name: str
    op: Op
    params: str


_EXTENDED = re.compile(r"AT(\+[A-Za-z]+)(\?|=)?(.*)", re.DOTALL)
_BASIC = re.compile(r"AT([A-Za-z&]?)([0-9]*)", re.IGNORECASE)


def parse_line(line: str) -> CommandLine | None:
    """Parse `AT...` (the `AT` and the name in any case); None when it is not a command."""
    if line[:2].upper() != "AT":
        return None
    text = "AT" + line[2:]
    if match := _EXTENDED.fullmatch(text):
        name, op, params = match.groups()
        if op is None and params:
            return None  # e.g. `AT+CIOTX5`: junk after a name that takes no operator
        return CommandLine(name.upper(), Op(op or ""), params)
    if match := _BASIC.fullmatch(text):
        letter, digits = match.groups()
        return CommandLine(letter.upper(), Op.SET if digits else Op.RUN, digits)
    return None


def unquote(text: str) -> str | None:
    """A parameter with its surrounding double quotes removed; None when quoting is broken."""
    if len(text) >= 2 and text[0] == text[-1] == '"':  # noqa: PLR2004  # two quotes
        inner = text[1:-1]
        return None if '"' in inner else inner
    return None if '"' in text else text


def split_params(text: str, maxsplit: int = -1) -> list[str] | None:
    """Split on commas outside double quotes and unquote each part; None when malformed.

    With `maxsplit`, the last part keeps its commas (the data of AT+CIOTDAT may be unquoted).
    """
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append("".join(current))
            current = []
            if len(parts) == maxsplit:
                parts.append(text[index + 1 :])
                break
            continue
        current.append(char)
    else:
        parts.append("".join(current))
    values = [unquote(part.strip()) for part in parts]
    if any(value is None for value in values):
        return None
    return [value for value in values if value is not None]


def parse_int(text: str, low: int, high: int) -> int | None:
    """A decimal integer within [low, high], or None."""
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if low <= value <= high else None
