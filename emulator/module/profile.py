"""Named profiles: the dialect flags and limits of one real firmware, in one word.

`m6311r` is the module behind the public M6311R OneNET driver (hxbao/ONE_NET_TC; see the
README's "Real firmware" section): plain `OK`, `+CIOTPING: OK`, `+CIOTSTATUS: <n>`, `+CIOTCMD:`,
`CONNECT OK` after the start, a quoted master key, `+CGSN: 1,<imei>`, network reports, a module
the driver waits 15 s for after power-on, the M6311R's provisioning commands, and the 256-byte
command line of the M6312 manual (the sibling module's only stated limit).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .dialect import Dialect

if TYPE_CHECKING:
    from .engine import ModuleConfig


@dataclass(frozen=True)
class Profile:
    """Dialect flags added to the module's, and the limits that replace its defaults."""

    name: str
    dialect: Dialect
    max_line: int
    startup_delay: float

    def apply(self, config: ModuleConfig) -> ModuleConfig:
        """`config` with this profile's flags added and its limits in place."""
        return replace(
            config,
            dialect=config.dialect | self.dialect,
            max_line=self.max_line,
            startup_delay=self.startup_delay,
        )


M6311R = Profile(
    name="m6311r",
    dialect=(
        Dialect.PLAIN_RESULT
        | Dialect.PING_COLON
        | Dialect.STATUS_NUMERIC
        | Dialect.CIOTCMD
        | Dialect.CONNECT_LATE
        | Dialect.QUOTED_MKEY
        | Dialect.CGSN_INDEXED
        | Dialect.REPORTS
        | Dialect.SLOW_START
        | Dialect.R_PROVISIONING
    ),
    max_line=256,
    startup_delay=15.0,
)

PROFILES = {profile.name: profile for profile in (M6311R,)}
"""Every profile by name (what `scripts/emulate --profile` takes)."""


def profile_named(name: str) -> Profile:
    """The profile called `name`; KeyError names the ones there are."""
    try:
        return PROFILES[name.strip().lower()]
    except KeyError:
        msg = f"unknown profile {name!r}; there are: {', '.join(PROFILES)}"
        raise KeyError(msg) from None
