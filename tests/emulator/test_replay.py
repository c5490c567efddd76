"""The replay tool: a trace cut into exchanges, played on a pty, mismatches recorded."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

import pytest
import serialx

from emulator import replay as replay_module
from emulator.replay import Exchange, ReplayModule, TraceEntry, exchanges, parse, read_trace

if TYPE_CHECKING:
    from pathlib import Path

TRACE = [
    "+0.000 < \\r\\nRDY\\r\\n",
    '+0.500 > AT+CIOTCONNECTPARA=1,"1","**REDACTED**"\\r\\n',
    "+0.510 < \\r\\n+OK\\r\\n",
    '+0.600 > AT+CIOTDAT=0,1,"t,,1...',
    "+0.650 < \\r\\n+OK\\r\\n",
    "+0.700 < <3 bytes hidden>",
]


def test_a_trace_is_cut_into_exchanges() -> None:
    cut = exchanges(parse(TRACE))
    assert [exchange.sent.text if exchange.sent else None for exchange in cut] == [
        None,
        'AT+CIOTCONNECTPARA=1,"1","**REDACTED**"\\r\\n',
        'AT+CIOTDAT=0,1,"t,,1...',
    ]
    assert cut[0].printed == ((0.0, b"\r\nRDY\r\n"),)
    assert [round(delay, 3) for delay, _ in cut[2].printed] == [0.05, 0.05]
    assert cut[2].printed[1][1] == b"***"


@pytest.mark.parametrize(
    ("line", "matches"),
    [
        ('AT+CIOTCONNECTPARA=1,"1","secret-key="', True),
        ('AT+CIOTCONNECTPARA=1,"2","secret-key="', False),
        ("AT+CIOTCONNECTPARA=1", False),
    ],
)
def test_redacted_parts_match_anything(line: str, matches: bool) -> None:
    exchange = exchanges(parse(TRACE))[1]
    assert exchange.matches(line) is matches


def test_a_clipped_line_matches_any_end() -> None:
    exchange = exchanges(parse(TRACE))[2]
    assert exchange.matches('AT+CIOTDAT=0,1,"t,,1;u,,2"')
    assert not Exchange(None, ()).matches("AT")


def test_parse_skips_other_lines() -> None:
    assert parse(["# comment", "+1.000 > AT\\r\\n", "junk"]) == [TraceEntry(1.0, ">", "AT\\r\\n")]


def test_read_trace_from_a_text_file_or_a_diagnostics_download(tmp_path: Path) -> None:
    text = tmp_path / "trace.txt"
    text.write_text("\n".join(TRACE), encoding="utf-8")
    diagnostics = tmp_path / "config_entry-onenet_m6311.json"
    body = {"data": {"link": {"serial_trace": TRACE}}}
    diagnostics.write_text(json.dumps(body), encoding="utf-8")
    assert read_trace(text) == read_trace(diagnostics) == parse(TRACE)
    empty = tmp_path / "other.json"
    empty.write_text('{"data": [1, 2]}', encoding="utf-8")
    with pytest.raises(ValueError, match="no serial_trace"):
        read_trace(empty)


async def exchange_lines(path: str, lines: list[bytes], until: bytes) -> bytes:
    """Send lines, then read until `until` has been printed (or the port went away)."""
    reader, writer = await serialx.open_serial_connection(url=path, baudrate=115200)
    printed = b""
    try:
        for line in lines:
            writer.write(line)
        await writer.drain()
        async with asyncio.timeout(3):
            while until not in printed:
                printed += await reader.read(4096)
    finally:
        writer.close()
    return printed


async def test_the_replay_answers_the_traces_commands_and_records_others() -> None:
    async with ReplayModule(parse(TRACE)) as replay:
        printed = await exchange_lines(
            replay.path,
            [b'AT+CIOTCONNECTPARA=1,"1","key="\r\n', b"AT+CSQ\r\n", b'AT+CIOTDAT=0,1,"t,,1"\r\n'],
            until=b"***",
        )
        async with asyncio.timeout(2):
            await replay.finished()
    assert printed == b"\r\nRDY\r\n\r\n+OK\r\n\r\n+OK\r\n***"
    assert replay.mismatches == ["AT+CSQ"]
    assert replay.received == [
        'AT+CIOTCONNECTPARA=1,"1","key="',
        "AT+CSQ",
        'AT+CIOTDAT=0,1,"t,,1"',
    ]


async def test_the_command_line_plays_a_trace_and_reports_mismatches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "trace.txt"
    trace.write_text("+0.000 > AT\\r\\n\n+0.010 < \\r\\nOK\\r\\n\n", encoding="utf-8")
    running = asyncio.create_task(replay_module.run([str(trace)]))
    async with asyncio.timeout(5):
        while not (path := capsys.readouterr().out.strip()):  # noqa: ASYNC110  # its output
            await asyncio.sleep(0.02)
    assert await exchange_lines(path, [b"ATI\r\n", b"AT\r\n"], until=b"OK\r\n") == b"\r\nOK\r\n"
    assert await asyncio.wait_for(running, 5) == 1
    assert "not in the trace: 'ATI'" in capsys.readouterr().err
