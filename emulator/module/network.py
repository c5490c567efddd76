"""Where the module stands on the cellular network: its registration, its SIM, its operator.

This is the world around the module, not the module's memory: a power cycle keeps it (the SIM
stays in its slot, the coverage stays what it is). Tests and the control API change it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

DEFAULT_OPERATOR = "CHINA MOBILE"
DEFAULT_ICCID = "89860012345678901234"
DEFAULT_IMSI = "460001234567890"


class Stat(enum.IntEnum):
    """`<stat>` of AT+CREG / AT+CGREG, numbered as 3GPP TS 27.007 numbers it."""

    NOT_SEARCHING = 0
    """Not registered, not searching for an operator."""
    HOME = 1
    """Registered on the home network."""
    SEARCHING = 2
    """Not registered, searching for an operator."""
    DENIED = 3
    """Registration denied."""
    UNKNOWN = 4
    """Unknown."""
    ROAMING = 5
    """Registered, roaming."""


REGISTERED = frozenset({Stat.HOME, Stat.ROAMING})


class Sim(enum.StrEnum):
    """The SIM card: ready, waiting for its PIN, or not in the slot."""

    READY = "ready"
    PIN = "pin"
    ABSENT = "absent"


CPIN_LINES = {
    Sim.READY: b"+CPIN: READY",
    Sim.PIN: b"+CPIN: SIM PIN",
    Sim.ABSENT: b"+CPIN: NOT INSERTED",
}
"""What the module prints when the SIM becomes so (the first two also answer AT+CPIN?)."""


@dataclass
class NetworkState:
    """The registration the network would give, the SIM and the operator's name."""

    registration: Stat = Stat.HOME
    """What the network does with a usable SIM (set on demand)."""
    sim: Sim = Sim.READY
    operator: str = DEFAULT_OPERATOR

    @property
    def stat(self) -> Stat:
        """The registration the module reports: without a ready SIM it cannot register at all."""
        return self.registration if self.sim is Sim.READY else Stat.NOT_SEARCHING

    @property
    def up(self) -> bool:
        """True while registered (home or roaming): the module can reach the cloud."""
        return self.stat in REGISTERED


def check_operator(name: str) -> str:
    """An operator name `+COPS: 0,0,"<name>"` can carry: non-empty, printable, no quote."""
    if not name or not name.isprintable() or '"' in name:
        msg = f"not a valid operator name: {name!r}"
        raise ValueError(msg)
    return name
