"""An open left in flight: cancelled or timed out while the port opens in a worker thread.

serialx opens a device in a worker thread behind `asyncio.shield`. If the task awaiting it is
cancelled and the open then fails (the port went away meanwhile), asyncio reports the error of
an abandoned shielded future: the exception handler fires, and Home Assistant's test harness
(and log) show an error that belongs to nobody. The connection never cancels an open in flight.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from custom_components.onenet_m6311.m6311 import M6311ConnectionError, connection
from custom_components.onenet_m6311.m6311.connection import ModuleConnection


class SlowOpen:
    """An opener shaped as serialx's: a blocking open in a thread, awaited through a shield."""

    def __init__(self, outcome: BaseException | None) -> None:
        self.release = threading.Event()
        self.outcome = outcome
        self.writers: list[Any] = []

    def _blocking_open(self) -> None:
        self.release.wait(10)
        if self.outcome is not None:
            raise self.outcome

    async def __call__(self, **_: object) -> tuple[asyncio.StreamReader, Any]:
        loop = asyncio.get_running_loop()
        await asyncio.shield(loop.run_in_executor(None, self._blocking_open))
        writer = ClosedWriter()
        self.writers.append(writer)
        return asyncio.StreamReader(), writer


class ClosedWriter:
    closed = False

    def close(self) -> None:
        self.closed = True


@pytest.fixture
async def loop_errors() -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda _loop, context: errors.append(context))
    return errors


@pytest.mark.parametrize("outcome", [FileNotFoundError(2, "gone"), None])
async def test_a_cancelled_connect_leaves_no_orphan_error_and_no_open_port(
    loop_errors: list[dict[str, Any]], outcome: BaseException | None
) -> None:
    opener = SlowOpen(outcome)
    link = ModuleConnection("/dev/ttyGone", open_connection=opener)
    connecting = asyncio.create_task(link.connect())
    await asyncio.sleep(0.1)
    connecting.cancel()  # an unload while the port opens
    with pytest.raises(asyncio.CancelledError):
        await connecting
    closing = asyncio.create_task(link.close())  # an unload waits for the open in flight
    await asyncio.sleep(0.2)
    assert not closing.done()
    opener.release.set()  # the open ends after all: failed, or opened too late
    await closing
    assert loop_errors == []
    assert all(writer.closed for writer in opener.writers)  # an open that came late is closed
    assert not link.connected


async def test_an_open_that_takes_too_long_is_a_connection_error(
    loop_errors: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection, "OPEN_TIMEOUT", 0.2)
    opener = SlowOpen(FileNotFoundError(2, "gone"))
    link = ModuleConnection("/dev/ttyGone", open_connection=opener)
    with pytest.raises(M6311ConnectionError, match="TimeoutError"):
        await link.connect()
    opener.release.set()
    await asyncio.sleep(0.2)
    assert loop_errors == []
