"""The client on a `socket://` port that crosses a network, against the M6311R's profile.

`socket://` and `esphome://` serial ports carry the module's bytes over Wi-Fi, which splits
them and pauses between the pieces. The emulated module's TCP serial line does the same
(`tcp_jitter`); the module behaves as the M6311R driver's does (profile `m6311r`: plain
results, reports inside answers, the login reported late, `+CIOTCMD:` downlinks).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from custom_components.onenet_m6311.m6311 import (
    CloudCommand,
    ConnectMode,
    LoginSettings,
    M6311Client,
    ModuleEvent,
)
from emulator.pair import EmulatorPair, PairOptions

if TYPE_CHECKING:
    from pathlib import Path

PAYLOAD = b'{"light":"on"}\r\n+OK\r\nSAVE succ!msg:1\r\n+ERR=-108\r\n' + "开灯".encode() * 20


async def test_a_cloud_command_crosses_a_jittery_network_port_whole(
    socket_enabled: None, tmp_path: Path
) -> None:
    options = PairOptions(
        cache_dir=tmp_path,
        http_port=0,
        edp_port=0,
        control_port=None,
        tcp_port=0,
        profile="m6311r",
        startup_delay=1.0,
        connect_delay=0.5,
        tcp_jitter=0.4,
        tcp_seed=18,
    )
    async with EmulatorPair(options) as pair:
        info = pair.info
        assert info.socket_url is not None
        mode1 = info.modes[1]
        device_id = mode1.device_id
        assert device_id is not None
        events: list[ModuleEvent] = []
        async with M6311Client(info.socket_url) as client:
            client.subscribe(events.append)
            await client.identify()
            settings = LoginSettings(
                ConnectMode.DEVICE_ID, device_id=device_id, master_key=mode1.fields["master_key"]
            )
            await client.login(settings)
            for _ in range(3):
                await pair.platform.send_command(device_id, PAYLOAD)
                # Commands in flight meanwhile get their own answers, never payload bytes.
                assert (await client.read_signal()).rssi >= 0
                assert await client.read_firmware()
            async with asyncio.timeout(30):
                while sum(isinstance(e, CloudCommand) for e in events) < 3:  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
    commands = [event for event in events if isinstance(event, CloudCommand)]
    assert commands == [CloudCommand(PAYLOAD)] * 3
