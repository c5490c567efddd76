"""The M6311 client: one typed method for each command of the module's AT command set.

`M6311Client` is a `ModuleConnection` (see connection.py for the link itself) that builds each
command with `commands`, sends it, and reads the answer into a typed result with `responses`.
Every method takes `timeout`: the seconds its command's answer may take, instead of the
command's own (`commands.DEFAULT_TIMEOUT`, a minute for AT+CIOTINIT, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import serialx

from . import commands
from .acks import AckTracker
from .commands import DEFAULT_LINE_LIMIT
from .connection import DEFAULT_BAUDRATE, ModuleConnection, StreamOpener
from .errors import (
    DeviceConnectError,
    LoginRefusedError,
    LoginUnreachableError,
    M6311CommandError,
    M6311Error,
    M6311ProtocolError,
    M6311TimeoutError,
    NoDeviceIdError,
    NoDeviceKeyError,
    NoMasterKeyError,
    NotAnM6311Error,
)
from .models import (
    ConnectMode,
    LinkStatus,
    LoginSettings,
    ModuleInfo,
    Provisioning,
    SignalQuality,
)
from .redaction import SECRETS
from .responses import (
    Response,
    read_firmware,
    read_imei,
    read_signal,
    read_status,
    read_value,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from .commands import Command
    from .records import Record

_LOGGER = logging.getLogger(__name__)

BINARY_OVER_TIMEOUT = 5.0
"""How long to wait for `BIN SEND OVER!` after the last chunk before ending anyway."""
DEFAULT_ACK_TIMEOUT = 30.0
"""How long the platform may take to acknowledge stored data (`SAVE succ!msg:<id>`)."""


class M6311Client(ModuleConnection):
    """A connection to one M6311 module, with a method for each command."""

    def __init__(
        self,
        url: str,
        *,
        baudrate: int = DEFAULT_BAUDRATE,
        line_limit: int = DEFAULT_LINE_LIMIT,
        open_connection: StreamOpener = serialx.open_serial_connection,
    ) -> None:
        """Describe the module's port and its longest accepted command line (bytes)."""
        super().__init__(url, baudrate=baudrate, open_connection=open_connection)
        self.line_limit = line_limit
        self._msg_id = 0
        self._acks = AckTracker()
        self.subscribe(self._acks.on_event)

    # -- the module ------------------------------------------------------------------------

    async def check_alive(self, *, timeout: float | None = None) -> None:
        """`AT`: the module answers at all."""
        await self.execute(commands.at(), timeout=timeout)

    async def wake(self, *, timeout: float | None = None) -> None:
        """`AT`, and once more if it is answered with an error.

        After a replug, a reboot, or bytes sent at another baud rate, the module's line buffer
        may hold noise until a line end: the first `AT` reaches it as `<noise>AT` and gets
        `ERROR`; the second one is clean.
        """
        try:
            await self.check_alive(timeout=timeout)
        except M6311CommandError:
            await self.check_alive(timeout=timeout)

    async def identify(self, *, timeout: float | None = None) -> ModuleInfo:
        """Who answers: woken (`AT`), echo off (`ATE0`), its IMEI, what it stores (`AT+CIOT?`).

        Raises:
            M6311TimeoutError, M6311CommandError: nothing (or nothing sensible) answered `AT`.
            NotAnM6311Error: it speaks AT, but not the OneNET commands as an M6311 does.
            M6311ConnectionError: the port went away.
        """
        await self.wake(timeout=timeout)
        try:
            await self.disable_echo(timeout=timeout)
            imei = await self.read_imei(timeout=timeout)
            provisioning = await self._any_provisioning(timeout)
        except (M6311CommandError, M6311ProtocolError, M6311TimeoutError) as err:
            msg = f"the module on {self.url} answers AT, but not as an M6311: {err}"
            raise NotAnM6311Error(msg) from err
        return ModuleInfo(imei=imei, provisioning=provisioning)

    async def _any_provisioning(self, timeout: float | None) -> Provisioning:
        """AT+CIOT?, also from a module whose dialect drops error codes (plain `ERROR`).

        Such a module answers a bare error when anything is missing, as a module without the
        OneNET commands does; AT+CIOTSTATUS, which every M6311 answers, tells the two apart.
        What is missing stays unknown: it reads as no master key (ask for one).
        """
        try:
            return await self.read_provisioning(timeout=timeout)
        except M6311CommandError as err:
            if err.error_code is not None:
                raise
            await self.execute(commands.status(), timeout=timeout)
            return Provisioning.NO_MASTER_KEY

    async def disable_echo(self, *, timeout: float | None = None) -> None:
        """`ATE0`: stop echoing commands (echo is on after power-up)."""
        await self.execute(commands.echo_off(), timeout=timeout)

    async def read_imei(self, *, timeout: float | None = None) -> str:
        """`AT+CGSN`: the module's IMEI."""
        return read_imei(await self.execute(commands.imei(), timeout=timeout))

    async def read_firmware(self, *, timeout: float | None = None) -> str:
        """`AT+CGMR`: the firmware revision."""
        return read_firmware(await self.execute(commands.firmware(), timeout=timeout))

    async def read_signal(self, *, timeout: float | None = None) -> SignalQuality:
        """`AT+CSQ`: signal quality."""
        return read_signal(await self.execute(commands.signal(), timeout=timeout))

    # -- provisioning (mode 0) -------------------------------------------------------------

    async def read_provisioning(self, *, timeout: float | None = None) -> Provisioning:
        """`AT+CIOT?`: which of master key, device ID and device key are stored."""
        try:
            await self.execute(commands.provisioning(), timeout=timeout)
        except NoMasterKeyError:
            return Provisioning.NO_MASTER_KEY
        except NoDeviceIdError:
            return Provisioning.NO_DEVICE_ID
        except NoDeviceKeyError:
            return Provisioning.NO_DEVICE_KEY
        return Provisioning.COMPLETE

    async def has_master_key(self, *, timeout: float | None = None) -> bool:
        """`AT+CIOTMKEY?`: whether a master APIKEY is stored (its value is never shown)."""
        try:
            await self.execute(commands.master_key_query(), timeout=timeout)
        except NoMasterKeyError:
            return False
        return True

    async def set_master_key(self, master_key: str, *, timeout: float | None = None) -> None:
        """`AT+CIOTMKEY=`: store the master APIKEY; this deletes the stored device ID and key."""
        await self.execute(commands.set_master_key(master_key), timeout=timeout)

    async def init_device(self, *, timeout: float | None = None) -> None:
        """`AT+CIOTINIT`: create (or check) the device and its key on the platform."""
        await self.execute(commands.init_device(), timeout=timeout)

    async def provision(self, master_key: str | None = None) -> str:
        """Mode 0: make the module hold a device (§4.2.1); returns its device ID.

        With `master_key` it is stored first (AT+CIOTMKEY=, which deletes a device made with
        another key); then AT+CIOTINIT creates the device and its key on the platform, or,
        when the module holds them, checks the device still exists (and makes it again if not).
        """
        if master_key:
            await self.set_master_key(master_key)
        await self.init_device()
        return await self.read_device_id()

    async def read_device_id(self, *, timeout: float | None = None) -> str:
        """`AT+CIOTID?`: the stored device ID."""
        return read_value(await self.execute(commands.device_id_query(), timeout=timeout))

    async def read_device_key(self, *, timeout: float | None = None) -> str:
        """`AT+CIOTKEY?`: the stored device APIKEY (a secret: never log it)."""
        return read_value(await self.execute(commands.device_key_query(), timeout=timeout))

    async def clear_device_id(self, *, timeout: float | None = None) -> None:
        """`AT+CIOTIDC`: delete the stored device ID, and with it the device key."""
        await self.execute(commands.clear_device_id(), timeout=timeout)

    async def clear_device_key(self, *, timeout: float | None = None) -> None:
        """`AT+CIOTKEYC`: delete the stored device key only."""
        await self.execute(commands.clear_device_key(), timeout=timeout)

    # -- the platform link -----------------------------------------------------------------

    async def login(self, settings: LoginSettings) -> None:
        """Log in to the platform in the settings' mode and hold the link open.

        AT+CIOTCONNECTPARA for the mode (modes 1 and 2 are forgotten at every reboot, so they
        are set each time), AT+CIOTQUIT of a login left from before (while up, the module
        refuses a new one, and the old one may have other settings), AT+CIOTSTART, and
        AT+CIOTSTATUS to see it up.

        Raises:
            LoginRefusedError: -109 while the module has a signal: the credentials.
            LoginUnreachableError: -109 without a signal: the network, not the credentials.
            M6311Error: any other failure (no stored device in mode 0: -103, -104, ...).
        """
        await self.prepare_one_shot(settings)
        try:
            await self.start(encrypt=settings.encrypt)
            if await self.read_status() is not LinkStatus.UP:
                msg = "CIOTSTART"
                raise DeviceConnectError(msg)  # noqa: TRY301  # classified below
        except DeviceConnectError as err:
            raise await self._classify_refusal(err) from err

    async def prepare_one_shot(self, settings: LoginSettings) -> None:
        """Set the mode's parameters and close a login left from before, staying logged out.

        One-shot mode (AT+CIOTSEND) logs in, sends and logs out in one command, with these.
        """
        with SECRETS.scoped(settings.secrets):
            await self._set_connect_params(settings)
        if await self.read_status() is LinkStatus.UP:
            with contextlib.suppress(M6311CommandError):
                await self.quit()

    async def _set_connect_params(self, settings: LoginSettings) -> None:
        match settings.mode:
            case ConnectMode.STORED_DEVICE:
                await self.use_stored_device()
            case ConnectMode.DEVICE_ID:
                await self.use_device(settings.device_id, settings.master_key)
            case _:  # ConnectMode.PROJECT_AUTH, the last of the three
                await self.use_project(settings.project_id, settings.auth_key, settings.auth_value)

    async def _classify_refusal(self, error: DeviceConnectError) -> DeviceConnectError:
        """-109 stands for refused credentials and for no network alike: AT+CSQ tells which.

        Without a signal, asking the user to check the keys would send them the wrong way.
        """
        try:
            signal = await self.read_signal()
        except M6311Error:
            return LoginRefusedError(error.command, error.error_code)  # cannot tell: as before
        if signal.dbm is None:
            return LoginUnreachableError(error.command, error.error_code)
        return LoginRefusedError(error.command, error.error_code)

    def next_msg_id(self, *, one_shot: bool = False) -> int:
        """Message ids in turn, from 1 (0 means "no acknowledgement"), each one once in a while.

        AT+CIOTDAT and AT+CIOTBINSET take up to 65535, AT+CIOTSEND up to 65534.
        """
        top = commands.SEND_ONCE_MSG_ID_MAX if one_shot else commands.MSG_ID_MAX
        self._msg_id = self._msg_id % top + 1
        return self._msg_id

    async def use_stored_device(self, *, timeout: float | None = None) -> None:
        """`AT+CIOTCONNECTPARA=0`: log in with the device the module created."""
        await self.execute(commands.connect_stored_device(), timeout=timeout)

    async def use_device(
        self, device_id: str, master_key: str, *, timeout: float | None = None
    ) -> None:
        """`AT+CIOTCONNECTPARA=1,...`: log in as a platform-made device."""
        await self.execute(commands.connect_device(device_id, master_key), timeout=timeout)

    async def use_project(
        self, project_id: str, auth_key: str, auth_value: str, *, timeout: float | None = None
    ) -> None:
        """`AT+CIOTCONNECTPARA=2,...`: log in by project ID and the device's auth_info."""
        await self.execute(
            commands.connect_project(project_id, auth_key, auth_value), timeout=timeout
        )

    async def read_status(self, *, timeout: float | None = None) -> LinkStatus:
        """`AT+CIOTSTATUS`: whether the module is logged in to the platform."""
        return read_status(await self.execute(commands.status(), timeout=timeout))

    async def start(self, *, encrypt: bool = False, timeout: float | None = None) -> None:
        """`AT+CIOTSTART=`: open the long EDP connection to the platform."""
        await self.execute(commands.start(encrypt=encrypt), timeout=timeout)

    async def quit(self, *, timeout: float | None = None) -> None:
        """`AT+CIOTQUIT`: close the EDP connection."""
        await self.execute(commands.quit(), timeout=timeout)

    async def ping(self, *, timeout: float | None = None) -> float:
        """`AT+CIOTPING`: a heartbeat to the platform; returns the round trip in seconds."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        command = commands.ping()
        response = await self.execute(command, timeout=timeout)
        if not _ping_succeeded(command, response):
            raise M6311CommandError(command.name)
        return loop.time() - started

    # -- data ------------------------------------------------------------------------------

    async def send_data(
        self,
        records: Sequence[Record],
        *,
        msg_id: int = 0,
        wait_ack: bool = False,
        ack_timeout: float = DEFAULT_ACK_TIMEOUT,
    ) -> int:
        """Send records with as few `AT+CIOTDAT` lines as fit; returns how many were sent.

        With `wait_ack` (and msg_id > 0) it returns only once the platform has acknowledged
        every line with `SAVE succ!msg:<msg_id>`.
        """
        batches = commands.send_data_batches(msg_id, records, line_limit=self.line_limit)
        expected = len(batches) if wait_ack and msg_id else 0
        with self._acks.expect_saves(msg_id, expected) as waiters:
            for command in batches:
                await self.execute(command)
            await self._acks.wait(waiters, ack_timeout, "CIOTDAT: the data was")
        return len(batches)

    async def send_once(
        self,
        records: Sequence[Record],
        *,
        encrypt: bool = False,
        msg_id: int = 0,
        wait_ack: bool = False,
        ack_timeout: float = DEFAULT_ACK_TIMEOUT,
    ) -> None:
        """`AT+CIOTSEND`: log in, send one line of records and log out, in one command.

        With `wait_ack` (and msg_id > 0) it returns once the platform acknowledged the line.
        """
        command = commands.send_once(encrypt, msg_id, records, line_limit=self.line_limit)
        with self._acks.expect_saves(msg_id, 1 if wait_ack and msg_id else 0) as waiters:
            await self.execute(command)
            await self._acks.wait(waiters, ack_timeout, "CIOTSEND: the data was")

    async def send_file(  # noqa: PLR0913  # all but two are keyword-only options
        self,
        datastream: str,
        data: bytes,
        *,
        msg_id: int = 0,
        wait_ack: bool = False,
        ack_timeout: float = DEFAULT_ACK_TIMEOUT,
        keepalive: float | None = None,
        timeout: float | None = None,
    ) -> str:
        """Upload bytes to a datastream (CIOTBINSET, CIOTBINSEND chunks, CIOTBINEND).

        With `wait_ack` (and msg_id > 0) it returns only once the platform acknowledged the
        file (`SAVE succ!msg:<msg_id>`, printed after the last chunk). With `keepalive`, an
        AT+CIOTPING goes between two chunks whenever that many seconds passed since the last:
        the module sends the file only after its last chunk, and its link drops after 128 s
        without traffic, while 3 MiB take some nine minutes at 115200 baud. `timeout` applies
        to each command. Returns the upload status the module reports with `+OK=` ("" when it
        reports none).
        """
        chunk_size = commands.binary_chunk_capacity(self.line_limit)
        await self.execute(commands.binary_header(msg_id, datastream, len(data)), timeout=timeout)
        expected = 1 if wait_ack and msg_id else 0
        loop = asyncio.get_running_loop()
        pinged_at = loop.time()
        with (
            self._acks.expect_saves(msg_id, expected) as saves,
            self._acks.expect_binary_over() as over,
        ):
            for chunk in _chunked(data, chunk_size):
                if keepalive is not None and loop.time() - pinged_at >= keepalive:
                    await self.ping(timeout=timeout)
                    pinged_at = loop.time()
                await self.execute(commands.binary_chunk(chunk), timeout=timeout)
            await _wait_optional(over, BINARY_OVER_TIMEOUT)
            status = (await self.execute(commands.binary_end(), timeout=timeout)).value or ""
            await self._acks.wait(saves, ack_timeout, "CIOTBINSEND: the file was")
        return status


def _ping_succeeded(command: Command, response: Response) -> bool:
    """A final `+OK` succeeds; so does the dialect's `+CIOTPING: OK`, but not other text."""
    prefixes = tuple(prefix.casefold() for prefix in command.answer_prefixes)
    for line in response.lines:
        if line.casefold().startswith(prefixes):
            return line.split(":", 1)[1].strip().casefold() == "ok"
    return True


def _chunked(data: bytes, size: int) -> Iterable[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def _wait_optional(future: asyncio.Future[None], seconds: float) -> None:
    """Wait for a line some firmwares never print; CIOTBINEND still reports the outcome."""
    try:
        async with asyncio.timeout(seconds):
            await asyncio.shield(future)  # a timeout here must not cancel what others await
    except TimeoutError:
        _LOGGER.debug("No BIN SEND OVER! after the last chunk; ending the upload anyway")
