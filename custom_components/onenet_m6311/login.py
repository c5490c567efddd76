"""Logging the module in to OneNET in the configured AT+CIOTCONNECTPARA mode.

Shared by the config flow (which tests a login before anything is stored) and the coordinator
(which logs in at set-up and after every reconnect), so both do exactly the same thing.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .const import (
    CONF_AUTH_KEY,
    CONF_AUTH_VALUE,
    CONF_DEVICE_ID,
    CONF_ENCRYPT,
    CONF_MASTER_KEY,
    CONF_MODE,
    CONF_PROJECT_ID,
)
from .m6311 import ConnectMode, DeviceConnectError, LinkStatus, M6311Client, M6311CommandError

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True, slots=True)
class LoginSettings:
    """The connection mode and the credentials it needs."""

    mode: ConnectMode
    encrypt: bool = False
    device_id: str = ""
    master_key: str = ""
    project_id: str = ""
    auth_key: str = ""
    auth_value: str = ""

    @classmethod
    def from_entry_data(cls, data: Mapping[str, Any]) -> LoginSettings:
        """Read the settings a config entry stores."""
        return cls(
            mode=ConnectMode(data[CONF_MODE]),
            encrypt=bool(data.get(CONF_ENCRYPT, False)),
            device_id=data.get(CONF_DEVICE_ID, ""),
            master_key=data.get(CONF_MASTER_KEY, ""),
            project_id=data.get(CONF_PROJECT_ID, ""),
            auth_key=data.get(CONF_AUTH_KEY, ""),
            auth_value=data.get(CONF_AUTH_VALUE, ""),
        )


async def async_set_connect_params(client: M6311Client, settings: LoginSettings) -> None:
    """AT+CIOTCONNECTPARA for the mode (modes 1 and 2 are forgotten at every reboot)."""
    match settings.mode:
        case ConnectMode.STORED_DEVICE:
            await client.use_stored_device()
        case ConnectMode.DEVICE_ID:
            await client.use_device(settings.device_id, settings.master_key)
        case _:  # ConnectMode.PROJECT_AUTH, the last of the three
            await client.use_project(settings.project_id, settings.auth_key, settings.auth_value)


async def async_login(client: M6311Client, settings: LoginSettings) -> None:
    """Set the mode's parameters and open the platform link; raise when it is not up after."""
    await _async_fresh_parameters(client, settings)
    await client.start(encrypt=settings.encrypt)
    if await client.read_status() is not LinkStatus.UP:
        msg = "CIOTSTART"
        raise DeviceConnectError(msg)


async def async_prepare_one_shot(client: M6311Client, settings: LoginSettings) -> None:
    """One-shot mode: set the parameters AT+CIOTSEND logs in with, and stay logged out."""
    await _async_fresh_parameters(client, settings)


async def _async_fresh_parameters(client: M6311Client, settings: LoginSettings) -> None:
    """Set the mode's parameters and close a login left from before.

    While up the module refuses a new connection, and a login from another Home Assistant run
    (or other credentials) would keep the old settings in effect.
    """
    await async_set_connect_params(client, settings)
    if await client.read_status() is LinkStatus.UP:
        with contextlib.suppress(M6311CommandError):
            await client.quit()
