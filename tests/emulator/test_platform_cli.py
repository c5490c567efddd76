"""Running the platform emulator from a shell."""

import asyncio
import os
import signal
import sys
from typing import TYPE_CHECKING

import aiohttp

from emulator.platform import SaveAckForm
from emulator.platform.__main__ import build, main, parse_args, serve

if TYPE_CHECKING:
    import pytest


def test_options_configure_the_emulator() -> None:
    args = parse_args(
        ["--edp-port", "8760", "--master-key", "m", "--project-id", "7", "--saveack-form", "json"]
    )
    platform = build(args)
    assert platform.master_key == "m"
    assert platform.project_id == "7"
    assert platform.host == "127.0.0.1"
    assert platform._requested_edp_port == 8760
    assert platform._options.saveack_form == SaveAckForm.JSON


async def test_serve_until_stopped(
    socket_enabled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    stop = asyncio.Event()
    platform = build(parse_args([]))
    task = asyncio.create_task(serve(platform, stop))
    for _ in range(100):
        if platform.http_port:
            break
        await asyncio.sleep(0.01)
    async with aiohttp.ClientSession() as session, session.get(platform.http_url) as response:
        assert response.status == 200
    stop.set()
    await task
    assert platform._store is None
    assert capsys.readouterr().out == (
        f"EDP 127.0.0.1:{platform.edp_port} HTTP http://127.0.0.1:{platform.http_port}\n"
    )


async def test_command_line_run_and_sigterm(socket_enabled: None) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "emulator.platform",
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    async with asyncio.timeout(10):
        line = (await process.stdout.readline()).decode()
    assert line.startswith("EDP 127.0.0.1:")
    assert " HTTP http://127.0.0.1:" in line
    process.send_signal(signal.SIGTERM)
    async with asyncio.timeout(10):
        assert await process.wait() == 0


async def test_main_stops_on_sigterm(
    socket_enabled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    task = asyncio.create_task(main(["--project-id", "9"]))
    output = ""
    async with asyncio.timeout(5):
        while not output:  # the signal handlers are installed once the line is out
            await asyncio.sleep(0.01)
            output = capsys.readouterr().out
    assert output.startswith("EDP 127.0.0.1:")
    os.kill(os.getpid(), signal.SIGTERM)
    async with asyncio.timeout(5):
        await task
