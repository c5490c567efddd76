"""Set-up in the UI: the port, the connection mode and its credentials, tested before saving.

    user / usb discovery -> (probe: AT, ATE0, AT+CGSN, AT+CIOT?) -> mode menu
        -> stored_device (mode 0) | device (mode 1) | project (mode 2)
        -> (a real login: CONNECTPARA, CIOTSTART, CIOTSTATUS, CIOTQUIT) -> entry

Reconfigure walks the same steps for an existing entry; reauth asks only for the mode's
credentials again. The module's IMEI is the unique id.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import serialx
from homeassistant.components import usb
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
)
from homeassistant.core import callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    BooleanSelector,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .const import (
    CONF_AUTH_KEY,
    CONF_AUTH_VALUE,
    CONF_BAUDRATE,
    CONF_DEVICE,
    CONF_DEVICE_ID,
    CONF_ENCRYPT,
    CONF_MASTER_KEY,
    CONF_MODE,
    CONF_PROJECT_ID,
    DEFAULT_BAUDRATE,
    DOMAIN,
    module_name,
)
from .credentials import login_settings
from .form_fields import number_box
from .m6311 import ConnectMode, Provisioning
from .options_flow import M6311OptionsFlow
from .probe import (
    ModuleFound,
    ProbeError,
    async_find_module,
    async_provision,
    async_try_login,
)
from .voluptuous_alias import vol

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.helpers.service_info.usb import UsbServiceInfo

SECTION_SERIAL = "serial"
MODE_STEPS = {
    "stored_device": ConnectMode.STORED_DEVICE,
    "device": ConnectMode.DEVICE_ID,
    "project": ConnectMode.PROJECT_AUTH,
}
SECRET = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
TEXT = TextSelector()
ENCRYPT = {vol.Required(CONF_ENCRYPT, default=False): BooleanSelector()}
NOT_SECRET = (CONF_DEVICE_ID, CONF_PROJECT_ID, CONF_AUTH_KEY, CONF_ENCRYPT)
"""Credentials a form may show again: IDs, the auth_info key, the encryption switch."""
LOST_DEVICE_ERRORS = frozenset({"no_master_key", "no_device"})
"""Mode 0 errors saying the module no longer holds what the probe found: ask for the key."""


def _port_schema(
    choices: list[SelectOptionDict], port: str | None = None, baudrate: int = DEFAULT_BAUDRATE
) -> vol.Schema:
    port_key = vol.Required(CONF_DEVICE, default=port) if port else vol.Required(CONF_DEVICE)
    return vol.Schema(
        {
            # A list of the ports found, which takes a typed one too (a pty, socket://,
            # esphome://): the port in use and the one just typed are always among the
            # choices, so the form never shows a port as an unknown item.
            port_key: SelectSelector(
                SelectSelectorConfig(
                    options=choices, custom_value=True, mode=SelectSelectorMode.DROPDOWN
                )
            ),
            # Nearly every module runs at 115200 8N1, so the baud rate is tucked away.
            vol.Required(SECTION_SERIAL): section(
                vol.Schema(
                    {
                        vol.Required(CONF_BAUDRATE, default=baudrate): number_box(
                            int, minimum=1200, maximum=921600
                        )
                    }
                ),
                {"collapsed": True},
            ),
        }
    )


def _credentials_schema(mode: ConnectMode, *, provisioned: bool) -> vol.Schema:
    """The fields each mode needs; mode 0 asks for a master key only if the module lacks one."""
    match mode:
        case ConnectMode.STORED_DEVICE:
            fields = {} if provisioned else {vol.Required(CONF_MASTER_KEY): SECRET}
        case ConnectMode.DEVICE_ID:
            fields = {vol.Required(CONF_DEVICE_ID): TEXT, vol.Required(CONF_MASTER_KEY): SECRET}
        case _:  # ConnectMode.PROJECT_AUTH, the last of the three
            fields = {
                vol.Required(CONF_PROJECT_ID): TEXT,
                vol.Required(CONF_AUTH_KEY): TEXT,
                vol.Required(CONF_AUTH_VALUE): SECRET,
            }
    return vol.Schema({**fields, **ENCRYPT})


def _serial_ports() -> list[SelectOptionDict]:
    """The serial ports serialx finds (as Home Assistant's USB scan does), with what they are."""
    return [
        SelectOptionDict(value=port.device, label=f"{port.device} ({port.description})")
        if port.description and port.description != "n/a"
        else SelectOptionDict(value=port.device, label=port.device)
        for port in sorted(serialx.list_serial_ports(), key=lambda port: port.device)
    ]


def _id_errors(user_input: dict[str, Any]) -> dict[str, str]:
    """OneNET's device and project IDs are digits: checked here, before the module is asked.

    Anything else would reach the platform and come back as a refused login (-109).
    """
    return {
        field: "not_digits"
        for field in (CONF_DEVICE_ID, CONF_PROJECT_ID)
        if field in user_input
        and not (str(user_input[field]).strip().isdecimal() and str(user_input[field]).isascii())
    }


class M6311ConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up an M6311 module."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing known about the module."""
        self._port = ""
        self._baudrate = DEFAULT_BAUDRATE
        self._module: ModuleFound | None = None
        self._unloaded_entry: ConfigEntry | None = None
        self._port_error: dict[str, str] = {}
        """What the last port error names (a network port's address)."""

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> M6311OptionsFlow:
        """The options: heartbeat interval and the cloud's allowed actions."""
        return M6311OptionsFlow()

    # -- finding the module ----------------------------------------------------------------

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick the port (and, rarely, the baud rate)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            if holder := await self._async_other_entry_on_port(user_input[CONF_DEVICE]):
                # Before anything is asked or unloaded: the port's entry is left as it is.
                return self._async_abort_port_in_use(holder)
            errors = await self._async_probe_port(user_input)
            if not errors:
                return await self._async_module_found()
        typed = user_input[CONF_DEVICE] if user_input else None
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                _port_schema(await self._async_port_choices(typed)), user_input or {}
            ),
            errors=errors,
            description_placeholders=self._port_error or None,
        )

    async def _async_port_choices(self, *known: str | None) -> list[SelectOptionDict]:
        """The serial ports found on this machine, and the ports named so far."""
        found = await self.hass.async_add_executor_job(_serial_ports)
        paths = {choice["value"] for choice in found}
        named = [SelectOptionDict(value=port, label=port) for port in known if port]
        return found + [choice for choice in named if choice["value"] not in paths]

    async def async_step_usb(self, discovery_info: UsbServiceInfo) -> ConfigFlowResult:
        """A USB serial adapter of a known kind was plugged in."""
        port = await self.hass.async_add_executor_job(usb.get_serial_by_id, discovery_info.device)
        if holder := await self._async_other_entry_on_port(port):
            # A configured module's adapter (seen again at start-up, say): the entry holds the
            # port, and a probe would only fail to open it.
            return self._async_abort_port_in_use(holder)
        try:
            self._module = await async_find_module(port, DEFAULT_BAUDRATE)
        except ProbeError:
            return self.async_abort(reason="not_m6311")
        self._port = port
        await self.async_set_unique_id(self._module.imei, raise_on_progress=False)
        self._abort_if_unique_id_configured(updates={CONF_DEVICE: port})
        self.context["title_placeholders"] = {"port": port}
        return await self.async_step_usb_confirm()

    async def async_step_usb_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask before setting up a discovered module."""
        if user_input is not None:
            return await self.async_step_mode()
        self._set_confirm_only()
        return self.async_show_form(
            step_id="usb_confirm", description_placeholders={"port": self._port}
        )

    async def _async_probe_port(self, user_input: dict[str, Any]) -> dict[str, str]:
        port = user_input[CONF_DEVICE]
        baudrate = user_input[SECTION_SERIAL][CONF_BAUDRATE]
        await self._async_release_port(port)
        self._port_error = {}
        try:
            self._module = await async_find_module(port, baudrate)
        except ProbeError as err:
            self._port_error = err.placeholders
            return {"base": err.key}
        self._port, self._baudrate = port, baudrate
        return {}

    async def _async_module_found(self) -> ConfigFlowResult:
        assert self._module is not None  # noqa: S101  # set by the probe just before
        await self.async_set_unique_id(self._module.imei, raise_on_progress=False)
        if self.source == SOURCE_RECONFIGURE:
            self._abort_if_unique_id_mismatch(reason="wrong_module")
        else:
            self._abort_if_unique_id_configured(
                updates={CONF_DEVICE: self._port, CONF_BAUDRATE: self._baudrate}
            )
        return await self.async_step_mode()

    # -- the connection mode ---------------------------------------------------------------

    async def async_step_mode(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose how the module logs in to OneNET."""
        return self.async_show_menu(step_id="mode", menu_options=list(MODE_STEPS))

    async def async_step_stored_device(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Mode 0: the module creates and keeps the device (needs the master APIKEY once)."""
        return await self._async_credentials_step("stored_device", user_input)

    async def async_step_stored_device_held(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Mode 0 on a module that holds a device: the form says which."""
        return await self._async_credentials_step("stored_device", user_input)

    async def async_step_device(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Mode 1: a device made on the platform, with the project's master APIKEY."""
        return await self._async_credentials_step("device", user_input)

    async def async_step_project(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Mode 2: the project ID and the device's auth_info key and value."""
        return await self._async_credentials_step("project", user_input)

    async def _async_credentials_step(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        mode = MODE_STEPS[step_id]
        provisioned = self._module is not None and (
            self._module.provisioning is Provisioning.COMPLETE
        )
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            errors = _id_errors(user_input)  # shown again as typed, nothing asked
        if user_input is not None and not errors:
            try:
                data = await self._async_check_credentials(mode, user_input)
            except ProbeError as err:
                errors["base"] = err.key
                placeholders = err.placeholders
                if err.key in LOST_DEVICE_ERRORS and self._module is not None:
                    # The module lost its device since the probe: the form asks for the key.
                    self._module = replace(self._module, provisioning=Provisioning.NO_MASTER_KEY)
                    provisioned = False
            else:
                return self._async_finish(data)
        return self.async_show_form(
            step_id=self._shown_step(step_id, provisioned=provisioned),
            data_schema=self.add_suggested_values_to_schema(
                _credentials_schema(mode, provisioned=provisioned),
                user_input or self._current_credentials(),
            ),
            errors=errors,
            description_placeholders={**self._held_device(), **placeholders} or None,
        )

    def _shown_step(self, step_id: str, *, provisioned: bool) -> str:
        """Mode 0 on a module that holds a device has a form of its own that names it."""
        if step_id == "stored_device" and provisioned and self._held_device():
            return "stored_device_held"
        return step_id

    def _held_device(self) -> dict[str, str]:
        """The device ID a provisioned module holds, for the form that says so."""
        if self._module is None or self._module.device_id is None:
            return {}
        return {"device_id": self._module.device_id}

    def _current_credentials(self) -> dict[str, Any]:
        """Reconfigure: the entry's values that are not secrets, so nothing is typed again."""
        if self.source != SOURCE_RECONFIGURE:
            return {}
        data = self._get_reconfigure_entry().data
        return {key: data[key] for key in NOT_SECRET if key in data}

    async def _async_check_credentials(
        self, mode: ConnectMode, user_input: dict[str, Any]
    ) -> dict[str, Any]:
        """Provision (mode 0) and log in for real; the entry data when all worked."""
        data: dict[str, Any] = {
            CONF_DEVICE: self._port,
            CONF_BAUDRATE: self._baudrate,
            CONF_MODE: int(mode),
            **{
                key: value.strip() if isinstance(value, str) else value
                for key, value in user_input.items()
            },
        }
        if mode is ConnectMode.STORED_DEVICE:
            data[CONF_DEVICE_ID] = await async_provision(
                self._port, self._baudrate, data.get(CONF_MASTER_KEY)
            )
        await async_try_login(self._port, self._baudrate, login_settings(data))
        return data

    def _async_finish(self, data: dict[str, Any]) -> ConfigFlowResult:
        if self.source in (SOURCE_RECONFIGURE, SOURCE_REAUTH):
            entry = self._existing_entry()
            self._unloaded_entry = None  # the reload below brings it back
            return self.async_update_reload_and_abort(entry, data=data)
        assert self._module is not None  # noqa: S101  # found before any credentials step
        return self.async_create_entry(
            title=module_name(self._module.imei),
            data=data,
            description="device" if CONF_DEVICE_ID in data else None,
            description_placeholders={"device_id": str(data.get(CONF_DEVICE_ID, ""))},
        )

    # -- reconfigure and reauth ------------------------------------------------------------

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the port, the baud rate, the mode or the credentials."""
        entry = self._get_reconfigure_entry()
        self._name_port_in_title(entry.data[CONF_DEVICE])
        errors: dict[str, str] = {}
        if user_input is not None:
            if await self._async_other_entry_on_port(user_input[CONF_DEVICE]):
                errors = {"base": "port_in_use"}  # another module's entry: not ours to unload
            else:
                errors = await self._async_probe_port(user_input)
            if not errors:
                return await self._async_module_found()
        current = entry.data[CONF_DEVICE]
        typed = user_input[CONF_DEVICE] if user_input else None
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _port_schema(
                    await self._async_port_choices(current, typed),
                    current,
                    entry.data.get(CONF_BAUDRATE, DEFAULT_BAUDRATE),
                ),
                user_input or {},
            ),
            errors=errors,
            description_placeholders=self._port_error or None,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """OneNET keeps refusing the login: ask for the credentials again."""
        self._port = entry_data[CONF_DEVICE]
        self._baudrate = entry_data.get(CONF_BAUDRATE, DEFAULT_BAUDRATE)
        self._name_port_in_title(self._port)
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The credentials of the entry's mode."""
        entry = self._get_reauth_entry()
        mode = ConnectMode(entry.data[CONF_MODE])
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = _id_errors(user_input)
        if user_input is not None and not errors:
            await self._async_release_port(self._port)
            # Mode 0 logs in with what the module stores; a new master key re-provisions it.
            kept = {
                k: v for k, v in entry.data.items() if k not in (CONF_MASTER_KEY, CONF_DEVICE_ID)
            }
            try:
                data = await self._async_check_credentials(mode, {**kept, **user_input})
            except ProbeError as err:
                errors["base"] = err.key
            else:
                return self._async_finish(data)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(
                _credentials_schema(mode, provisioned=False),
                {key: value for key, value in entry.data.items() if key in NOT_SECRET},
            ),
            errors=errors,
        )

    def _name_port_in_title(self, port: str) -> None:
        """Give the flow title ("M6311 on {port}") its port: Home Assistant gives only a name.

        A reauthentication or reconfiguration flow starts with the placeholders {"name": the
        entry's title}; without the port, the frontend's card of the flow would show the title
        with its placeholder unfilled.
        """
        self.context["title_placeholders"] = {
            **self.context.get("title_placeholders", {}),
            "port": port,
        }

    def _existing_entry(self) -> ConfigEntry:
        if self.source == SOURCE_REAUTH:
            return self._get_reauth_entry()
        return self._get_reconfigure_entry()

    async def _async_release_port(self, port: str) -> None:
        """Unload the flow's own entry if it holds this port, so the flow can talk to the module.

        A serial port has one user at a time. Only the entry being reconfigured or
        reauthenticated is ever unloaded (another entry's port is refused before this): it
        comes back when the flow ends, by the reload that saving triggers, or by
        `async_remove` when the flow is abandoned.
        """
        own = self._own_entry_id()
        for entry in await self._async_entries_on_port(port):
            if entry.entry_id == own and entry.state is ConfigEntryState.LOADED:
                await self.hass.config_entries.async_unload(entry.entry_id)
                self._unloaded_entry = entry

    def _own_entry_id(self) -> str | None:
        """The entry this flow changes (reconfigure, reauth), None for a new one."""
        if self.source in (SOURCE_RECONFIGURE, SOURCE_REAUTH):
            return self._existing_entry().entry_id
        return None

    async def _async_other_entry_on_port(self, port: str) -> ConfigEntry | None:
        """An entry other than the flow's own that uses this port (under any of its names)."""
        own = self._own_entry_id()
        others = [e for e in await self._async_entries_on_port(port) if e.entry_id != own]
        return others[0] if others else None

    @callback
    def _async_abort_port_in_use(self, holder: ConfigEntry) -> ConfigFlowResult:
        return self.async_abort(
            reason="port_in_use", description_placeholders={"title": holder.title}
        )

    async def _async_entries_on_port(self, port: str) -> list[ConfigEntry]:
        """The entries using this port under any of its names (a by-id link, the tty itself)."""
        entries = [
            entry
            for entry in self._async_current_entries(include_ignore=False)
            if CONF_DEVICE in entry.data
        ]

        def same_port() -> list[ConfigEntry]:
            real = os.path.realpath(port)
            return [e for e in entries if os.path.realpath(e.data[CONF_DEVICE]) == real]

        return await self.hass.async_add_executor_job(same_port)

    @callback
    def async_remove(self) -> None:
        """Set up again an entry this flow unloaded and did not save."""
        if self._unloaded_entry is not None:
            self.hass.config_entries.async_schedule_reload(self._unloaded_entry.entry_id)
