"""The module emulator's faults, through Python methods and through the control API."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
import pytest

from emulator.module import ConnectMode
from emulator.platform import DEFAULT_MASTER_KEY

from .module_support import SerialClient, attached, framed, running

if TYPE_CHECKING:
    from emulator.module import ModuleEmulator
    from emulator.platform import PlatformEmulator


async def test_delayed_answers_come_late() -> None:
    async with running() as module, attached(module, echo=True) as port:
        module.delay_answers(0.3)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await port.ask("AT", b"AT\r\n" + framed("OK"))
        assert loop.time() - started >= 0.3
        module.delay_answers(0)
        await port.ask("ATE0", b"ATE0\r\n" + framed("OK"))


async def test_the_echo_does_not_wait_for_a_delayed_answer() -> None:
    async with running() as module, attached(module, echo=True) as port:
        module.delay_answers(3600)  # an hour: only the echo can come while the test runs
        port.send("AT")
        await port.expect(b"AT\r\n")


async def test_swallowed_answers_are_never_printed_but_the_commands_run() -> None:
    async with running() as module, attached(module) as port:
        module.swallow_answers(2)
        port.send("AT+CSQ")
        port.send("AT+CIOTMKEY=abc")
        await port.ask("AT+CGSN", framed("867567041234567", "OK"))
        assert module.stored.master_key == "abc"
        assert module.commands[-3:] == ["AT+CSQ", "AT+CIOTMKEY=abc", "AT+CGSN"]


async def test_garbled_bytes_are_flipped_then_the_line_is_clean() -> None:
    async with running() as module, attached(module) as port:
        module.garble_output(3)
        clean = framed("OK")
        garbled = bytes(byte ^ 0x80 for byte in clean[:3]) + clean[3:]
        await port.ask("AT", garbled)
        await port.ask("AT", clean)
        assert module.printed.endswith(garbled + clean)


async def test_reboot_prints_rdy_restores_echo_and_forgets_temporary_settings() -> None:
    async with running() as module, attached(module) as port:
        await port.ask('AT+CIOTCONNECTPARA=2,"1","SYS","v"', framed("+OK"))
        module.delay_answers(5)
        await module.reboot()
        await port.expect(framed("RDY"))
        assert module.echo
        assert module.mode is ConnectMode.DEVICE
        port.send("AT")  # answered at once: the delay fault went with the power
        await port.expect(b"AT\r\n" + framed("OK"))


async def test_reboot_abandons_the_command_in_progress() -> None:
    async with running(cloud_latency=5.0) as module, attached(module, echo=True) as port:
        await port.ask("AT+CIOTMKEY=k", b"AT+CIOTMKEY=k\r\n" + framed("+OK=k"))
        port.send("AT+CIOTINIT")
        await port.expect(b"AT+CIOTINIT\r\n")  # received; now waiting on the network
        await module.reboot()
        await port.expect(framed("RDY"))
        await port.ask("AT", b"AT\r\n" + framed("OK"))  # no late answer to CIOTINIT


async def test_unplug_makes_the_port_vanish_and_replug_brings_a_new_one(tmp_path: Path) -> None:
    link = tmp_path / "ttyM6311"
    async with running(link_path=link) as module:
        port = await SerialClient.open(str(link))
        await port.ask("AT", b"AT\r\n" + framed("OK"))
        old_path = module.serial_path
        await module.unplug()
        try:
            async with asyncio.timeout(5):
                data = await port.reader.read(100)
        except OSError:
            data = b""  # the read failed (EIO): the port is gone
        assert data == b""
        assert not await asyncio.to_thread(Path(old_path).exists)
        assert not link.is_symlink()
        await port.close()
        with pytest.raises(OSError, match="No such file"):
            await SerialClient.open(str(link))
        await module.replug()
        await module.replug()  # plugged in already: nothing happens
        assert link.readlink() == Path(module.serial_path)
        await module.drained()  # `RDY` went out before this client opens the port
        again = await SerialClient.open(str(link))
        await again.ask("AT", b"AT\r\n" + framed("OK"))  # a fresh boot: echo on
        await again.close()


@pytest.mark.usefixtures("socket_enabled")
async def test_unplug_drops_the_tcp_client_and_refuses_new_ones() -> None:
    async with running(tcp_port=0) as module:
        url = f"socket://127.0.0.1:{module.tcp_port}"
        client = await SerialClient.open(url)
        await client.ask("AT", b"AT\r\n" + framed("OK"))
        await module.unplug()
        async with asyncio.timeout(5):
            assert await client.reader.read() == b""
        await client.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", module.tcp_port)
        async with asyncio.timeout(5):
            assert await reader.read() == b""
        writer.close()
        await module.replug()
        await module.drained()  # `RDY` went out before this client connects
        client = await SerialClient.open(url)
        await client.ask("AT", b"AT\r\n" + framed("OK"))
        await client.close()


@pytest.mark.usefixtures("socket_enabled")
async def test_dropping_the_cloud_link_is_silent_and_takes_the_device_offline(
    platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    device_id = platform.create_device("m6311")
    await port.ask(f'AT+CIOTCONNECTPARA=1,"{device_id}","{DEFAULT_MASTER_KEY}"', framed("+OK"))
    await port.ask("AT+CIOTSTART=0", framed("+OK"))
    await platform.wait_online(device_id)
    await module.drop_cloud()
    await platform.wait_online(device_id, online=False)
    await port.ask("AT+CIOTSTATUS", framed("+OK=Device_down"))
    await port.ask("AT+CIOTSTART=1", framed("+OK"))  # the module can log in again
    await module.set_network(up=False)
    await platform.wait_online(device_id, online=False)
    await module.set_network(up=True)
    await port.ask("AT+CIOTSTART=0", framed("+OK"))
    await module.reboot()
    await platform.wait_online(device_id, online=False)


@pytest.mark.usefixtures("socket_enabled")
async def test_the_control_api_drives_every_fault(tmp_path: Path) -> None:
    link = tmp_path / "tty"
    async with (
        running(control_port=0, link_path=link) as module,
        attached(module) as port,
        aiohttp.ClientSession() as http,
    ):
        url = module.control_url
        assert url is not None

        async def post(path: str, body: object = None) -> dict[str, object]:
            async with http.post(url + path, json=body) as response:
                assert response.status == 200, await response.text()
                answer = await response.json()
                assert isinstance(answer, dict)
                return answer

        async with http.get(url + "/state") as response:
            state = await response.json()
        assert state["mode"] == 1
        assert state["online"] is False
        assert state["commands"] == ["ATE0"]
        assert state["serial_path"] == module.serial_path

        await post("/swallow", {"count": 1})
        port.send("AT")
        await port.ask("AT+CSQ", framed("+CSQ: 20,99", "OK"))
        await post("/garble", {"count": 1})
        await port.ask("AT", b"\x8d" + framed("OK")[1:])
        await post("/delay", {"seconds": 0})
        changed = await post("/dialect", {"dialect": "plain_result|cr_only"})
        assert changed["dialect"] == ["PLAIN_RESULT", "CR_ONLY"]
        await port.ask("AT+CIOTID?", b"\rERROR\r")
        await post("/dialect", {"dialect": ""})
        await port.ask("AT+CIOTID?", framed("+ERR=-103"))
        await post("/network", {"up": False})
        await port.ask("AT+CSQ", framed("+CSQ: 99,99", "OK"))
        await post("/network", {"up": True})
        await post("/drop-cloud")
        await post("/reboot")
        await port.expect(framed("RDY"))
        unplugged = await post("/unplug")
        assert unplugged["serial_path"] is None
        replugged = await post("/replug")
        assert replugged["serial_path"] == module.serial_path
        assert replugged["link_path"] == str(link)

        for path, body in [
            ("/delay", {"seconds": -1}),
            ("/swallow", {"count": "x"}),
            ("/garble", {"count": True}),
            ("/network", {"up": 1}),
            ("/network", {}),
            ("/delay", [1]),
            ("/dialect", {"dialect": "nonsense"}),
            ("/dialect", {"dialect": 3}),
        ]:
            async with http.post(url + path, json=body) as response:
                assert response.status == 400, path
