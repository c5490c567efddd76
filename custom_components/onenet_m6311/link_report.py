"""What the link's ups and downs mean for the user: the log, repairs, reauth, the device page.

The coordinator owns the link and tells a `LinkReport` what happened (a failed attempt, up,
down, the module's firmware); this module decides what the user sees of it:

- the log says "not up" or "down" once per outage, and "up" when it ends;
- the device-lost repair is raised when the module lost its stored device (mode 0), and
  cleared once the link is up again;
- `REAUTH_AFTER_REFUSALS` refusals in a row (with a signal: not a network problem) ask for new
  credentials;
- a SIM that is missing or asks for a code is a repair issue, gone once the SIM is ready;
- a module that restarts did not bring back (`recovery.py`) is a repair issue, gone once the
  link works;
- the device page shows the firmware the module reports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.helpers import device_registry as dr

from .const import LOGGER, REAUTH_AFTER_REFUSALS
from .m6311 import LoginRefusedError, NoDeviceIdError, NoDeviceKeyError, SimState
from .repairs import (
    ISSUE_SIM_ABSENT,
    ISSUE_SIM_LOCKED,
    ISSUE_UNREACHABLE,
    async_clear_device_lost,
    async_clear_issue,
    async_report_device_lost,
    async_report_issue,
)

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .m6311 import M6311Error, NetworkStatus


class LinkReport:
    """The user's view of one entry's link."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, url: str) -> None:
        """Nothing said yet."""
        self._hass = hass
        self._entry = entry
        self._url = url
        self._refusals = 0
        """Login refusals since the link was last up."""
        self._said_down = False
        """Whether the log says the link is down; it then says so again when it is up."""
        self._said_unreachable = False

    def failed(self, error: M6311Error) -> None:
        """An attempt to make the link failed."""
        if isinstance(error, LoginRefusedError):  # not LoginUnreachableError: no network
            self._count_refusal()
        elif isinstance(error, NoDeviceIdError | NoDeviceKeyError):
            async_report_device_lost(self._hass, self._entry)
        if not self._said_down:
            self._said_down = True
            LOGGER.warning(
                "OneNET link through %s is not up (%s); retrying in the background, and"
                " forwarded states wait in the outbox",
                self._url,
                error,
            )

    def up(self, *, was_online: bool) -> None:
        """The link is up: what was said of an outage is taken back."""
        self._refusals = 0
        async_clear_device_lost(self._hass, self._entry)
        if self._said_down or not was_online:
            LOGGER.info("OneNET link through %s is up", self._url)
        self._said_down = False

    def down(self) -> None:
        """The link that was up is lost."""
        self._said_down = True
        LOGGER.warning("OneNET link through %s is down; reconnecting", self._url)

    def network(self, network: NetworkStatus) -> None:
        """What the module says of its network: a SIM problem is the user's to fix."""
        if network.sim is None:
            return  # not told: nothing to conclude
        self._issue(ISSUE_SIM_ABSENT, raised=network.sim is SimState.ABSENT)
        self._issue(
            ISSUE_SIM_LOCKED,
            raised=network.sim in (SimState.PIN_REQUIRED, SimState.PUK_REQUIRED),
        )

    def unreachable(self) -> None:
        """Restarting the module did not bring the link back (said once per episode)."""
        if not self._said_unreachable:
            self._said_unreachable = True
            LOGGER.warning(
                "The module on %s does not reach OneNET even after restarts; check the SIM,"
                " the antenna and the data plan",
                self._url,
            )
        async_report_issue(self._hass, self._entry, ISSUE_UNREACHABLE)

    def reachable(self) -> None:
        """The link works again after failures."""
        self._said_unreachable = False
        async_clear_issue(self._hass, self._entry, ISSUE_UNREACHABLE)

    def _issue(self, issue: str, *, raised: bool) -> None:
        if raised:
            async_report_issue(self._hass, self._entry, issue)
        else:
            async_clear_issue(self._hass, self._entry, issue)

    def firmware(self, firmware: str) -> None:
        """The device page shows the firmware once the module was first asked (after set-up)."""
        registry = dr.async_get(self._hass)
        for device in dr.async_entries_for_config_entry(registry, self._entry.entry_id):
            if device.sw_version != firmware:
                registry.async_update_device(device.id, sw_version=firmware)

    def _count_refusal(self) -> None:
        self._refusals += 1
        if self._refusals == REAUTH_AFTER_REFUSALS:
            LOGGER.warning("OneNET keeps refusing the login; asking for new credentials")
            self._entry.async_start_reauth(self._hass)
