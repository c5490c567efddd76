"""When the link keeps failing while the module answers: restart it, within bounds.

Real modules of this family wedge: they answer AT, but logins and pings fail until the module
restarts (the one public driver of a real M6311R restarts it after three failed pings;
docs/protocol.md, §15). The link itself already escalates the first step: each attempt logs
out and in again. `Recovery` counts the failures between two good heartbeats and decides the
next step:

    fail, fail, fail (logged out and in each time) -> restart the module (AT+CFUN=1,1)
    -> fail x3 -> restart again, if RESTART_MIN_INTERVAL has passed -> ... -> a repair issue
    once REPAIR_AFTER_RESTARTS restarts did not help; it goes when the link works again.

Failures a restart cannot mend are not counted: the port missing (unplugged), another module
on the port, refused credentials (they ask for reauth), a bad argument.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .m6311 import (
    LoginRefusedError,
    M6311ConnectionError,
    M6311Error,
    M6311ValidationError,
    NotAnM6311Error,
)

if TYPE_CHECKING:
    from collections.abc import Callable


class WrongModuleError(M6311Error):
    """Another module (another IMEI) answers on the entry's port."""

    def __init__(self, imei: str) -> None:
        """Name the stranger by its IMEI's last digits only: the IMEI identifies its owner."""
        super().__init__(f"another module (IMEI ...{imei[-4:]}) answers on the port")


RESTART_AFTER_FAILURES = 3
"""Failed attempts (logins, heartbeats) in a row after which the module is restarted."""
RESTART_MIN_INTERVAL = 600.0
"""Seconds between two restarts, at least: a module that needs them more often is broken, and
restarting it faster only loses the network registration each time."""
REPAIR_AFTER_RESTARTS = 2
"""Restarts in one episode after which the user is told (a repair issue): the SIM, the
antenna or the data plan, not the module."""


class Recovery:
    """The failures of one episode (from the first failure to the next good heartbeat)."""

    def __init__(self, now: Callable[[], float]) -> None:
        """`now` is the monotonic clock restarts are spaced by (the event loop's)."""
        self._now = now
        self._failures = 0
        self._restarts_in_episode = 0
        self._last_restart: float | None = None
        self.restarts = 0
        """Restarts since the entry was set up (also those the user asked for)."""

    @property
    def in_episode(self) -> bool:
        """Whether something failed since the last good heartbeat."""
        return self._failures > 0 or self._restarts_in_episode > 0

    @property
    def first_restart(self) -> bool:
        """Whether no restart was tried yet in this episode (to say so once)."""
        return self._restarts_in_episode == 0

    @property
    def gave_up(self) -> bool:
        """Restarts did not help: time to tell the user."""
        return self._restarts_in_episode >= REPAIR_AFTER_RESTARTS

    def failed(self, error: M6311Error) -> bool:
        """An attempt failed; whether the module should be restarted now."""
        if not _mendable(error):
            return False
        self._failures += 1
        if self._failures < RESTART_AFTER_FAILURES:
            return False
        return self._last_restart is None or (
            self._now() - self._last_restart >= RESTART_MIN_INTERVAL
        )

    def restarted(self) -> None:
        """The module was restarted (by this policy or by the user)."""
        self.restarts += 1
        self._restarts_in_episode += 1
        self._last_restart = self._now()
        self._failures = 0

    def recovered(self) -> None:
        """A good heartbeat: the episode is over."""
        self._failures = 0
        self._restarts_in_episode = 0


def _mendable(error: M6311Error) -> bool:
    """Whether restarting the module may mend what failed."""
    return not isinstance(
        error,
        M6311ConnectionError
        | NotAnM6311Error
        | WrongModuleError
        | LoginRefusedError
        | M6311ValidationError,
    )
