"""What outlives a reload of an entry: the counters users read and the serial trace.

Saving the options, reconfiguring and a reauth reload the entry. Nothing about the module
changed, so what a user reads must not go back to 0 (Commands received, the diagnostics'
skipped and insignificant counts), and the serial trace a user would attach after a failure
must still hold it. These live in `hass.data` for the entry's life in this run of Home
Assistant; the byte counters go on across restarts by themselves (RestoreSensor).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .const import DOMAIN
from .m6311 import SerialTrace

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import M6311Runtime

_KEY = f"{DOMAIN}_carryover"


@dataclass(slots=True)
class Carryover:
    """One entry's counters and trace, as they were when it was last unloaded."""

    trace: SerialTrace = field(default_factory=SerialTrace)
    commands_received: int = 0
    skipped: int = 0
    insignificant: int = 0

    def restore(self, runtime: M6311Runtime) -> None:
        """Start the new run of the entry from where the last one ended."""
        coordinator = runtime.coordinator
        coordinator.data = replace(coordinator.data, commands_received=self.commands_received)
        runtime.forwarder.skipped = self.skipped
        runtime.forwarder.insignificant = self.insignificant

    def keep(self, runtime: M6311Runtime) -> None:
        """The entry is being unloaded: note where its counters are."""
        self.commands_received = runtime.coordinator.data.commands_received
        self.skipped = runtime.forwarder.skipped
        self.insignificant = runtime.forwarder.insignificant


def carryover(hass: HomeAssistant, entry_id: str) -> Carryover:
    """The entry's carryover, made the first time it is set up in this run."""
    kept: dict[str, Carryover] = hass.data.setdefault(_KEY, {})
    return kept.setdefault(entry_id, Carryover())


def forget(hass: HomeAssistant, entry_id: str) -> None:
    """The entry is deleted: nothing of it is kept."""
    hass.data.get(_KEY, {}).pop(entry_id, None)
