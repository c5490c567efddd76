"""The emulator's web page: it shows the state and its form sends a command."""

from typing import TYPE_CHECKING

import aiohttp

from emulator.edp import CmdReq, ConnReq, ConnResp, SaveAck, SaveData

from .platform_helpers import EdpDevice

if TYPE_CHECKING:
    from emulator.platform import PlatformEmulator


async def _get(url: str) -> str:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        return await response.text()


async def test_empty_page(platform_emulator: PlatformEmulator) -> None:
    page = await _get(platform_emulator.http_url + "/")
    assert "<h1>OneNET platform emulator</h1>" in page
    assert "No devices yet." in page
    assert "http" not in page.split("<body>")[0].replace("http-equiv", "")  # no external assets


async def test_page_shows_devices_streams_binaries_and_escapes(
    platform_emulator: PlatformEmulator,
) -> None:
    platform = platform_emulator
    device_id = platform.create_device("<b>kitchen</b>", auth_info="SIM&1")
    platform.create_device("idle")
    device = await EdpDevice.connect(platform)
    assert await device.request(ConnReq(device_id, platform.master_key)) == ConnResp(0)
    assert await device.request(SaveData.split_string(",;temp,<22.5>", msg_id=1)) == SaveAck(1)
    message = SaveData.binary({"ds_id": "img", "desc": "<pic>"}, b"1234", msg_id=2)
    assert await device.request(message) == SaveAck(2)
    page = await _get(platform.http_url + "/")
    assert "&lt;b&gt;kitchen&lt;/b&gt;" in page
    assert "<b>kitchen" not in page
    assert "SIM&amp;1" in page
    assert '<span class="on">online</span>' in page
    assert '<span class="off">offline</span>' in page
    assert "&lt;22.5&gt;" in page
    assert "{&quot;ds_id&quot;:&quot;img&quot;,&quot;desc&quot;:&quot;&lt;pic&gt;&quot;}" in page
    assert "{&quot;index&quot;:&quot;" in page
    assert "<td>4</td>" in page
    await device.close()


async def test_form_sends_a_command_and_shows_its_uuid(platform_emulator: PlatformEmulator) -> None:
    platform = platform_emulator
    device_id = platform.create_device("a")
    device = await EdpDevice.connect(platform)
    assert await device.request(ConnReq(device_id, platform.master_key)) == ConnResp(0)
    form = {"device_id": device_id, "body": "light=<on>", "qos": "1", "timeout": "0"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(platform.http_url + "/", data=form) as response,
    ):
        assert response.status == 200
        assert len(response.history) == 1
        assert response.history[0].status == 303
        page = await response.text()
    message = await device.receive()
    assert isinstance(message, CmdReq)
    assert message.body == b"light=<on>"
    assert f"Command sent: <code>{message.cmd_id}</code>" in page
    assert "light=&lt;on&gt;" in page
    command = platform.command(message.cmd_id)
    assert command is not None
    assert command.qos == 1
    await device.close()


async def test_form_shows_why_a_command_was_not_sent(platform_emulator: PlatformEmulator) -> None:
    device_id = platform_emulator.create_device("a")
    form = {"device_id": device_id, "body": "x"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(platform_emulator.http_url + "/", data=form) as response,
    ):
        page = await response.text()
    assert f"Not sent: errno 10: device not online: {device_id}" in page
