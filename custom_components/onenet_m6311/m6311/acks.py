"""Waiting for the platform's acknowledgements (`SAVE succ!msg:<id>`, `BIN SEND OVER!`).

Acknowledgements arrive as unsolicited lines, possibly before the `+OK` of the command that
asked for them. A tracker subscribed to the connection holds one future per expected line,
registered before the command is written, and resolves them in arrival order.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict, deque
from typing import TYPE_CHECKING

from .errors import M6311ConnectionError, M6311TimeoutError, Reason
from .models import BinarySendOver, ConnectionLost, ModuleEvent, SaveAck

if TYPE_CHECKING:
    from collections.abc import Iterator


class AckTracker:
    """Futures for expected acknowledgements, fed by the connection's events."""

    def __init__(self) -> None:
        """Start with nothing expected."""
        self._saves: defaultdict[int, deque[asyncio.Future[None]]] = defaultdict(deque)
        self._binary_over: asyncio.Future[None] | None = None

    def on_event(self, event: ModuleEvent) -> None:
        """Subscriber for `ModuleConnection.subscribe`."""
        if isinstance(event, SaveAck):
            self._resolve_save(event.msg_id)
        elif isinstance(event, BinarySendOver):
            if self._binary_over is not None and not self._binary_over.done():
                self._binary_over.set_result(None)
        elif isinstance(event, ConnectionLost):
            self._fail_all(M6311ConnectionError(f"connection to the module lost: {event.reason}"))

    @contextlib.contextmanager
    def expect_saves(self, msg_id: int, count: int) -> Iterator[list[asyncio.Future[None]]]:
        """Expect `count` `SAVE succ!msg:<msg_id>` lines while the block runs."""
        loop = asyncio.get_running_loop()
        waiters = [loop.create_future() for _ in range(count)]
        self._saves[msg_id].extend(waiters)
        try:
            yield waiters
        finally:
            self._forget(msg_id, waiters)

    @contextlib.contextmanager
    def expect_binary_over(self) -> Iterator[asyncio.Future[None]]:
        """Expect `BIN SEND OVER!` while the block runs."""
        over = self._binary_over = asyncio.get_running_loop().create_future()
        try:
            yield over
        finally:
            if not over.done():
                over.cancel()
            elif not over.cancelled():
                over.exception()  # retrieved: a lost link is raised by the command itself
            self._binary_over = None

    @staticmethod
    async def wait(waiters: list[asyncio.Future[None]], seconds: float, what: str) -> None:
        """Wait for every future, or raise `M6311TimeoutError` naming `what` after `seconds`."""
        if not waiters:
            return
        try:
            async with asyncio.timeout(seconds):
                await asyncio.gather(*waiters)
        except TimeoutError:
            msg = f"{what} not acknowledged within {seconds:g} s"
            raise M6311TimeoutError(
                msg, reason=Reason.NOT_ACKNOWLEDGED, placeholders={"seconds": f"{seconds:g}"}
            ) from None

    def _resolve_save(self, msg_id: int) -> None:
        queue = self._saves.get(msg_id)
        while queue:
            waiter = queue.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _forget(self, msg_id: int, waiters: list[asyncio.Future[None]]) -> None:
        queue = self._saves[msg_id]
        for waiter in waiters:
            if waiter in queue:
                queue.remove(waiter)
            if not waiter.done():
                waiter.cancel()
            elif not waiter.cancelled():
                waiter.exception()  # retrieved: no "exception never retrieved" warning
        if not queue:
            del self._saves[msg_id]

    def _fail_all(self, error: M6311ConnectionError) -> None:
        for queue in self._saves.values():
            for waiter in queue:
                if not waiter.done():
                    waiter.set_exception(error)
        if self._binary_over is not None and not self._binary_over.done():
            self._binary_over.set_exception(error)
