"""What a config entry stores to log in, as the protocol library takes it (`LoginSettings`).

The login itself (AT+CIOTCONNECTPARA, a stale login closed, AT+CIOTSTART, its check, and
-109 told apart) is the library's `M6311Client.login`; the config flow and the link use it.
"""

from __future__ import annotations

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
from .m6311 import ConnectMode, LoginSettings

if TYPE_CHECKING:
    from collections.abc import Mapping


def login_settings(data: Mapping[str, Any]) -> LoginSettings:
    """The login settings in a config entry's data (or a flow's answers)."""
    return LoginSettings(
        mode=ConnectMode(data[CONF_MODE]),
        encrypt=bool(data.get(CONF_ENCRYPT, False)),
        device_id=data.get(CONF_DEVICE_ID, ""),
        master_key=data.get(CONF_MASTER_KEY, ""),
        project_id=data.get(CONF_PROJECT_ID, ""),
        auth_key=data.get(CONF_AUTH_KEY, ""),
        auth_value=data.get(CONF_AUTH_VALUE, ""),
    )
