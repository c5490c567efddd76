"""The serial trace: both directions, with times, every byte visible, no secret."""

from __future__ import annotations

from typing import TYPE_CHECKING

from custom_components.onenet_m6311.m6311 import trace as trace_module
from custom_components.onenet_m6311.m6311.client import M6311Client
from custom_components.onenet_m6311.m6311.redaction import SECRETS
from custom_components.onenet_m6311.m6311.trace import (
    SerialTrace,
    TraceEntry,
    escape,
    parse,
    unescape,
)

if TYPE_CHECKING:
    from .fake_module import FakeModule

MASTER_KEY = "syp2wjH2rowlyX1H7bqwynVVnK8="


def directions_and_texts(client: M6311Client) -> list[tuple[str, str]]:
    return [(entry.direction, entry.text) for entry in parse(client.trace.lines())]


async def test_both_directions_with_every_byte(fake: FakeModule, client: M6311Client) -> None:
    fake.replies = {"AT+CGSN": b"\x00\r\n867567041234567\r\n\r\nOK\r\n"}
    await client.read_imei()
    assert directions_and_texts(client) == [
        (">", "AT+CGSN\\r\\n"),
        ("<", "\\x00\\r\\n"),
        ("<", "867567041234567\\r\\n"),
        ("<", "\\r\\n"),
        ("<", "OK\\r\\n"),
    ]
    times = [entry.at for entry in parse(client.trace.lines())]
    assert times == sorted(times)
    assert times[0] == 0


async def test_secrets_never_enter_it(fake: FakeModule, client: M6311Client) -> None:
    fake.replies = {
        f'AT+CIOTCONNECTPARA=1,"1088826","{MASTER_KEY}"': b"\r\n+OK\r\n",
        "AT+CIOTKEY?": b"\r\n+OK=devicekeyABCDEFGH=\r\n",
        "AT+CIOTID?": f"\r\n+OK={MASTER_KEY}\r\n".encode(),  # a registered secret, echoed
    }
    await client.use_device("1088826", MASTER_KEY)
    assert await client.read_device_key() == "devicekeyABCDEFGH="
    with SECRETS.scoped([MASTER_KEY]):
        await client.read_device_id()
    text = "\n".join(client.trace.lines())
    assert MASTER_KEY not in text
    assert "devicekeyABCDEFGH" not in text
    assert '> AT+CIOTCONNECTPARA=1,"1088826","**REDACTED**"\\r\\n' in text
    assert "< <2 bytes hidden>" in text  # the device key's answer: its length only


async def test_only_the_last_lines_are_kept(fake: FakeModule) -> None:
    fake.replies = {"AT": b"\r\nOK\r\n"}
    async with M6311Client(fake.open(), trace=SerialTrace(size=4)) as client:
        for _ in range(3):  # three entries each
            await client.check_alive()
    assert directions_and_texts(client) == [
        ("<", "OK\\r\\n"),
        (">", "AT\\r\\n"),
        ("<", "\\r\\n"),
        ("<", "OK\\r\\n"),
    ]
    assert trace_module.TRACE_LINES == 300


def test_escaping_round_trips_every_byte() -> None:
    data = bytes(range(256)) + b"\\x00"
    assert unescape(escape(data)) == data
    assert escape(b"a\\b\r\n\xe6") == "a\\\\b\\r\\n\\xe6"


def test_long_entries_are_clipped_whole_escapes_only() -> None:
    trace = SerialTrace()
    trace.received(b"\xff" * 1000)
    (line,) = trace.lines()
    (entry,) = parse([line])
    assert entry.text.endswith("...")
    assert len(entry.text) <= trace_module.MAX_ENTRY_CHARS
    assert unescape(entry.text.removesuffix("...")) == b"\xff" * 299


def test_parse_skips_what_is_not_an_entry() -> None:
    assert parse(["# a comment", "", "+1.500 < OK\\r\\n", "nonsense"]) == [
        TraceEntry(1.5, "<", "OK\\r\\n")
    ]
    assert TraceEntry(0.0, "<", "<3 bytes hidden>\\r\\n").data == b"***\r\n"
