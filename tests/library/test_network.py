"""Where the module stands on the network: standard 27.007 answers and reports, over a pty.

Each answer is scripted byte for byte as modules of the family print it (docs/protocol.md,
§15): `+CREG: <n>,<stat>` and its report form `+CREG: <stat>`, `+COPS:` named or not, `+CPIN:`
and the `+CME ERROR: 10` of a module without a SIM, the ICCID bare or after `+CCID:`.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from custom_components.onenet_m6311.m6311 import (
    NetworkReport,
    NetworkStatus,
    Registration,
    SimState,
)
from custom_components.onenet_m6311.m6311 import (
    client as client_module,
)
from custom_components.onenet_m6311.m6311.models import SignalQuality, signal_percent
from custom_components.onenet_m6311.m6311.network import (
    apply_report,
    registration_of,
    sim_state_of,
)

from .fake_module import Timed

if TYPE_CHECKING:
    from custom_components.onenet_m6311.m6311.client import M6311Client
    from custom_components.onenet_m6311.m6311.models import ModuleEvent

    from .fake_module import FakeModule

OK = b"\r\nOK\r\n"


def answer(*lines: bytes) -> bytes:
    return b"".join(b"\r\n" + line + b"\r\n" for line in lines) + OK


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("+CREG: 0,1", (False, Registration.HOME)),
        ("+CREG: 5", (False, Registration.ROAMING)),
        ("+CGREG: 0,2", (True, Registration.SEARCHING)),
        ("+CGREG: 3", (True, Registration.DENIED)),
        ('+CREG: 2,1,"2540","0D5A"', (False, Registration.HOME)),  # with the cell's location
        ("+CREG:0,0", (False, Registration.NOT_REGISTERED)),
        ("+CREG: 0,9", (False, Registration.UNKNOWN)),  # a state 27.007 does not name
        ("+CEREG: 1", None),  # LTE: not what this module has
        ("+CSQ: 20,99", None),
    ],
)
def test_registration_lines(line: str, expected: tuple[bool, Registration] | None) -> None:
    assert registration_of(line) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("+CPIN: READY", SimState.READY),
        ("+CPIN: SIM PIN", SimState.PIN_REQUIRED),
        ("+CPIN: SIM PUK", SimState.PUK_REQUIRED),
        ("+CPIN: NOT INSERTED", SimState.ABSENT),
        ("+CPIN: NOT READY", SimState.NOT_READY),
        ("+CPIN: PH-NET PIN", SimState.NOT_READY),
        ("+CPIN: NO SIM", SimState.ABSENT),  # an M6312 driver's forms
        ("+CPIN: BLOCK", SimState.PUK_REQUIRED),
        ("Call Ready", None),
    ],
)
def test_sim_lines(line: str, expected: SimState | None) -> None:
    assert sim_state_of(line) == expected


def test_reports_change_only_what_they_tell() -> None:
    status = NetworkStatus(Registration.HOME, Registration.HOME, "CHINA MOBILE", SimState.READY)
    lost = apply_report(status, NetworkReport("CGREG", "2", "+CGREG: 2"))
    assert lost == NetworkStatus(
        Registration.HOME, Registration.SEARCHING, "CHINA MOBILE", SimState.READY
    )
    removed = apply_report(status, NetworkReport("CPIN", "NOT INSERTED", "+CPIN: NOT INSERTED"))
    assert removed is not None
    assert removed.sim is SimState.ABSENT
    assert (
        apply_report(
            status, NetworkReport("CTZV", "18/01/05,08:00:00,+32", "+CTZV: 18/01/05,08:00:00,+32")
        )
        is None
    )
    assert apply_report(status, NetworkReport("Call Ready", "", "Call Ready")) is None


async def test_the_whole_network_status(fake: FakeModule, client: M6311Client) -> None:
    fake.replies = {
        "AT+CREG?": answer(b"+CREG: 0,5"),
        "AT+CGREG?": answer(b"+CGREG: 0,1"),
        "AT+COPS?": answer(b'+COPS: 0,0,"CHINA MOBILE"'),
        "AT+CPIN?": answer(b"+CPIN: READY"),
        "AT+CCID?": answer(b"+CCID: 89860012345678901234"),
        "AT+CIMI": answer(b"460001234567890"),
    }
    assert await client.read_network() == NetworkStatus(
        registration=Registration.ROAMING,
        data_registration=Registration.HOME,
        operator="CHINA MOBILE",
        sim=SimState.READY,
    )
    assert await client.read_sim_identity() == ("89860012345678901234", "460001234567890")


async def test_no_sim_and_no_operator(fake: FakeModule, client: M6311Client) -> None:
    fake.replies = {
        "AT+CREG?": answer(b"+CREG: 0,0"),
        "AT+CGREG?": answer(b"+CGREG: 0,0"),
        "AT+COPS?": answer(b"+COPS: 0"),
        "AT+CPIN?": b"\r\n+CME ERROR: 10\r\n",
        "AT+CCID?": b"\r\n+CME ERROR: 10\r\n",
        "AT+CIMI": b"\r\n+CME ERROR: 10\r\n",
    }
    status = await client.read_network()
    assert status.sim is SimState.ABSENT
    assert status.operator is None
    assert status.registration is Registration.NOT_REGISTERED
    assert await client.read_sim_identity() == (None, None)


async def test_a_module_without_these_commands_leaves_them_unknown(
    fake: FakeModule, client: M6311Client
) -> None:
    fake.fallback = b"\r\nERROR\r\n"
    assert await client.read_network() == NetworkStatus()


@pytest.mark.parametrize(
    "line",
    [b"89860012345678901234", b'+CCID: 0,"89860012345678901234"', b"+CCID: 89860012345678901234"],
)
async def test_the_iccid_in_each_form(fake: FakeModule, client: M6311Client, line: bytes) -> None:
    fake.replies = {"AT+CCID?": answer(line), "AT+CIMI": answer(b"460001234567890")}
    assert await client.read_sim_identity() == ("89860012345678901234", "460001234567890")


async def test_a_query_claims_its_report_form_and_other_reports_stay_events(
    fake: FakeModule, client: M6311Client
) -> None:
    # A +CGREG report in the middle of AT+CREG?'s answer is an event, not its value.
    fake.replies = {"AT+CREG?": b"\r\n+CGREG: 2\r\n\r\n+CREG: 0,1\r\n" + OK}
    fake.fallback = b"\r\nERROR\r\n"
    events: list[ModuleEvent] = []
    client.subscribe(events.append)
    status = await client.read_network()
    assert status.registration is Registration.HOME
    assert [event.text for event in events if isinstance(event, NetworkReport)] == ["+CGREG: 2"]


async def test_following_the_network_asks_for_both_reports(
    fake: FakeModule, client: M6311Client
) -> None:
    fake.replies = {"AT+CREG=1": OK, "AT+CGREG=1": b"\r\nERROR\r\n"}  # refused: fine
    await client.follow_network()
    assert fake.received[-2:] == ["AT+CREG=1", "AT+CGREG=1"]


async def test_a_restart_waits_for_the_start_up_line(
    fake: FakeModule, client: M6311Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # OK at once, the start-up line 0.3 s later; the module answers AT only after it.
    booted = asyncio.Event()

    def at(_line: str) -> bytes:
        return OK if booted.is_set() else b""

    fake.replies = {
        "AT+CFUN=1,1": Timed(((0.0, OK), (0.3, b"\r\nRDY\r\n"))),
        "AT": at,
    }
    monkeypatch.setattr(client_module, "RESTART_SETTLE", 10.0)
    events: list[ModuleEvent] = []

    def on_event(event: ModuleEvent) -> None:
        events.append(event)
        booted.set()

    client.subscribe(on_event)
    await client.restart()
    assert fake.received[0] == "AT+CFUN=1,1"
    assert fake.received[-1] == "AT"  # asked again once the module was back
    assert any(type(event).__name__ == "ModuleBoot" for event in events)


async def test_a_restart_without_a_start_up_line_waits_the_settle_time(
    fake: FakeModule, client: M6311Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.replies = {"AT+CFUN=1,1": OK, "AT": OK}
    monkeypatch.setattr(client_module, "RESTART_SETTLE", 0.2)
    await client.restart()
    assert fake.received == ["AT+CFUN=1,1", "AT"]


def test_the_link_registration_is_the_packet_one_even_when_it_is_zero() -> None:
    # NOT_REGISTERED is 0: falsy, yet an answer, never a reason to show the circuit one.
    status = NetworkStatus(Registration.HOME, Registration.NOT_REGISTERED)
    assert status.link_registration is Registration.NOT_REGISTERED
    assert NetworkStatus(Registration.ROAMING).link_registration is Registration.ROAMING
    assert NetworkStatus().link_registration is None


@pytest.mark.parametrize(("rssi", "percent"), [(0, 0), (31, 100), (15, 48), (99, None)])
def test_signal_percent_spans_what_at_csq_reports(rssi: int, percent: int | None) -> None:
    assert signal_percent(SignalQuality(rssi, 99).dbm) == percent
