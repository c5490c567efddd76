"""At most one call per interval: counters change with every byte or record, states cost writes."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


class Throttle:
    """Calls `action` once, `interval` seconds after the first request; later ones join it.

    Owned by whoever made it, which calls `cancel` when it stops: nothing runs after that.
    """

    def __init__(self, interval: float, action: Callable[[], None]) -> None:
        """Prepare; nothing is scheduled before the first `request`."""
        self._interval = interval
        self._action = action
        self._pending: asyncio.TimerHandle | None = None
        self._cancelled = False

    def request(self) -> None:
        """Something changed: `action` runs at the end of the current interval."""
        if self._pending is None and not self._cancelled:
            self._pending = asyncio.get_running_loop().call_later(self._interval, self._run)

    def cancel(self) -> None:
        """Drop a pending call, and take no more requests."""
        self._cancelled = True
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    def _run(self) -> None:
        self._pending = None
        self._action()
