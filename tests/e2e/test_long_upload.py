"""The largest file OneNET takes, uploaded at the real line speed through a real `hass`.

3 MiB as hex over 115200 baud is some nine minutes on the wire, both directions paced by the
emulated module; its cloud link drops after 128 s without traffic, and the module sends the
file only after its last chunk. The upload holds the line, so the heartbeats go between its
chunks: the file must arrive whole, and the link must stay up throughout.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import aiohttp
import pytest

from demo.stack import DemoOptions, DemoStack

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200)]

MAX_FILE_BYTES = 3 * 1024 * 1024
BAUDRATE = 115200


async def test_a_file_of_the_documented_maximum_arrives_at_line_speed(
    socket_enabled: None, tmp_path: Path
) -> None:
    files = tmp_path / "files"
    files.mkdir()
    content = bytes(range(256)) * (MAX_FILE_BYTES // 256)
    picture = files / "largest.bin"
    await asyncio.to_thread(picture.write_bytes, content)
    options = DemoOptions.on_free_ports(tmp_path, allowed_dirs=(files,), forwarded=())
    async with DemoStack(options) as stack:
        await stack.wait_link()
        started = time.monotonic()
        async with stack.session.post(
            f"{stack.hass_url}/api/services/onenet_m6311/send_file?return_response",
            json={
                "config_entry_id": stack.entry_id,
                "datastream": "largest",
                "file_path": str(picture),
                "wait_for_ack": True,
            },
            headers={"Authorization": f"Bearer {stack.token}"},
            timeout=aiohttp.ClientTimeout(total=1100),
        ) as response:
            body = await response.text()
        elapsed = time.monotonic() - started
        assert response.status == 200, body
        module = await stack.module_state()
        link = next(e for e in await stack.entity_ids() if e.endswith("_cloud_link"))
        link_state = (await stack.state(link))["state"]
        stored = await stack.binary_datapoint("largest")
    hex_wire_seconds = 2 * MAX_FILE_BYTES * 10 / BAUDRATE
    assert elapsed >= hex_wire_seconds  # the line's speed, not the pty's
    assert stored == content
    assert link_state == "on"
    print(f"3 MiB uploaded in {elapsed:.0f} s; last commands: {module['commands'][-5:]}")  # noqa: T201
