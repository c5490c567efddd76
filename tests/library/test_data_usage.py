"""The estimate of the cellular traffic, against the bytes the emulator's EDP codec produces.

Every expected size here is what `emulator.edp.encode` makes of the messages the emulated
module sends (and the emulated platform answers) for a command: never the function under test.
The serial counters are checked over a real pseudo-terminal, against what the other side read
and wrote.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.onenet_m6311.m6311 import commands
from custom_components.onenet_m6311.m6311.commands import Command
from custom_components.onenet_m6311.m6311.data_usage import (
    ASSUMED_DEVICE_ID_LENGTH,
    ASSUMED_KEY_LENGTH,
    IP_TCP_HEADER,
    MSS,
    NO_TRAFFIC,
    SYN_OPTION,
    DataUsageMeter,
    LinkContext,
    Traffic,
    account,
    frame_size,
)
from custom_components.onenet_m6311.m6311.errors import (
    DeviceNotOnlineError,
    M6311TimeoutError,
    M6311ValidationError,
)
from custom_components.onenet_m6311.m6311.exchanges import typed_exchange
from custom_components.onenet_m6311.m6311.models import CloudCommand
from custom_components.onenet_m6311.m6311.records import Record, encode_record, escape_value
from emulator.edp import (
    AesCipher,
    CmdReq,
    CmdResp,
    ConnReq,
    ConnResp,
    EncryptReq,
    EncryptResp,
    Message,
    PingReq,
    PingResp,
    SaveAck,
    SaveData,
    Unknown,
    encode,
)
from emulator.module.engine import auth_info

from .conftest import quick

if TYPE_CHECKING:
    from collections.abc import Sequence

    from custom_components.onenet_m6311.m6311.client import M6311Client

    from .fake_module import FakeModule

CIPHER = AesCipher(bytes(range(16)))
"""Any key: AES keeps sizes whatever the key."""
MODULUS = (1 << 1023) | 1
"""An RSA-1024 modulus's size, which is all ENCRYPTREQ's length depends on."""
DEVICE_ID = "35270468"
MASTER_KEY = "syp2wjH2rowlyX1H7bqwynVVnK8="
CONNECT_MODE_1 = commands.connect_device(DEVICE_ID, MASTER_KEY)
OK = b"\r\n+OK\r\n"


def size(*messages: Message, encrypted: bool = False) -> int:
    """Bytes of these messages on the wire, as the emulator encodes them."""
    cipher = CIPHER if encrypted else None
    return sum(len(encode(message, cipher)) for message in messages)


def as_command(item: str | Command) -> Command:
    """A command as built, or a line as typed by hand (`commands.raw`).

    A built command states what it exchanges; reading its line as a typed one must agree.
    """
    if isinstance(item, Command):
        assert typed_exchange(item.line) == item.exchange, item.line
        return item
    try:
        return commands.raw(item, line_limit=commands.MAX_LINE_LIMIT)
    except M6311ValidationError:
        return Command("?", item, 1.0, item)  # not a command at all: it states no exchange


def run(
    *items: str | Command, context: LinkContext | None = None
) -> tuple[list[Traffic], LinkContext]:
    """Each command's traffic, one after the other, and the context after the last."""
    current = context or LinkContext()
    traffic = []
    for item in items:
        spent, current = account(as_command(item).exchange, current)
        traffic.append(spent)
    return traffic, current


def data_of(records: Sequence[Record]) -> str:
    """The data field of AT+CIOTDAT, which the module sends after `,;`."""
    return ";".join(encode_record(record) for record in records)


def packets(frame: int) -> int:
    return math.ceil(frame / MSS)


# --- frames -------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [0, 1, 127, 128, 16383, 16384, 2097151, 2097152])
def test_a_frame_is_type_remaining_length_and_body(body: int) -> None:
    assert frame_size(body) == size(Unknown(0x30, bytes(body)))


@pytest.mark.parametrize("body", [0, 1, 15, 16, 17, 111, 112, 16367, 16368])
def test_an_encrypted_frame_pads_its_body_to_whole_blocks(body: int) -> None:
    assert frame_size(body, encrypted=True) == size(Unknown(0x30, bytes(body)), encrypted=True)


# --- data ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("encrypted", [False, True])
@pytest.mark.parametrize("msg_id", [0, 7, 65535])
@pytest.mark.parametrize(
    "records",
    [
        [Record("temp", 22.5)],
        [Record("temp", 22.5, "2026-01-02 03:04:05"), Record("hum", 60), Record("on", value=True)],
        [Record("lamp", "开灯")],  # bytes, not characters
        [Record(f"s{index}", index * 1.5) for index in range(60)],  # a line of ~1 KB
    ],
)
def test_a_data_line_is_one_savedata_and_its_saveack(
    records: list[Record], msg_id: int, encrypted: bool
) -> None:
    [command] = commands.send_data_batches(msg_id, records, line_limit=1024)
    [traffic], _ = run(command, context=LinkContext(encrypted=encrypted))
    save = SaveData.split_string(",;" + data_of(records), msg_id or None)
    assert traffic.edp_up == size(save, encrypted=encrypted)
    assert traffic.edp_down == (size(SaveAck(msg_id), encrypted=encrypted) if msg_id else 0)


@given(
    texts=st.lists(st.text(min_size=1, max_size=40).map(escape_value), min_size=1, max_size=8),
    msg_id=st.integers(0, 65535),
    encrypted=st.booleans(),
)
def test_any_records_cost_what_the_module_sends(
    texts: list[str], msg_id: int, encrypted: bool
) -> None:
    records = [Record(f"k{index}", text) for index, text in enumerate(texts)]
    [command] = commands.send_data_batches(msg_id, records, line_limit=commands.MAX_LINE_LIMIT)
    [traffic], _ = run(command, context=LinkContext(encrypted=encrypted))
    save = SaveData.split_string(",;" + data_of(records), msg_id or None)
    assert traffic.edp_up == size(save, encrypted=encrypted)


def test_a_data_line_without_a_message_id_is_acknowledged_by_tcp_alone() -> None:
    [traffic], _ = run(commands.send_data(0, [Record("t", 1)]))
    assert (traffic.packets_up, traffic.packets_down) == (1, 1)
    assert traffic.edp_down == 0


def test_a_data_line_with_a_message_id_is_three_packets() -> None:
    """SAVEDATA up, SAVEACK down (carrying TCP's acknowledgement), the module's ACK up."""
    [traffic], _ = run(commands.send_data(1, [Record("t", 1)]))
    assert (traffic.packets_up, traffic.packets_down) == (2, 1)
    assert traffic.overhead == 3 * IP_TCP_HEADER
    assert traffic.total == traffic.edp_bytes + 3 * IP_TCP_HEADER


def test_the_data_parameter_may_be_unquoted() -> None:
    [quoted, unquoted], _ = run('AT+CIOTDAT=0,1,"t,,1"', "AT+CIOTDAT=0,1,t,,1")
    assert quoted == unquoted != NO_TRAFFIC


# --- login, ping, logout --------------------------------------------------------------------------


def login_messages(connreq: ConnReq, *, encrypted: bool) -> tuple[list[Message], list[Message]]:
    """What the module sends and what the platform answers for a login."""
    up: list[Message] = [connreq]
    down: list[Message] = [ConnResp(0)]
    if encrypted:
        up.insert(0, EncryptReq(65537, MODULUS))
        down.insert(0, EncryptResp(bytes(128)))
    return up, down


def login_size(messages: list[Message], *, encrypted: bool) -> int:
    """The key exchange is in the clear; everything after it is encrypted."""
    clear = [message for message in messages if isinstance(message, EncryptReq | EncryptResp)]
    rest = [message for message in messages if message not in clear]
    return size(*clear) + size(*rest, encrypted=encrypted)


@pytest.mark.parametrize("encrypted", [False, True])
@pytest.mark.parametrize(
    ("connect", "connreq"),
    [
        pytest.param(
            commands.connect_stored_device(),
            ConnReq("1" * ASSUMED_DEVICE_ID_LENGTH, "k" * ASSUMED_KEY_LENGTH),
            id="mode 0",
        ),
        pytest.param(CONNECT_MODE_1, ConnReq(DEVICE_ID, MASTER_KEY), id="mode 1"),
        pytest.param(
            commands.connect_project("23219", "SYS", "DcvGb46zAagazMtLuBcVnNk66tg="),
            ConnReq("", auth_info("SYS", "DcvGb46zAagazMtLuBcVnNk66tg="), "23219"),
            id="mode 2",
        ),
    ],
)
def test_a_login_is_tcp_then_connreq_in_the_mode_set(
    connect: str, connreq: ConnReq, encrypted: bool
) -> None:
    [setting, login], context = run(connect, commands.start(encrypt=encrypted))
    assert setting == NO_TRAFFIC
    up, down = login_messages(connreq, encrypted=encrypted)
    assert login.edp_up == login_size(up, encrypted=encrypted)
    assert login.edp_down == login_size(down, encrypted=encrypted)
    # SYN, SYN-ACK, ACK; then each message up answered down and acknowledged up.
    assert (login.packets_up, login.packets_down) == (2 + 2 * len(up), 1 + len(down))
    assert login.tcp_options == 2 * SYN_OPTION
    assert context.encrypted is encrypted


def test_start_without_a_parameter_is_plaintext() -> None:
    [bare, plain], _ = run("AT+CIOTSTART", "AT+CIOTSTART=0")
    assert bare == plain


@pytest.mark.parametrize("encrypted", [False, True])
def test_a_ping_is_pingreq_and_pingresp(encrypted: bool) -> None:
    [_, _, ping], _ = run(CONNECT_MODE_1, commands.start(encrypt=encrypted), "AT+CIOTPING")
    assert ping.edp_up == size(PingReq(), encrypted=encrypted)
    assert ping.edp_down == size(PingResp(), encrypted=encrypted)


def test_a_plain_ping_costs_124_bytes() -> None:
    """docs/data-usage.md gives this figure: 2 + 2 EDP bytes, three packets of 40."""
    [ping], _ = run("AT+CIOTPING")
    assert ping.total == 124


def test_quit_closes_tcp_and_forgets_the_encryption() -> None:
    [_, quit_traffic], context = run(commands.start(encrypt=True), commands.quit())
    assert quit_traffic == Traffic(packets_up=2, packets_down=1)
    assert context.encrypted is False
    [ping], _ = run("AT+CIOTPING", context=context)
    assert ping.edp_up == size(PingReq())


@pytest.mark.parametrize("encrypted", [False, True])
@pytest.mark.parametrize("msg_id", [0, 9])
def test_send_once_is_login_data_and_logout(msg_id: int, encrypted: bool) -> None:
    records = [Record("temp", 21)]
    line = commands.send_once(encrypted, msg_id, records)
    [_, once], context = run(CONNECT_MODE_1, line)
    up, down = login_messages(ConnReq(DEVICE_ID, MASTER_KEY), encrypted=encrypted)
    up.append(SaveData.split_string(",;" + data_of(records), msg_id or None))
    down += [SaveAck(msg_id)] if msg_id else []
    assert once.edp_up == login_size(up, encrypted=encrypted)
    assert once.edp_down == login_size(down, encrypted=encrypted)
    assert context.encrypted is False  # the long link's setting, untouched


# --- files --------------------------------------------------------------------------------------


@pytest.mark.parametrize("encrypted", [False, True])
@pytest.mark.parametrize("msg_id", [0, 3])
@pytest.mark.parametrize("length", [1, 100, 120, 5000, 20000])
def test_a_file_goes_as_one_savedata_with_its_last_chunk(
    length: int, msg_id: int, encrypted: bool
) -> None:
    data = bytes(index % 251 for index in range(length))
    capacity = commands.binary_chunk_capacity()
    chunks = [data[start : start + capacity] for start in range(0, length, capacity)]
    lines = [
        commands.binary_header(msg_id, "photo", length),
        *(commands.binary_chunk(chunk) for chunk in chunks),
        commands.binary_end(),
    ]
    traffic, context = run(*lines, context=LinkContext(encrypted=encrypted))
    *before, last, end = traffic
    assert before == [NO_TRAFFIC] * len(before)
    assert end == NO_TRAFFIC
    frame = size(SaveData.binary({"ds_id": "photo"}, data, msg_id or None), encrypted=encrypted)
    assert last.edp_up == frame
    assert last.edp_down == (size(SaveAck(msg_id), encrypted=encrypted) if msg_id else 0)
    assert last.packets_up == packets(frame) + (1 if msg_id else 0)
    assert context.upload is None


def test_chunks_without_an_announced_file_cost_nothing() -> None:
    traffic, _ = run(commands.binary_chunk(b"\x01\x02"), commands.binary_end())
    assert traffic == [NO_TRAFFIC, NO_TRAFFIC]


def test_a_file_of_several_packets_is_acknowledged_packet_by_packet() -> None:
    data = bytes(3000)
    lines: list[str | Command] = [
        commands.binary_header(0, "f", 3000),
        f"AT+CIOTBINSEND=3000,{data.hex()}",
    ]
    [_, traffic], _ = run(*lines)
    frame = size(SaveData.binary({"ds_id": "f"}, data))
    assert (traffic.packets_up, traffic.packets_down) == (packets(frame), packets(frame)) == (3, 3)


# --- cloud commands, and what costs nothing -----------------------------------------------------


@pytest.mark.parametrize("encrypted", [False, True])
@pytest.mark.parametrize("body", [b"", b"on", "开灯,on;1".encode(), bytes(2000)])
def test_a_cloud_command_is_cmdreq_down_and_cmdresp_up(body: bytes, encrypted: bool) -> None:
    meter = DataUsageMeter()
    meter.count_command(commands.start(encrypt=encrypted))
    before = meter.traffic
    meter.count_event(CloudCommand(body))
    command_id = str(uuid.uuid4())
    spent = Traffic(
        meter.traffic.edp_up - before.edp_up,
        meter.traffic.edp_down - before.edp_down,
        meter.traffic.packets_up - before.packets_up,
        meter.traffic.packets_down - before.packets_down,
    )
    request = size(CmdReq(command_id, body), encrypted=encrypted)
    assert spent.edp_down == request
    assert spent.edp_up == size(CmdResp(command_id, b"", compact=True), encrypted=encrypted)
    assert (spent.packets_up, spent.packets_down) == (packets(request), packets(request) + 1)


@pytest.mark.parametrize(
    "line",
    [
        "AT",
        "ATE0",
        "AT+CSQ",
        "AT+CGSN",
        "AT+CIOTSTATUS",
        "AT+CIOTKEY?",
        f"AT+CIOTMKEY={MASTER_KEY}",
        "AT+CIOTSTART?",
        "AT+CIOTDAT=x,1,a",
        "AT+CIOTSEND=0",
        "AT+CIOTBINSET=1,photo",
        "AT+CIOTBINSET=x,photo,3",
        "AT+CIOTCONNECTPARA=5",
        "not a command",
    ],
)
def test_what_stays_in_the_module_costs_nothing(line: str) -> None:
    [traffic], context = run(line)
    assert traffic == NO_TRAFFIC
    assert context == LinkContext()


def test_the_meter_adds_everything_up() -> None:
    meter = DataUsageMeter()
    lines = [
        CONNECT_MODE_1,
        commands.start(encrypt=False),
        commands.ping(),
        commands.send_data(4, [Record("t", 1)]),
        commands.quit(),
    ]
    for line in lines:
        meter.count_command(line)
    traffic, _ = run(*lines)
    assert meter.traffic == sum(traffic, NO_TRAFFIC)
    up: list[Message] = [
        ConnReq(DEVICE_ID, MASTER_KEY),
        PingReq(),
        SaveData.split_string(",;t,,1", 4),
    ]
    down: list[Message] = [ConnResp(0), PingResp(), SaveAck(4)]
    assert meter.traffic.edp_up == size(*up)
    assert meter.traffic.edp_down == size(*down)


# --- the connection's counters, over a real pseudo-terminal -------------------------------------


async def test_the_serial_counters_are_the_bytes_exchanged(
    fake: FakeModule, client: M6311Client
) -> None:
    fake.echo = True
    fake.replies = {
        "AT": b"\r\nOK\r\n",
        "AT+CSQ": b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n",
        'AT+CIOTDAT=0,1,"lamp,,开灯"': OK,
    }
    await client.check_alive()
    await client.read_signal()
    await client.send_data([Record("lamp", "开灯")])
    events = asyncio.Queue[object]()
    client.subscribe(events.put_nowait)
    fake.write("\r\n+IOTCMD=6,开灯\r\n".encode())
    await asyncio.wait_for(events.get(), 5)
    await fake.replied()
    assert client.meters.serial_bytes_sent == fake.bytes_read > 0
    assert (
        client.meters.serial_bytes_received == fake.bytes_written > client.meters.serial_bytes_sent
    )


async def test_only_commands_the_module_carried_out_count(
    fake: FakeModule, client: M6311Client
) -> None:
    refused = commands.send_data(0, [Record("a", 1)])
    carried_out = commands.send_data(0, [Record("b", 2)])
    unanswered = commands.send_data(0, [Record("c", 3)])
    fake.replies = {refused.line: b"\r\n+ERR=-105\r\n", carried_out.line: OK}
    with pytest.raises(DeviceNotOnlineError):
        await client.execute(refused)
    assert client.meters.data_usage.traffic == NO_TRAFFIC
    await client.execute(carried_out)
    [expected], _ = run(carried_out)
    assert client.meters.data_usage.traffic == expected
    with pytest.raises(M6311TimeoutError):
        await client.execute(quick(unanswered))
    assert client.meters.data_usage.traffic == expected


async def test_cloud_commands_the_module_prints_count(
    fake: FakeModule, client: M6311Client
) -> None:
    events = asyncio.Queue[object]()
    client.subscribe(events.put_nowait)
    fake.write(b"\r\n+IOTCMD=2,on\r\n")
    await asyncio.wait_for(events.get(), 5)
    assert client.meters.data_usage.traffic.edp_down == size(CmdReq(str(uuid.uuid4()), b"on"))


async def test_counter_listeners_hear_of_writes_and_reads(
    fake: FakeModule, client: M6311Client
) -> None:
    fake.replies = {"AT": b"\r\nOK\r\n"}
    heard: list[tuple[int, int]] = []

    def broken() -> None:
        raise RuntimeError

    client.meters.add_listener(broken)  # its failure must not stop the others, nor the read loop
    remove = client.meters.add_listener(
        lambda: heard.append((client.meters.serial_bytes_sent, client.meters.serial_bytes_received))
    )
    await client.check_alive()
    assert (4, 0) in heard  # `AT` CR LF written
    assert heard[-1] == (4, 6)  # the answer read
    remove()
    remove()  # twice is harmless
    await client.check_alive()
    assert heard[-1] == (4, 6)


# --- the figures docs/data-usage.md gives -------------------------------------------------------

ROOMS = [Record(f"sensor_room{n}_temperature", 20.5 + n, "2026-11-23 16:30:00") for n in range(10)]
ENCRYPTED_LINK = [CONNECT_MODE_1, commands.start(encrypt=True)]


@pytest.mark.parametrize(
    ("before", "lines", "edp_up", "edp_down", "packet_count", "total"),
    [
        ([], ["AT+CIOTPING"], 2, 2, 3, 124),
        (ENCRYPTED_LINK, ["AT+CIOTPING"], 2, 2, 3, 124),
        ([], [commands.send_data(0, [Record("temp", 22.5)])], 18, 0, 2, 98),
        ([], [commands.send_data(1, [Record("temp", 22.5)])], 20, 6, 3, 146),
        ([], [commands.send_data(0, ROOMS, line_limit=1024)], 508, 0, 2, 588),
        ([CONNECT_MODE_1], [commands.start(encrypt=False)], 51, 4, 6, 303),
        ([CONNECT_MODE_1], [commands.start(encrypt=True)], 202, 151, 9, 721),
        ([], [commands.quit()], 0, 0, 3, 120),
        (
            [CONNECT_MODE_1],
            [commands.send_once(False, 0, [Record("temp", 22.5)])],
            69,
            4,
            11,
            521,
        ),
    ],
)
def test_the_documented_examples(
    before: list[str | Command],
    lines: list[str | Command],
    edp_up: int,
    edp_down: int,
    packet_count: int,
    total: int,
) -> None:
    _, context = run(*before)
    traffic, _ = run(*lines, context=context)
    spent = sum(traffic, NO_TRAFFIC)
    assert (spent.edp_up, spent.edp_down) == (edp_up, edp_down)
    assert (spent.packets_up + spent.packets_down, spent.total) == (packet_count, total)


def test_the_documented_cloud_command_and_record_lines() -> None:
    meter = DataUsageMeter()
    meter.count_event(CloudCommand(b"on"))
    assert (meter.traffic.edp_up, meter.traffic.edp_down, meter.traffic.total) == (40, 46, 206)
    one_by_one, _ = run(*(commands.send_data(0, [room]) for room in ROOMS))
    assert sum(traffic.total for traffic in one_by_one) == 1370
