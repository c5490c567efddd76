"""Acknowledgements: SAVE succ and BIN SEND OVER, in any order, and when the port goes away."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from custom_components.onenet_m6311.m6311 import client as client_module
from custom_components.onenet_m6311.m6311 import commands
from custom_components.onenet_m6311.m6311.acks import AckTracker
from custom_components.onenet_m6311.m6311.client import M6311Client
from custom_components.onenet_m6311.m6311.errors import M6311ConnectionError, M6311TimeoutError
from custom_components.onenet_m6311.m6311.models import ConnectionLost, SaveAck
from custom_components.onenet_m6311.m6311.records import Record

if TYPE_CHECKING:
    from .fake_module import FakeModule

OK = b"\r\n+OK\r\n"


async def test_an_ack_printed_before_the_ok_counts(fake: FakeModule) -> None:
    record = Record("t", 1)
    fake.replies = {commands.send_data(9, [record]).line: b"\r\nSAVE succ!msg:9\r\n" + OK}
    async with M6311Client(fake.open()) as client:
        assert await client.send_data([record], msg_id=9, wait_ack=True, ack_timeout=2) == 1


async def test_acks_of_other_messages_do_not_count(fake: FakeModule) -> None:
    record = Record("t", 1)
    line = commands.send_data(4, [record]).line
    fake.replies = {line: OK + b"\r\nSAVE succ!msg:5\r\n"}
    async with M6311Client(fake.open()) as client:
        with pytest.raises(Exception, match="not acknowledged"):
            await client.send_data([record], msg_id=4, wait_ack=True, ack_timeout=0.3)


async def test_the_port_vanishing_while_waiting_for_an_ack(fake: FakeModule) -> None:
    record = Record("t", 1)
    fake.replies = {commands.send_data(2, [record]).line: OK}
    async with M6311Client(fake.open()) as client:
        task = asyncio.create_task(client.send_data([record], msg_id=2, wait_ack=True))
        await fake.wait_for_line()
        await asyncio.sleep(0.05)
        fake.close()
        with pytest.raises(M6311ConnectionError, match="lost"):
            await task


async def test_the_port_vanishing_during_an_upload(fake: FakeModule) -> None:
    fake.replies = {"AT+CIOTBINSET=0,img,2": OK, "AT+CIOTBINSEND=2,0102": OK}
    async with M6311Client(fake.open()) as client:
        task = asyncio.create_task(client.send_file("img", b"\x01\x02"))
        await fake.wait_for_line(2)
        await asyncio.sleep(0.05)
        fake.close()
        with pytest.raises(M6311ConnectionError):
            await task


async def test_an_upload_ends_without_bin_send_over(
    fake: FakeModule, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "BINARY_OVER_TIMEOUT", 0.1)
    fake.replies = {
        "AT+CIOTBINSET=0,img,1": OK,
        "AT+CIOTBINSEND=1,FF": OK,
        "AT+CIOTBINEND": b"\r\n+OK=done\r\n",
    }
    async with M6311Client(fake.open()) as client:
        assert await client.send_file("img", b"\xff") == "done"
    assert fake.received[-1] == "AT+CIOTBINEND"


async def test_a_tracker_fails_every_waiter_when_the_link_is_lost() -> None:
    tracker = AckTracker()
    with tracker.expect_saves(1, 2) as waiters, tracker.expect_binary_over() as over:
        tracker.on_event(SaveAck(1))
        tracker.on_event(ConnectionLost("unplugged"))
        assert waiters[0].result() is None
        with pytest.raises(M6311ConnectionError, match="unplugged"):
            waiters[1].result()
        with pytest.raises(M6311ConnectionError, match="unplugged"):
            over.result()
    # Leaving the blocks forgets the waiters: a late ack finds nothing to resolve.
    tracker.on_event(SaveAck(1))


async def test_waiting_for_nothing_returns_at_once() -> None:
    await AckTracker.wait([], 0.01, "nothing")


def _upload_replies(fake: FakeModule, *, ack: bytes) -> None:
    fake.replies = {
        "AT+CIOTBINSET=9,img,2": OK,
        "AT+CIOTBINSEND=2,0102": OK + b"\r\nBIN SEND OVER!\r\n" + ack,
        "AT+CIOTBINEND": b"\r\n+OK=\r\n",
    }


async def test_an_upload_waits_for_the_platforms_acknowledgement(fake: FakeModule) -> None:
    _upload_replies(fake, ack=b"\r\nSAVE succ!msg:9\r\n")
    async with M6311Client(fake.open()) as client:
        assert await client.send_file("img", b"\x01\x02", msg_id=9, wait_ack=True) == ""


async def test_an_upload_the_platform_does_not_acknowledge(fake: FakeModule) -> None:
    _upload_replies(fake, ack=b"")
    async with M6311Client(fake.open()) as client:
        with pytest.raises(M6311TimeoutError, match="file was not acknowledged"):
            await client.send_file("img", b"\x01\x02", msg_id=9, wait_ack=True, ack_timeout=0.2)


async def test_a_lost_link_mid_upload_leaves_no_unretrieved_error() -> None:
    # The upload's command fails on its own; the BIN SEND OVER! waiter failed with it must not
    # be left for asyncio to report as "Future exception was never retrieved".
    tracker = AckTracker()
    with tracker.expect_binary_over() as over:
        tracker.on_event(ConnectionLost("unplugged"))
    assert over.done()
    assert not over._log_traceback  # retrieved


async def test_a_long_upload_pings_between_chunks(
    fake: FakeModule, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The module sends the file only after its last chunk: without traffic its link would
    # drop after 128 s, so a heartbeat goes between chunks once one is due (here: always).
    monkeypatch.setattr(commands, "binary_chunk_capacity", lambda _limit: 1)
    fake.replies = {
        "AT+CIOTBINSET=0,img,3": OK,
        "AT+CIOTBINSEND=1,01": OK,
        "AT+CIOTBINSEND=1,02": OK,
        "AT+CIOTBINSEND=1,03": OK + b"\r\nBIN SEND OVER!\r\n",
        "AT+CIOTPING": b"\r\n+OK PING succ!\r\n",
        "AT+CIOTBINEND": b"\r\n+OK=\r\n",
    }
    async with M6311Client(fake.open()) as client:
        await client.send_file("img", b"\x01\x02\x03", keepalive=0.0)
    sent = [line.split("=")[0] for line in fake.received]
    assert sent == ["AT+CIOTBINSET"] + ["AT+CIOTPING", "AT+CIOTBINSEND"] * 3 + ["AT+CIOTBINEND"]
