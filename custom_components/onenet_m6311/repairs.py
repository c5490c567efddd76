"""Repairs: what a user can fix.

Two are told only: the SIM (missing, or asking for a code) and a module that restarts did not
bring back to OneNET (the SIM, the antenna, the data plan); each goes by itself once fixed.

One has a flow: in mode 0, the module lost the device it stored. A module in mode 0 logs in
with the device ID and key it made with AT+CIOTINIT. When they are gone (deleted with
AT+CIOTIDC, a new master key stored by another tool, flash wiped), it can only log in again
once it has made a new device: the repair flow does exactly that, with the master APIKEY the
entry knows or one the user enters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType

from .const import (
    CONF_BAUDRATE,
    CONF_DEVICE,
    CONF_DEVICE_ID,
    CONF_MASTER_KEY,
    DEFAULT_BAUDRATE,
    DOMAIN,
)
from .probe import ProbeError, async_provision
from .voluptuous_alias import vol

if TYPE_CHECKING:
    # Annotations only: the name exists from Home Assistant 2026.6, and 2026.5 is supported.
    from homeassistant.components.repairs import RepairsFlowResult
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

ISSUE_DEVICE_LOST = "device_lost"
ISSUE_SIM_ABSENT = "sim_absent"
ISSUE_SIM_LOCKED = "sim_locked"
ISSUE_UNREACHABLE = "module_unreachable"


def issue_id(entry: ConfigEntry, issue: str = ISSUE_DEVICE_LOST) -> str:
    """The repair issue `issue` of one entry."""
    return f"{issue}_{entry.entry_id}"


def async_report_issue(hass: HomeAssistant, entry: ConfigEntry, issue: str) -> None:
    """Tell the user of a problem only they can fix (no flow: it goes once fixed)."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(entry, issue),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=issue,
        translation_placeholders={"title": entry.title},
    )


def async_clear_issue(hass: HomeAssistant, entry: ConfigEntry, issue: str) -> None:
    """The problem is gone (idempotent)."""
    ir.async_delete_issue(hass, DOMAIN, issue_id(entry, issue))


def async_report_device_lost(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Tell the user the module lost its device, with a flow that provisions it again."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(entry),
        is_fixable=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_DEVICE_LOST,
        translation_placeholders={"title": entry.title},
        data={"entry_id": entry.entry_id},
    )


def async_clear_device_lost(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """The module logs in again: the issue is gone."""
    ir.async_delete_issue(hass, DOMAIN, issue_id(entry))


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """The flow that fixes an issue of this integration."""
    return DeviceLostRepairFlow(str((data or {})["entry_id"]))


class DeviceLostRepairFlow(RepairsFlow):
    """Provision the module again (AT+CIOTMKEY if a key is given, AT+CIOTINIT), then reload."""

    def __init__(self, entry_id: str) -> None:
        """Fix one entry."""
        self._entry_id = entry_id

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Start with the only step."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Ask for a master APIKEY (optional when the entry knows one) and provision."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None:
            return self.async_abort(reason="entry_removed")
        errors: dict[str, str] = {}
        if user_input is not None:
            master_key = (user_input.get(CONF_MASTER_KEY) or "").strip() or entry.data.get(
                CONF_MASTER_KEY
            )
            try:
                device_id = await self._async_provision(entry, master_key)
            except ProbeError as err:
                errors["base"] = err.key
            else:
                data = {**entry.data, CONF_DEVICE_ID: device_id}
                if master_key:
                    data[CONF_MASTER_KEY] = master_key
                self.hass.config_entries.async_update_entry(entry, data=data)
                self.hass.config_entries.async_schedule_reload(entry.entry_id)
                return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="confirm",
            data_schema=vol.Schema(
                {
                    vol.Optional(CONF_MASTER_KEY): TextSelector(
                        TextSelectorConfig(type=TextSelectorType.PASSWORD)
                    )
                }
            ),
            description_placeholders={"title": entry.title},
            errors=errors,
        )

    async def _async_provision(self, entry: ConfigEntry, master_key: str | None) -> str:
        # The port has one user at a time: a loaded entry (still retrying) lets go of it,
        # and takes it back if provisioning fails, so forwarding goes on meanwhile.
        was_loaded = entry.state is ConfigEntryState.LOADED
        if was_loaded:
            await self.hass.config_entries.async_unload(entry.entry_id)
        try:
            return await async_provision(
                entry.data[CONF_DEVICE],
                entry.data.get(CONF_BAUDRATE, DEFAULT_BAUDRATE),
                master_key,
            )
        except ProbeError:
            if was_loaded:
                self.hass.config_entries.async_schedule_reload(entry.entry_id)
            raise
