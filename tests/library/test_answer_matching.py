"""Which answer is whose, under every order and timing, over a real pseudo-terminal.

The fake module answers one command at a time, in order, as a module does: a late answer
reaches the line before the next command's answer. Each test is a situation a real firmware
produced (or may), scripted byte for byte, and driven through the library's public API only.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from custom_components.onenet_m6311.m6311 import connection, responses
from custom_components.onenet_m6311.m6311.errors import M6311TimeoutError, M6311ValidationError
from custom_components.onenet_m6311.m6311.models import CloudCommand, LinkStatus, ModuleEvent
from custom_components.onenet_m6311.m6311.records import Record, escape_value

from .fake_module import Timed

if TYPE_CHECKING:
    from custom_components.onenet_m6311.m6311.client import M6311Client

    from .fake_module import FakeModule

SIGNAL = b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n"
IMEI = b"\r\n867567041234567\r\n\r\nOK\r\n"


async def test_a_cancelled_commands_late_answer_is_not_the_next_ones(
    fake: FakeModule, client: M6311Client
) -> None:
    # A caller gives up on AT+CIOTID? (a service call's timeout, an unload); its answer comes
    # while the next command is under way.
    fake.replies = {
        "AT+CIOTID?": Timed.after(0.3, b"\r\n+OK=LATE\r\n"),
        "AT+CSQ": SIGNAL,
        "AT+CIOTKEY?": b"\r\n+OK=KEY\r\n",
    }
    asking = asyncio.create_task(client.read_device_id())
    await fake.wait_for_line()
    asking.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asking
    assert await client.read_device_key() == "KEY"
    assert fake.received == ["AT+CIOTID?", "AT+CSQ", "AT+CIOTKEY?"]


async def test_a_command_cancelled_before_it_was_sent_leaves_the_line_in_step(
    fake: FakeModule, client: M6311Client
) -> None:
    fake.replies = {"AT+CIOTID?": Timed.after(0.2, b"\r\n+OK=1\r\n"), "AT": b"\r\nOK\r\n"}
    first = asyncio.create_task(client.read_device_id())
    waiting = asyncio.create_task(client.check_alive())  # queued behind the first
    await fake.wait_for_line()
    waiting.cancel()
    assert await first == "1"
    await client.check_alive()
    assert fake.received == ["AT+CIOTID?", "AT"]  # no probe: nothing was out of step


async def test_the_resync_is_not_fooled_by_a_late_answer_before_its_own(
    fake: FakeModule, client: M6311Client
) -> None:
    # After a timeout the late answer comes first, the probe's own answer 300 ms later.
    fake.replies = {
        "AT+CIOTID?": Timed.after(0.4, b"\r\n+OK=LATE\r\n"),
        "AT+CSQ": Timed.after(0.3, SIGNAL),
        "AT+CIOTKEY?": b"\r\n+OK=KEY\r\n",
    }
    with pytest.raises(M6311TimeoutError, match=r"within 0\.2 s"):
        await client.read_device_id(timeout=0.2)
    assert await client.read_device_key() == "KEY"
    assert fake.received == ["AT+CIOTID?", "AT+CSQ", "AT+CIOTKEY?"]


async def test_a_late_answer_looking_like_the_probes_is_not_taken_for_it(
    fake: FakeModule, client: M6311Client
) -> None:
    # The command that timed out was AT+CSQ itself: its late answer has the probe's shape, so
    # the probe is another command (AT+CGSN).
    fake.replies = {
        "AT+CSQ": Timed.after(0.4, b"\r\n+CSQ: 5,99\r\n\r\nOK\r\n"),
        "AT+CGSN": IMEI,
        "AT+CIOTID?": b"\r\n+OK=7\r\n",
    }
    with pytest.raises(M6311TimeoutError):
        await client.read_signal(timeout=0.2)
    assert await client.read_device_id() == "7"
    assert fake.received == ["AT+CSQ", "AT+CGSN", "AT+CIOTID?"]


async def test_a_probe_that_times_out_is_followed_by_another(
    fake: FakeModule, client: M6311Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection, "RESYNC_TIMEOUT", 0.3)
    fake.replies = {
        "AT+CIOTID?": Timed.after(0.6, b"\r\n+OK=LATE\r\n"),  # late past the first probe too
        "AT+CSQ": SIGNAL,
        "AT+CGSN": IMEI,
        "AT+CIOTKEY?": b"\r\n+OK=KEY\r\n",
    }
    with pytest.raises(M6311TimeoutError):
        await client.read_device_id(timeout=0.1)
    assert await client.read_device_key() == "KEY"
    assert fake.received == ["AT+CIOTID?", "AT+CSQ", "AT+CGSN", "AT+CIOTKEY?"]


async def test_lines_right_after_the_probes_answer_mean_another_probe(
    fake: FakeModule, client: M6311Client
) -> None:
    # Something still speaks after the probe's answer: the line is not proven quiet.
    fake.replies = {
        "AT+CIOTID?": Timed.after(0.3, b"\r\n+OK=LATE\r\n"),
        "AT+CSQ": Timed(((0.0, SIGNAL), (0.05, b"\r\n+OK\r\n"))),
        "AT+CGSN": IMEI,
        "AT+CIOTKEY?": b"\r\n+OK=KEY\r\n",
    }
    with pytest.raises(M6311TimeoutError):
        await client.read_device_id(timeout=0.1)
    assert await client.read_device_key() == "KEY"
    assert fake.received == ["AT+CIOTID?", "AT+CSQ", "AT+CGSN", "AT+CIOTKEY?"]


async def test_a_module_that_never_gets_in_step_fails_the_command(
    fake: FakeModule, client: M6311Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection, "RESYNC_TIMEOUT", 0.1)
    with pytest.raises(M6311TimeoutError):
        await client.read_device_id(timeout=0.1)  # silence from now on
    with pytest.raises(M6311TimeoutError, match="out of step after 3 probes"):
        await client.read_device_key()
    assert fake.received == ["AT+CIOTID?", "AT+CSQ", "AT+CGSN", "AT+CSQ"]
    fake.replies = {"AT+CSQ": SIGNAL, "AT+CIOTKEY?": b"\r\n+OK=KEY\r\n"}
    assert await client.read_device_key() == "KEY"  # it tries again with the next command


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        ("AT+CIOTPING", Timed(((0.0, b"\r\n+CIOTPING: OK\r\n"), (0.05, b"\r\nOK\r\n")))),
        ("AT+CIOTSTATUS", Timed(((0.0, b"\r\n+CIOTSTATUS: 1\r\n"), (0.05, b"\r\nOK\r\n")))),
    ],
)
async def test_an_information_answer_then_its_final_is_one_answer(
    fake: FakeModule, client: M6311Client, command: str, reply: Timed
) -> None:
    fake.replies = {command: reply, "AT+CIOTID?": b"\r\n+OK=7\r\n"}
    if command == "AT+CIOTPING":
        assert await client.ping() >= 0
    else:
        assert await client.read_status() is LinkStatus.UP
    assert await client.read_device_id() == "7"  # the OK was not taken for its answer


async def test_an_information_answer_with_no_final_ends_on_its_own(
    fake: FakeModule, client: M6311Client
) -> None:
    fake.replies = {
        "AT+CIOTSTATUS": b"\r\nCIOTSTATUS:device_up\r\n",
        "AT+CSQ": SIGNAL,
        "AT": b"\r\nOK\r\n",
    }
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await client.read_status() is LinkStatus.UP  # not its timeout: that raises
    assert loop.time() - started >= connection.ANSWER_LINGER  # a final had its chance
    await client.check_alive()
    # Its final result might have come later still: a probe made sure before the next command
    # (the linger, and nothing else, ended the answer).
    assert fake.received == ["AT+CIOTSTATUS", "AT+CSQ", "AT"]


async def test_a_final_later_than_the_linger_is_not_the_next_commands(
    fake: FakeModule, client: M6311Client
) -> None:
    fake.replies = {
        "AT+CIOTPING": Timed(((0.0, b"\r\n+CIOTPING: OK\r\n"), (0.5, b"\r\nOK\r\n"))),
        "AT+CSQ": SIGNAL,
        "AT+CIOTID?": b"\r\n+OK=7\r\n",
    }
    await client.ping()
    assert await client.read_device_id() == "7"
    assert fake.received == ["AT+CIOTPING", "AT+CSQ", "AT+CIOTID?"]


async def test_an_information_answer_then_an_error_is_the_error(
    fake: FakeModule, client: M6311Client
) -> None:
    fake.replies = {"AT+CIOTPING": b"\r\n+CIOTPING: FAIL\r\n\r\n+ERR=-105\r\n"}
    with pytest.raises(Exception, match="-105"):
        await client.ping()


async def test_a_cloud_command_declared_too_long_does_not_swallow_the_next_answer(
    fake: FakeModule, client: M6311Client
) -> None:
    events: list[ModuleEvent] = []
    client.subscribe(events.append)
    fake.replies = {"AT+CIOTID?": Timed.after(0.05, b"+OK=1088826\r\n")}
    fake.write(b"+IOTCMD=10,hello\r\n")
    assert await client.read_device_id() == "1088826"
    assert events == [CloudCommand(b"hello", truncated=True)]


async def test_a_cloud_command_whose_length_counts_its_line_end(
    fake: FakeModule, client: M6311Client
) -> None:
    events: list[ModuleEvent] = []
    client.subscribe(events.append)
    fake.replies = {"AT+CIOTID?": Timed.after(0.05, b"+OK=1088826\r\n")}
    fake.write(b"+IOTCMD=7,hello\r\n")
    assert await client.read_device_id() == "1088826"
    assert events == [CloudCommand(b"hello")]


async def test_a_cloud_command_cut_short_is_told_when_the_line_goes_quiet(
    fake: FakeModule, client: M6311Client
) -> None:
    told = asyncio.Event()
    events: list[ModuleEvent] = []

    def on_event(event: ModuleEvent) -> None:
        events.append(event)
        told.set()

    client.subscribe(on_event)
    loop = asyncio.get_running_loop()
    written = loop.time()
    fake.write(b"+IOTCMD=10,hello\r\n")
    async with asyncio.timeout(responses.TRANSPORT_PATIENCE + 5):
        await told.wait()
    assert events == [CloudCommand(b"hello", truncated=True)]
    # Not before the patience a network port needs: a shorter pause proves nothing.
    assert loop.time() - written >= responses.TRANSPORT_PATIENCE


async def test_a_payload_that_pauses_midway_is_delivered_whole(
    fake: FakeModule, client: M6311Client
) -> None:
    # A socket:// or esphome:// port over Wi-Fi pauses a stream for tenths of a second; the
    # module prints a cloud command, then answers the AT+CIOTID? in flight.
    events: list[ModuleEvent] = []
    client.subscribe(events.append)
    fake.replies = {
        "AT+CIOTID?": Timed(
            ((0.05, b"\r\n+CIOTCMD:12,turn"), (0.5, b" on+OK\r\n"), (0.05, b"\r\n+OK=1088826\r\n"))
        )
    }
    assert await client.read_device_id() == "1088826"
    assert events == [CloudCommand(b"turn on+OK\r\n")]


async def test_a_payload_holding_answer_lines_is_read_by_its_length(
    fake: FakeModule, client: M6311Client
) -> None:
    # The real driver copies exactly <len> bytes: lines in it that look like answers are data,
    # and the AT+CIOTID? in flight meanwhile gets its own answer, not a piece of the payload.
    events: list[ModuleEvent] = []
    client.subscribe(events.append)
    payload = b"a\r\n+OK\r\n+ERR=-108\r\nSAVE succ!msg:1\r\nb"
    header = b"\r\n+CIOTCMD:" + str(len(payload)).encode() + b","
    fake.replies = {
        "AT+CIOTID?": Timed(
            (
                (0.05, header + payload[:9]),
                (0.4, payload[9:] + b"\r\n"),
                (0.05, b"\r\n+OK=1088826\r\n"),
            )
        )
    }
    assert await client.read_device_id() == "1088826"
    assert events == [CloudCommand(payload)]


@pytest.mark.parametrize("noise", [b"\x00\x00", b"\xff\xff", b"\x00\xff\x1b"])
async def test_power_up_noise_glued_to_an_answer(
    fake: FakeModule, client: M6311Client, noise: bytes
) -> None:
    fake.replies = {"AT+CIOTID?": noise + b"+OK=1088826\r\n"}
    assert await client.read_device_id() == "1088826"


async def test_a_final_answer_without_its_line_end(fake: FakeModule, client: M6311Client) -> None:
    fake.replies = {"AT+CIOTPING": b"\r\n+OK PING succ!", "AT": b"\r\nOK\r\n"}
    assert await client.ping() >= responses.FINAL_QUIET  # it counted once the line was quiet
    await client.check_alive()


async def test_a_per_call_timeout(fake: FakeModule, client: M6311Client) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    # The message names the timeout that ran out: the call's, not the command's minute.
    with pytest.raises(M6311TimeoutError, match=r"CIOTINIT: no answer .* within 0\.25 s"):
        await client.init_device(timeout=0.25)
    assert loop.time() - started >= 0.25


async def test_hostile_values_never_reach_the_line(fake: FakeModule, client: M6311Client) -> None:
    with pytest.raises(M6311ValidationError, match="integer of 16610 bits"):
        await client.send_data([Record("k", 10**5000)])
    with pytest.raises(M6311ValidationError, match="control character U\\+001B"):
        await client.send_data([Record("k", "clear\x1b[2J")])
    assert fake.received == []  # refused before anything was written
    fake.replies = {'AT+CIOTDAT=0,1,"k,,clear%1B[2J%1A"': b"\r\n+OK\r\n"}
    assert await client.send_data([Record("k", escape_value("clear\x1b[2J\x1a"))]) == 1
    assert fake.received == ['AT+CIOTDAT=0,1,"k,,clear%1B[2J%1A"']
