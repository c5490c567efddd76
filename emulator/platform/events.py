"""A change signal: tests and helpers wait on it for a condition on the platform's state."""

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


class Changes:
    """Wakes waiters whenever the platform's state changes, so they re-check a predicate."""

    def __init__(self) -> None:
        """Start with no waiters."""
        self._condition = asyncio.Condition()

    async def notify(self) -> None:
        """Tell every waiter that something changed."""
        async with self._condition:
            self._condition.notify_all()

    async def wait_for[T](self, predicate: Callable[[], T | None], within: float) -> T:
        """Wait until `predicate()` returns something other than None (or False), and return it.

        Raises:
            TimeoutError: the condition did not come true within `within` seconds.
        """
        async with asyncio.timeout(within), self._condition:
            result = predicate()
            while result is None or result is False:
                await self._condition.wait()
                result = predicate()
            return result
