"""A trace from a user's module, replayed: the library must read it as that module meant it.

`traces/two_line_answers.trace` is what a firmware printed (the header says which quirks);
`emulator.replay.ReplayModule` plays its side on a real pseudo-terminal, and the client runs
the same commands the trace holds. A bug report's trace becomes such a test by dropping the
file in `traces/` and writing what the client should make of it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from custom_components.onenet_m6311.m6311 import (
    CloudCommand,
    ConnectMode,
    LinkStatus,
    LoginSettings,
    M6311Client,
    ModuleEvent,
    Provisioning,
    Record,
)
from emulator.replay import ReplayModule, read_trace

TRACES = Path(__file__).parent / "traces"


async def test_two_line_answers_and_power_up_noise() -> None:
    entries = await asyncio.to_thread(read_trace, TRACES / "two_line_answers.trace")
    events: list[ModuleEvent] = []
    async with ReplayModule(entries) as replay, M6311Client(replay.path) as client:
        client.subscribe(events.append)
        module = await client.identify()
        assert (module.imei, module.provisioning) == ("867567041234567", Provisioning.NO_MASTER_KEY)
        settings = LoginSettings(ConnectMode.DEVICE_ID, device_id="35270468", master_key="k")
        await client.login(settings)
        assert await client.ping() > 0
        assert await client.read_status() is LinkStatus.UP  # not the ping's late OK
        records = [
            Record("temperature", 21.5, "2026-11-27 12:00:00"),
            Record("door", 1, "2026-11-27 12:00:01"),
        ]
        assert await client.send_data(records) == 1
        async with asyncio.timeout(5):
            while not events:  # noqa: ASYNC110  # the command comes when the trace says
                await asyncio.sleep(0.01)
        await client.quit()
        async with asyncio.timeout(5):
            await replay.finished()
    assert replay.mismatches == []
    assert events == [CloudCommand(b'{"light": "on"}')]
