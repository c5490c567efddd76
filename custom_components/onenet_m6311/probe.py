"""What the config flow asks the module before anything is stored.

Each check opens the port for itself and closes it again, and maps every failure to the key
of a translated form error, so the flow only decides what to show next. These checks are the
flows' edge: whatever else goes wrong in them (a bug, an OS error the library did not expect)
is logged with its traceback and shown as the translated "unknown" error, never raw.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .const import LOGGER
from .m6311 import (
    DeviceConnectError,
    DeviceInitError,
    LoginSettings,
    LoginUnconfirmedError,
    LoginUnreachableError,
    M6311Client,
    M6311CommandError,
    M6311ConnectionError,
    M6311Error,
    M6311TimeoutError,
    M6311ValidationError,
    ModeRefusedError,
    NetworkError,
    NoDeviceIdError,
    NoDeviceKeyError,
    NoMasterKeyError,
    NotAnM6311Error,
    ParameterError,
    Provisioning,
    WlanError,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable


class ProbeError(Exception):
    """A check failed; `key` names the translated form error, `placeholders` fill it in."""

    def __init__(self, key: str, placeholders: dict[str, str] | None = None) -> None:
        """Carry the error key, and what its text names (what the module answered)."""
        super().__init__(key)
        self.key = key
        self.placeholders = placeholders or {}


def _flow_edge[**P, T](check: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Let `ProbeError` through; log any other exception and raise it as "unknown"."""

    @functools.wraps(check)
    async def checked(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await check(*args, **kwargs)
        except ProbeError:
            raise
        except Exception as err:
            LOGGER.exception("Unexpected error in %s", check.__name__)
            msg = "unknown"
            raise ProbeError(msg) from err

    return checked


@dataclass(frozen=True, slots=True)
class ModuleFound:
    """An M6311 answered on the port."""

    imei: str
    provisioning: Provisioning
    device_id: str | None = None
    """The device a module that holds one logs in with in mode 0 (`AT+CIOTID?`)."""


LOGIN_ERRORS: tuple[tuple[type[M6311Error], str], ...] = (
    (M6311ValidationError, "invalid_parameters"),
    (ParameterError, "invalid_parameters"),
    (LoginUnreachableError, "network_error"),  # -109 without a signal: not the credentials
    (LoginUnconfirmedError, "login_unconfirmed"),  # accepted, not reported up: slow, not refused
    (ModeRefusedError, "mode_refused"),  # neither command set: says what the module answered
    (DeviceConnectError, "invalid_auth"),
    (WlanError, "network_error"),
    (NetworkError, "network_error"),
    (DeviceInitError, "init_failed"),
    (NoMasterKeyError, "no_master_key"),
    (NoDeviceIdError, "no_device"),
    (NoDeviceKeyError, "no_device"),
    (M6311ConnectionError, "cannot_connect"),
    (M6311TimeoutError, "no_answer"),
)
"""Library errors in a login attempt and the form errors they become (first match wins)."""


def login_error_key(err: M6311Error) -> str:
    """The form error for a failed login or provisioning step."""
    for error_type, key in LOGIN_ERRORS:
        if isinstance(err, error_type):
            return key
    LOGGER.warning("Unexpected answer from the module while logging in: %s", err)
    return "unknown"


@_flow_edge
async def async_find_module(port: str, baudrate: int) -> ModuleFound:
    """Is an M6311 with OneNET firmware on this port? (`M6311Client.identify`)."""
    client = M6311Client(port, baudrate=baudrate)
    try:
        await client.connect()
    except M6311ConnectionError as err:
        raise _cannot_open(port) from err
    try:
        module = await client.identify()
        device_id = await _held_device_id(client, module.provisioning)
    except NotAnM6311Error as err:
        # It speaks AT, but not the OneNET commands (or not the way an M6311 does).
        msg = "not_m6311"
        raise ProbeError(msg) from err
    except (M6311TimeoutError, M6311CommandError) as err:
        msg = "no_answer"
        raise ProbeError(msg) from err
    except M6311Error as err:
        msg = "cannot_connect"
        raise ProbeError(msg) from err
    finally:
        await client.close()
    return ModuleFound(imei=module.imei, provisioning=module.provisioning, device_id=device_id)


async def _held_device_id(client: M6311Client, provisioning: Provisioning) -> str | None:
    """The stored device's ID, when the module holds a device (a form names it)."""
    if provisioning is not Provisioning.COMPLETE:
        return None
    try:
        return await client.read_device_id()
    except M6311CommandError:
        return None


@_flow_edge
async def async_provision(port: str, baudrate: int, master_key: str | None) -> str:
    """Mode 0: store the master key and create the device (CIOTMKEY, CIOTINIT) if needed.

    With `master_key` None the module's stored device is checked (CIOTINIT re-creates it on
    the platform if it is gone). Returns the device ID the module holds.
    """
    try:
        async with M6311Client(port, baudrate=baudrate) as client:  # opening can fail too
            return await client.provision(master_key)
    except M6311Error as err:
        raise _login_error(err) from err


@_flow_edge
async def async_try_login(port: str, baudrate: int, settings: LoginSettings) -> None:
    """Log in for real (`M6311Client.login`), then log out (AT+CIOTQUIT)."""
    try:
        async with M6311Client(port, baudrate=baudrate) as client:
            await client.login(settings)
            await client.quit()
    except M6311Error as err:
        raise _login_error(err) from err


def _cannot_open(port: str) -> ProbeError:
    """A device that is not there or is busy, or a network port that does not answer."""
    scheme, separator, address = port.partition("://")
    if separator:
        return ProbeError("cannot_connect_network", {"scheme": scheme.lower(), "address": address})
    return ProbeError("cannot_connect")


def _login_error(err: M6311Error) -> ProbeError:
    """The form error for a failed login or provisioning step, with what it names."""
    return ProbeError(login_error_key(err), dict(err.placeholders))
