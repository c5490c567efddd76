"""A file database keeps devices, keys, datapoints and commands across a restart."""

from typing import TYPE_CHECKING

from emulator.edp import CmdReq, ConnReq, ConnResp, SaveAck, SaveData
from emulator.platform import CommandStatus, PlatformEmulator

from .platform_helpers import EdpDevice, call

if TYPE_CHECKING:
    from pathlib import Path


async def test_restart_keeps_state(tmp_path: Path, socket_enabled: None) -> None:
    db_path = str(tmp_path / "onenet.sqlite")
    async with PlatformEmulator(master_key="m", db_path=db_path) as platform:
        created = await call(
            platform, "POST", "/devices", json={"title": "kept", "auth_info": "SIM-9"}
        )
        device_id = created["data"]["device_id"]
        key = platform.create_key(device_id)
        device = await EdpDevice.connect(platform)
        assert await device.request(ConnReq(device_id, key)) == ConnResp(0)
        assert await device.request(SaveData.split_string(",;t,1", msg_id=1)) == SaveAck(1)
        await device.close()
        await platform.wait_online(device_id, online=False)
        cmd_uuid = await platform.send_command(device_id, b"after restart", qos=1, timeout=600)
    async with PlatformEmulator(master_key="m", db_path=db_path) as platform:
        got = await call(platform, "GET", f"/devices/{device_id}", key=key)
        assert got["data"]["title"] == "kept"
        assert got["data"]["online"] is False
        assert [point.value for point in platform.datapoints(device_id, "t")] == [1]
        duplicate = await call(
            platform, "POST", "/devices", json={"title": "x", "auth_info": "SIM-9"}
        )
        assert duplicate["errno"] == 6
        assert (await call(platform, "POST", "/devices", json={"title": "n"}))["data"] == {
            "device_id": str(int(device_id) + 1)
        }
        device = await EdpDevice.connect(platform)
        assert await device.request(ConnReq(device_id, key)) == ConnResp(0)
        assert await device.receive() == CmdReq(cmd_uuid, b"after restart")
        command = platform.command(cmd_uuid)
        assert command is not None
        assert command.status == CommandStatus.SENT
        await device.close()
