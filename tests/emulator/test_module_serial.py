"""The module emulator's UART: pty, TCP, echo, line ends, standard commands, pacing."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from emulator.module import Dialect, ModuleConfig, ModuleEmulator, parse_dialect, wire

from .module_support import SerialClient, attached, framed, running

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path


async def test_echo_is_on_at_power_up_and_answers_are_framed() -> None:
    async with running() as module, attached(module, echo=True) as port:
        port.send("AT")
        await port.expect(b"AT\r\n" + framed("OK"))
        assert module.echo


async def test_ate0_and_ate1_switch_echo() -> None:
    async with running() as module, attached(module, echo=True) as port:
        await port.ask("ATE0", b"ATE0\r\n" + framed("OK"))
        assert not module.echo
        await port.ask("AT", framed("OK"))
        await port.ask("ATE1", framed("OK"))
        await port.ask("AT", b"AT\r\n" + framed("OK"))
        await port.ask("ATE", b"ATE\r\n" + framed("OK"))  # ATE is ATE0
        await port.ask("ATE2", framed("ERROR"))


@pytest.mark.parametrize("end", [b"\r", b"\n", b"\r\n"])
async def test_a_command_ends_with_cr_lf_or_both(end: bytes) -> None:
    async with running() as module, attached(module) as port:
        port.send("AT+CGSN", end)
        port.send("AT", end)
        await port.expect(framed("867567041234567", "OK") + framed("OK"))
        assert module.commands[-2:] == ["AT+CGSN", "AT"]


async def test_standard_commands_answer_identity_and_signal() -> None:
    config = ModuleConfig(firmware="M6311R01A01V02", csq=(31, 0))
    async with running(imei="861234567890123", config=config) as module, attached(module) as port:
        await port.ask("AT+CGSN", framed("861234567890123", "OK"))
        await port.ask("at+cgmr", framed("M6311R01A01V02", "OK"))
        await port.ask("AT+CSQ", framed("+CSQ: 31,0", "OK"))
        await port.ask("AT+CSQ=?", framed("ERROR"))
        await port.ask("AT?", framed("+ERR"))  # not a command at all


@pytest.mark.parametrize("line", ["AT+NOSUCH", "HELLO", "AT+CIOTSTATUSX5", "ATZ9"])
async def test_an_unknown_command_answers_a_bare_err(line: str) -> None:
    async with running() as module, attached(module) as port:
        await port.ask(line, framed("+ERR"))


async def test_an_overlong_line_is_a_parameter_error_and_the_next_line_works() -> None:
    async with running(config=ModuleConfig(max_line=16)) as module, attached(module) as port:
        await port.ask("AT+CIOTMKEY=" + "k" * 20, framed("+ERR=-108"))
        await port.ask("AT+CIOTMKEY=" + "k" * 4, framed("+OK=kkkk"))


async def test_blank_lines_are_ignored() -> None:
    async with running() as module, attached(module) as port:
        port.send(b"\r\n\r\n", b"")
        await port.ask("AT", framed("OK"))
        assert module.commands == ["ATE0", "AT"]


async def test_the_stable_link_points_at_the_pty(tmp_path: Path) -> None:
    link = tmp_path / "ttyM6311"
    async with running(link_path=link) as module:
        assert module.link_path == str(link)
        assert str(link.readlink()) == module.serial_path
        async with attached(module) as port:
            await port.ask("AT", framed("OK"))
    assert not link.exists()


@pytest.mark.usefixtures("socket_enabled")
async def test_tcp_serves_one_client_at_a_time() -> None:
    async with running(tcp_port=0) as module:
        assert module.tcp_port
        url = f"socket://127.0.0.1:{module.tcp_port}"
        first = await SerialClient.open(url)
        first.send("AT")
        await first.expect(b"AT\r\n" + framed("OK"))
        reader, writer = await asyncio.open_connection("127.0.0.1", module.tcp_port)
        async with asyncio.timeout(5):
            assert await reader.read() == b""  # the second client is turned away
        writer.close()
        await first.close()
        second = await SerialClient.open(url)  # free again once the first has gone
        await second.ask("ATE0", b"ATE0\r\n" + framed("OK"))
        await second.close()


@pytest.mark.usefixtures("socket_enabled")
async def test_pty_and_tcp_see_the_same_output() -> None:
    async with running(tcp_port=0) as module, attached(module) as port:
        remote = await SerialClient.open(f"socket://127.0.0.1:{module.tcp_port}")
        remote.send("AT+CSQ")
        await remote.expect(framed("+CSQ: 20,99", "OK"))
        await port.expect(framed("+CSQ: 20,99", "OK"))
        await remote.close()


async def test_output_is_paced_at_the_baud_rate() -> None:
    key = "k" * 500
    answer = framed("+OK=" + key)
    async with running(baudrate=9600) as module, attached(module) as port:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await port.ask(f"AT+CIOTMKEY={key}", answer)
        elapsed = loop.time() - started
    assert elapsed >= 0.9 * len(answer) * 10 / 9600


LONG_LINE = "AT+CIOTMKEYX=" + "k" * 1000
"""Unknown: a bare +ERR once the whole line is in."""


async def test_input_is_paced_when_asked() -> None:
    # A 1 KB command line takes about a second on the wire at 9600 baud before the module can
    # answer it.
    wire = (len(LONG_LINE) + 2) * 10 / 9600
    async with running(baudrate=9600, pace_input=True) as module, attached(module) as port:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await port.ask(LONG_LINE, framed("+ERR"))
        assert loop.time() - started >= 0.9 * wire


async def test_input_is_not_paced_unless_asked() -> None:
    # At 300 baud the line would take 34 s on the wire; the pty alone hands it over at once,
    # so the answer comes within `ask`'s few seconds.
    async with running(baudrate=300) as module, attached(module) as port:
        await port.ask(LONG_LINE, framed("+ERR"))


async def test_fast_lines_are_not_slowed_per_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    # The output waits once per slice of about 10 ms of line time, never per byte: at 921600
    # baud a 510-byte answer is one slice, one wait.
    key = "k" * 500
    answer = framed("+OK=" + key)
    async with running(baudrate=921600) as module, attached(module) as port:
        pieces: list[bytes] = []
        paced = module.output._paced

        async def noting(data: bytes, deliver: Callable[[bytes], Awaitable[None]]) -> None:
            async def deliver_and_note(piece: bytes) -> None:
                pieces.append(piece)
                await deliver(piece)

            await paced(data, deliver_and_note)

        monkeypatch.setattr(module.output, "_paced", noting)
        await port.ask(f"AT+CIOTMKEY={key}", answer)
    assert pieces == [answer]


def test_dialect_names_parse() -> None:
    assert parse_dialect("") is Dialect.DOCUMENTED
    assert parse_dialect("plain_result|cr_only") == Dialect.PLAIN_RESULT | Dialect.CR_ONLY
    assert parse_dialect("ciotcmd, connect_ok") == Dialect.CIOTCMD | Dialect.CONNECT_OK
    with pytest.raises(KeyError):
        parse_dialect("nonsense")


async def test_bytes_nobody_reads_are_lost_like_a_uart_overrun() -> None:
    async with running() as module:
        module.pty.stall_limit = 0.05
        await module.pty.write(b"x" * 1_000_000)  # far more than a pty buffers
        assert module.pty.overrun_bytes > 0
        async with attached(module, echo=True) as port:  # the line works afterwards
            await port.ask("AT", b"AT\r\n" + framed("OK"))


async def test_the_emulator_is_an_async_context_manager() -> None:
    async with ModuleEmulator() as module:
        port = await SerialClient.open(module.serial_path)
        await port.ask("AT", b"AT\r\n" + framed("OK"))
        await port.close()
    assert not module.pty.is_open


async def test_only_the_newest_output_is_kept_for_inspection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(wire, "WRITTEN_KEPT", 8)
    async with running() as module, attached(module) as port:
        await port.ask("AT+CGSN", framed("867567041234567", "OK"))
        assert module.printed == b"\r\n\r\nOK\r\n"


async def test_a_client_at_the_wrong_speed_sees_only_line_noise() -> None:
    async with running(check_baudrate=True) as module:
        wrong = await SerialClient.open(module.serial_path, baudrate=9600)
        assert module.pty.client_baudrate() == 9600
        wrong.send("AT")
        echo = await wrong.read(4)  # the echo of `AT\r\n`, mangled on the way both ways
        assert echo == bytes(byte | 0x80 for byte in b"AT\r\n")
        await wrong.close()
        async with attached(module, echo=True) as port:  # 115200: the line works
            # The noise left in the module's line buffer spoils the first command, as it would.
            await port.ask("AT", b"AT\r\n" + framed("+ERR"))
            await port.ask("AT", b"AT\r\n" + framed("OK"))
