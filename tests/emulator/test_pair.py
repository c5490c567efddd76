"""`python -m emulator`: both emulators wired together, and the credentials it prints."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from emulator.cli import main, options_from, parse_args, render, run, serve
from emulator.module import Dialect
from emulator.pair import (
    DEFAULT_CACHE_DIR,
    MODE1_TITLE,
    MODE2_TITLE,
    EmulatorPair,
    PairError,
    PairOptions,
)
from emulator.platform import DEFAULT_MASTER_KEY, DEFAULT_PROJECT_ID

from .module_support import SerialClient, framed

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = pytest.mark.usefixtures("socket_enabled")

REPOSITORY = Path(__file__).resolve().parents[2]
FREE_PORTS = ("--http-port", "0", "--edp-port", "0", "--control-port", "0")


def free_options(folder: Path, **changes: Any) -> PairOptions:
    """The command's defaults, but every port free and the state in `folder`."""
    values: dict[str, Any] = {
        "cache_dir": folder,
        "http_port": 0,
        "edp_port": 0,
        "control_port": 0,
    }
    return PairOptions(**(values | changes))


def target(link: str) -> str | None:
    """Where a symlink points, or None when there is nothing at `link`."""
    path = Path(link)
    if not path.is_symlink():
        assert not path.exists()
        return None
    return str(path.readlink())


def names(folder: Path) -> list[str]:
    """The names in a folder, sorted."""
    return sorted(path.name for path in folder.iterdir())


@contextlib.asynccontextmanager
async def pair_running(folder: Path, **changes: Any) -> AsyncIterator[EmulatorPair]:
    """A started pair whose boot line is already out (serialx flushes on open)."""
    async with EmulatorPair(free_options(folder, **changes)) as pair:
        await pair.module.drained()
        yield pair


@contextlib.asynccontextmanager
async def serial(path: str) -> AsyncIterator[SerialClient]:
    """A serial client on `path` (a pty, its link or a socket:// URL), echo off."""
    client = await SerialClient.open(path)
    try:
        await client.ask("ATE0", b"ATE0\r\n" + framed("OK"))
        yield client
    finally:
        await client.close()


async def log_in(pair: EmulatorPair, port: SerialClient, mode: int, encrypt: int = 0) -> None:
    """Enter the printed lines of a mode, start, and see the module and the platform online."""
    info = pair.info.modes[mode]
    for line in info.at:
        if line.startswith("AT+CIOTMKEY="):
            await port.ask(line, framed("+OK=" + line.removeprefix("AT+CIOTMKEY=")))
        else:
            await port.ask(line, framed("+OK"))
    await port.ask(f"AT+CIOTSTART={encrypt}", framed("+OK"))
    await port.ask("AT+CIOTSTATUS", framed("+OK=device_up"))
    device_id = info.device_id or pair.module.stored.device_id
    assert device_id is not None
    await pair.platform.wait_online(device_id)
    await port.ask("AT+CIOTQUIT", framed("+OK"))
    await pair.platform.wait_online(device_id, online=False)


# --- what it prints ----------------------------------------------------------------------------


async def test_info_says_where_everything_is(tmp_path: Path) -> None:
    async with pair_running(tmp_path) as pair:
        info = pair.info
        platform, module = pair.platform, pair.module
        assert info.serial_path == module.serial_path
        assert info.serial_path.startswith("/dev/pts/")
        assert info.link_path == str(tmp_path / "ttyM6311")
        assert target(info.link_path) == info.serial_path
        assert info.socket_url is None
        assert info.baudrate == 115200
        assert info.http_url == platform.http_url
        assert info.web_url == f"http://127.0.0.1:{platform.http_port}/"
        assert (info.edp_host, info.edp_port) == ("127.0.0.1", platform.edp_port)
        assert info.control_url == module.control_url
        assert info.control_url is not None
        assert info.project_id == DEFAULT_PROJECT_ID
        assert info.master_key == DEFAULT_MASTER_KEY
        assert info.database == str(tmp_path / "platform.sqlite")
        assert Path(info.database).name in names(tmp_path)
        assert info.state_file == str(tmp_path / "module-state.json")
        assert info.dialect == []
        assert info.start == ["AT+CIOTSTART=0", "AT+CIOTSTART=1"]

        async with aiohttp.ClientSession() as session:
            async with session.get(info.web_url) as response:
                assert response.status == 200
                assert "<title>OneNET emulator</title>" in await response.text()
            async with session.get(f"{info.control_url}/state") as response:
                assert (await response.json())["mode"] == 1
            mode2 = info.modes[2].device_id
            headers = {"api-key": info.master_key}
            url = f"{info.http_url}/devices/{mode2}"
            async with session.get(url, headers=headers) as response:
                device = (await response.json())["data"]
        assert device["title"] == MODE2_TITLE
        assert device["auth_info"] == '{"SYS":"89860012345678901234"}'


async def test_modes_carry_the_values_to_enter(tmp_path: Path) -> None:
    async with pair_running(tmp_path) as pair:
        modes = pair.info.modes
    key = DEFAULT_MASTER_KEY
    assert [mode.mode for mode in modes] == [0, 1, 2]
    mode0, mode1, mode2 = modes
    assert mode0.fields == {"master_key": key}
    assert mode0.at == [f"AT+CIOTMKEY={key}", "AT+CIOTINIT", "AT+CIOTCONNECTPARA=0"]
    assert mode0.device_id is None
    assert mode1.device_id is not None
    assert mode1.fields == {"device_id": mode1.device_id, "master_key": key}
    assert mode1.at == [f'AT+CIOTCONNECTPARA=1,"{mode1.device_id}","{key}"']
    assert mode2.fields == {
        "project_id": "23219",
        "auth_key": "SYS",
        "auth_value": "89860012345678901234",
    }
    assert mode2.at == ['AT+CIOTCONNECTPARA=2,"23219","SYS","89860012345678901234"']
    assert mode2.device_id is not None
    assert mode1.device_id != mode2.device_id


async def test_json_holds_everything(tmp_path: Path) -> None:
    async with pair_running(tmp_path, tcp_port=0) as pair:
        info = pair.info
        decoded = json.loads(json.dumps(info.as_dict()))
    assert decoded["link_path"] == info.link_path
    assert decoded["serial_path"] == info.serial_path
    assert decoded["socket_url"] == info.socket_url
    assert decoded["web_url"] == info.web_url
    assert decoded["control_url"] == info.control_url
    assert decoded["master_key"] == DEFAULT_MASTER_KEY
    assert [mode["mode"] for mode in decoded["modes"]] == [0, 1, 2]
    assert decoded["modes"][1] == {
        "mode": 1,
        "fields": info.modes[1].fields,
        "at": info.modes[1].at,
        "device_id": info.modes[1].device_id,
    }
    assert decoded["modes"][2]["fields"]["auth_key"] == "SYS"


async def test_text_names_every_value(tmp_path: Path) -> None:
    async with pair_running(tmp_path, tcp_port=0) as pair:
        info = pair.info
        text = render(info)
    for value in (
        info.link_path,
        info.serial_path,
        info.socket_url or "missing",
        info.web_url,
        info.http_url,
        f"127.0.0.1:{info.edp_port}",
        info.control_url or "missing",
        str(tmp_path),
        DEFAULT_MASTER_KEY,
        "printed on purpose",
        "AT+CIOTSTART=1",
        "+OK=device_up",
        *info.modes[0].at,
        *info.modes[1].at,
        *info.modes[2].at,
        *info.modes[1].fields.values(),
        *info.modes[2].fields.values(),
    ):
        assert value in text, value
    assert "the module holds no device yet" in text


# --- using what it prints ------------------------------------------------------------------------


@pytest.mark.parametrize("encrypt", [0, 1])
async def test_modes_1_and_2_log_in_as_printed(tmp_path: Path, encrypt: int) -> None:
    async with pair_running(tmp_path) as pair, serial(pair.info.link_path) as port:
        await log_in(pair, port, 1, encrypt)
        await log_in(pair, port, 2, encrypt)


async def test_mode_0_logs_in_with_the_printed_key(tmp_path: Path) -> None:
    async with pair_running(tmp_path) as pair, serial(pair.info.link_path) as port:
        await log_in(pair, port, 0)
        device_id = pair.module.stored.device_id
        assert device_id is not None
        assert device_id not in {pair.info.modes[1].device_id, pair.info.modes[2].device_id}
        assert pair.platform.store.device(device_id) is not None


async def test_socket_url_serves_the_same_module(tmp_path: Path) -> None:
    async with pair_running(tmp_path, tcp_port=0) as pair:
        assert pair.info.socket_url is not None
        async with serial(pair.info.socket_url) as port:
            await log_in(pair, port, 1)


async def test_options_reach_the_module(tmp_path: Path) -> None:
    dialect = Dialect.PLAIN_RESULT | Dialect.CR_ONLY
    async with pair_running(
        tmp_path,
        dialect=dialect,
        latency=0.25,
        imei="860000000000001",
        control_port=None,
        check_baudrate=True,
    ) as pair:
        assert pair.module.dialect == dialect
        assert pair.module.config.cloud_latency == 0.25
        assert pair.module.config.imei == "860000000000001"
        assert pair.module.pty.required_baudrate == 115200
        assert pair.info.dialect == ["plain_result", "cr_only"]
        assert pair.info.control_url is None
        assert "Control API" not in render(pair.info)


async def test_options_reach_the_platform(tmp_path: Path) -> None:
    async with pair_running(tmp_path, master_key="k", project_id="7") as pair:
        platform = pair.platform
        assert (platform.master_key, platform.project_id) == ("k", "7")
        assert platform.host == "127.0.0.1"
        assert pair.info.modes[2].fields["project_id"] == "7"


# --- restarts and stops -------------------------------------------------------------------------


async def test_a_restart_reuses_the_devices(tmp_path: Path) -> None:
    async with pair_running(tmp_path) as pair, serial(pair.info.link_path) as port:
        await log_in(pair, port, 0)
        first = pair.info
        stored = pair.module.stored.device_id
        devices = pair.platform.store.device_ids()
    assert len(devices) == 3
    async with pair_running(tmp_path) as pair:
        again = pair.info
        assert pair.platform.store.device_ids() == devices
        titles = [device["title"] for device in pair.platform.store.devices()]
        async with serial(again.link_path) as port:
            await port.ask("AT+CIOTCONNECTPARA=0", framed("+OK"))  # the module kept its device
            await port.ask("AT+CIOTSTART=0", framed("+OK"))
            await port.ask("AT+CIOTSTATUS", framed("+OK=device_up"))
    assert again.modes[1].device_id == first.modes[1].device_id
    assert again.modes[2].device_id == first.modes[2].device_id
    assert again.modes[0].device_id == stored
    assert titles.count(MODE1_TITLE) == titles.count(MODE2_TITLE) == 1
    assert f"the module holds device {stored}" in render(again)


async def test_memory_keeps_nothing(tmp_path: Path) -> None:
    async with pair_running(tmp_path, persist=False) as pair, serial(pair.info.link_path) as port:
        await log_in(pair, port, 0)
        assert pair.info.database is None
        assert pair.info.state_file is None
        assert "in memory (--memory)" in render(pair.info)
    assert names(tmp_path) == ["lock"]
    async with pair_running(tmp_path, persist=False) as pair:
        assert pair.info.modes[0].device_id is None
        assert len(pair.platform.store.device_ids()) == 2


async def test_stop_leaves_nothing_running(tmp_path: Path) -> None:
    before = asyncio.all_tasks()
    pair = EmulatorPair(free_options(tmp_path, tcp_port=0))
    info = await pair.start()
    http_port = pair.platform.http_port
    assert target(info.link_path) == info.serial_path
    await pair.stop()
    assert asyncio.all_tasks() == before
    assert target(info.link_path) is None
    with pytest.raises(OSError, match=r"refused|Connect call failed"):
        await asyncio.open_connection("127.0.0.1", http_port)
    with pytest.raises(RuntimeError, match="not running"):
        _ = pair.info
    with pytest.raises(RuntimeError, match="not running"):
        _ = pair.platform
    with pytest.raises(RuntimeError, match="not running"):
        _ = pair.module
    await pair.stop()  # twice is harmless
    async with pair_running(tmp_path):  # the folder is free again
        pass


async def test_one_pair_per_folder(tmp_path: Path) -> None:
    async with pair_running(tmp_path) as first:
        with pytest.raises(PairError, match="another emulator pair is running"):
            await EmulatorPair(free_options(tmp_path)).start()
        async with serial(first.info.link_path) as port:  # the first one is untouched
            await log_in(first, port, 1)


async def test_a_taken_port_starts_nothing(tmp_path: Path) -> None:
    before = asyncio.all_tasks()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        pair = EmulatorPair(free_options(tmp_path, control_port=taken.getsockname()[1]))
        with pytest.raises(OSError, match="address already in use"):
            await pair.start()
    assert asyncio.all_tasks() == before
    assert "ttyM6311" not in names(tmp_path)
    async with pair_running(tmp_path):  # the lock was let go
        pass


# --- the command line --------------------------------------------------------------------------


def test_defaults_are_the_documented_ones() -> None:
    options = options_from(parse_args([]))
    assert options == PairOptions(cache_dir=DEFAULT_CACHE_DIR)
    assert (options.http_port, options.edp_port, options.control_port) == (8875, 8876, 8877)
    assert options.tcp_port is None
    assert options.link == REPOSITORY / ".cache" / "emulator" / "ttyM6311"
    assert options.database == REPOSITORY / ".cache" / "emulator" / "platform.sqlite"


def test_options_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = parse_args(
        [
            "--cache-dir",
            "state",
            "--memory",
            "--link",
            "tty",
            "--tcp",
            "8878",
            "--no-control",
            "--dialect",
            "plain_result|cr_only",
            "--latency",
            "0.5",
            "--master-key",
            "k",
            "--project-id",
            "7",
            "--auth-key",
            "ICCID",
            "--auth-value",
            "v",
            "--check-baudrate",
            "--baudrate",
            "9600",
            "--http-port",
            "8080",
            "--edp-port",
            "8760",
        ]
    )
    options = options_from(args)
    assert options.cache_dir == tmp_path / "state"
    assert options.link == tmp_path / "tty"
    assert options.database is None
    assert options.state_file is None
    assert options.tcp_port == 8878
    assert options.control_port is None
    assert options.dialect == Dialect.PLAIN_RESULT | Dialect.CR_ONLY
    assert options.latency == 0.5
    assert (options.master_key, options.project_id) == ("k", "7")
    assert (options.auth_key, options.auth_value) == ("ICCID", "v")
    assert options.check_baudrate
    assert options.baudrate == 9600
    assert (options.http_port, options.edp_port) == (8080, 8760)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--dialect", "klingon"], "unknown dialect 'klingon'"),
        (["--http-port", "70000"], "not a TCP port: '70000'"),
        (["--tcp", "x"], "not a TCP port: 'x'"),
    ],
)
def test_bad_options_are_refused(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_args(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("as_json", [False, True])
async def test_serve_prints_then_stops(tmp_path: Path, *, as_json: bool) -> None:
    out, stop = io.StringIO(), asyncio.Event()
    pair = EmulatorPair(free_options(tmp_path))
    task = asyncio.create_task(serve(pair, stop, out, as_json=as_json))
    async with asyncio.timeout(5):
        while not out.getvalue():  # noqa: ASYNC110  # nothing announces it: poll
            await asyncio.sleep(0.01)
    info = pair.info
    first = out.getvalue()
    stop.set()
    await task
    if as_json:
        assert json.loads(first) == json.loads(json.dumps(info.as_dict()))
        assert out.getvalue() == first
    else:
        assert first == render(info) + "\n"
        assert out.getvalue() == first + "Emulators stopped.\n"
    assert target(info.link_path) is None


async def test_run_stops_on_sigterm(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    task = asyncio.create_task(run(["--cache-dir", str(tmp_path), "--json", *FREE_PORTS]))
    output = ""
    async with asyncio.timeout(5):
        while not output:  # the handlers are in place before the pair starts
            await asyncio.sleep(0.01)
            output = capsys.readouterr().out
    info = json.loads(output)
    assert target(info["link_path"]) == info["serial_path"]
    os.kill(os.getpid(), signal.SIGTERM)
    async with asyncio.timeout(5):
        assert await task == 0
    assert target(info["link_path"]) is None


async def test_run_explains_a_taken_port(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        status = await run(["--cache-dir", str(tmp_path), *FREE_PORTS, "--edp-port", port])
    assert status == 1
    error = capsys.readouterr().err
    assert "scripts/emulate: cannot start:" in error
    assert "is another emulator running?" in error


async def test_run_explains_a_busy_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with pair_running(tmp_path):
        status = await run(["--cache-dir", str(tmp_path), *FREE_PORTS])
    assert status == 1
    error = capsys.readouterr().err
    assert f"another emulator pair is running with {tmp_path}" in error
    assert "is another emulator running?" not in error


def test_main_runs_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []

    async def fake_run(argv: list[str]) -> int:
        seen.append(argv)
        return 7

    monkeypatch.setattr("emulator.cli.run", fake_run)
    monkeypatch.setattr(sys, "argv", ["python -m emulator", "--memory"])
    assert main() == 7
    assert main(["--json"]) == 7
    assert seen == [["--memory"], ["--json"]]

    async def interrupted(argv: list[str]) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("emulator.cli.run", interrupted)
    assert main([]) == 0


# --- as a process --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "signum"),
    [(["--json"], signal.SIGINT), ([], signal.SIGTERM)],
    ids=["json-sigint", "text-sigterm"],
)
async def test_the_command_runs_and_stops_on_a_signal(
    tmp_path: Path, flags: list[str], signum: signal.Signals
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "emulator",
        "--cache-dir",
        str(tmp_path),
        *FREE_PORTS,
        *flags,
        cwd=REPOSITORY,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        async with asyncio.timeout(20):
            first = (await process.stdout.readline()).decode()
        if flags:
            info = json.loads(first)
            link = info["link_path"]
            assert info["modes"][1]["fields"]["master_key"] == DEFAULT_MASTER_KEY
            assert target(link) == info["serial_path"]
            async with serial(link) as port:
                await port.ask(info["modes"][1]["at"][0], framed("+OK"))
                await port.ask("AT+CIOTSTART=0", framed("+OK"))
                await port.ask("AT+CIOTSTATUS", framed("+OK=device_up"))
        else:
            assert first == "OneNET M6311 emulators running; Ctrl-C stops them.\n"
            link = str(tmp_path / "ttyM6311")
            assert target(link) is not None
        process.send_signal(signum)
        async with asyncio.timeout(20):
            rest, errors = await process.communicate()
        assert process.returncode == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert errors == b""
    if flags:
        assert rest == b""  # one JSON line, nothing else
    else:
        assert rest.decode().endswith("Emulators stopped.\n")
    assert target(link) is None
