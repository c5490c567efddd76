"""The behaviours of real firmwares the module emulator can take on, byte for byte on the pty.

Each is a dialect flag (or an option) drawn from public drivers of real M6311 / M6312 modules:
a login that ends in `CONNECT OK` later, the quoted master key, `+CGSN:` forms, network reports
inside answers, a slow start, a shorter command line, a jittery TCP transport and the M6311R's
provisioning commands. The `m6311r` profile, which combines them, is in
`test_module_real_firmware_profile.py`.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import TYPE_CHECKING

import aiohttp
import pytest

from emulator.module import Dialect, Stored
from emulator.module.dialect import REPORT_CYCLE
from emulator.platform import DEFAULT_MASTER_KEY, DEFAULT_PROJECT_ID

from .module_support import TIMEOUT, EdpPeer, SerialClient, attached, framed, running

if TYPE_CHECKING:
    from pathlib import Path

    from emulator.module import ModuleEmulator
    from emulator.platform import PlatformEmulator

IMEI = "867567041234567"
BOOT = framed("RDY", "+CPIN: READY", "Call Ready", "SMS Ready", "+PBREADY")
CTZV = "+CTZV: 18/01/05,08:00:00,+32"
LATE = Dialect.CONNECT_LATE
ONLY = Dialect.CONNECT_ONLY
PLAIN = Dialect.PLAIN_RESULT


def mode_1(device_id: str) -> str:
    """The documented login with a device id and the master key."""
    return f'AT+CIOTCONNECTPARA=1,"{device_id}","{DEFAULT_MASTER_KEY}"'


async def closed_port() -> int:
    """A TCP port on 127.0.0.1 where nothing listens any more."""
    peer = EdpPeer()
    port = await peer.start()
    await peer.stop()
    return port


# --- CONNECT_LATE / CONNECT_ONLY ---------------------------------------------------------------


@pytest.mark.usefixtures("socket_enabled")
@pytest.mark.parametrize(
    ("dialect", "ok", "down", "up"),
    [
        (LATE, ["+OK"], ["+OK=Device_down"], ["+OK=device_up"]),
        (
            LATE | PLAIN,
            ["OK"],
            ["+CIOTSTATUS: Device_down", "OK"],
            ["+CIOTSTATUS: device_up", "OK"],
        ),
    ],
    ids=["documented", "plain"],
)
async def test_connect_late_answers_at_once_and_says_connect_ok_once_in(
    dialect: Dialect, ok: list[str], down: list[str], up: list[str], platform: PlatformEmulator
) -> None:
    device_id = platform.create_device("m6311")
    async with (
        running(
            platform_http_url=platform.http_url,
            edp_port=platform.edp_port,
            dialect=dialect,
            connect_delay=0.5,
        ) as module,
        attached(module) as port,
    ):
        await port.ask(mode_1(device_id), framed(*ok))
        loop = asyncio.get_running_loop()
        started = loop.time()
        await port.ask("AT+CIOTSTART=0", framed(*ok))
        await platform.wait_online(device_id)  # the platform has it; the module says not yet
        await port.ask("AT+CIOTSTATUS", framed(*down))
        assert not module.online
        await port.expect(framed("CONNECT OK"))
        assert loop.time() - started >= 0.5
        await port.ask("AT+CIOTSTATUS", framed(*up))
        await port.ask("AT+CIOTSTART=0", framed("ERROR" if PLAIN in dialect else "+ERR=-106"))


@pytest.mark.usefixtures("socket_enabled")
@pytest.mark.parametrize(
    ("dialect", "answer"), [(LATE, framed("+OK")), (ONLY, b"")], ids=["late", "only"]
)
async def test_a_refused_login_prints_connect_fail(
    dialect: Dialect, answer: bytes, platform: PlatformEmulator
) -> None:
    device_id = platform.create_device("m6311")
    async with (
        running(
            platform_http_url=platform.http_url, edp_port=platform.edp_port, dialect=dialect
        ) as module,
        attached(module) as port,
    ):
        await port.ask(f'AT+CIOTCONNECTPARA=1,"{device_id}","wrong-key"', framed("+OK"))
        await port.ask("AT+CIOTSTART=0", answer + framed("CONNECT FAIL"))
        await port.ask("AT+CIOTSTATUS", framed("+OK=Device_down"))


@pytest.mark.usefixtures("socket_enabled")
@pytest.mark.parametrize(
    ("dialect", "answer"), [(LATE, framed("+OK")), (ONLY, b"")], ids=["late", "only"]
)
async def test_a_tcp_failure_prints_connect_fail(dialect: Dialect, answer: bytes) -> None:
    async with (
        running(edp_port=await closed_port(), dialect=dialect) as module,
        attached(module) as port,
    ):
        await port.ask('AT+CIOTCONNECTPARA=1,"1","k"', framed("+OK"))
        await port.ask("AT+CIOTSTART=0", answer + framed("CONNECT FAIL"))
        await module.set_network(up=False)  # no radio: the same, without trying TCP
        await port.ask("AT+CIOTSTART=1", answer + framed("CONNECT FAIL"))


@pytest.mark.usefixtures("socket_enabled")
async def test_connect_only_prints_nothing_but_connect_ok(platform: PlatformEmulator) -> None:
    device_id = platform.create_device("m6311")
    async with (
        running(
            platform_http_url=platform.http_url,
            edp_port=platform.edp_port,
            dialect=ONLY,
            connect_delay=0.3,
        ) as module,
        attached(module) as port,
    ):
        await port.ask(mode_1(device_id), framed("+OK"))
        port.send("AT+CIOTSTART=0")
        port.send("AT+CIOTSTART=0")  # the first is still logging in: no second login
        await port.expect(framed("+ERR=-106") + framed("CONNECT OK"))
        assert module.online
        await port.ask("AT+CIOTSTART=0", framed("+ERR=-106"))


async def test_connect_only_still_answers_errors_found_before_trying() -> None:
    async with running(dialect=ONLY) as module, attached(module) as port:
        await port.ask("AT+CIOTSTART=0", framed("+ERR=-108"))  # mode 1 without parameters
        await port.ask("AT+CIOTCONNECTPARA=0", framed("+OK"))
        await port.ask("AT+CIOTSTART=0", framed("+ERR=-103"))
        module.stored.device_id = "1"
        await port.ask("AT+CIOTSTART=0", framed("+ERR=-104"))
        await port.ask("AT+CIOTSTART=2", framed("+ERR=-108"))


@pytest.mark.usefixtures("socket_enabled")
async def test_a_login_cut_short_by_a_fault_says_connect_fail_and_a_reboot_nothing(
    platform: PlatformEmulator,
) -> None:
    device_id = platform.create_device("m6311")
    async with (
        running(
            platform_http_url=platform.http_url,
            edp_port=platform.edp_port,
            dialect=LATE,
            cloud_latency=0.3,
        ) as module,
        attached(module) as port,
    ):
        await port.ask(mode_1(device_id), framed("+OK"))
        await port.ask("AT+CIOTSTART=0", framed("+OK"))  # now waiting on the network
        await module.drop_cloud()
        await port.expect(framed("CONNECT FAIL"))
        await port.ask("AT+CIOTSTART=0", framed("+OK"))
        await module.reboot()
        await port.expect(framed("RDY"))  # and no CONNECT line, then or later
        await port.ask("ATE0", b"ATE0\r\n" + framed("OK"))
        await asyncio.sleep(0.5)
        await port.ask("AT+CIOTSTATUS", framed("+OK=Device_down"))
        assert not platform.is_online(device_id)


# --- QUOTED_MKEY, CGSN_PLUS, CGSN_INDEXED ------------------------------------------------------


@pytest.mark.parametrize(
    ("dialect", "refused", "taken"),
    [
        (Dialect.QUOTED_MKEY, ["+ERR=-108"], ["+OK=abc"]),
        (Dialect.QUOTED_MKEY | PLAIN, ["ERROR"], ["+CIOTMKEY: abc", "OK"]),
    ],
    ids=["documented", "plain"],
)
async def test_quoted_mkey_refuses_the_bare_key(
    dialect: Dialect, refused: list[str], taken: list[str]
) -> None:
    async with running(dialect=dialect) as module, attached(module) as port:
        await port.ask("AT+CIOTMKEY=abc", framed(*refused))
        assert module.stored.master_key is None
        await port.ask('AT+CIOTMKEY="abc"', framed(*taken))
        assert module.stored.master_key == "abc"


@pytest.mark.parametrize(
    ("dialect", "line"),
    [
        (Dialect.DOCUMENTED, IMEI),
        (Dialect.CGSN_PLUS, f"+CGSN: {IMEI}"),
        (Dialect.CGSN_INDEXED, f"+CGSN: 1,{IMEI}"),
        (Dialect.CGSN_PLUS | Dialect.CGSN_INDEXED, f"+CGSN: 1,{IMEI}"),
    ],
)
async def test_cgsn_forms(dialect: Dialect, line: str) -> None:
    async with running(dialect=dialect) as module, attached(module) as port:
        await port.ask("AT+CGSN", framed(line, "OK"))


# --- REPORTS -----------------------------------------------------------------------------------


async def test_reports_come_before_answers_and_before_their_final() -> None:
    async with (
        running(dialect=Dialect.REPORTS | PLAIN) as module,
        attached(module, echo=True) as port,
    ):
        await port.ask("ATE0", b"ATE0\r\n" + framed("+CREG: 1", "OK"))
        module.stored.device_id = "1088826"
        await port.ask("AT+CIOTID?", framed("+CGREG: 0,1", "+CIOTID: 1088826", "+CEREG: 1", "OK"))
        await port.ask("AT+CGSN", framed(CTZV, IMEI, "+CREG: 1", "OK"))
        await port.ask("AT+CIOTID", framed("+CGREG: 0,1", "ERROR"))  # a known command's error
        await port.ask("AT+NOSUCH", framed("ERROR"))  # no command at all: no report
        await port.ask("AT+CSQ", framed("+CEREG: 1", "+CSQ: 20,99", CTZV, "OK"))


async def test_reports_cycle_in_the_documented_dialect_too() -> None:
    async with running(dialect=Dialect.REPORTS) as module, attached(module, echo=True) as port:
        port.send("ATE0")
        await port.until(b"OK\r\n")
        for report in [*REPORT_CYCLE[1:], *REPORT_CYCLE]:
            await port.ask("AT+CIOTID?", framed(report, "+ERR=-103"))


@pytest.mark.usefixtures("socket_enabled")
async def test_an_unsolicited_line_on_demand() -> None:
    async with (
        running(control_port=0) as module,
        attached(module) as port,
        aiohttp.ClientSession() as http,
    ):
        module.report("+CREG: 5")
        await port.expect(framed("+CREG: 5"))
        url = f"{module.control_url}/report"
        async with http.post(url, json={"line": CTZV}) as response:
            assert response.status == 200
        await port.expect(framed(CTZV))
        for body in [{"line": "two\r\nlines"}, {"line": 3}, {}]:
            async with http.post(url, json=body) as response:
                assert response.status == 400
        await port.ask("AT", framed("OK"))  # nothing else was printed


# --- SLOW_START --------------------------------------------------------------------------------


async def test_slow_start_is_deaf_then_prints_its_start_up_lines() -> None:
    loop = asyncio.get_running_loop()
    powered = loop.time()
    async with running(dialect=Dialect.SLOW_START, startup_delay=1.0) as module:
        port = await SerialClient.open(module.serial_path)
        port.send("AT")  # lost: no echo, no answer
        await port.expect(BOOT)
        assert loop.time() - powered >= 1.0
        assert module.commands == []
        await port.ask("AT", b"AT\r\n" + framed("OK"))

        await module.reboot()
        rebooted = loop.time()
        port.send("ATE0")
        await port.expect(BOOT)
        assert loop.time() - rebooted >= 1.0
        await port.ask("AT", b"AT\r\n" + framed("OK"))  # echo on: ATE0 never arrived
        await port.close()


async def test_slow_start_after_a_replug() -> None:
    async with running(dialect=Dialect.SLOW_START, startup_delay=1.0) as module:
        await module.unplug()
        await module.replug()
        plugged = asyncio.get_running_loop().time()
        port = await SerialClient.open(module.serial_path)
        await port.expect(BOOT)
        assert asyncio.get_running_loop().time() - plugged >= 1.0
        assert module.awake
        await port.close()


# --- max_line ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dialect", "refused", "taken"),
    [(Dialect.DOCUMENTED, "+ERR=-108", "+OK"), (PLAIN, "ERROR", "OK")],
    ids=["documented", "plain"],
)
async def test_a_line_over_a_short_limit_is_refused_and_not_run(
    dialect: Dialect, refused: str, taken: str
) -> None:
    async with running(dialect=dialect, max_line=256) as module, attached(module) as port:
        longest = 'AT+CIOTCONNECTPARA=2,"1","SYS","' + "v" * 223 + '"'
        assert len(longest) == 256
        await port.ask(longest, framed(taken))
        await port.ask(longest.replace("SYS", "SYS2"), framed(refused))
        assert module.firmware.params.values == ("1", "SYS", "v" * 223)
        assert module.commands[-1] == ""  # the refused line is not a command


# --- TCP jitter --------------------------------------------------------------------------------


async def pieces(reader: asyncio.StreamReader, expected: bytes) -> list[tuple[float, bytes]]:
    """Read exactly as many bytes as `expected`, keeping each read and when it came."""
    loop = asyncio.get_running_loop()
    received: list[tuple[float, bytes]] = []
    total = 0
    async with asyncio.timeout(TIMEOUT):
        while total < len(expected):
            data = await reader.read(len(expected) - total)
            assert data, "the module closed the TCP connection"
            received.append((loop.time(), data))
            total += len(data)
    assert b"".join(data for _, data in received) == expected
    return received


@pytest.mark.usefixtures("socket_enabled")
async def test_tcp_jitter_delivers_downlinks_whole_in_pieces_with_pauses(
    platform: PlatformEmulator,
) -> None:
    device_id = platform.create_device("m6311")
    async with (
        running(
            platform_http_url=platform.http_url,
            edp_port=platform.edp_port,
            dialect=Dialect.CIOTCMD,
            tcp_port=0,
            tcp_jitter=0.05,
            tcp_seed=6311,
        ) as module,
        attached(module) as port,
    ):
        reader, writer = await asyncio.open_connection("127.0.0.1", module.tcp_port)
        async with asyncio.timeout(TIMEOUT):
            while module.tcp is None or not module.tcp.has_client:  # noqa: ASYNC110  # no event
                await asyncio.sleep(0.01)
        await port.ask(mode_1(device_id), framed("+OK"))
        await port.ask("AT+CIOTSTART=0", framed("+OK"))
        await pieces(reader, framed("+OK") + framed("+OK"))  # the TCP client saw them too
        downlinks = []
        for number in range(6):
            body = f"switch,{number};level,{number * 10}".encode()
            await platform.send_command(device_id, body)
            line = framed(b"+CIOTCMD:" + str(len(body)).encode() + b"," + body)
            await port.expect(line)  # the pty has it whole, at once
            downlinks.append(await pieces(reader, line))
        writer.close()
    assert all(1 <= len(downlink) <= 4 for downlink in downlinks)
    split = [downlink for downlink in downlinks if len(downlink) > 1]
    assert split, "no downlink came in pieces"
    pauses = [later[0] - earlier[0] for d in split for earlier, later in itertools.pairwise(d)]
    assert max(pauses) > 0.005


# --- the M6311R's provisioning -----------------------------------------------------------------


async def provision_as_the_m6311r_driver(port: SerialClient, auth: str = IMEI) -> None:
    """The driver's start-up sequence (hxbao/ONE_NET_TC, onenet_init), documented results."""
    await port.ask(f"AT+CIOTPROID={DEFAULT_PROJECT_ID}", framed("+OK"))
    await port.ask(f'AT+CIOTMKEY="{DEFAULT_MASTER_KEY}"', framed(f"+OK={DEFAULT_MASTER_KEY}"))
    await port.ask(f'AT+CIOTAUTHINFO="{auth}"', framed("+OK"))
    await port.ask(f'AT+CIOTINIT="{auth}","water meter"', framed("+OK"))
    await port.ask("AT+CIOTINIT", framed("+OK"))
    await port.ask("AT+CIOTCONNECTPARA=1", framed("+OK"))


@pytest.mark.usefixtures("socket_enabled")
async def test_m6311r_provisioning_registers_the_auth_info_and_logs_in_with_it(
    platform: PlatformEmulator,
) -> None:
    async with (
        running(
            platform_http_url=platform.http_url,
            edp_port=platform.edp_port,
            dialect=Dialect.R_PROVISIONING,
        ) as module,
        attached(module) as port,
    ):
        await port.ask("AT+CIOTPROID?", framed("+ERR"))
        await port.ask("AT+CIOTAUTHINFO?", framed("+ERR"))
        await provision_as_the_m6311r_driver(port)
        await port.ask("AT+CIOTPROID?", framed(f"+OK={DEFAULT_PROJECT_ID}"))
        await port.ask("AT+CIOTAUTHINFO?", framed(f"+OK={IMEI}"))
        await port.ask("AT+CIOTCONNECTPARA?", framed("+OK=1"))
        device_id = module.stored.device_id
        assert device_id is not None
        device = platform.store.device(device_id)
        assert device is not None
        assert (device["title"], device["desc"], device["auth_info"]) == (
            IMEI,
            "water meter",
            IMEI,
        )
        assert module.stored.device_key is not None
        await port.ask("AT+CIOTSTART=0", framed("+OK"))
        await platform.wait_online(device_id)

        await module.reboot()  # the driver provisions again at every start
        await port.expect(framed("RDY"))
        await port.ask("ATE0", b"ATE0\r\n" + framed("OK"))
        await provision_as_the_m6311r_driver(port)
        assert module.stored.device_id == device_id  # the same master key kept the device
        assert platform.store.device_ids() == [device_id]
        await port.ask("AT+CIOTSTART=1", framed("+OK"))
        await platform.wait_online(device_id)


async def test_m6311r_values_survive_a_restart_in_flash(tmp_path: Path) -> None:
    state = tmp_path / "flash.json"
    async with (
        running(dialect=Dialect.R_PROVISIONING, state_path=state) as module,
        attached(module) as port,
    ):
        await port.ask("AT+CIOTPROID=23219", framed("+OK"))
        await port.ask('AT+CIOTAUTHINFO="SIM-1"', framed("+OK"))
    async with (
        running(dialect=Dialect.R_PROVISIONING, state_path=state) as module,
        attached(module) as port,
    ):
        await port.ask("AT+CIOTPROID?", framed("+OK=23219"))
        await port.ask("AT+CIOTAUTHINFO?", framed("+OK=SIM-1"))
        assert (module.stored.project_id, module.stored.auth_info) == ("23219", "SIM-1")


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ('AT+CIOTPROID="23219"', "+ERR=-108"),  # the driver sends it unquoted
        ("AT+CIOTPROID=", "+ERR=-108"),
        ("AT+CIOTPROID=23a", "+ERR=-108"),
        ("AT+CIOTPROID", "+ERR=-108"),
        ('AT+CIOTAUTHINFO=""', "+ERR=-108"),
        ('AT+CIOTAUTHINFO="a","b"', "+ERR=-108"),
        ('AT+CIOTINIT="title","desc"', "+ERR=-108"),  # no auth info stored
        ('AT+CIOTINIT="title"', "+ERR=-108"),
        ("AT+CIOTSTART=0", "+ERR=-108"),  # mode 1 without parameters, before CONNECTPARA=1
    ],
)
async def test_m6311r_commands_refuse_bad_parameters(line: str, answer: str) -> None:
    async with running(dialect=Dialect.R_PROVISIONING) as module, attached(module) as port:
        await port.ask(line, framed(answer))


async def test_m6311r_init_needs_a_master_key_and_the_login_its_stored_values() -> None:
    async with running(dialect=Dialect.R_PROVISIONING) as module, attached(module) as port:
        await port.ask('AT+CIOTAUTHINFO="SIM-1"', framed("+OK"))
        await port.ask('AT+CIOTINIT="t","d"', framed("+ERR=-102"))
        await port.ask("AT+CIOTCONNECTPARA=1", framed("+OK"))
        await port.ask("AT+CIOTSTART=0", framed("+ERR=-108"))  # no project id stored
        assert module.firmware.params.stored_project


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ("AT+CIOTPROID=23219", "+ERR"),
        ("AT+CIOTPROID?", "+ERR"),
        ('AT+CIOTAUTHINFO="SIM-1"', "+ERR"),
        ('AT+CIOTINIT="t","d"', "+ERR=-108"),
        ("AT+CIOTCONNECTPARA=1", "+ERR=-108"),
    ],
)
async def test_without_the_m6311r_set_its_commands_are_unknown(line: str, answer: str) -> None:
    async with running() as module, attached(module) as port:
        await port.ask(line, framed(answer))


async def test_r_only_refuses_the_documented_logins() -> None:
    async with running(dialect=Dialect.R_ONLY) as module, attached(module) as port:
        await port.ask('AT+CIOTCONNECTPARA=1,"1088826","key"', framed("+ERR=-108"))
        await port.ask('AT+CIOTCONNECTPARA=2,"23219","SYS","v"', framed("+ERR=-108"))
        await port.ask("AT+CIOTCONNECTPARA?", framed("+OK=1"))
        await port.ask("AT+CIOTCONNECTPARA=0", framed("+OK"))
        await port.ask("AT+CIOTPROID=23219", framed("+OK"))  # the M6311R set is there
        await port.ask("AT+CIOTCONNECTPARA=1", framed("+OK"))
        assert module.firmware.params.stored_project


async def test_a_new_master_key_still_forgets_the_device_under_the_m6311r_set() -> None:
    async with running(dialect=Dialect.R_PROVISIONING) as module, attached(module) as port:
        module.stored.master_key, module.stored.device_id = "old", "42"
        module.stored.device_key = "key"
        await port.ask('AT+CIOTMKEY="old"', framed("+OK=old"))
        assert module.stored.device_id == "42"
        await port.ask('AT+CIOTMKEY="new"', framed("+OK=new"))
        assert module.stored == Stored(master_key="new")


async def test_the_documented_module_forgets_the_device_even_for_the_same_key(
    module: ModuleEmulator, port: SerialClient
) -> None:
    module.stored.master_key, module.stored.device_id = "old", "42"
    await port.ask("AT+CIOTMKEY=old", framed("+OK=old"))
    assert module.stored.device_id is None
