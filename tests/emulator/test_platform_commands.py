"""Commands: online, offline with and without timeout, qos 1 resend, CMDRESP, the API."""

import time

import pytest

from emulator.edp import CmdReq, CmdResp, ConnReq, ConnResp, PingReq, PingResp
from emulator.platform import ApiError, CommandStatus, Errno, PlatformEmulator

from .platform_helpers import EdpDevice, call


async def _login(platform: PlatformEmulator, device_id: str, *, encrypt: bool = False) -> EdpDevice:
    device = await EdpDevice.connect(platform)
    if encrypt:
        await device.encrypt()
    assert await device.request(ConnReq(device_id, platform.master_key)) == ConnResp(0)
    return device


@pytest.mark.parametrize(("encrypt", "compact"), [(False, False), (True, True)])
async def test_online_command_and_response_over_http(
    platform_emulator: PlatformEmulator, encrypt: bool, compact: bool
) -> None:
    platform = platform_emulator
    device_id = platform.create_device("a")
    device = await _login(platform, device_id, encrypt=encrypt)
    answer = await call(platform, "POST", f"/cmds?device_id={device_id}", data=b"relay=on")
    assert answer["errno"] == 0
    cmd_uuid = answer["data"]["cmd_uuid"]
    assert len(cmd_uuid) == 36
    assert await device.receive() == CmdReq(cmd_uuid, b"relay=on")
    status = await call(platform, "GET", f"/cmds/{cmd_uuid}")
    assert status["data"] == {"status": CommandStatus.SENT, "desc": "sent"}
    waiting = await call(platform, "GET", f"/cmds/{cmd_uuid}/resp")
    assert waiting == {"errno": Errno.NO_RESPONSE, "error": f"no response: {cmd_uuid}"}
    reply = b"" if compact else "好 ok".encode()
    await device.send(CmdResp(cmd_uuid, reply, compact=compact))
    assert await platform.wait_command_response(cmd_uuid) == reply
    response = await call(platform, "GET", f"/cmds/{cmd_uuid}/resp")
    assert response == {"errno": 0, "error": "succ", "data": reply.decode()}
    status = await call(platform, "GET", f"/cmds/{cmd_uuid}")
    assert status["data"] == {"status": CommandStatus.ANSWERED, "desc": "answered"}
    await device.close()


async def test_offline_device_without_timeout_is_errno_10(
    platform_emulator: PlatformEmulator,
) -> None:
    device_id = platform_emulator.create_device("a")
    answer = await call(platform_emulator, "POST", f"/cmds?device_id={device_id}", data=b"x")
    assert answer == {"errno": 10, "error": f"device not online: {device_id}"}
    with pytest.raises(ApiError) as raised:
        await platform_emulator.send_command(device_id, b"x")
    assert raised.value.errno == Errno.DEVICE_NOT_ONLINE


async def test_timeout_keeps_a_command_until_login(platform_emulator: PlatformEmulator) -> None:
    platform = platform_emulator
    device_id = platform.create_device("a")
    path = f"/cmds?device_id={device_id}&qos=0&timeout=60"
    cmd_uuid = (await call(platform, "POST", path, data=b"later"))["data"]["cmd_uuid"]
    command = platform.command(cmd_uuid)
    assert command is not None
    assert command.status == CommandStatus.DEVICE_OFFLINE
    assert command.expires is not None
    assert not await platform.edp.deliver(command)  # offline: stays kept
    device = await _login(platform, device_id)
    assert await device.receive() == CmdReq(cmd_uuid, b"later")
    await device.send(CmdResp(cmd_uuid, b"done"))
    assert await platform.wait_command_response(cmd_uuid) == b"done"
    await device.close()
    await platform.wait_online(device_id, online=False)
    again = await _login(platform, device_id)  # answered: not sent again
    assert await again.request(PingReq()) == PingResp()
    await again.close()


async def test_expired_commands_are_not_delivered(platform_emulator: PlatformEmulator) -> None:
    platform = platform_emulator
    device_id = platform.create_device("a")
    cmd_uuid = await platform.send_command(device_id, b"soon stale", timeout=1)
    platform.store.expire_commands(now=time.time() + 2)
    command = platform.command(cmd_uuid)
    assert command is not None
    assert command.status == CommandStatus.EXPIRED
    device = await _login(platform, device_id)
    assert await device.request(PingReq()) == PingResp()
    await device.close()


@pytest.mark.parametrize(("qos", "resent"), [(0, False), (1, True)])
async def test_qos_1_resends_an_unanswered_command_at_next_login(
    platform_emulator: PlatformEmulator, qos: int, resent: bool
) -> None:
    platform = platform_emulator
    device_id = platform.create_device("a")
    device = await _login(platform, device_id)
    cmd_uuid = await platform.send_command(device_id, b"important", qos=qos)
    assert await device.receive() == CmdReq(cmd_uuid, b"important")
    await device.close()  # no answer
    await platform.wait_online(device_id, online=False)
    again = await _login(platform, device_id)
    if resent:
        assert await again.receive() == CmdReq(cmd_uuid, b"important")
    assert await again.request(PingReq()) == PingResp()
    await again.close()


@pytest.mark.parametrize(
    ("query", "body", "answer"),
    [
        ("", b"x", {"errno": 6, "error": "invalid parameter: device_id"}),
        ("device_id=404", b"x", {"errno": 3, "error": "device not exist: 404"}),
        (
            "device_id={id}&qos=2",
            b"x",
            {"errno": 6, "error": "invalid parameter: qos must be 0 or 1: 2"},
        ),
        (
            "device_id={id}&timeout=soon",
            b"x",
            {"errno": 6, "error": "invalid parameter: timeout must be an integer: soon"},
        ),
        (
            "device_id={id}&timeout=2678401",
            b"x",
            {"errno": 6, "error": "invalid parameter: timeout must be 0..2678400: 2678401"},
        ),
        (
            "device_id={id}&timeout=5",
            b"",
            {"errno": 6, "error": "invalid parameter: empty command"},
        ),
        (
            "device_id={id}&timeout=5",
            bytes(65536),
            {
                "errno": 6,
                "error": "invalid parameter: command is 65536 bytes, must be under 64 KiB",
            },
        ),
    ],
)
async def test_invalid_commands(
    platform_emulator: PlatformEmulator, query: str, body: bytes, answer: dict[str, object]
) -> None:
    device_id = platform_emulator.create_device("a")
    path = "/cmds?" + query.format(id=device_id)
    assert await call(platform_emulator, "POST", path, data=body) == answer


async def test_huge_bodies_are_refused_in_the_platform_shape(
    platform_emulator: PlatformEmulator,
) -> None:
    device_id = platform_emulator.create_device("a")
    path = f"/cmds?device_id={device_id}&timeout=5"
    answer = await call(platform_emulator, "POST", path, data=bytes(2 * 1024 * 1024))
    assert answer == {"errno": 6, "error": "invalid parameter: body too large"}


async def test_largest_command_and_explicit_defaults(platform_emulator: PlatformEmulator) -> None:
    device_id = platform_emulator.create_device("a")
    device = await _login(platform_emulator, device_id)
    path = f"/cmds?device_id={device_id}&qos=&timeout="
    answer = await call(platform_emulator, "POST", path, data=bytes(65535))
    assert answer["errno"] == 0
    message = await device.receive()
    assert isinstance(message, CmdReq)
    assert len(message.body) == 65535
    await device.close()


async def test_command_api_keys(platform_emulator: PlatformEmulator) -> None:
    platform = platform_emulator
    mine = platform.create_device("mine")
    other = platform.create_device("other")
    key = platform.create_key(mine)
    device = await _login(platform, mine)
    answer = await call(platform, "POST", f"/cmds?device_id={mine}", key=key, data=b"x")
    cmd_uuid = answer["data"]["cmd_uuid"]
    assert (await call(platform, "GET", f"/cmds/{cmd_uuid}", key=key))["errno"] == 0
    denied = await call(platform, "POST", f"/cmds?device_id={other}", key=key, data=b"x")
    assert denied["errno"] == Errno.PERMISSION_DENIED
    other_key = platform.create_key(other)
    foreign = await call(platform, "GET", f"/cmds/{cmd_uuid}/resp", key=other_key)
    assert foreign["errno"] == Errno.PERMISSION_DENIED
    unknown = await call(platform, "GET", "/cmds/nope/resp")
    assert unknown == {"errno": Errno.NOT_FOUND, "error": "cmd not found: nope"}
    no_id = await call(platform, "POST", "/cmds", key="bad", data=b"x")
    assert no_id["errno"] == Errno.AUTH_FAILED
    await device.close()


async def test_cmdresp_for_an_unknown_or_foreign_command_is_ignored(
    platform_emulator: PlatformEmulator,
) -> None:
    platform = platform_emulator
    first = platform.create_device("a")
    second = platform.create_device("b")
    device = await _login(platform, first)
    intruder = await _login(platform, second)
    cmd_uuid = await platform.send_command(first, b"x")
    assert await device.receive() == CmdReq(cmd_uuid, b"x")
    await intruder.send(CmdResp(cmd_uuid, b"not yours"))
    await intruder.send(CmdResp("unknown", b""))
    assert await intruder.request(PingReq()) == PingResp()
    command = platform.command(cmd_uuid)
    assert command is not None
    assert command.status == CommandStatus.SENT
    assert command.response is None
    await device.close()
    await intruder.close()


async def test_send_to_a_link_that_just_broke_is_recorded_as_failed(
    platform_emulator: PlatformEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    platform = platform_emulator
    device_id = platform.create_device("a")
    device = await _login(platform, device_id)

    async def broken(message: object) -> None:
        raise ConnectionResetError

    monkeypatch.setattr(platform.edp.sessions[device_id], "send", broken)
    cmd_uuid = await platform.send_command(device_id, b"x")
    command = platform.command(cmd_uuid)
    assert command is not None
    assert command.status == CommandStatus.SEND_FAILED
    await device.close()
