"""The client against what real firmware of this family prints (docs/protocol.md, evidence).

Each test scripts the module's side byte for byte, as drivers of real M6311R and M6312 modules
expect it: network reports at any moment, the IMEI in each of its forms, a module that is
still starting. The quoted master key, the login reported after its `OK` and the payload read
by its length have their tests beside the rest of their kind (test_commands, test_login,
test_answer_matching).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from custom_components.onenet_m6311.m6311 import (
    ConnectMode,
    LinkStatus,
    LoginSettings,
    M6311TimeoutError,
    ModeRefusedError,
    ModuleEvent,
    NetworkReport,
    NoDeviceIdError,
    NotAnM6311Error,
    Provisioning,
    commands,
)
from custom_components.onenet_m6311.m6311 import client as client_module
from custom_components.onenet_m6311.m6311.commands import Command
from custom_components.onenet_m6311.m6311.responses import (
    FINAL_QUIET,
    TRANSPORT_PATIENCE,
    LineDecoder,
)

from .fake_module import Timed

if TYPE_CHECKING:
    from custom_components.onenet_m6311.m6311.client import M6311Client

    from .fake_module import FakeModule

OK = b"\r\nOK\r\n"
IMEI = "867567041234567"
REPORTS = [
    b"+CREG: 1",
    b"+CGREG: 0,1",
    b"+CEREG: 1",
    b"+CTZV: 18/01/05,08:00:00,+32",
    b"+CPIN: READY",
    b"Call Ready",
    b"SMS Ready",
]


def framed(*lines: bytes) -> bytes:
    return b"".join(b"\r\n" + line + b"\r\n" for line in lines)


@pytest.mark.parametrize("report", REPORTS)
async def test_a_report_before_the_answer_is_not_the_device_id(
    fake: FakeModule, client: M6311Client, report: bytes
) -> None:
    events: list[ModuleEvent] = []
    client.subscribe(events.append)
    fake.replies = {"AT+CIOTID?": framed(report, b"+CIOTID: 1088826", b"OK")}
    assert await client.read_device_id() == "1088826"
    assert [type(event) for event in events] == [NetworkReport]


@pytest.mark.parametrize("report", REPORTS)
async def test_a_report_inside_an_answer_is_not_the_firmware(
    fake: FakeModule, client: M6311Client, report: bytes
) -> None:
    fake.replies = {"AT+CGMR": framed(report, b"M6311R01A01V02", report, b"OK")}
    assert await client.read_firmware() == "M6311R01A01V02"


async def test_reports_between_answers_leave_every_answer_to_its_command(
    fake: FakeModule, client: M6311Client
) -> None:
    events: list[ModuleEvent] = []
    client.subscribe(events.append)
    fake.replies = {
        "AT+CGSN": framed(b"+CREG: 1", IMEI.encode(), b"+CTZV: 18/01/05,08:00:00,+32", b"OK"),
        "AT+CSQ": framed(b"+CSQ: 20,99", b"+CGREG: 0,5", b"OK"),
        "AT+CIOTSTATUS": framed(b"+CEREG: 1", b"+CIOTSTATUS: 1", b"OK"),
        "AT": OK,
    }
    assert await client.read_imei() == IMEI
    assert (await client.read_signal()).rssi == 20
    assert await client.read_status() is LinkStatus.UP
    fake.write(framed(b"+CREG: 2"))  # between commands: an event too
    await client.check_alive()
    kinds = [event.kind for event in events if isinstance(event, NetworkReport)]
    assert kinds == ["CREG", "CTZV", "CGREG", "CEREG", "CREG"]


async def test_a_query_of_the_same_family_takes_the_report_as_its_answer(
    fake: FakeModule, client: M6311Client
) -> None:
    # AT+CREG? answers `+CREG: 0,1`: the line a report also starts with.
    events: list[ModuleEvent] = []
    client.subscribe(events.append)
    query = Command("CREG", "AT+CREG?", 5.0, "AT+CREG?", claims=("+CREG:",))
    fake.replies = {"AT+CREG?": framed(b"+CGREG: 1", b"+CREG: 0,1", b"OK")}
    response = await client.execute(query)
    assert response.lines == ("+CREG: 0,1",)
    assert events == [NetworkReport("CGREG", "1", "+CGREG: 1")]


@pytest.mark.parametrize(
    "answer",
    [
        framed(IMEI.encode(), b"OK"),
        framed(b"+CGSN: " + IMEI.encode(), b"OK"),
        framed(b"+CGSN: 1," + IMEI.encode(), b"OK"),
        framed(b"+CGSN:1, " + IMEI.encode(), b"OK"),
    ],
)
async def test_identify_reads_the_imei_in_every_form(
    fake: FakeModule, client: M6311Client, answer: bytes
) -> None:
    fake.replies = {"AT": OK, "ATE0": OK, "AT+CGSN": answer, "AT+CIOT?": framed(b"+OK")}
    assert (await client.identify()).imei == IMEI


async def test_a_module_still_starting_is_waited_for(fake: FakeModule, client: M6311Client) -> None:
    # Silent at first (real drivers wait 15 s after power-on), then its start-up lines.
    ready = asyncio.Event()

    fake.replies = {
        "AT": lambda _line: OK if ready.is_set() else b"",
        "ATE0": OK,
        "AT+CGSN": framed(b"+CGSN: 1," + IMEI.encode(), b"OK"),
        "AT+CIOT?": framed(b"+OK"),
    }

    async def start_up() -> None:
        await asyncio.sleep(2.5)
        ready.set()
        fake.write(framed(b"RDY", b"+CPIN: READY", b"Call Ready", b"SMS Ready"))

    starting = asyncio.create_task(start_up())
    module = await client.identify()
    await starting
    assert module.imei == IMEI
    assert module.provisioning is Provisioning.COMPLETE


async def test_a_module_that_refuses_commands_while_starting_is_an_m6311(
    fake: FakeModule, client: M6311Client
) -> None:
    # `AT` answers at once, the rest is refused until the module is ready.
    ready = asyncio.Event()
    error = framed(b"+CME ERROR: 14")  # 27.007: SIM busy

    fake.replies = {
        "AT": OK,
        "ATE0": OK,
        "AT+CGSN": lambda _line: framed(IMEI.encode(), b"OK") if ready.is_set() else error,
        "AT+CIOT?": framed(b"+OK"),
    }
    asyncio.get_running_loop().call_later(2.0, ready.set)
    assert (await client.identify()).imei == IMEI


async def test_a_modem_without_the_commands_is_told_after_the_start_up_wait(
    fake: FakeModule, client: M6311Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "STARTUP_TIMEOUT", 2.0)
    fake.replies = {"AT": OK, "ATE0": OK, "AT+CGSN": framed(IMEI.encode(), b"OK")}
    fake.fallback = framed(b"ERROR")
    with pytest.raises(NotAnM6311Error):
        await client.identify()


async def test_a_silent_port_is_not_an_m6311_error(
    fake: FakeModule, client: M6311Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing answers at all: a timeout (the flow's "no answer"), never "not an M6311".
    monkeypatch.setattr(client_module, "STARTUP_TIMEOUT", 2.0)
    fake.replies = {}
    with pytest.raises(M6311TimeoutError) as caught:
        await client.identify()
    assert not isinstance(caught.value, NotAnM6311Error)


def test_the_master_key_goes_quoted() -> None:
    # The document's example (section 4.2.1) and every real driver quote it.
    assert commands.set_master_key("Mk1=").line == 'AT+CIOTMKEY="Mk1="'


UP = framed(b"+CIOTSTATUS: 1", b"OK")
DOWN = framed(b"+CIOTSTATUS: 0", b"OK")


async def test_mode_2_on_firmware_that_speaks_only_the_m6311r_set(
    fake: FakeModule, client: M6311Client
) -> None:
    # The document's mode 2 is refused; the M6311R's commands store the project and the auth
    # info, and a bare AT+CIOTCONNECTPARA=1 logs in with them (docs/protocol.md, §14).
    statuses = iter([DOWN, UP])
    fake.replies = {
        'AT+CIOTCONNECTPARA=2,"23219","SYS","89860"': framed(b"ERROR"),
        "AT+CIOTPROID=23219": OK,
        'AT+CIOTAUTHINFO="89860"': OK,
        "AT+CIOTCONNECTPARA=1": OK,
        "AT+CIOTSTATUS": lambda _line: next(statuses),
        "AT+CIOTSTART=0": OK,
    }
    settings = LoginSettings(
        ConnectMode.PROJECT_AUTH, project_id="23219", auth_key="SYS", auth_value="89860"
    )
    await client.login(settings)
    assert fake.received[:4] == [
        'AT+CIOTCONNECTPARA=2,"23219","SYS","89860"',
        "AT+CIOTPROID=23219",
        'AT+CIOTAUTHINFO="89860"',
        "AT+CIOTCONNECTPARA=1",
    ]


@pytest.mark.parametrize("answer", [b"ERROR", b"+ERR=-108"])
async def test_a_mode_neither_set_takes_says_what_the_module_answered(
    fake: FakeModule, client: M6311Client, answer: bytes
) -> None:
    fake.replies = {"AT+CIOTSTATUS": DOWN}
    fake.fallback = framed(answer)
    settings = LoginSettings(
        ConnectMode.PROJECT_AUTH, project_id="23219", auth_key="SYS", auth_value="89860"
    )
    with pytest.raises(ModeRefusedError) as caught:
        await client.login(settings)
    assert caught.value.placeholders == {"mode": "2", "answer": answer.decode()}


async def test_mode_1_has_no_m6311r_counterpart(fake: FakeModule, client: M6311Client) -> None:
    fake.fallback = framed(b"ERROR")
    settings = LoginSettings(ConnectMode.DEVICE_ID, device_id="1088826", master_key="Mk1=")
    with pytest.raises(ModeRefusedError, match="mode 1; it answered ERROR") as caught:
        await client.login(settings)
    assert "Mk1=" not in str(caught.value)
    assert fake.received == ['AT+CIOTCONNECTPARA=1,"1088826","Mk1="']


async def test_other_refusals_of_the_mode_stay_what_they_are(
    fake: FakeModule, client: M6311Client
) -> None:
    fake.fallback = framed(b"+ERR=-103")  # no device stored: not a missing command set
    with pytest.raises(NoDeviceIdError):
        await client.login(LoginSettings(ConnectMode.STORED_DEVICE))


async def test_connect_ok_split_by_a_network_pause_is_not_an_ok(
    fake: FakeModule, client: M6311Client
) -> None:
    # Over Wi-Fi `CONNECT OK` came as `CONN`, `ECT`, then ` OK` 0.35 s later, while a status
    # check waited: ` OK` is the end of the report, not the status's answer.
    events: list[ModuleEvent] = []
    client.subscribe(events.append)
    fake.replies = {
        "AT+CIOTSTATUS": Timed(
            (
                (0.0, b"\r\nCONN"),
                (0.1, b"ECT"),
                (0.35, b" OK\r\n"),
                (0.05, framed(b"+CIOTSTATUS: 1", b"OK")),
            )
        )
    }
    assert await client.read_status() is LinkStatus.UP
    assert [type(event).__name__ for event in events] == ["Connected"]


@pytest.mark.parametrize(
    ("held", "quiet"),
    [
        (b"OK", FINAL_QUIET),
        (b"CONNECT OK", FINAL_QUIET),
        (b"CONNECT FAIL", FINAL_QUIET),
        (b"CONNECT", TRANSPORT_PATIENCE),
        (b"+OK=12", TRANSPORT_PATIENCE),
        (b"+ERR=-10", TRANSPORT_PATIENCE),
        (b"+IOTCMD=10,hello", TRANSPORT_PATIENCE),
        (b"86756704", None),
    ],
)
def test_how_long_a_held_line_waits(held: bytes, quiet: float | None) -> None:
    decoder = LineDecoder()
    assert decoder.feed(b"\r\n" + held) == []
    assert decoder.quiet_needed() == quiet
