"""The `m6311r` profile: the module the public M6311R driver talks to, and how to ask for it.

The transcript test replays that driver's start-up (hxbao/ONE_NET_TC: main.c, m6311r.c) with
echo on, as the driver leaves it, and checks every byte the module prints.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from demo.__main__ import parse_args as demo_args
from demo.stack import DemoOptions, DemoStack
from emulator.cli import options_from, parse_args, render
from emulator.module import PROFILES, Dialect, ModuleEmulator, profile_named
from emulator.module.profile import M6311R
from emulator.pair import EmulatorPair, PairOptions
from emulator.platform import DEFAULT_MASTER_KEY, DEFAULT_PROJECT_ID

from .module_support import SerialClient, framed, running

if TYPE_CHECKING:
    from pathlib import Path

    from emulator.platform import PlatformEmulator

IMEI = "867567041234567"
KEY = DEFAULT_MASTER_KEY
BOOT = framed("RDY", "+CPIN: READY", "Call Ready", "SMS Ready", "+PBREADY")
CTZV = "+CTZV: 18/01/05,08:00:00,+32"

DRIVER_START_UP = [
    ("AT+CSQ", framed("+CREG: 1", "+CSQ: 20,99", "+CGREG: 0,1", "OK")),
    ("AT+CGSN", framed("+CEREG: 1", f"+CGSN: 1,{IMEI}", CTZV, "OK")),
    (f"AT+CIOTPROID={DEFAULT_PROJECT_ID}", framed("+CREG: 1", "OK")),
    (f'AT+CIOTMKEY="{KEY}"', framed("+CGREG: 0,1", f"+CIOTMKEY: {KEY}", "+CEREG: 1", "OK")),
    (f'AT+CIOTAUTHINFO="{IMEI}"', framed(CTZV, "OK")),
    (f'AT+CIOTINIT="{IMEI}","meter"', framed("+CREG: 1", "OK")),
    ("AT+CIOTINIT", framed("+CGREG: 0,1", "OK")),
    ("AT+CIOTCONNECTPARA=1", framed("+CEREG: 1", "OK")),
    ("AT+CIOTSTART=0", framed(CTZV, "OK")),
]
"""The driver's commands up to the login, and what the module prints for each (echo aside)."""


def test_the_m6311r_profile_is_the_drivers_module() -> None:
    assert PROFILES == {"m6311r": M6311R}
    assert profile_named(" M6311R ") is M6311R
    assert M6311R.dialect == (
        Dialect.PLAIN_RESULT
        | Dialect.PING_COLON
        | Dialect.STATUS_NUMERIC
        | Dialect.CIOTCMD
        | Dialect.CONNECT_LATE
        | Dialect.QUOTED_MKEY
        | Dialect.CGSN_INDEXED
        | Dialect.REPORTS
        | Dialect.SLOW_START
        | Dialect.R_PROVISIONING
    )
    assert (M6311R.max_line, M6311R.startup_delay) == (256, 15.0)
    with pytest.raises(KeyError, match="unknown profile 'm6312'"):
        profile_named("m6312")


async def test_a_profile_sets_the_module_and_given_options_win() -> None:
    module = ModuleEmulator(profile="m6311r")
    assert module.dialect == M6311R.dialect
    assert (module.config.max_line, module.config.startup_delay) == (256, 15.0)
    assert module.config.connect_delay == 1.5
    changed = ModuleEmulator(
        profile=M6311R, dialect=Dialect.R_ONLY, max_line=100, startup_delay=2, connect_delay=0
    )
    assert changed.dialect == M6311R.dialect | Dialect.R_ONLY
    assert (changed.config.max_line, changed.config.startup_delay) == (100, 2)
    assert changed.config.connect_delay == 0
    plain = ModuleEmulator()
    assert plain.dialect is Dialect.DOCUMENTED
    assert (plain.config.max_line, plain.config.startup_delay) == (1024, 15.0)


@pytest.mark.usefixtures("socket_enabled")
async def test_the_m6311r_drivers_start_up_byte_for_byte(platform: PlatformEmulator) -> None:
    loop = asyncio.get_running_loop()
    powered = loop.time()
    async with running(
        platform_http_url=platform.http_url,
        edp_port=platform.edp_port,
        profile="m6311r",
        startup_delay=1.0,
        connect_delay=0.3,
    ) as module:
        port = await SerialClient.open(module.serial_path)
        port.send("AT+CREG?")  # too early: the driver waits 15 s for this reason
        await port.expect(BOOT)
        assert loop.time() - powered >= 1.0
        for line, answer in DRIVER_START_UP:
            await port.ask(line, line.encode() + b"\r\n" + answer)
        await port.expect(framed("CONNECT OK"))
        device_id = module.stored.device_id
        assert device_id is not None
        await platform.wait_online(device_id)
        status = framed("+CREG: 1", "+CIOTSTATUS: 1", "+CGREG: 0,1", "OK")
        await port.ask("AT+CIOTSTATUS", b"AT+CIOTSTATUS\r\n" + status)
        await port.ask("AT+CIOTPING", b"AT+CIOTPING\r\n" + framed("+CEREG: 1", "+CIOTPING: OK"))
        upload = 'AT+CIOTDAT=0,1,"csq,,20"'
        await port.ask(upload, upload.encode() + b"\r\n" + framed(CTZV, "OK"))
        assert (await platform.wait_datapoint(device_id, "csq")).value == 20
        await platform.send_command(device_id, b"AT+CMDGET_CSQ")
        await port.expect(framed("+CIOTCMD:13,AT+CMDGET_CSQ"))
        overlong = "AT+CIOTAUTHINFO=" + "x" * 241
        await port.ask(overlong, overlong.encode() + b"\r\n" + framed("ERROR"))
        await port.close()


# --- scripts/emulate, the pair, scripts/demo ----------------------------------------------------


def test_the_real_firmware_options_are_read() -> None:
    args = parse_args(
        [
            *("--profile", "M6311R", "--dialect", "r_only", "--max-line", "200"),
            *("--startup-delay", "2.5", "--connect-delay", "0.5"),
            *("--tcp", "0", "--tcp-jitter", "0.02", "--tcp-seed", "7"),
        ]
    )
    options = options_from(args)
    assert options.profile == "m6311r"
    assert options.dialect is Dialect.R_ONLY
    assert (options.max_line, options.startup_delay, options.connect_delay) == (200, 2.5, 0.5)
    assert (options.tcp_jitter, options.tcp_seed) == (0.02, 7)
    defaults = options_from(parse_args([]))
    assert (defaults.profile, defaults.max_line, defaults.startup_delay) == (None, None, None)
    assert (defaults.connect_delay, defaults.tcp_jitter, defaults.tcp_seed) == (None, 0.0, None)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--profile", "m6312"], "unknown profile 'm6312'"),
        (["--max-line", "0"], "not a line length in bytes: '0'"),
        (["--max-line", "x"], "not a line length in bytes: 'x'"),
        (["--startup-delay", "-1"], "not a number of seconds: '-1'"),
        (["--connect-delay", "soon"], "not a number of seconds: 'soon'"),
        (["--tcp-jitter", "nan"], "not a number of seconds: 'nan'"),
        (["--tcp-seed", "x"], "invalid int value: 'x'"),
    ],
)
def test_bad_real_firmware_options_are_refused(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_args(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.usefixtures("socket_enabled")
async def test_a_pair_with_the_profile_says_how_its_driver_logs_in(tmp_path: Path) -> None:
    options = PairOptions(
        cache_dir=tmp_path,
        persist=False,
        http_port=0,
        edp_port=0,
        control_port=0,
        tcp_port=0,
        profile="m6311r",
        startup_delay=0.5,
        connect_delay=0.1,
        tcp_jitter=0.01,
        tcp_seed=1,
    )
    async with EmulatorPair(options) as pair:
        info, module = pair.info, pair.module
        assert module.dialect == M6311R.dialect
        assert (module.config.max_line, module.config.startup_delay) == (256, 0.5)
        assert module.tcp is not None
        assert module.tcp.jitter == 0.01
        assert info.profile == "m6311r"
        assert {"slow_start", "r_provisioning", "quoted_mkey"} <= set(info.dialect)
        assert info.modes[0].at[0] == f'AT+CIOTMKEY="{KEY}"'
        assert info.m6311r_at == [
            f"AT+CIOTPROID={DEFAULT_PROJECT_ID}",
            f'AT+CIOTMKEY="{KEY}"',
            f'AT+CIOTAUTHINFO="{IMEI}"',
            f'AT+CIOTINIT="{IMEI}","M6311R emulator"',
            "AT+CIOTCONNECTPARA=1",
        ]
        text = render(info)
        assert "profile m6311r, dialect plain_result|" in text
        assert f'            AT+CIOTAUTHINFO="{IMEI}"\n' in text
        port = await SerialClient.open(info.link_path)
        await port.expect(BOOT)
        for line in [*info.m6311r_at, info.start[0]]:
            port.send(line)
            await port.until(b"\r\nOK\r\n")
        await port.until(b"\r\nCONNECT OK\r\n")
        device_id = pair.platform.store.device_by_auth_info(IMEI)
        assert device_id is not None
        await pair.platform.wait_online(device_id)
        await port.close()


def test_scripts_demo_takes_a_profile() -> None:
    assert demo_args(["--profile", "m6311r"]).profile == "m6311r"
    assert demo_args([]).profile is None


@pytest.mark.parametrize(("profile", "tail"), [("m6311r", ["--profile", "m6311r"]), (None, [])])
async def test_the_demo_starts_the_emulators_with_its_profile(
    profile: str | None, tail: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[tuple[object, ...]] = []

    async def record(*args: object, **_kwargs: object) -> None:
        started.append(args)
        msg = "no process in this test"
        raise OSError(msg)

    monkeypatch.setattr(asyncio, "create_subprocess_exec", record)
    stack = DemoStack(DemoOptions(state_dir=tmp_path, profile=profile))
    with pytest.raises(OSError, match="no process"):
        await stack.start_emulators()
    (command,) = started
    assert list(command[-2:]) == (tail or ["--latency", "0.0"])
