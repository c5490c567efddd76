r"""What crossed the serial line, both ways, with times: the evidence a bug report needs.

A `SerialTrace` keeps the last `TRACE_LINES` entries. Each entry is one line (or the part of
one that arrived in a read) in one direction, at a time counted from the first entry, with
its bytes escaped so that every byte shows (`\r`, `\n`, `\x00`, `\xe6`...):

    +0.000 > AT+CGSN\r\n
    +0.012 < \r\n867567041234567\r\n
    +0.013 < \r\nOK\r\n

Secrets never enter it: commands are recorded as their redacted line, every registered
secret is replaced (`redaction.SECRETS`), and what the module prints in answer to a command
whose answer is a secret (AT+CIOTKEY?), or while unknown secrets are hidden (troubleshooting
commands), is recorded as `<N bytes hidden>`. `parse` reads the lines back; the emulator's
replay tool (`python -m emulator.replay`) plays the module's side of a trace from them.
"""

from __future__ import annotations

import re
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .connection import LinkWatcher
from .redaction import SECRETS

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .commands import Command

TRACE_LINES = 300
"""Entries kept (the oldest go first)."""
MAX_ENTRY_CHARS = 1200
"""Longest entry text kept (escaped); longer ones end with `...`."""
HIDDEN = re.compile(r"<([0-9]+) bytes hidden>")

type Direction = Literal[">", "<"]
"""`>` sent to the module, `<` printed by it."""

_LINE = re.compile(r"\+([0-9]+\.[0-9]{3}) ([<>]) (.*)")


@dataclass(frozen=True, slots=True)
class TraceEntry:
    """One line (or part of one) on the wire."""

    at: float
    """Seconds since the trace's first entry."""
    direction: Direction
    text: str
    """The bytes, escaped (see `escape`)."""

    def __str__(self) -> str:
        """The entry as a trace line."""
        return f"+{self.at:.3f} {self.direction} {self.text}"

    @property
    def data(self) -> bytes:
        """The bytes themselves (a hidden part stands as that many `*`)."""
        text = HIDDEN.sub(lambda match: "*" * int(match[1]), self.text)
        return unescape(text)


def escape(data: bytes) -> str:
    r"""Bytes as text where every byte shows.

    Printable ASCII stays as it is; CR, LF and TAB become `\r`, `\n`, `\t`, a backslash
    `\\`, and every other byte `\xNN`.
    """
    return data.decode("latin-1").encode("unicode_escape").decode("ascii")


def unescape(text: str) -> bytes:
    """The inverse of `escape`."""
    return text.encode("ascii").decode("unicode_escape").encode("latin-1")


class SerialTrace(LinkWatcher):
    """The last `size` entries of one serial link, kept as it watches the link."""

    def __init__(self, size: int = TRACE_LINES) -> None:
        """Start empty; times count from the first entry."""
        self._entries: deque[TraceEntry] = deque(maxlen=size)
        self._start: float | None = None

    def sent(self, command: Command, size: int) -> None:  # the line tells it
        """A command written, as its redacted line (secrets replaced)."""
        self._add(">", escape(f"{command.redacted_line}\r\n".encode()))

    def received(self, data: bytes, *, hidden: bool = False) -> None:
        """Bytes the module printed; one entry a line, each ending after its LF."""
        for part in _after_each_lf(data):
            self._add("<", f"<{len(part)} bytes hidden>" if hidden else escape(part))

    def lines(self) -> list[str]:
        """The entries as trace lines, oldest first."""
        return [str(entry) for entry in self._entries]

    def _add(self, direction: Direction, text: str) -> None:
        now = time.monotonic()
        if self._start is None:
            self._start = now
        self._entries.append(TraceEntry(now - self._start, direction, _clip(SECRETS.redact(text))))


def parse(lines: Iterable[str]) -> list[TraceEntry]:
    """Trace lines back into entries; lines of another shape (comments, blanks) are skipped."""
    entries = []
    for line in lines:
        if match := _LINE.fullmatch(line.rstrip("\n")):
            direction: Direction = ">" if match[2] == ">" else "<"
            entries.append(TraceEntry(float(match[1]), direction, match[3]))
    return entries


def _clip(text: str) -> str:
    r"""At most `MAX_ENTRY_CHARS`, never cutting an escape (`\xNN`) in two."""
    if len(text) <= MAX_ENTRY_CHARS:
        return text
    cut = MAX_ENTRY_CHARS - 3
    backslash = text.rfind("\\", cut - 3, cut)
    if backslash != -1:
        cut = backslash
    return text[:cut] + "..."


def _after_each_lf(data: bytes) -> list[bytes]:
    parts = data.split(b"\n")
    pieces = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:
        pieces.append(parts[-1])
    return pieces
