"""Where the module stands on the cellular network: registration, operator, SIM (3GPP 27.007).

The M6311's document (2016) covers OneNET's commands only; the standard ones below are those
every module of the family answers (docs/protocol.md, §15), and the ones real drivers use to
tell a missing SIM from a denied registration from a dead antenna. Each answer is read here,
and so are the reports the module prints by itself when the network changes (`+CREG: 5`,
`+CPIN: NOT INSERTED`), which the connection routes as `NetworkReport` events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import NetworkReport
    from .responses import Response

SIM_NOT_INSERTED = 10
"""`+CME ERROR: 10`: 27.007's "SIM not inserted", how a module without a SIM refuses AT+CPIN?
and every SIM query."""


class Registration(IntEnum):
    """`<stat>` of `+CREG` / `+CGREG` (27.007 §7.2, §10.1.20)."""

    NOT_REGISTERED = 0
    """Not registered, and not searching for an operator."""
    HOME = 1
    SEARCHING = 2
    DENIED = 3
    UNKNOWN = 4
    ROAMING = 5

    @property
    def registered(self) -> bool:
        """Home or roaming: the module can reach the internet (with a data plan)."""
        return self in (Registration.HOME, Registration.ROAMING)


class SimState(StrEnum):
    """What `AT+CPIN?` (or a `+CPIN:` report) says of the SIM."""

    READY = "ready"
    PIN_REQUIRED = "pin_required"
    PUK_REQUIRED = "puk_required"
    ABSENT = "absent"
    NOT_READY = "not_ready"
    """Anything else the module reports (a SIM still starting, a PIN2, a network lock)."""

    @property
    def blocks_data(self) -> bool:
        """No data until someone acts: no SIM, or one that asks for a code."""
        return self in (SimState.ABSENT, SimState.PIN_REQUIRED, SimState.PUK_REQUIRED)


@dataclass(frozen=True, slots=True)
class NetworkStatus:
    """What the module said of its network, the last time it was asked or reported."""

    registration: Registration | None = None
    """Circuit-switched registration (`+CREG`)."""
    data_registration: Registration | None = None
    """Packet (GPRS) registration (`+CGREG`): what OneNET's TCP link needs."""
    operator: str | None = None
    sim: SimState | None = None

    @property
    def link_registration(self) -> Registration | None:
        """The packet registration OneNET's link needs, or the circuit one when not told."""
        return self.registration if self.data_registration is None else self.data_registration


_REGISTRATION = re.compile(r"\+C(G?)REG *: *(?:[0-9] *, *)?([0-9])(?: *,.*)?", re.IGNORECASE)
"""`+CREG: <stat>` (a report), `+CREG: <n>,<stat>` (an answer), either maybe followed by the
cell's location (`,"<lac>","<ci>"` when `<n>` is 2)."""
_SIM = re.compile(r"\+CPIN *: *(.+)", re.IGNORECASE)
_OPERATOR = re.compile(r'\+COPS *: *[0-9](?: *, *[0-9] *, *"([^"]*)")?.*', re.IGNORECASE)
_ICCID = re.compile(
    r'(?:\+(?:CCID|ICCID|QCCID) *: *(?:[0-9] *, *)?)?"?([0-9A-F]{18,22})"?', re.IGNORECASE
)
"""`+CCID: <iccid>`, `+CCID: 0,"<iccid>"` (the M6311R driver's form) or the bare ICCID."""
_IMSI = re.compile(r"(?:\+CIMI *: *)?([0-9]{6,15})", re.IGNORECASE)
_SIM_STATES = {
    "READY": SimState.READY,
    "SIM PIN": SimState.PIN_REQUIRED,
    "SIM PUK": SimState.PUK_REQUIRED,
    "NOT INSERTED": SimState.ABSENT,
    "NO SIM": SimState.ABSENT,
    "SIM REMOVED": SimState.ABSENT,
    "BLOCK": SimState.PUK_REQUIRED,  # an M6312 driver's word for a SIM locked out
}


def registration_of(text: str) -> tuple[bool, Registration] | None:
    """`(data, state)` of a `+CREG` / `+CGREG` line (data: it is `+CGREG`), None otherwise."""
    match = _REGISTRATION.fullmatch(text.strip())
    if match is None:
        return None
    stat = int(match[2])
    state = Registration(stat) if stat <= Registration.ROAMING else Registration.UNKNOWN
    return bool(match[1]), state


def sim_state_of(text: str) -> SimState | None:
    """The SIM state of a `+CPIN:` line, None for another line."""
    match = _SIM.fullmatch(text.strip())
    if match is None:
        return None
    return _SIM_STATES.get(match[1].strip().strip('"').upper(), SimState.NOT_READY)


def apply_report(status: NetworkStatus, report: NetworkReport) -> NetworkStatus | None:
    """The status after a report the module printed; None when it tells nothing of it."""
    if (registration := registration_of(report.text)) is not None:
        data, state = registration
        if data:
            return replace(status, data_registration=state)
        return replace(status, registration=state)
    if (sim := sim_state_of(report.text)) is not None:
        return replace(status, sim=sim)
    return None


def read_registration(response: Response) -> Registration | None:
    """The state in AT+CREG?'s or AT+CGREG?'s answer; None when it holds none."""
    registration = response.first(registration_of)
    return None if registration is None else registration[1]


def read_sim_state(response: Response) -> SimState | None:
    """The SIM state in AT+CPIN?'s answer; None when it holds none."""
    return response.first(sim_state_of)


def read_operator(response: Response) -> str | None:
    """The operator's name in AT+COPS?'s answer (`+COPS: 0,0,"CHINA MOBILE"`), or None.

    A module registered nowhere names none (`+COPS: 0`).
    """
    match = response.first_match(_OPERATOR)
    return (match[1] or None) if match else None


def read_iccid(response: Response) -> str | None:
    """The SIM's ICCID in AT+CCID's answer, bare or after `+CCID:` (firmware prints either)."""
    return _first(_ICCID, response)


def read_imsi(response: Response) -> str | None:
    """The SIM's IMSI in AT+CIMI's answer: a bare line of digits."""
    return _first(_IMSI, response)


def _first(pattern: re.Pattern[str], response: Response) -> str | None:
    match = response.first_match(pattern)
    return match[1] if match else None
