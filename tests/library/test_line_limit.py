"""The line limit: where it starts (the evidence), and what a module's refusal teaches.

The fake module on a real pty refuses every line longer than its own limit, as a module whose
buffer is shorter than the client's guess does; nothing it refuses is carried out.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import pytest

from custom_components.onenet_m6311.m6311 import (
    DEFAULT_LINE_LIMIT,
    LineRefusedError,
    M6311CommandError,
    M6311ValidationError,
    ParameterError,
    Record,
)
from custom_components.onenet_m6311.m6311.line_limit import GROWTH_CEILING

if TYPE_CHECKING:
    from collections.abc import Callable

    from custom_components.onenet_m6311.m6311.client import M6311Client

    from .fake_module import FakeModule

OK = b"\r\nOK\r\n"
DATA_LINE = re.compile(r'AT\+CIOTDAT=0,(\d+),"(.*)"\Z')


def refusing_beyond(limit: int, refusal: bytes = b"\r\nERROR\r\n") -> Callable[[str], bytes]:
    """A module that takes lines up to `limit` bytes with CR LF and refuses longer ones."""
    return lambda line: OK if len(line) + 2 <= limit else refusal


def records(count: int) -> list[Record]:
    return [Record(f"sensor_room{n}_temperature", 20.5 + n) for n in range(count)]


def sent_records(fake: FakeModule, limit: int) -> list[str]:
    """The records of every AT+CIOTDAT line the module took, in order."""
    taken = [line for line in fake.received if len(line) + 2 <= limit]
    return [
        record
        for line in taken
        if (match := DATA_LINE.match(line))
        for record in match[2].split(";")
    ]


def test_lines_start_at_the_m6312_manuals_limit() -> None:
    # 256 bytes a line, terminator included (docs/protocol.md, evidence).
    assert DEFAULT_LINE_LIMIT == 256


@pytest.mark.parametrize("refusal", [b"\r\nERROR\r\n", b"\r\n+ERR=-108\r\n"])
async def test_a_line_refused_for_its_length_is_split_and_nothing_is_lost(
    fake: FakeModule, client: M6311Client, refusal: bytes
) -> None:
    lowered: list[int] = []
    client.limits.add_listener(lowered.append)
    fake.fallback = refusing_beyond(150, refusal)
    rooms = records(12)

    lines = await client.send_data(rooms)

    assert client.line_limit <= 150
    assert lowered == sorted(lowered, reverse=True)
    assert lowered[-1] == client.line_limit
    expected = [f"{record.datastream},,{record.value}" for record in rooms]
    assert sent_records(fake, 150) == expected  # every record once, in order
    assert lines == sum(1 for line in fake.received if len(line) + 2 <= 150)


async def test_a_refusal_of_a_line_no_longer_than_one_taken_is_about_its_content(
    fake: FakeModule, client: M6311Client
) -> None:
    fake.fallback = OK
    await client.send_data(records(6))  # one line of about 200 bytes, taken
    fake.fallback = b"\r\n+ERR=-108\r\n"
    with pytest.raises(ParameterError) as caught:
        await client.send_data(records(2))
    assert not isinstance(caught.value, LineRefusedError)
    assert client.line_limit == DEFAULT_LINE_LIMIT


async def test_other_errors_are_never_taken_for_the_length(
    fake: FakeModule, client: M6311Client
) -> None:
    fake.fallback = b"\r\n+ERR=-105\r\n"  # not online
    with pytest.raises(Exception, match="-105"):
        await client.send_data(records(6))
    assert client.line_limit == DEFAULT_LINE_LIMIT


async def test_a_one_shot_line_refused_for_its_length_lowers_the_limit(
    fake: FakeModule, client: M6311Client
) -> None:
    fake.fallback = refusing_beyond(120)
    with pytest.raises(LineRefusedError) as caught:
        await client.send_once(records(5))
    assert caught.value.limit == client.line_limit < DEFAULT_LINE_LIMIT
    # The caller (the forwarder) sends the records again, split for the new limit.


async def test_a_record_too_long_for_the_lowered_limit_is_refused_before_sending(
    fake: FakeModule, client: M6311Client
) -> None:
    fake.fallback = refusing_beyond(100)
    with pytest.raises(M6311ValidationError):
        await client.send_data([Record("text", "x" * 150)])


async def test_a_file_chunk_refused_for_its_length_is_sent_in_smaller_chunks(
    fake: FakeModule, client: M6311Client
) -> None:
    data = bytes(range(256)) * 3
    fake.replies = {"AT+CIOTBINEND": b"\r\n+OK=\r\n"}
    fake.fallback = refusing_beyond(160)
    await client.send_file("photo", data)
    chunks = [
        line.split(",", 1)[1]
        for line in fake.received
        if line.startswith("AT+CIOTBINSEND=") and len(line) + 2 <= 160
    ]
    assert bytes.fromhex("".join(chunks)) == data
    assert client.line_limit <= 160


async def test_the_limit_never_goes_below_the_smallest_allowed(
    fake: FakeModule, client: M6311Client
) -> None:
    fake.fallback = b"\r\nERROR\r\n"  # every line refused: content, once nothing is short enough
    with pytest.raises(M6311CommandError) as caught:
        await client.send_data(records(6))
    assert not isinstance(caught.value, LineRefusedError)
    assert client.line_limit == 64


async def test_the_limit_grows_on_a_module_that_takes_longer_lines(
    fake: FakeModule, client: M6311Client
) -> None:
    # The document's firmware takes 1024 bytes: lines near the limit let it grow, up to that.
    changes: list[int] = []
    client.limits.add_listener(changes.append)
    fake.fallback = OK
    rooms = records(600)

    await client.send_data(rooms)

    assert changes == sorted(changes)  # only upward
    assert client.line_limit == GROWTH_CEILING
    sizes = [len(line) + 2 for line in fake.received if line.startswith("AT+CIOTDAT=")]
    assert max(sizes) > DEFAULT_LINE_LIMIT
    assert sent_records(fake, GROWTH_CEILING) == [f"{r.datastream},,{r.value}" for r in rooms]


async def test_a_longer_line_refused_ends_the_growth_quietly_and_loses_nothing(
    fake: FakeModule, client: M6311Client, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fallback = refusing_beyond(300)
    rooms = records(120)

    with caplog.at_level(logging.WARNING):
        await client.send_data(rooms)
        await client.send_data(rooms)  # settled: nothing longer is tried again

    assert DEFAULT_LINE_LIMIT - 16 <= client.line_limit <= 300
    refused = [line for line in fake.received if len(line) + 2 > 300]
    assert len(refused) == 1  # one probe, once
    assert sent_records(fake, 300) == [f"{r.datastream},,{r.value}" for r in rooms] * 2
    assert "refused" not in caplog.text  # the growth's own answer, not a warning
