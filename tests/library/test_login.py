"""The library's protocol sequences: who answers on a port, and logging in in each mode."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from custom_components.onenet_m6311.m6311 import (
    ConnectMode,
    DeviceConnectError,
    LoginRefusedError,
    LoginSettings,
    LoginUnconfirmedError,
    LoginUnreachableError,
    ModuleInfo,
    NoDeviceIdError,
    NotAnM6311Error,
    Provisioning,
)
from custom_components.onenet_m6311.m6311 import client as client_module

if TYPE_CHECKING:
    from custom_components.onenet_m6311.m6311.client import M6311Client

    from .fake_module import FakeModule, Reply

from .fake_module import Timed

OK = b"\r\nOK\r\n"
PLUS_OK = b"\r\n+OK\r\n"
IMEI = b"\r\n867567041234567\r\n\r\nOK\r\n"
UP = b"\r\n+OK=device_up\r\n"
DOWN = b"\r\n+OK=Device_down\r\n"
MASTER_KEY = "syp2wjH2rowlyX1H7bqwynVVnK8="


def identify_replies(provisioning: bytes = PLUS_OK) -> dict[str, Reply]:
    return {"AT": OK, "ATE0": OK, "AT+CGSN": IMEI, "AT+CIOT?": provisioning}


async def test_identify(fake: FakeModule, client: M6311Client) -> None:
    fake.replies = identify_replies(b"\r\n+ERR=-103\r\n")
    assert await client.identify() == ModuleInfo("867567041234567", Provisioning.NO_DEVICE_ID)
    assert fake.received == ["AT", "ATE0", "AT+CGSN", "AT+CIOT?"]


async def test_identify_wakes_a_module_whose_first_at_meets_noise(
    fake: FakeModule, client: M6311Client
) -> None:
    answers = iter([b"\r\nERROR\r\n", OK])
    fake.replies = {**identify_replies(), "AT": lambda _line: next(answers)}
    assert (await client.identify()).provisioning is Provisioning.COMPLETE
    assert fake.received[:3] == ["AT", "AT", "ATE0"]


async def test_identify_a_plain_result_firmware(fake: FakeModule, client: M6311Client) -> None:
    # Its errors carry no code: AT+CIOT? says only ERROR; AT+CIOTSTATUS proves it an M6311.
    fake.replies = {**identify_replies(b"\r\nERROR\r\n"), "AT+CIOTSTATUS": UP}
    assert (await client.identify()).provisioning is Provisioning.NO_MASTER_KEY


async def test_identify_another_modem(fake: FakeModule, client: M6311Client) -> None:
    fake.replies = identify_replies(b"\r\nERROR\r\n")  # and AT+CIOTSTATUS unknown as well
    fake.fallback = b"\r\nERROR\r\n"
    with pytest.raises(NotAnM6311Error, match="answers AT, but not as an M6311"):
        await client.identify()


@pytest.mark.parametrize(
    ("settings", "parameters"),
    [
        (LoginSettings(ConnectMode.STORED_DEVICE), "AT+CIOTCONNECTPARA=0"),
        (
            LoginSettings(ConnectMode.DEVICE_ID, device_id="35270468", master_key=MASTER_KEY),
            f'AT+CIOTCONNECTPARA=1,"35270468","{MASTER_KEY}"',
        ),
        (
            LoginSettings(
                ConnectMode.PROJECT_AUTH, project_id="23219", auth_key="SYS", auth_value="89860"
            ),
            'AT+CIOTCONNECTPARA=2,"23219","SYS","89860"',
        ),
    ],
)
async def test_login_in_each_mode(
    fake: FakeModule, client: M6311Client, settings: LoginSettings, parameters: str
) -> None:
    statuses = iter([DOWN, UP])
    fake.replies = {
        parameters: PLUS_OK,
        "AT+CIOTSTATUS": lambda _line: next(statuses),
        "AT+CIOTSTART=0": PLUS_OK,
    }
    await client.login(settings)
    assert fake.received == [parameters, "AT+CIOTSTATUS", "AT+CIOTSTART=0", "AT+CIOTSTATUS"]


async def test_login_closes_a_login_left_from_before_and_encrypts(
    fake: FakeModule, client: M6311Client
) -> None:
    statuses = iter([UP, UP])
    fake.replies = {
        "AT+CIOTCONNECTPARA=0": PLUS_OK,
        "AT+CIOTSTATUS": lambda _line: next(statuses),
        "AT+CIOTQUIT": PLUS_OK,
        "AT+CIOTSTART=1": PLUS_OK,
    }
    await client.login(LoginSettings(ConnectMode.STORED_DEVICE, encrypt=True))
    assert fake.received == [
        "AT+CIOTCONNECTPARA=0",
        "AT+CIOTSTATUS",
        "AT+CIOTQUIT",
        "AT+CIOTSTART=1",
        "AT+CIOTSTATUS",
    ]


@pytest.mark.parametrize(
    ("signal", "error"),
    [
        (b"\r\n+CSQ: 99,99\r\n\r\nOK\r\n", LoginUnreachableError),  # no signal: the network
        (b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n", LoginRefusedError),  # a signal: the credentials
        (b"\r\nERROR\r\n", LoginRefusedError),  # cannot tell: as -109 always read
    ],
)
async def test_a_refused_login_is_told_apart_from_no_network(
    fake: FakeModule, client: M6311Client, signal: bytes, error: type[Exception]
) -> None:
    fake.replies = {
        "AT+CIOTCONNECTPARA=0": PLUS_OK,
        "AT+CIOTSTATUS": DOWN,
        "AT+CIOTSTART=0": b"\r\n+ERR=-109\r\n",
        "AT+CSQ": signal,
    }
    with pytest.raises(error, match=r"\(-109\)"):
        await client.login(LoginSettings(ConnectMode.STORED_DEVICE))


async def test_a_start_that_never_comes_up_is_slow_not_refused(
    fake: FakeModule, client: M6311Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `OK`, then the status stays down and no CONNECT comes: nothing says the credentials are
    # wrong, so the error must not count toward asking for new ones.
    monkeypatch.setattr(client_module, "LOGIN_CONFIRM_TIMEOUT", 1.5)
    fake.replies = {
        "AT+CIOTCONNECTPARA=0": PLUS_OK,
        "AT+CIOTSTATUS": DOWN,
        "AT+CIOTSTART=0": PLUS_OK,
        "AT+CSQ": b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n",
    }
    with pytest.raises(LoginUnconfirmedError) as caught:
        await client.login(LoginSettings(ConnectMode.STORED_DEVICE))
    assert not isinstance(caught.value, DeviceConnectError)
    assert fake.received.count("AT+CIOTSTATUS") >= 2  # asked again while waiting


async def test_a_login_reported_after_its_ok_is_up(fake: FakeModule, client: M6311Client) -> None:
    # Newer firmware: `OK` at once, `CONNECT OK` 1.5 s later (the real M6311R driver waits up
    # to 10 s for it); AT+CIOTSTATUS says down until then.
    connected = asyncio.Event()
    fake.replies = {
        "AT+CIOTCONNECTPARA=0": OK,
        "AT+CIOTSTATUS": lambda _line: (
            b"\r\n+CIOTSTATUS: 1\r\n\r\nOK\r\n"
            if connected.is_set()
            else b"\r\n+CIOTSTATUS: 0\r\n\r\nOK\r\n"
        ),
        "AT+CIOTSTART=0": OK,
    }
    task = asyncio.create_task(client.login(LoginSettings(ConnectMode.STORED_DEVICE)))
    await asyncio.sleep(1.5)
    connected.set()
    fake.write(b"\r\nCONNECT OK\r\n")
    await task  # no LoginRefusedError


async def test_a_login_answered_by_connect_alone(fake: FakeModule, client: M6311Client) -> None:
    # No `OK` at all after AT+CIOTSTART: `CONNECT OK` is its answer, well within 10 s.
    fake.replies = {
        "AT+CIOTCONNECTPARA=0": OK,
        "AT+CIOTSTATUS": b"\r\n+CIOTSTATUS: 0\r\n\r\nOK\r\n",
        "AT+CIOTSTART=0": Timed.after(1.0, b"\r\nCONNECT OK\r\n"),
        "AT+CSQ": b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n",
    }
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with asyncio.timeout(10):
        await client.login(LoginSettings(ConnectMode.STORED_DEVICE))
    assert loop.time() - started >= 1.0
    # The line stays in step: the next command takes its own answer.
    assert (await client.read_signal()).rssi == 20


@pytest.mark.parametrize(
    "start",
    [
        OK + b"\r\nCONNECT FAIL\r\n",
        Timed(((0.0, OK), (1.0, b"\r\nCONNECT FAIL\r\n"))),
        Timed.after(0.5, b"\r\nCONNECT FAIL\r\n"),
    ],
)
async def test_a_login_the_module_says_failed_is_refused(
    fake: FakeModule, client: M6311Client, start: Reply
) -> None:
    fake.replies = {
        "AT+CIOTCONNECTPARA=0": OK,
        "AT+CIOTSTATUS": b"\r\n+CIOTSTATUS: 0\r\n\r\nOK\r\n",
        "AT+CIOTSTART=0": start,
        "AT+CSQ": b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n",
    }
    with pytest.raises(LoginRefusedError):
        await client.login(LoginSettings(ConnectMode.STORED_DEVICE))


async def test_other_login_failures_keep_their_own_error(
    fake: FakeModule, client: M6311Client
) -> None:
    fake.replies = {
        "AT+CIOTCONNECTPARA=0": PLUS_OK,
        "AT+CIOTSTATUS": DOWN,
        "AT+CIOTSTART=0": b"\r\n+ERR=-103\r\n",
    }
    with pytest.raises(NoDeviceIdError):
        await client.login(LoginSettings(ConnectMode.STORED_DEVICE))


async def test_login_settings_keep_secrets_out_of_their_repr() -> None:
    settings = LoginSettings(ConnectMode.PROJECT_AUTH, master_key="mk-secret", auth_value="av")
    assert "mk-secret" not in repr(settings)
    assert settings.secrets == ("mk-secret", "av")


async def test_message_ids_go_round(client: M6311Client) -> None:
    assert [client.next_msg_id() for _ in range(3)] == [1, 2, 3]
    client._msg_id = 65534
    assert [client.next_msg_id() for _ in range(2)] == [65535, 1]
    client._msg_id = 65533
    assert [client.next_msg_id(one_shot=True) for _ in range(2)] == [65534, 1]


@pytest.mark.parametrize(
    ("master_key", "sent"),
    [
        (MASTER_KEY, [f'AT+CIOTMKEY="{MASTER_KEY}"', "AT+CIOTINIT", "AT+CIOTID?"]),
        (None, ["AT+CIOTINIT", "AT+CIOTID?"]),  # the stored device, checked (or made again)
    ],
)
async def test_provision_a_module_held_device(
    fake: FakeModule, client: M6311Client, master_key: str | None, sent: list[str]
) -> None:
    fake.replies = {
        f'AT+CIOTMKEY="{MASTER_KEY}"': f"\r\n+OK={MASTER_KEY}\r\n".encode(),
        "AT+CIOTINIT": PLUS_OK,
        "AT+CIOTID?": b"\r\n+OK=1088826\r\n",
    }
    assert await client.provision(master_key) == "1088826"
    assert fake.received == sent
