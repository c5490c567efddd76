"""What the config flow asks the module before anything is stored.

Each check opens the port for itself and closes it again, and maps every failure to the key
of a translated form error, so the flow only decides what to show next.
"""

from __future__ import annotations

from dataclasses import dataclass

from .const import LOGGER
from .login import LoginSettings, async_login
from .m6311 import (
    DeviceConnectError,
    DeviceInitError,
    M6311Client,
    M6311CommandError,
    M6311ConnectionError,
    M6311Error,
    M6311TimeoutError,
    M6311ValidationError,
    NetworkError,
    NoDeviceIdError,
    NoDeviceKeyError,
    NoMasterKeyError,
    ParameterError,
    Provisioning,
    WlanError,
    commands,
)


class ProbeError(Exception):
    """A check failed; `key` names the translated form error."""

    def __init__(self, key: str) -> None:
        """Carry the error key."""
        super().__init__(key)
        self.key = key


@dataclass(frozen=True, slots=True)
class ModuleFound:
    """An M6311 answered on the port."""

    imei: str
    provisioning: Provisioning


LOGIN_ERRORS: tuple[tuple[type[M6311Error], str], ...] = (
    (M6311ValidationError, "invalid_parameters"),
    (ParameterError, "invalid_parameters"),
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


async def async_find_module(port: str, baudrate: int) -> ModuleFound:
    """AT, ATE0, AT+CGSN and AT+CIOT?: is an M6311 with OneNET firmware on this port?"""
    client = M6311Client(port, baudrate=baudrate)
    try:
        await client.connect()
    except M6311ConnectionError as err:
        msg = "cannot_connect"
        raise ProbeError(msg) from err
    try:
        return await _identify(client)
    finally:
        await client.close()


async def _identify(client: M6311Client) -> ModuleFound:
    try:
        await _check_alive(client)
    except (M6311TimeoutError, M6311CommandError) as err:
        msg = "no_answer"
        raise ProbeError(msg) from err
    except M6311ConnectionError as err:
        msg = "cannot_connect"
        raise ProbeError(msg) from err
    try:
        await client.disable_echo()
        imei = await client.read_imei()
        provisioning = await _read_provisioning(client)
    except M6311ConnectionError as err:
        msg = "cannot_connect"
        raise ProbeError(msg) from err
    except M6311Error as err:
        # It speaks AT, but not the OneNET commands (or not the way an M6311 does).
        msg = "not_m6311"
        raise ProbeError(msg) from err
    return ModuleFound(imei=imei, provisioning=provisioning)


async def _check_alive(client: M6311Client) -> None:
    """AT, and once more if it fails: the module may hold noise from before in its line buffer.

    Bytes sent at another baud rate (a probe with the wrong one, a minute ago) or half a
    command stay in the module's buffer until a line end, so the first AT reaches it as
    `<noise>AT` and is answered ERROR; the second one is clean.
    """
    try:
        await client.check_alive()
    except M6311CommandError:
        await client.check_alive()


async def _read_provisioning(client: M6311Client) -> Provisioning:
    """AT+CIOT?, also from a module whose dialect drops error codes (plain `ERROR`).

    Such a module answers a bare error when anything is missing, as a module without the
    OneNET commands does; AT+CIOTSTATUS, which every M6311 answers, tells the two apart. What
    is missing stays unknown: the flow then asks for the master key.
    """
    try:
        return await client.read_provisioning()
    except M6311CommandError as err:
        if err.error_code is not None:
            raise
        await client.execute(commands.status())
        return Provisioning.NO_MASTER_KEY


async def async_provision(port: str, baudrate: int, master_key: str | None) -> str:
    """Mode 0: store the master key and create the device (CIOTMKEY, CIOTINIT) if needed.

    With `master_key` None the module's stored device is checked (CIOTINIT re-creates it on
    the platform if it is gone). Returns the device ID the module holds.
    """
    try:
        async with M6311Client(port, baudrate=baudrate) as client:  # opening can fail too
            if master_key is not None:
                await client.set_master_key(master_key)
            await client.init_device()
            return await client.read_device_id()
    except M6311Error as err:
        raise ProbeError(login_error_key(err)) from err


async def async_try_login(port: str, baudrate: int, settings: LoginSettings) -> None:
    """Log in for real (CONNECTPARA, CIOTSTART, CIOTSTATUS), then log out (CIOTQUIT)."""
    try:
        async with M6311Client(port, baudrate=baudrate) as client:
            try:
                await async_login(client, settings)
            except DeviceConnectError as err:
                # -109 stands for refused credentials and for no network alike: without a
                # signal, asking the user to check the keys would send them the wrong way.
                if await _without_signal(client):
                    msg = "network_error"
                    raise ProbeError(msg) from err
                raise
            await client.quit()
    except M6311Error as err:
        raise ProbeError(login_error_key(err)) from err


async def _without_signal(client: M6311Client) -> bool:
    """Whether AT+CSQ says the module has no signal (rssi 99); False when it cannot tell."""
    try:
        signal = await client.read_signal()
    except M6311Error:
        return False
    return signal.dbm is None
