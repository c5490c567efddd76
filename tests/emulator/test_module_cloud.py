"""The module emulator against the platform emulator over real HTTP and EDP (TCP)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from emulator.edp import (
    ConnClose,
    ConnReq,
    ConnResp,
    EncryptReq,
    Message,
    PingReq,
    PingResp,
    SaveAck,
    SaveAckJson,
    SaveData,
    Unknown,
    encode,
)
from emulator.module import ConnectMode, Dialect, ModuleConfig
from emulator.platform import DEFAULT_MASTER_KEY, DEFAULT_PROJECT_ID, SaveAckForm

from .module_support import EdpPeer, SerialClient, attached, framed, running

if TYPE_CHECKING:
    from collections.abc import Callable

    from emulator.module import ModuleEmulator
    from emulator.platform import PlatformEmulator

pytestmark = pytest.mark.usefixtures("socket_enabled")

MKEY = f"AT+CIOTMKEY={DEFAULT_MASTER_KEY}"
MKEY_OK = framed(f"+OK={DEFAULT_MASTER_KEY}")


async def provision(port: SerialClient) -> None:
    """Master key, CIOTINIT, mode 0: the module-created device flow (section 4.2.1)."""
    await port.ask(MKEY, MKEY_OK)
    await port.ask("AT+CIOTINIT", framed("+OK"))
    await port.ask("AT+CIOTCONNECTPARA=0", framed("+OK"))


async def online_device(
    platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient, encrypt: int = 0
) -> str:
    """A platform-made device logged in with mode 1; returns its id."""
    device_id = platform.create_device("m6311")
    await port.ask(f'AT+CIOTCONNECTPARA=1,"{device_id}","{DEFAULT_MASTER_KEY}"', framed("+OK"))
    await port.ask(f"AT+CIOTSTART={encrypt}", framed("+OK"))
    assert module.online
    await platform.wait_online(device_id)
    return device_id


# --- AT+CIOTINIT ------------------------------------------------------------------------------


async def test_init_creates_the_device_and_its_key(
    platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    await port.ask(MKEY, MKEY_OK)
    await port.ask("AT+CIOTINIT", framed("+OK"))
    device_id, key = module.stored.device_id, module.stored.device_key
    assert device_id is not None
    assert key is not None
    assert platform.store.device(device_id) is not None
    granted = platform.store.key_devices(key)
    assert granted is not None
    assert device_id in granted
    await port.ask("AT+CIOT?", framed("+OK"))
    await port.ask("AT+CIOTID?", framed(f"+OK={device_id}"))
    await port.ask("AT+CIOTKEY?", framed(f"+OK={key}"))


async def test_init_with_everything_stored_only_checks_the_device(
    platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    await provision(port)
    first = module.stored.device_id
    await port.ask("AT+CIOTINIT", framed("+OK"))
    assert module.stored.device_id == first
    assert platform.store.device_ids() == [first]


async def test_init_recreates_a_device_deleted_on_the_platform(
    platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    await provision(port)
    first, first_key = module.stored.device_id, module.stored.device_key
    assert first is not None
    assert platform.store.delete_device(first)
    await port.ask("AT+CIOTINIT", framed("+OK"))
    # The platform emulator may hand out the freed id again; the key is new either way.
    assert module.stored.device_key not in {None, first_key}
    assert platform.store.device_ids() == [module.stored.device_id]


async def test_init_recreates_when_only_the_key_is_missing(
    platform: PlatformEmulator, port: SerialClient
) -> None:
    await provision(port)
    await port.ask("AT+CIOTKEYC", framed("+OK"))
    await port.ask("AT+CIOTINIT", framed("+OK"))
    await port.ask("AT+CIOT?", framed("+OK"))
    assert len(platform.store.device_ids()) == 2


async def test_init_refused_by_the_platform_is_112(
    platform: PlatformEmulator, port: SerialClient
) -> None:
    await port.ask("AT+CIOTMKEY=not-the-master-key", framed("+OK=not-the-master-key"))
    await port.ask("AT+CIOTINIT", framed("+ERR=-112"))
    assert platform.store.device_ids() == []


async def test_init_without_a_platform_is_101() -> None:
    peer = EdpPeer()
    closed_port = await peer.start()
    await peer.stop()  # a port where nothing listens any more
    async with (
        running(platform_http_url=f"http://127.0.0.1:{closed_port}") as module,
        attached(module) as port,
    ):
        await port.ask(MKEY, MKEY_OK)
        await port.ask("AT+CIOTINIT", framed("+ERR=-101"))


async def test_init_without_radio_is_100(module: ModuleEmulator, port: SerialClient) -> None:
    await port.ask(MKEY, MKEY_OK)
    await module.set_network(up=False)
    await port.ask("AT+CIOTINIT", framed("+ERR=-100"))
    await port.ask("AT+CSQ", framed("+CSQ: 99,99", "OK"))


# --- AT+CIOTSTART / STATUS / QUIT ------------------------------------------------------------


@pytest.mark.parametrize("encrypt", [0, 1])
async def test_mode_0_logs_in_with_the_stored_device(
    encrypt: int, platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    await provision(port)
    assert module.mode is ConnectMode.STORED
    await port.ask(f"AT+CIOTSTART={encrypt}", framed("+OK"))
    device_id = module.stored.device_id
    assert device_id is not None
    await platform.wait_online(device_id)
    await port.ask("AT+CIOTSTATUS", framed("+OK=device_up"))
    await port.ask("AT+CIOTSTART=0", framed("+ERR=-106"))  # no second link while up
    await port.ask("AT+CIOTQUIT", framed("+OK"))
    await platform.wait_online(device_id, online=False)
    await port.ask("AT+CIOTSTATUS", framed("+OK=Device_down"))
    await port.ask("AT+CIOTQUIT", framed("+ERR=-111"))


@pytest.mark.parametrize("encrypt", [0, 1])
async def test_mode_1_logs_in_with_the_master_key(
    encrypt: int, platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    await online_device(platform, module, port, encrypt)


async def test_start_without_a_parameter_starts_in_plaintext(
    platform: PlatformEmulator, port: SerialClient
) -> None:
    device_id = platform.create_device("m6311")
    await port.ask(f'AT+CIOTCONNECTPARA=1,"{device_id}","{DEFAULT_MASTER_KEY}"', framed("+OK"))
    await port.ask("AT+CIOTSTART", framed("+OK"))
    await platform.wait_online(device_id)


@pytest.mark.parametrize("encrypt", [0, 1])
async def test_mode_2_logs_in_with_project_and_auth_info(
    encrypt: int, platform: PlatformEmulator, port: SerialClient
) -> None:
    device_id = platform.create_device("sim", auth_info='{"SYS":"DcvGb46z="}')
    await port.ask(f'AT+CIOTCONNECTPARA=2,"{DEFAULT_PROJECT_ID}","SYS","DcvGb46z="', framed("+OK"))
    await port.ask(f"AT+CIOTSTART={encrypt}", framed("+OK"))
    await platform.wait_online(device_id)


@pytest.mark.parametrize(
    "params",
    [
        '1,"{device}","wrong-key"',
        '1,"999999","{mkey}"',
        '2,"{project}","SYS","unknown"',
        '2,"1","SYS","DcvGb46z="',
    ],
)
async def test_a_login_the_platform_refuses_is_109(
    params: str, platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    device = platform.create_device("sim", auth_info='{"SYS":"DcvGb46z="}')
    filled = params.format(device=device, mkey=DEFAULT_MASTER_KEY, project=DEFAULT_PROJECT_ID)
    await port.ask(f"AT+CIOTCONNECTPARA={filled}", framed("+OK"))
    await port.ask("AT+CIOTSTART=1", framed("+ERR=-109"))
    assert not module.online


async def test_start_without_an_edp_server_is_109() -> None:
    peer = EdpPeer()
    closed_port = await peer.start()
    await peer.stop()
    async with running(edp_port=closed_port) as module, attached(module) as port:
        await port.ask('AT+CIOTCONNECTPARA=1,"1","k"', framed("+OK"))
        await port.ask("AT+CIOTSTART=0", framed("+ERR=-109"))


async def test_start_without_radio_is_109(module: ModuleEmulator, port: SerialClient) -> None:
    await module.set_network(up=False)
    await port.ask('AT+CIOTCONNECTPARA=1,"1","k"', framed("+OK"))
    await port.ask("AT+CIOTSTART=0", framed("+ERR=-109"))


@pytest.mark.parametrize(
    "module_options", [{"dialect": Dialect.CONNECT_OK | Dialect.STATUS_NUMERIC}]
)
async def test_connect_ok_dialect_prints_connect_ok_after_start(
    platform: PlatformEmulator, port: SerialClient
) -> None:
    device_id = platform.create_device("m6311")
    await port.ask(f'AT+CIOTCONNECTPARA=1,"{device_id}","{DEFAULT_MASTER_KEY}"', framed("+OK"))
    await port.ask("AT+CIOTSTART=0", framed("+OK", "CONNECT OK"))
    await port.ask("AT+CIOTSTATUS", framed("+CIOTSTATUS: 1", "+OK"))


async def test_the_login_announces_the_idle_limit_as_keepalive() -> None:
    peer = EdpPeer()
    await peer.start()
    config = ModuleConfig(idle_timeout=0.3)
    async with running(edp_port=peer.port, config=config) as module, attached(module) as port:
        await port.ask('AT+CIOTCONNECTPARA=1,"77","key"', framed("+OK"))
        await port.ask("AT+CIOTSTART=0", framed("+OK"))
        login = await peer.wait_for(ConnReq)
        assert login == ConnReq("77", "key", None, keepalive=1)
    await peer.stop()
    async with running(edp_port=peer.port) as module:
        assert module.config.idle_timeout == 128


# --- AT+CIOTDAT -------------------------------------------------------------------------------


@pytest.mark.parametrize("encrypt", [0, 1])
async def test_dat_stores_records_and_acknowledges_msg_ids(
    encrypt: int, platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    device_id = await online_device(platform, module, port, encrypt)
    await port.ask('AT+CIOTDAT=0,3,"te,,22.5;hy,,35%;pm,,89"', framed("+OK"))
    point = await platform.wait_datapoint(device_id, "pm")
    assert point.value == 89
    await port.ask(
        'AT+CIOTDAT=65535,1,"te,2016-01-01 00:00:00,10.5;"',
        framed("+OK", "SAVE succ!msg:65535"),
    )
    stored = await platform.wait_datapoint(device_id, "te", after=1)
    assert (stored.at, stored.value) == ("2016-01-01 00:00:00", 10.5)
    assert [p.value for p in platform.datapoints(device_id, "hy")] == ["35%"]


@pytest.mark.parametrize("platform_options", [{"saveack_form": SaveAckForm.JSON}])
async def test_json_saveacks_are_reported_too(
    platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    await online_device(platform, module, port)
    await port.ask('AT+CIOTDAT=12,1,"a,,1"', framed("+OK", "SAVE succ!msg:12"))


async def test_dat_packet_is_split_string_with_its_msg_id() -> None:
    peer = EdpPeer()
    await peer.start()
    async with running(edp_port=peer.port) as module, attached(module) as port:
        await port.ask('AT+CIOTCONNECTPARA=1,"77","key"', framed("+OK"))
        await port.ask("AT+CIOTSTART=0", framed("+OK"))
        await port.ask('AT+CIOTDAT=1,2,"temp,,22.5;hum,,60"', framed("+OK"))
        save = await peer.wait_for(SaveData)
        assert save == SaveData.split_string(",;temp,,22.5;hum,,60", msg_id=1)
    await peer.stop()


@pytest.mark.parametrize("module_options", [{"cloud_latency": 0.5}])
async def test_dat_failing_on_the_link_is_110(
    platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    await online_device(platform, module, port)
    await port.ask("ATE1", framed("OK"))
    line = 'AT+CIOTDAT=0,1,"a,,1"'
    port.send(line)
    await port.expect(line.encode() + b"\r\n")  # the module has it, and waits on the network
    await module.drop_cloud()
    await port.expect(framed("+ERR=-110"))


# --- binary -----------------------------------------------------------------------------------


@pytest.mark.parametrize("encrypt", [0, 1])
async def test_binary_upload_in_chunks(
    encrypt: int, platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    device_id = await online_device(platform, module, port, encrypt)
    await port.ask("AT+CIOTBINSET=5,image,4", framed("+OK"))
    await port.ask('AT+CIOTBINSEND=2,"01aa"', framed("+OK"))
    await port.ask("AT+CIOTBINSEND=3,55FF00", framed("+ERR=-108"))  # past the total
    await port.ask("AT+CIOTBINSEND=3,55FF", framed("+ERR=-108"))  # bin_len is not 2
    await port.ask("AT+CIOTBINSEND=2,55FG", framed("+ERR=-108"))
    await port.ask("AT+CIOTBINEND", framed("+ERR=-107"))  # not all there: upload dropped
    await port.ask("AT+CIOTBINSET=5,image,4", framed("+OK"))
    await port.ask('AT+CIOTBINSEND=2,"01aa"', framed("+OK"))
    await port.ask("AT+CIOTBINSEND=2,55FF", framed("+OK", "BIN SEND OVER!", "SAVE succ!msg:5"))
    await port.ask("AT+CIOTBINSEND=1,00", framed("+ERR=-106"))  # already complete
    await port.ask("AT+CIOTBINEND", framed("+OK="))
    point = await platform.wait_datapoint(device_id, "image")
    assert (point.descriptor, point.data) == ({"ds_id": "image"}, b"\x01\xaa\x55\xff")


async def test_binsend_after_the_link_dropped_is_105(
    platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    await online_device(platform, module, port)
    await port.ask("AT+CIOTBINSET=0,image,2", framed("+OK"))
    await module.drop_cloud()
    await port.ask("AT+CIOTBINSEND=2,0102", framed("+ERR=-105"))
    await port.ask("AT+CIOTBINEND", framed("+ERR=-107"))


# --- AT+CIOTSEND ------------------------------------------------------------------------------


@pytest.mark.parametrize("encrypt", [0, 1])
async def test_send_is_start_dat_quit_in_one(
    encrypt: int, platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    await provision(port)
    device_id = module.stored.device_id
    assert device_id is not None
    await port.ask(
        f'AT+CIOTSEND={encrypt},361,3,"teet1,,22.5;teet2,,35%;teet3,,89"',
        framed("SAVE succ!msg:361", "+OK"),
    )
    assert not module.online
    point = await platform.wait_datapoint(device_id, "teet3")
    assert point.value == 89
    await port.ask('AT+CIOTSEND=0,0,1,"teet1,,1"', framed("+OK"))
    await platform.wait_datapoint(device_id, "teet1", after=1)


async def test_send_while_online_is_106(
    platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    await online_device(platform, module, port)
    await port.ask('AT+CIOTSEND=0,0,1,"a,,1"', framed("+ERR=-106"))
    assert module.online


async def test_send_without_an_edp_server_is_109() -> None:
    peer = EdpPeer()
    closed_port = await peer.start()
    await peer.stop()
    async with running(edp_port=closed_port) as module, attached(module) as port:
        await port.ask('AT+CIOTCONNECTPARA=1,"1","k"', framed("+OK"))
        await port.ask('AT+CIOTSEND=0,1,1,"a,,1"', framed("+ERR=-109"))


async def test_send_without_an_ack_in_time_is_110() -> None:
    peer = EdpPeer()  # logs in, never acknowledges
    await peer.start()
    config = ModuleConfig(send_timeout=0.3)
    async with running(edp_port=peer.port, config=config) as module, attached(module) as port:
        await port.ask('AT+CIOTCONNECTPARA=1,"1","k"', framed("+OK"))
        await port.ask('AT+CIOTSEND=0,9,1,"a,,1"', framed("+ERR=-110"))
        assert not module.online
    await peer.stop()


async def test_send_when_the_platform_hung_up_first_is_111() -> None:
    def ack_then_close(_peer: EdpPeer, message: Message) -> list[Message] | None:
        if isinstance(message, ConnReq):
            return [ConnResp(0)]
        if isinstance(message, SaveData) and message.msg_id is not None:
            return [SaveAck(message.msg_id), ConnClose(0)]
        return []

    peer = EdpPeer(script=ack_then_close)
    await peer.start()
    async with running(edp_port=peer.port) as module, attached(module) as port:
        await port.ask('AT+CIOTCONNECTPARA=1,"1","k"', framed("+OK"))
        await port.ask('AT+CIOTSEND=0,4,1,"a,,1"', framed("SAVE succ!msg:4", "+ERR=-111"))
    await peer.stop()


# --- AT+CIOTPING ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dialect", "answer"),
    [
        (Dialect.DOCUMENTED, "+OK PING succ!"),
        (Dialect.PING_COLON, "+CIOTPING: OK"),
        (Dialect.PLAIN_RESULT, "OK"),
    ],
)
async def test_ping_answered_by_the_platform(
    dialect: Dialect,
    answer: str,
    platform: PlatformEmulator,
    module: ModuleEmulator,
    port: SerialClient,
) -> None:
    await online_device(platform, module, port)
    module.set_dialect(dialect)
    await port.ask("AT+CIOTPING", framed(answer))


async def test_ping_without_an_answer_is_err() -> None:
    peer = EdpPeer()
    await peer.start()
    config = ModuleConfig(ping_timeout=0.2)
    async with running(edp_port=peer.port, config=config) as module, attached(module) as port:
        await port.ask('AT+CIOTCONNECTPARA=1,"1","k"', framed("+OK"))
        await port.ask("AT+CIOTSTART=0", framed("+OK"))
        await port.ask("AT+CIOTPING", framed("+ERR"))
        await peer.wait_for(PingReq)  # it was sent (this times out otherwise)
    await peer.stop()


# --- downlink, idle limit, platform hang-up ----------------------------------------------------


@pytest.mark.parametrize(
    ("module_options", "prefix"),
    [({"dialect": Dialect.DOCUMENTED}, b"+IOTCMD="), ({"dialect": Dialect.CIOTCMD}, b"+CIOTCMD:")],
    ids=["documented", "ciotcmd"],
)
async def test_platform_commands_are_printed_and_answered(
    prefix: bytes, platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    device_id = await online_device(platform, module, port)
    body = "开灯,on;1".encode()
    uuid = await platform.send_command(device_id, body)
    assert len(body) == 11  # bytes, not characters
    await port.expect(framed(prefix + b"11," + body))
    assert await platform.wait_command_response(uuid) == b""


@pytest.mark.parametrize("module_options", [{"config": ModuleConfig(cmd_reply=b"ok")}])
async def test_the_command_reply_is_configurable(
    platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    device_id = await online_device(platform, module, port, encrypt=1)
    uuid = await platform.send_command(device_id, b"x")
    await port.expect(framed("+IOTCMD=1,x"))
    assert await platform.wait_command_response(uuid) == b"ok"


async def test_the_link_drops_after_the_idle_limit() -> None:
    peer = EdpPeer()  # a platform that never hangs up by itself
    await peer.start()
    config = ModuleConfig(idle_timeout=0.3)
    async with running(edp_port=peer.port, config=config) as module, attached(module) as port:
        await port.ask('AT+CIOTCONNECTPARA=1,"1","k"', framed("+OK"))
        await port.ask("AT+CIOTSTART=0", framed("+OK"))
        async with asyncio.timeout(5):
            await peer.disconnected.wait()  # the module closed the connection
        await port.ask("AT+CIOTSTATUS", framed("+OK=Device_down"))
        await port.ask('AT+CIOTDAT=0,1,"a,,1"', framed("+ERR=-105"))
    await peer.stop()


@pytest.mark.parametrize(
    "module_options", [{"config": ModuleConfig(idle_timeout=2.0), "cloud_latency": 0.6}]
)
async def test_traffic_keeps_the_link_up(
    platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    # Between two pings the link is silent for the turnaround alone: a busy machine has 1.4 s
    # of it (the idle time less a ping's latency) before the link drops.
    device_id = await online_device(platform, module, port)
    loop = asyncio.get_running_loop()
    started = loop.time()
    for _ in range(4):  # each ping waits 0.6 s of latency, then restarts the idle time
        await port.ask("AT+CIOTPING", framed("+OK PING succ!"))
    assert loop.time() - started > module.config.idle_timeout
    assert platform.is_online(device_id)
    await port.ask("AT+CIOTSTATUS", framed("+OK=device_up"))


async def test_a_platform_hang_up_takes_the_link_down(
    platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    device_id = await online_device(platform, module, port)
    assert await platform.kick(device_id, 1)
    await platform.wait_online(device_id, online=False)
    await port.ask("AT+CIOTPING", framed("+ERR"))
    await port.ask("AT+CIOTSTATUS", framed("+OK=Device_down"))


# --- EDP failures the platform emulator does not make ------------------------------------------


def hang_up_on_login(_peer: EdpPeer, message: Message) -> list[Message] | None:
    """Close the connection instead of answering CONNREQ."""
    return None if isinstance(message, ConnReq) else []


def no_key_exchange(_peer: EdpPeer, message: Message) -> list[Message] | None:
    """Answer ENCRYPTREQ with a CONNRESP (no ENCRYPTRESP)."""
    return [ConnResp(0)] if isinstance(message, EncryptReq) else []


@pytest.mark.parametrize(("script", "encrypt"), [(hang_up_on_login, 0), (no_key_exchange, 1)])
async def test_a_broken_login_exchange_is_109(
    script: Callable[[EdpPeer, Message], list[Message] | None], encrypt: int
) -> None:
    peer = EdpPeer(script=script)
    await peer.start()
    async with running(edp_port=peer.port) as module, attached(module) as port:
        await port.ask('AT+CIOTCONNECTPARA=1,"1","k"', framed("+OK"))
        await port.ask(f"AT+CIOTSTART={encrypt}", framed("+ERR=-109"))
    await peer.stop()


def refusing_json_acks(_peer: EdpPeer, message: Message) -> list[Message] | None:
    """Log in, then refuse every save with a JSON SAVEACK and greet with a PUSHDATA."""
    if isinstance(message, ConnReq):
        return [ConnResp(0), Unknown(0x30, b"\x00\x00hi")]
    if isinstance(message, SaveData):
        return [SaveAckJson({"errno": 6, "error": "invalid parameter"})]
    return []


async def test_a_refused_save_prints_no_success() -> None:
    peer = EdpPeer(script=refusing_json_acks)
    await peer.start()
    config = ModuleConfig(ping_timeout=0.2)
    async with running(edp_port=peer.port, config=config) as module, attached(module) as port:
        await port.ask('AT+CIOTCONNECTPARA=1,"1","k"', framed("+OK"))
        await port.ask("AT+CIOTSTART=0", framed("+OK"))
        await port.ask('AT+CIOTDAT=3,1,"a,,1"', framed("+OK"))
        await peer.wait_for(SaveData)
        await port.ask("AT+CIOTPING", framed("+ERR"))  # the peer answers no ping either
        assert b"SAVE succ" not in module.printed
    await peer.stop()


def garbage_after_login(_peer: EdpPeer, message: Message) -> list[Message] | None:
    """Log in, then send a packet with a bad type byte when the device pings."""
    if isinstance(message, ConnReq):
        return [ConnResp(0)]
    if isinstance(message, PingReq):
        return [Unknown(0x31, b"")]
    return []


async def test_garbage_from_the_platform_drops_the_link() -> None:
    peer = EdpPeer(script=garbage_after_login)
    await peer.start()
    config = ModuleConfig(ping_timeout=5)
    async with running(edp_port=peer.port, config=config) as module, attached(module) as port:
        await port.ask('AT+CIOTCONNECTPARA=1,"1","k"', framed("+OK"))
        await port.ask("AT+CIOTSTART=0", framed("+OK"))
        await port.ask("AT+CIOTPING", framed("+ERR"))  # the link fails before any PINGRESP
        await port.ask("AT+CIOTSTATUS", framed("+OK=Device_down"))
    await peer.stop()


def close_on_save(_peer: EdpPeer, message: Message) -> list[Message] | None:
    """Log in, then hang up when data arrives."""
    if isinstance(message, ConnReq):
        return [ConnResp(0)]
    return None if isinstance(message, SaveData) else []


async def test_send_whose_link_drops_before_the_ack_is_110_at_once() -> None:
    peer = EdpPeer(script=close_on_save)
    await peer.start()
    # No SAVEACK within `send_timeout` is -110 too: an hour of it leaves the drop alone to
    # answer within `ask`'s few seconds.
    config = ModuleConfig(send_timeout=3600)
    async with running(edp_port=peer.port, config=config) as module, attached(module) as port:
        await port.ask('AT+CIOTCONNECTPARA=1,"1","k"', framed("+OK"))
        await port.ask('AT+CIOTSEND=0,8,1,"a,,1"', framed("+ERR=-110"))
    await peer.stop()


@pytest.mark.parametrize("module_options", [{"cloud_latency": 0.2}])
async def test_every_cloud_operation_pays_the_cellular_latency(port: SerialClient) -> None:
    await port.ask(MKEY, MKEY_OK)  # local: no latency
    loop = asyncio.get_running_loop()
    started = loop.time()
    await port.ask("AT+CIOTINIT", framed("+OK"))  # POST /devices, POST /keys
    assert loop.time() - started >= 0.4
    await port.ask("AT+CIOTCONNECTPARA=0", framed("+OK"))
    started = loop.time()
    await port.ask('AT+CIOTSEND=0,0,1,"a,,1"', framed("+OK"))  # login, data
    assert loop.time() - started >= 0.4


@pytest.mark.parametrize("platform_options", [{"saveack_form": SaveAckForm.JSON_FOR_BINARY}])
async def test_a_json_saveack_after_a_binary_names_the_binary_msg_id(
    platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    await online_device(platform, module, port)
    await port.ask('AT+CIOTDAT=2,1,"a,,1"', framed("+OK", "SAVE succ!msg:2"))
    await port.ask("AT+CIOTBINSET=3,bin1,1", framed("+OK"))
    await port.ask("AT+CIOTBINSEND=1,7F", framed("+OK", "BIN SEND OVER!", "SAVE succ!msg:3"))
    await port.ask("AT+CIOTBINEND", framed("+OK="))


async def test_the_wire_bytes_match_the_edp_document() -> None:
    """Raw TCP, no codec: CONNREQ is the document's worked example, SAVEDATA its layout."""
    received: asyncio.Queue[bytes] = asyncio.Queue()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await received.put(await reader.readexactly(27))
        writer.write(bytes.fromhex("20020000"))
        await received.put(await reader.readexactly(28))
        writer.write(bytes.fromhex("9004400001" + "00"))
        await received.put(await reader.readexactly(2))
        writer.write(bytes.fromhex("d000"))
        await reader.read()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    edp_port = server.sockets[0].getsockname()[1]
    config = ModuleConfig(idle_timeout=300)
    async with running(edp_port=edp_port, config=config) as module, attached(module) as port:
        await port.ask('AT+CIOTCONNECTPARA=1,"43101","abcdefg"', framed("+OK"))
        await port.ask("AT+CIOTSTART=0", framed("+OK"))
        assert await received.get() == bytes.fromhex(
            "10 19 00 03 45 44 50 01 40 01 2C 00 05 34 33 31 30 31 00 07 61 62 63 64 65 66 67"
        )
        await port.ask('AT+CIOTDAT=1,2,"temp,,22.5;hum,,60"', framed("+OK", "SAVE succ!msg:1"))
        text = b",;temp,,22.5;hum,,60"
        assert await received.get() == bytes.fromhex("80 1a 40 00 01 05 00 14") + text
        await port.ask("AT+CIOTPING", framed("+OK PING succ!"))
        assert await received.get() == bytes.fromhex("c0 00")
        await port.ask("AT+CIOTQUIT", framed("+OK"))
    server.close()
    await server.wait_closed()


def silent_on_login(_peer: EdpPeer, _message: Message) -> list[Message] | None:
    """Accept the TCP connection and never answer anything."""
    return []


async def test_send_whose_login_never_ends_is_109_after_the_deadline() -> None:
    peer = EdpPeer(script=silent_on_login)
    await peer.start()
    config = ModuleConfig(send_timeout=0.3)
    async with running(edp_port=peer.port, config=config) as module, attached(module) as port:
        await port.ask('AT+CIOTCONNECTPARA=1,"1","k"', framed("+OK"))
        await port.ask('AT+CIOTSEND=0,0,1,"a,,1"', framed("+ERR=-109"))
        async with asyncio.timeout(5):
            await peer.disconnected.wait()  # the half-made connection was closed
    await peer.stop()


async def test_a_reboot_during_a_login_closes_the_connection() -> None:
    peer = EdpPeer(script=silent_on_login)
    await peer.start()
    async with running(edp_port=peer.port) as module, attached(module, echo=True) as port:
        await port.ask(
            'AT+CIOTCONNECTPARA=1,"1","k"', b'AT+CIOTCONNECTPARA=1,"1","k"\r\n' + framed("+OK")
        )
        port.send("AT+CIOTSTART=0")
        await peer.wait_for(ConnReq)  # the module is waiting for CONNRESP
        await module.reboot()
        async with asyncio.timeout(5):
            await peer.disconnected.wait()
        await port.expect(b"AT+CIOTSTART=0\r\n" + framed("RDY"))
        assert not module.online
    await peer.stop()


async def test_an_ack_faster_than_the_answer_still_follows_it(
    platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    device_id = await online_device(platform, module, port)
    module.delay_answers(0.3)  # the SAVEACK arrives while `+OK` is held back
    await port.ask('AT+CIOTDAT=77,1,"a,,1"', framed("+OK", "SAVE succ!msg:77"))
    assert platform.datapoints(device_id, "a")


# --- what the module wrote and read over EDP --------------------------------------------------


async def test_the_edp_byte_count_is_every_packet_both_ways(
    platform: PlatformEmulator, module: ModuleEmulator, port: SerialClient
) -> None:
    device_id = await online_device(platform, module, port)
    await port.ask('AT+CIOTDAT=7,1,"a,,1"', framed("+OK", "SAVE succ!msg:7"))
    await port.ask("AT+CIOTPING", framed("+OK PING succ!"))
    sent: list[Message] = [
        ConnReq(device_id, DEFAULT_MASTER_KEY, keepalive=128),
        SaveData.split_string(",;a,,1", 7),
        PingReq(),
    ]
    received: list[Message] = [ConnResp(0), SaveAck(7), PingResp()]
    assert module.edp_bytes.written == sum(len(encode(message)) for message in sent)
    assert module.edp_bytes.messages_written == len(sent)
    assert module.edp_bytes.read == sum(len(encode(message)) for message in received)
