"""Typed values the library hands out: results of commands and unsolicited module events."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum


class LinkStatus(StrEnum):
    """The module's connection to the OneNET platform (AT+CIOTSTATUS)."""

    UP = "up"
    DOWN = "down"


class ConnectMode(IntEnum):
    """AT+CIOTCONNECTPARA modes, numbered as the M6311 document numbers them."""

    STORED_DEVICE = 0
    """Log in with the device ID and key the module made with AT+CIOTINIT (kept at power-off)."""
    DEVICE_ID = 1
    """Log in with a platform-made device ID and the project's master APIKEY (not kept)."""
    PROJECT_AUTH = 2
    """Log in with a project ID and the device's auth_info key and value (not kept)."""


class Provisioning(StrEnum):
    """What AT+CIOT? says is stored in the module."""

    COMPLETE = "complete"
    NO_MASTER_KEY = "no_master_key"
    NO_DEVICE_ID = "no_device_id"
    NO_DEVICE_KEY = "no_device_key"


@dataclass(frozen=True, slots=True)
class LoginSettings:
    """How the module logs in to OneNET: the AT+CIOTCONNECTPARA mode and what it needs.

    Mode 0 needs nothing (the module's own device); mode 1 `device_id` and `master_key`;
    mode 2 `project_id`, `auth_key` and `auth_value`. Secrets stay out of the repr.
    """

    mode: ConnectMode
    encrypt: bool = False
    """Log in with AT+CIOTSTART=1: RSA key exchange, then AES-128 on the EDP link."""
    device_id: str = ""
    master_key: str = field(default="", repr=False)
    project_id: str = ""
    auth_key: str = ""
    auth_value: str = field(default="", repr=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The secret values among the settings (master APIKEY, auth_info value)."""
        return tuple(secret for secret in (self.master_key, self.auth_value) if secret)


@dataclass(frozen=True, slots=True)
class ModuleInfo:
    """Who answers on a port (`M6311Client.identify`)."""

    imei: str
    provisioning: Provisioning
    """What the module stores for mode 0 (AT+CIOT?)."""


@dataclass(frozen=True, slots=True)
class SignalQuality:
    """AT+CSQ: received signal strength indication and bit error rate."""

    rssi: int
    """0..31, or 99 when not known."""
    ber: int
    """0..7, or 99 when not known."""

    @property
    def dbm(self) -> int | None:
        """Signal strength in dBm (-113 + 2 x rssi), None when not known."""
        if not 0 <= self.rssi <= RSSI_MAX:
            return None
        return WEAKEST_DBM + 2 * self.rssi


RSSI_MAX = 31
"""27.007's strongest reportable `<rssi>` (-51 dBm or more); 99 means not known."""
WEAKEST_DBM = -113
"""`<rssi>` 0: -113 dBm or less."""
STRONGEST_DBM = WEAKEST_DBM + 2 * RSSI_MAX


def signal_percent(dbm: int | None) -> int | None:
    """Signal strength as a share of the range AT+CSQ reports (-113 to -51 dBm), in percent."""
    if dbm is None:
        return None
    share = (dbm - WEAKEST_DBM) / (STRONGEST_DBM - WEAKEST_DBM)
    return round(100 * min(max(share, 0.0), 1.0))


@dataclass(frozen=True, slots=True)
class CloudCommand:
    """A command from the platform (`+IOTCMD=<len>,<data>` and its dialects)."""

    data: bytes
    """The payload: `len` bytes as declared, whatever they hold (see `truncated`)."""
    truncated: bool = False
    """The module declared more bytes than it printed: the payload ended at a line end followed
    by an answer, or when the line went quiet (responses.LineDecoder has the rule)."""

    @property
    def text(self) -> str:
        """The payload as text (UTF-8; undecodable bytes replaced)."""
        return self.data.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class SaveAck:
    """`SAVE succ!msg:<id>`: the platform stored the data sent with that message id."""

    msg_id: int


@dataclass(frozen=True, slots=True)
class BinarySendOver:
    """`BIN SEND OVER!`: a binary upload reached its announced length."""


@dataclass(frozen=True, slots=True)
class Connected:
    """`CONNECT` / `CONNECT OK`: the platform link is open (firmware that reports its login).

    Newer firmware answers `AT+CIOTSTART` with `OK` at once and prints this when the login
    is done, seconds later; some print it instead of `OK` (docs/protocol.md, evidence).
    """

    text: str


@dataclass(frozen=True, slots=True)
class ConnectFailed:
    """`CONNECT FAIL`: the module says the login it reported with `OK` did not succeed."""

    text: str


@dataclass(frozen=True, slots=True)
class NetworkReport:
    """A report the module prints whenever its network changes, never an answer's value.

    Registration (`+CREG: 1`, `+CGREG: 0,1`, `+CEREG: 1`), time zone (`+CTZV: ...`), SIM state
    (`+CPIN: READY`) and start-up notices (`Call Ready`, `SMS Ready`). A query of the same
    family (`AT+CREG?`) takes the line as its answer instead.
    """

    kind: str
    """What it reports: the prefix without `+` and colon (`CREG`, `CTZV`, `CPIN`), or the
    notice itself (`Call Ready`)."""
    value: str
    """What follows the colon (`1`, `0,1`, `READY`), empty for a notice."""
    text: str
    """The line as printed."""


@dataclass(frozen=True, slots=True)
class ModuleBoot:
    """A line a module prints when it (re)starts, such as `RDY`: temporary settings are gone."""

    text: str


@dataclass(frozen=True, slots=True)
class ConnectionLost:
    """The serial link closed (unplug, socket closed); told to subscribers once."""

    reason: str


type ModuleEvent = (
    CloudCommand
    | SaveAck
    | BinarySendOver
    | Connected
    | ConnectFailed
    | NetworkReport
    | ModuleBoot
    | ConnectionLost
)
"""Everything the client passes to its subscribers."""
