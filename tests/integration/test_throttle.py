"""The throttle between counters that change often and the state writes they cause."""

from __future__ import annotations

import asyncio

from custom_components.onenet_m6311.throttle import Throttle


async def test_requests_within_an_interval_make_one_call_at_its_end() -> None:
    calls: list[float] = []
    loop = asyncio.get_running_loop()
    throttle = Throttle(0.05, lambda: calls.append(loop.time()))
    started = loop.time()
    for _ in range(100):
        throttle.request()
    await asyncio.sleep(0.1)
    assert len(calls) == 1
    assert calls[0] - started >= 0.05
    throttle.request()  # a new interval
    await asyncio.sleep(0.1)
    assert len(calls) == 2


async def test_nothing_runs_after_cancel() -> None:
    calls: list[None] = []
    throttle = Throttle(0.01, lambda: calls.append(None))
    throttle.request()
    throttle.cancel()
    throttle.request()
    await asyncio.sleep(0.05)
    assert calls == []
