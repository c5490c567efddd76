"""The asyncio client against a scripted fake module over a real pseudo-terminal."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from custom_components.onenet_m6311.m6311 import commands
from custom_components.onenet_m6311.m6311.client import M6311Client
from custom_components.onenet_m6311.m6311.errors import (
    DeviceNotOnlineError,
    M6311CommandError,
    M6311ConnectionError,
    M6311TimeoutError,
    NoDeviceKeyError,
    ParameterError,
)
from custom_components.onenet_m6311.m6311.models import (
    BinarySendOver,
    CloudCommand,
    ConnectionLost,
    LinkStatus,
    ModuleBoot,
    ModuleEvent,
    Provisioning,
    SaveAck,
)
from custom_components.onenet_m6311.m6311.records import Record

from .fake_module import Timed

if TYPE_CHECKING:
    from .fake_module import FakeModule

OK = b"\r\n+OK\r\n"


async def test_missing_port_raises_a_connection_error() -> None:
    client = M6311Client("/dev/does-not-exist-m6311")
    with pytest.raises(M6311ConnectionError, match="cannot open"):
        await client.connect()
    assert not client.connected


async def test_plain_at_and_echo_off(fake: FakeModule, client: M6311Client) -> None:
    fake.replies = {"AT": b"\r\nOK\r\n", "ATE0": b"\r\nOK\r\n"}
    await client.check_alive()
    await client.disable_echo()
    assert fake.received == ["AT", "ATE0"]


async def test_echo_is_not_taken_for_an_answer_line(fake: FakeModule, client: M6311Client) -> None:
    fake.echo = True
    fake.replies = {"AT+CIOTID?": b"\r\n+OK=1088826\r\n"}
    assert await client.read_device_id() == "1088826"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (b"\r\n+OK=device_up\r\n", LinkStatus.UP),
        (b"\r\n+OK=Device_down\r\n", LinkStatus.DOWN),
        (b"\r\nCIOTSTATUS:device_up\r\n", LinkStatus.UP),
        (b"\r\nCIOTSTATUS:device_down\r\n", LinkStatus.DOWN),
        (b"\r\n+CIOTSTATUS: 1\r\n", LinkStatus.UP),
        (b"\r\n+CIOTSTATUS: 0\r\n", LinkStatus.DOWN),
    ],
)
async def test_status_in_every_dialect(
    fake: FakeModule, client: M6311Client, reply: bytes, expected: LinkStatus
) -> None:
    fake.replies = {"AT+CIOTSTATUS": reply}
    assert await client.read_status() is expected


async def test_module_identity(fake: FakeModule, client: M6311Client) -> None:
    fake.replies = {
        "AT+CGSN": b"\r\n867567041234567\r\n\r\nOK\r\n",
        "AT+CGMR": b"\r\n+CGMR: M6311_V1.1.3\r\n\r\nOK\r\n",
        "AT+CSQ": b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n",
    }
    assert await client.read_imei() == "867567041234567"
    assert await client.read_firmware() == "M6311_V1.1.3"
    signal = await client.read_signal()
    assert (signal.rssi, signal.ber, signal.dbm) == (20, 99, -73)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (OK, Provisioning.COMPLETE),
        (b"\r\n+ERR=-102\r\n", Provisioning.NO_MASTER_KEY),
        (b"\r\n+ERR=-103\r\n", Provisioning.NO_DEVICE_ID),
        (b"\r\n+ERR=-104\r\n", Provisioning.NO_DEVICE_KEY),
    ],
)
async def test_provisioning_answers(
    fake: FakeModule, client: M6311Client, reply: bytes, expected: Provisioning
) -> None:
    fake.replies = {"AT+CIOT?": reply}
    assert await client.read_provisioning() is expected


async def test_master_key_query(fake: FakeModule, client: M6311Client) -> None:
    fake.replies = {"AT+CIOTMKEY?": OK}
    assert await client.has_master_key()
    fake.replies = {"AT+CIOTMKEY?": b"\r\n+ERR=-102\r\n"}
    assert not await client.has_master_key()


async def test_provisioning_commands(fake: FakeModule, client: M6311Client) -> None:
    key = "syp2wjH2rowlyX1H7bqwynVVnK8="
    fake.replies = {
        f'AT+CIOTMKEY="{key}"': f"\r\n+OK={key}\r\n".encode(),
        "AT+CIOTINIT": OK,
        "AT+CIOTKEY?": b"\r\n+OK=abcdefghijklmnopqrstuvwxyz12\r\n",
        "AT+CIOTKEYC": OK,
        "AT+CIOTIDC": OK,
    }
    await client.set_master_key(key)
    await client.init_device()
    assert await client.read_device_key() == "abcdefghijklmnopqrstuvwxyz12"
    await client.clear_device_key()
    await client.clear_device_id()
    assert fake.received[-2:] == ["AT+CIOTKEYC", "AT+CIOTIDC"]


async def test_connect_modes_start_and_quit(fake: FakeModule, client: M6311Client) -> None:
    fake.replies = {
        "AT+CIOTCONNECTPARA=0": OK,
        'AT+CIOTCONNECTPARA=1,"1088826","syp2wjH2rowlyX1H7bqwynVVnK8="': OK,
        'AT+CIOTCONNECTPARA=2,"23219","SYS","DcvGb46zAagazMtLuBcVnNk66tg="': OK,
        "AT+CIOTSTART=1": b"\r\n+OK\r\n\r\nCONNECT OK\r\n",
        "AT+CIOTQUIT": OK,
    }
    await client.use_stored_device()
    await client.use_device("1088826", "syp2wjH2rowlyX1H7bqwynVVnK8=")
    await client.use_project("23219", "SYS", "DcvGb46zAagazMtLuBcVnNk66tg=")
    await client.start(encrypt=True)
    await client.quit()
    assert len(fake.received) == 5


@pytest.mark.parametrize("reply", [b"\r\n+OK PING succ!\r\n", b"\r\n+CIOTPING: OK\r\n", OK])
async def test_ping_succeeds_in_every_dialect(
    fake: FakeModule, client: M6311Client, reply: bytes
) -> None:
    fake.replies = {"AT+CIOTPING": Timed.after(0.2, reply)}
    round_trip = await client.ping()
    # The round trip is the time to the module's answer: never less than its pause. (A lower
    # bound only: how much more a busy machine adds is not this test's business.)
    assert round_trip >= 0.2


@pytest.mark.parametrize("reply", [b"\r\n+ERR\r\n", b"\r\n+CIOTPING: FAIL\r\n", b"\r\nERROR\r\n"])
async def test_failed_ping_raises(fake: FakeModule, client: M6311Client, reply: bytes) -> None:
    fake.replies = {"AT+CIOTPING": reply}
    with pytest.raises(M6311CommandError, match="CIOTPING"):
        await client.ping()


async def test_error_codes_become_their_exceptions(fake: FakeModule, client: M6311Client) -> None:
    fake.replies = {"AT+CIOTSTART=0": b"\r\n+ERR=-105\r\n", "AT+CIOTKEY?": b"\r\n+ERR=-104\r\n"}
    with pytest.raises(DeviceNotOnlineError) as caught:
        await client.start()
    assert caught.value.error_code == -105
    with pytest.raises(NoDeviceKeyError):
        await client.read_device_key()


async def test_send_data_splits_into_few_lines_and_waits_for_acks(
    fake: FakeModule,
) -> None:
    def ack(line: str) -> bytes:
        return b"\r\n+OK\r\n\r\nSAVE succ!msg:7\r\n"

    records = [Record(f"sensor_{n}", n * 1.5, f"2026-11-23 08:00:{n:02}") for n in range(40)]
    expected = commands.send_data_batches(7, records, line_limit=256)
    fake.replies = {command.line: ack for command in expected}
    async with M6311Client(fake.open(), line_limit=256) as client:
        sent = await client.send_data(records, msg_id=7, wait_ack=True, ack_timeout=5)
    assert sent == len(expected) > 1
    assert fake.received == [command.line for command in expected]


async def test_missing_ack_times_out(fake: FakeModule, client: M6311Client) -> None:
    record = Record("t", 1)
    fake.replies = {commands.send_data(3, [record]).line: OK}
    with pytest.raises(M6311TimeoutError, match="acknowledge"):
        await client.send_data([record], msg_id=3, wait_ack=True, ack_timeout=0.2)


async def test_send_once(fake: FakeModule, client: M6311Client) -> None:
    fake.replies = {'AT+CIOTSEND=1,361,3,"teet1,,22.5;teet2,,35%;teet3,,89"': OK}
    records = [Record("teet1", 22.5), Record("teet2", "35%"), Record("teet3", 89)]
    await client.send_once(records, encrypt=True, msg_id=361)
    assert len(fake.received) == 1


async def test_send_once_waits_for_its_ack(fake: FakeModule, client: M6311Client) -> None:
    line = 'AT+CIOTSEND=0,12,1,"t,,1"'
    fake.replies = {line: b"\r\nSAVE succ!msg:12\r\n\r\n+OK\r\n"}  # the ack comes first
    await client.send_once([Record("t", 1)], msg_id=12, wait_ack=True, ack_timeout=2)
    assert fake.received == [line]


async def test_send_file_in_chunks(fake: FakeModule) -> None:
    data = bytes(range(256)) * 3
    chunks: list[str] = []

    def take_chunk(line: str) -> bytes:
        if not line.startswith("AT+CIOTBINSEND="):
            return b"\r\n+ERR=-108\r\n"
        chunks.append(line)
        total = sum(int(chunk.split("=")[1].split(",")[0]) for chunk in chunks)
        return OK + (b"\r\nBIN SEND OVER!\r\n" if total == len(data) else b"")

    fake.replies = {"AT+CIOTBINSET=5,image,768": OK, "AT+CIOTBINEND": b"\r\n+OK=\r\n"}
    fake.fallback = take_chunk
    async with M6311Client(fake.open(), line_limit=300) as client:
        status = await client.send_file("image", data, msg_id=5)
    assert status == ""
    # 139 bytes is the largest chunk whose line fits 300 bytes: 15 + 3 + 1 + 2 x 139 + 2 = 299;
    # after three full lines the limit grows by a quarter (line_limit.py), to 375 bytes: 177.
    assert [len(line.split(",", 1)[1]) // 2 for line in chunks] == [139, 139, 139, 177, 174]
    assert all(len(line) + 2 <= 375 for line in chunks)
    assert bytes.fromhex("".join(line.split(",", 1)[1] for line in chunks)) == data


async def test_unsolicited_lines_inside_an_answer_reach_subscribers(
    fake: FakeModule, client: M6311Client
) -> None:
    events: list[ModuleEvent] = []
    client.subscribe(events.append)
    fake.replies = {
        "AT+CGSN": b'\r\n+IOTCMD=8,a,b\r\n"c;\r\n867567041234567\r\n\r\nSAVE succ!msg:2\r\nOK\r\n'
    }
    assert await client.read_imei() == "867567041234567"
    assert events == [CloudCommand(b'a,b\r\n"c;'), SaveAck(2)]


async def test_unsolicited_lines_between_commands(fake: FakeModule, client: M6311Client) -> None:
    events: list[ModuleEvent] = []
    client.subscribe(events.append)
    fake.write(b"\r\n+CIOTCMD:2,hi\r\nBIN SEND OVER!\r\nRDY\r\n")
    fake.replies = {"AT": b"\r\nOK\r\n"}
    await client.check_alive()  # the lines above were read before this answer
    assert events == [CloudCommand(b"hi"), BinarySendOver(), ModuleBoot("RDY")]


async def test_answer_split_across_writes(fake: FakeModule, client: M6311Client) -> None:
    fake.replies = {"AT+CIOTID?": b"\r\n+OK=10"}
    task = asyncio.create_task(client.read_device_id())
    await fake.wait_for_line()
    await asyncio.sleep(0.05)
    fake.write(b"888")
    await asyncio.sleep(0.05)
    fake.write(b"26\r")  # a CR-only dialect
    assert await task == "1088826"


async def test_a_failing_subscriber_does_not_stop_the_read_loop(
    fake: FakeModule, client: M6311Client
) -> None:
    def broken(event: ModuleEvent) -> None:
        raise RuntimeError(event)

    events: list[ModuleEvent] = []
    client.subscribe(broken)
    unsubscribe = client.subscribe(events.append)
    fake.write(b"+IOTCMD=1,x\r\n")
    fake.replies = {"AT": b"\r\nOK\r\n"}
    await client.check_alive()
    unsubscribe()
    unsubscribe()  # twice is harmless
    fake.write(b"+IOTCMD=1,y\r\n")
    await client.check_alive()
    assert events == [CloudCommand(b"x")]


async def test_stray_lines_with_no_command_waiting_are_ignored(
    fake: FakeModule, client: M6311Client
) -> None:
    fake.write(b"\r\nOK\r\nsome text\r\n")
    await asyncio.sleep(0.05)
    fake.replies = {"AT+CIOTID?": b"\r\n+OK=7\r\n"}
    assert await client.read_device_id() == "7"


async def test_port_vanishing_mid_command(fake: FakeModule, client: M6311Client) -> None:
    events: list[ModuleEvent] = []
    client.subscribe(events.append)
    task = asyncio.create_task(client.init_device())
    await fake.wait_for_line()
    fake.close()
    with pytest.raises(M6311ConnectionError, match="lost"):
        await task
    assert [type(event) for event in events] == [ConnectionLost]
    assert not client.connected
    with pytest.raises(M6311ConnectionError, match="not connected"):
        await client.check_alive()


async def test_close_is_idempotent_and_fails_later_commands(
    fake: FakeModule, client: M6311Client
) -> None:
    await client.close()
    await client.close()
    with pytest.raises(M6311ConnectionError):
        await client.check_alive()


async def test_invalid_parameters_send_nothing(fake: FakeModule, client: M6311Client) -> None:
    with pytest.raises(ValueError, match="msg_id"):
        await client.send_data([Record("t", 1)], msg_id=70000)
    assert fake.received == []


async def test_plain_error_dialect(fake: FakeModule, client: M6311Client) -> None:
    fake.replies = {"AT+CIOTSTART=0": b"\r\nERROR\r\n", "AT+CIOTQUIT": b"\r\n+ERR=-108\r\n"}
    with pytest.raises(M6311CommandError) as caught:
        await client.start()
    assert caught.value.error_code is None
    with pytest.raises(ParameterError):
        await client.quit()
