"""How long a command line the module takes: a starting point from the evidence, then learnt.

The 2016 document states no limit. The sibling M6312's AT manual gives 256 bytes for a whole
command line, its terminator included, and 80 bytes for one parameter (docs/protocol.md, §13):
lines start at that. A module that refuses a data line (AT+CIOTDAT, AT+CIOTSEND,
AT+CIOTBINSEND) that is longer than every line it took before is taken to have refused it for
its length: the limit is lowered below that line, and the caller splits its data again, so no
record is lost and forwarding does not stall. A refusal of a line no longer than one the module
took is about its content, and stays the error it is.

Many modules take longer lines (the document's own firmware takes 1024 bytes), and a longer
line carries more records for the same round trip: after `FULL_LINES_BEFORE_GROWTH` lines
near the limit carried out, the limit grows by a quarter, up to `GROWTH_CEILING`. The first
refusal ends the growth for the life of the object: what was refused is not tried again, and a
failed probe costs one line sent again, nothing lost.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .commands import DEFAULT_LINE_LIMIT, MIN_LINE_LIMIT, check_line_limit
from .errors import M6311CommandError, ParameterError, Reason, refused_as_unknown
from .listeners import Listeners

if TYPE_CHECKING:
    from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)

type LimitListener = Callable[[int], None]

GROWTH_CEILING = 1024
"""The longest line the limit grows to: what the document's firmware takes; no evidence shows
a module taking more."""
FULL_LINES_BEFORE_GROWTH = 3
"""Lines of at least nine tenths of the limit the module carried out before a longer one is
tried: the limit is what holds the data back."""


class LineRefusedError(ParameterError):
    """The module refused a data line that is longer than any it took: the limit is lowered.

    Nothing of the line was carried out; the same data split into shorter lines may be sent.
    """

    def __init__(self, command: str, code: int | None, size: int, limit: int) -> None:
        """Name the line's size and the limit now in force."""
        super().__init__(command, code)
        message = f"{command}: the module refused a line of {size} bytes; lines are now at most"
        self.args = (f"{message} {limit} bytes",)
        self.reason = Reason.LINE_REFUSED
        self.placeholders = {"command": command, "size": str(size), "limit": str(limit)}
        self.size = size
        self.limit = limit


class LineLimit:
    """The longest command line sent (bytes with CR LF), learnt from what the module does."""

    def __init__(self, limit: int = DEFAULT_LINE_LIMIT) -> None:
        """Start from `limit` (a limit learnt before, or the evidence's default)."""
        self.value = check_line_limit(limit)
        self.longest_accepted = 0
        """The longest data line the module carried out (bytes with CR LF)."""
        self._listeners: Listeners[[int]] = Listeners("a line limit listener")
        self._full_lines = 0
        self._starting = self.value
        """Lines longer than this were tried by the growth: a refusal of one is no news."""
        self._settled = False
        """A line was refused for its length: the limit grows no more."""

    def add_listener(self, listener: LimitListener) -> Callable[[], None]:
        """Call `listener` with the new limit whenever it changes; returns the remover."""
        return self._listeners.add(listener)

    def accepted(self, size: int) -> None:
        """The module carried out a data line of `size` bytes."""
        self.longest_accepted = max(self.longest_accepted, size)
        if size * 10 >= self.value * 9:
            self._full_lines += 1
            if self._full_lines >= FULL_LINES_BEFORE_GROWTH:
                self._grow()

    def _grow(self) -> None:
        self._full_lines = 0
        target = min(GROWTH_CEILING, self.value * 5 // 4)
        if self._settled or target <= self.value:
            return
        self.value = target
        _LOGGER.debug("Trying command lines of up to %d bytes", self.value)
        self._listeners.notify(self.value)

    def refused(self, size: int, error: M6311CommandError) -> LineRefusedError | None:
        """A data line of `size` bytes was refused with `error`: is it its length?

        Returns the error to raise when it is (the limit is then lowered), None when the
        refusal is about something else (`error` stands).
        """
        if not refused_as_unknown(error) or size <= self.longest_accepted or size <= MIN_LINE_LIMIT:
            return None
        # Below the refused line, never below a line the module took: three quarters of it
        # converges in a few steps, however far off the starting point was.
        lowered = max(MIN_LINE_LIMIT, self.longest_accepted, size * 3 // 4)
        probing = size > self._starting
        self.value = min(self.value, lowered)
        self._settled = True
        self._full_lines = 0
        # A longer line tried and refused is the growth's answer, not news for the log.
        _LOGGER.log(
            logging.DEBUG if probing else logging.WARNING,
            "The module refused a %d-byte command line; lines are now at most %d bytes",
            size,
            self.value,
        )
        self._listeners.notify(self.value)
        return LineRefusedError(error.command, error.error_code, size, self.value)
