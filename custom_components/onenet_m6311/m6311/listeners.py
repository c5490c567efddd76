"""Callbacks registered on a library object, called in turn, each failure contained.

The connection tells its subscribers of events and its listeners of counters from its read
loop, and the line limit tells of a lower limit: a listener's bug must not stop the caller
(a stopped read loop would hang every command), so each failure is logged and the rest go on.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)


class Listeners[**P]:
    """A list of callbacks taking the same arguments."""

    def __init__(self, what: str) -> None:
        """`what` names them in the log when one fails (`a subscriber`)."""
        self._what = what
        self._callbacks: list[Callable[P, None]] = []

    def add(self, callback: Callable[P, None]) -> Callable[[], None]:
        """Call `callback` from now on; returns the call that removes it (safe twice)."""
        self._callbacks.append(callback)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._callbacks.remove(callback)

        return remove

    def notify(self, *args: P.args, **kwargs: P.kwargs) -> None:
        """Call each callback (a copy of the list: one may remove itself)."""
        for callback in list(self._callbacks):
            try:
                callback(*args, **kwargs)
            except Exception:
                _LOGGER.exception("%s failed", self._what.capitalize())
