"""The platform emulator's EDP server: logins, encryption, saves, pings, idle drop, kicks."""

import asyncio

import aiohttp
import pytest

from emulator.edp import (
    CmdReq,
    ConnClose,
    ConnReq,
    ConnResp,
    ConnRespCode,
    EncryptReq,
    MessageType,
    PingReq,
    PingResp,
    SaveAck,
    SaveAckJson,
    SaveData,
    Unknown,
    encode,
)
from emulator.edp.framing import encode_string
from emulator.platform import PlatformEmulator, SaveAckForm
from emulator.platform.errors import Errno

from .platform_helpers import EdpDevice, call


async def _login(platform: PlatformEmulator, device_id: str, *, encrypt: bool = False) -> EdpDevice:
    device = await EdpDevice.connect(platform)
    if encrypt:
        await device.encrypt()
    assert await device.request(ConnReq(device_id, platform.master_key)) == ConnResp(0)
    return device


async def _refused(platform: PlatformEmulator, request: ConnReq) -> int:
    device = await EdpDevice.connect(platform)
    response = await device.request(request)
    assert isinstance(response, ConnResp)
    assert await device.closed_by_peer()
    await device.close()
    return response.code


@pytest.mark.parametrize("encrypt", [False, True])
async def test_device_id_logins(platform_emulator: PlatformEmulator, encrypt: bool) -> None:
    platform = platform_emulator
    device_id = platform.create_device("a")
    key = platform.create_key(device_id)
    device = await EdpDevice.connect(platform)
    if encrypt:
        await device.encrypt()
    assert await device.request(ConnReq(device_id, key, keepalive=128)) == ConnResp(0)
    await platform.wait_online(device_id)
    assert platform.is_online(device_id)
    await device.close()
    await platform.wait_online(device_id, online=False)
    master = await _login(platform, device_id, encrypt=encrypt)
    await master.close()


async def test_project_id_login(platform_emulator: PlatformEmulator) -> None:
    device_id = platform_emulator.create_device("a", auth_info="SIM-1")
    device = await EdpDevice.connect(platform_emulator)
    await device.encrypt()
    request = ConnReq("", "SIM-1", project_id=platform_emulator.project_id)
    assert await device.request(request) == ConnResp(0)
    await platform_emulator.wait_online(device_id)
    await device.close()


async def test_refused_logins_answer_their_code_and_close(
    platform_emulator: PlatformEmulator,
) -> None:
    platform = platform_emulator
    device_id = platform.create_device("a", auth_info="SIM-1")
    other_id = platform.create_device("b")
    other_key = platform.create_key(other_id)
    project = platform.project_id
    assert await _refused(platform, ConnReq(device_id, platform.master_key, protocol="XDP")) == 1
    assert await _refused(platform, ConnReq(device_id, platform.master_key, version=2)) == 1
    assert await _refused(platform, ConnReq("404", platform.master_key)) == 2
    assert await _refused(platform, ConnReq(device_id, "wrong-key")) == 2
    assert await _refused(platform, ConnReq(device_id, other_key)) == 5
    assert await _refused(platform, ConnReq("", "SIM-1", project_id="1")) == 4
    assert await _refused(platform, ConnReq("", "SIM-2", project_id=project)) == 6
    first = await _login(platform, device_id)
    second = ConnReq("", "SIM-1", project_id=project)
    assert await _refused(platform, second) == ConnRespCode.DUPLICATE_CONNECT
    assert platform.is_online(device_id)
    await first.close()


async def test_second_connreq_on_a_logged_in_link_is_duplicate(
    platform_emulator: PlatformEmulator,
) -> None:
    device_id = platform_emulator.create_device("a")
    device = await _login(platform_emulator, device_id)
    assert await device.request(ConnReq(device_id, platform_emulator.master_key)) == ConnResp(9)
    assert await device.closed_by_peer()
    await platform_emulator.wait_online(device_id, online=False)
    await device.close()


async def test_messages_before_login_close_the_link(platform_emulator: PlatformEmulator) -> None:
    device = await EdpDevice.connect(platform_emulator)
    await device.send(PingReq())
    assert await device.closed_by_peer()
    await device.close()


@pytest.mark.parametrize(
    "data",
    [
        bytes.fromhex("11 00"),  # malformed type byte
        encode(EncryptReq(65537, 1 << 1023, algorithm=2)),  # not AES
        encode(EncryptReq(2, 15)),  # not an RSA key
    ],
)
async def test_bad_input_closes_the_link(platform_emulator: PlatformEmulator, data: bytes) -> None:
    device = await EdpDevice.connect(platform_emulator)
    await device.send_raw(data)
    assert await device.closed_by_peer()
    await device.close()


async def test_key_exchange_only_once_and_before_login(platform_emulator: PlatformEmulator) -> None:
    device_id = platform_emulator.create_device("a")
    device = await _login(platform_emulator, device_id, encrypt=True)
    await device.send(EncryptReq(65537, 1 << 1023))
    assert await device.closed_by_peer()
    await device.close()


async def test_ping(platform_emulator: PlatformEmulator) -> None:
    device_id = platform_emulator.create_device("a")
    device = await _login(platform_emulator, device_id, encrypt=True)
    assert await device.request(PingReq()) == PingResp()
    await device.close()


async def test_clear_empty_bodies_on_an_encrypted_link(platform_emulator: PlatformEmulator) -> None:
    # An SDK device sends PINGREQ as it is (SymmEncrypt leaves an empty body alone) and reads
    # PINGRESP the same way; the link stays up and encrypted for the rest.
    device_id = platform_emulator.create_device("a")
    device = await _login(platform_emulator, device_id, encrypt=True)
    for _ in range(2):
        await device.send_raw(bytes.fromhex("C0 00"))
        async with asyncio.timeout(5):
            assert await device.reader.readexactly(2) == bytes.fromhex("D0 00")
    assert await device.request(SaveData.split_string(",;t,1", msg_id=2)) == SaveAck(2, 0)
    assert platform_emulator.is_online(device_id)
    await device.close()


async def test_pushdata_and_unexpected_messages_are_skipped(
    platform_emulator: PlatformEmulator,
) -> None:
    device_id = platform_emulator.create_device("a")
    device = await _login(platform_emulator, device_id)
    await device.send(Unknown(MessageType.PUSHDATA, encode_string("other") + b"hi"))
    await device.send(Unknown(MessageType.UPDATEREQ, b""))
    await device.send(PingResp())
    assert await device.request(PingReq()) == PingResp()
    await device.close()


async def test_idle_link_is_dropped_after_the_scaled_keepalive(socket_enabled: None) -> None:
    async with PlatformEmulator(keepalive_scale=0.05, login_timeout=0.2) as platform:
        device_id = platform.create_device("a")
        silent = await EdpDevice.connect(platform)  # never logs in
        device = await EdpDevice.connect(platform)
        assert await device.request(ConnReq(device_id, platform.master_key, keepalive=4)) == (
            ConnResp(0)
        )
        for _ in range(3):  # pings keep it up past the 0.2 s limit
            await asyncio.sleep(0.1)
            assert await device.request(PingReq()) == PingResp()
        assert platform.is_online(device_id)
        assert await device.closed_by_peer()
        assert await silent.closed_by_peer()
        await platform.wait_online(device_id, online=False)
        await device.close()
        await silent.close()


async def test_keepalive_zero_never_idles_out(socket_enabled: None) -> None:
    async with PlatformEmulator(keepalive_scale=0.01) as platform:
        device_id = platform.create_device("a")
        device = await EdpDevice.connect(platform)
        assert await device.request(ConnReq(device_id, platform.master_key, keepalive=0)) == (
            ConnResp(0)
        )
        await asyncio.sleep(0.1)
        assert await device.request(PingReq()) == PingResp()
        await device.close()


async def test_kick_sends_connclose(platform_emulator: PlatformEmulator) -> None:
    device_id = platform_emulator.create_device("a")
    device = await _login(platform_emulator, device_id, encrypt=True)
    assert await platform_emulator.kick(device_id, code=3)
    assert await device.receive() == ConnClose(3)
    assert await device.closed_by_peer()
    assert not platform_emulator.is_online(device_id)
    assert not await platform_emulator.kick(device_id)
    await device.close()


async def test_delete_device_drops_its_link(platform_emulator: PlatformEmulator) -> None:
    device_id = platform_emulator.create_device("a")
    device = await _login(platform_emulator, device_id)
    await platform_emulator.commands.send(device_id, b"x")
    assert isinstance(await device.receive(), CmdReq)
    assert platform_emulator.store.delete_device(device_id)
    assert await platform_emulator.kick(device_id)
    assert await device.receive() == ConnClose(0)
    await device.close()


async def test_stop_closes_live_links(socket_enabled: None) -> None:
    platform = PlatformEmulator()
    await platform.start()
    device_id = platform.create_device("a")
    device = await _login(platform, device_id)
    await platform.stop()
    assert await device.closed_by_peer()
    await device.close()


# SAVEDATA


@pytest.mark.parametrize("encrypt", [False, True])
async def test_split_string_save_with_c_ack(
    platform_emulator: PlatformEmulator, encrypt: bool
) -> None:
    device_id = platform_emulator.create_device("a")
    device = await _login(platform_emulator, device_id, encrypt=encrypt)
    text = ",;temperature,2015-03-22 22:31:12,22.5;102;pm2.5,89;hum,,35%"
    assert await device.request(SaveData.split_string(text, msg_id=361)) == SaveAck(361, 0)
    points = platform_emulator.datapoints(device_id)
    assert [(p.datastream_id, p.value) for p in points] == [
        ("temperature", 22.5),
        ("1", 102),
        ("pm2.5", 89),
        ("hum", "35%"),
    ]
    assert points[0].at == "2015-03-22 22:31:12"
    assert len(points[1].at) == 19  # server time, Beijing
    await device.close()


async def test_save_without_msg_id_is_not_acknowledged(
    platform_emulator: PlatformEmulator,
) -> None:
    device_id = platform_emulator.create_device("a")
    device = await _login(platform_emulator, device_id)
    await device.send(SaveData.split_string(",;t,1"))
    point = await platform_emulator.wait_datapoint(device_id, "t")
    assert point.value == 1
    assert await device.request(PingReq()) == PingResp()  # nothing else came first
    await device.close()


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            SaveData.json(
                {
                    "datastreams": [
                        {"id": "t", "datapoints": [{"at": "2013-04-22 22:22:22", "value": 36.5}]}
                    ]
                },
                1,
                msg_id=1,
            ),
            [("t", "2013-04-22 22:22:22", 36.5)],
        ),
        (
            SaveData.json({"t": 22.5, "h": "95.2%"}, 3, msg_id=1),
            [("t", None, 22.5), ("h", None, "95.2%")],
        ),
        (
            SaveData.json({"t": {"2015-03-22 22:31:12": 22.5}}, 4, msg_id=1),
            [("t", "2015-03-22 22:31:12", 22.5)],
        ),
        (
            SaveData(6, bytes([26, 1, 2, 3, 4, 5]) + encode_string(",;t,7"), msg_id=1),
            [("t", "2026-01-02 03:04:05", 7)],
        ),
        (
            # Hand-written in the C SDK's layout: no time, count 1, stream 9 (big-endian),
            # 0.5 as a little-endian float32.
            SaveData(7, bytes.fromhex("000000000000 0001 0009 0000003F"), msg_id=1),
            [("9", None, 0.5)],
        ),
        (
            # cJSON_Print's layout, as the C SDK sends JSON.
            SaveData(
                4,
                encode_string('{\n\t"t":\t{\n\t\t"2015-03-22 22:31:12":\t22.500000\n\t}\n}'),
                msg_id=1,
            ),
            [("t", "2015-03-22 22:31:12", 22.5)],
        ),
    ],
)
async def test_every_data_type_is_stored(
    platform_emulator: PlatformEmulator,
    message: SaveData,
    expected: list[tuple[str, str | None, object]],
) -> None:
    device_id = platform_emulator.create_device("a")
    device = await _login(platform_emulator, device_id)
    assert await device.request(message) == SaveAck(1, 0)
    points = platform_emulator.datapoints(device_id)
    assert [(p.datastream_id, p.value) for p in points] == [(e[0], e[2]) for e in expected]
    for point, (_, at, _) in zip(points, expected, strict=True):
        assert point.at == at if at is not None else len(point.at) == 19
    await device.close()


async def test_binary_save_with_c_ack(platform_emulator: PlatformEmulator) -> None:
    device_id = platform_emulator.create_device("a")
    device = await _login(platform_emulator, device_id)
    data = bytes(range(256)) * 40
    message = SaveData.binary({"ds_id": "image", "desc": "photo"}, data, msg_id=5)
    assert await device.request(message) == SaveAck(5, 0)
    [point] = platform_emulator.datapoints(device_id, "image")
    assert point.data == data
    assert point.size == len(data)
    assert point.descriptor == {"ds_id": "image", "desc": "photo"}
    assert point.value["index"].startswith(f"{device_id}_")
    await device.close()
    # GET /bindata/{index} gives the bytes back (the master key, or the device's own key).
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{platform_emulator.http_url}/bindata/{point.value['index']}",
            headers={"api-key": platform_emulator.master_key},
        ) as response,
    ):
        assert await response.read() == data
    missing = await call(platform_emulator, "GET", "/bindata/nothing_here")
    assert missing["errno"] == Errno.NOT_FOUND


@pytest.mark.parametrize(
    ("form", "binary_ack", "text_ack"),
    [
        (SaveAckForm.JSON, SaveAckJson, SaveAckJson),
        (SaveAckForm.JSON_FOR_BINARY, SaveAckJson, SaveAck),
    ],
)
async def test_json_saveack_forms(
    socket_enabled: None, form: SaveAckForm, binary_ack: type, text_ack: type
) -> None:
    async with PlatformEmulator(saveack_form=form) as platform:
        device_id = platform.create_device("a")
        device = await _login(platform, device_id)
        binary = SaveData.binary({"ds_id": "bin1", "at": "2026-01-01 08:00:00"}, b"\x01", msg_id=2)
        ack = await device.request(binary)
        assert isinstance(ack, binary_ack)
        assert isinstance(ack, SaveAckJson)
        assert ack.payload["errno"] == 0
        assert ack.payload["error"] == "succ"
        assert ack.payload["index"].endswith("_bin1")
        assert len(ack.payload["token"]) == 8
        assert platform.datapoints(device_id, "bin1")[0].at == "2026-01-01 08:00:00"
        text = await device.request(SaveData.split_string(",;a,1", msg_id=3))
        assert isinstance(text, text_ack)
        if isinstance(text, SaveAckJson):
            assert text.payload == {"errno": 0, "error": "succ"}
        else:
            assert text == SaveAck(3, 0)
        refused = await device.request(SaveData.binary({"desc": "no ds_id"}, b"\x01", msg_id=4))
        assert isinstance(refused, SaveAckJson)
        assert refused.payload == {
            "errno": 6,
            "error": "invalid parameter: binary descriptor lacks ds_id",
        }
        await device.close()


@pytest.mark.parametrize(
    "message",
    [
        SaveData.binary({"ds_id": "big"}, bytes(3 * 1024 * 1024 + 1), msg_id=8),
        SaveData(3, encode_string("{oops"), msg_id=8),
        SaveData(9, b"", msg_id=8),
    ],
    ids=["data too big", "bad json", "unknown type"],
)
async def test_refused_saves_answer_result_1_and_keep_the_link(
    platform_emulator: PlatformEmulator, message: SaveData
) -> None:
    device_id = platform_emulator.create_device("a")
    device = await _login(platform_emulator, device_id)
    assert await device.request(message) == SaveAck(8, 1)
    assert platform_emulator.datapoints(device_id) == []
    assert await device.request(PingReq()) == PingResp()
    await device.close()


async def test_kick_survives_a_link_that_already_broke(
    platform_emulator: PlatformEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    device_id = platform_emulator.create_device("a")
    device = await _login(platform_emulator, device_id)

    async def broken(message: object) -> None:
        raise ConnectionResetError

    monkeypatch.setattr(platform_emulator.edp.sessions[device_id], "send", broken)
    assert await platform_emulator.kick(device_id)
    assert not platform_emulator.is_online(device_id)
    assert await device.closed_by_peer()
    await device.close()


async def test_stop_is_idempotent(socket_enabled: None) -> None:
    platform = PlatformEmulator()
    await platform.stop()  # never started: nothing to do
    await platform.start()
    await platform.stop()
    await platform.stop()
