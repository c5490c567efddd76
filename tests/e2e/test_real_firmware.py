"""The M6311R driver's module, end to end: a real `hass` and the emulator's `m6311r` profile.

The profile turns on what the one public driver of a real M6311R expects of its module
(docs/protocol.md, §13): plain `OK`/`ERROR`, the login reported by `CONNECT OK` seconds after
its `OK`, network reports inside answers, `+CGSN: 1,<imei>`, `+CIOTCMD:` downlinks, 256-byte
lines, and 15 s of silence after every power-on. `demo.stack.DemoStack` sets the entry up
through the config flow (mode 1) and the options flow, as a user would; the test then forwards
a stream of changes through an unplug, a reboot and a `kill -9` of hass, receives a cloud
command, and checks on the emulated platform that nothing was lost.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from demo.hass_log import LINK_WARNINGS
from demo.stack import DemoOptions, DemoStack
from soak.tally import is_one_run, records_per_line

from .test_faults import (
    DATASTREAM,
    PROBE,
    arrived,
    link_state,
    produce,
    running,
    safe_from_a_crash,
)
from .test_hass_process import until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(900),
    pytest.mark.hass_log_expects(*LINK_WARNINGS),  # the module goes away and comes back
]

STARTS_WITHIN = 90.0
"""The module's 15 s of start-up silence, the login reported after it, and a busy machine."""


@pytest.fixture
async def stack(socket_enabled: None, tmp_path: Path) -> AsyncIterator[DemoStack]:
    options = DemoOptions.on_free_ports(tmp_path, profile="m6311r", forwarded=(PROBE,))
    async with running(options) as demo:
        yield demo


async def commands_received(stack: DemoStack) -> int:
    sensor = next(e for e in await stack.entity_ids() if e.endswith("_commands_received"))
    value = (await stack.state(sensor))["state"]
    return int(value) if value.isdecimal() else 0


async def test_the_m6311r_drivers_module_end_to_end(stack: DemoStack) -> None:
    assert stack.emulator["profile"] == "m6311r"
    assert await stack.entry_state() == "loaded"
    await until("link up", lambda: link_state(stack), lambda s: s == "on", STARTS_WITHIN)

    # A cloud command, printed as `+CIOTCMD:<len>,<data>`, reaches Home Assistant whole.
    before = await commands_received(stack)
    await stack.send_command(json.dumps({"light": "on", "note": "+OK\r\n+ERR=-108"}))
    await until("the command", lambda: commands_received(stack), lambda n: n > before, 60)

    # A stream of changes through an unplug and a reboot: the module is silent for 15 s after
    # each, and reports its login late; nothing is lost.
    sent = await produce(
        stack,
        range(900),
        at={
            150: lambda: stack.control("unplug"),
            300: lambda: stack.control("replug"),
            550: lambda: stack.control("reboot"),
        },
    )
    result = await arrived(stack, sent, within=300)
    assert result.lost == ()
    assert result.unexpected == ()
    assert result.duplicates == 0

    # Records queued while the module is away survive a kill -9 of hass.
    await stack.control("unplug")
    more = await produce(stack, range(900, 1100))
    await safe_from_a_crash(stack, more[-1])
    await stack.kill_hass()
    await stack.control("replug")
    await stack.restart_hass()
    result = await arrived(stack, sent + more, within=300)
    assert result.lost == ()
    assert result.unexpected == ()
    assert result.duplicates <= records_per_line(DATASTREAM)
    assert is_one_run(result.duplicated, sent + more)
    await until("link up again", lambda: link_state(stack), lambda s: s == "on", STARTS_WITHIN)
