"""The M6311 client: one typed method for each command of the module's AT command set.

`M6311Client` holds a `ModuleConnection` (connection.py: the link itself, framing and matching)
and what watches it (the meters and the serial trace); it builds each command with `commands`,
has the connection carry it out, and reads the answer into a typed result with `responses`.
Every method takes `timeout`: the seconds its command's answer may take, instead of the
command's own (`commands.DEFAULT_TIMEOUT`, a minute for AT+CIOTINIT, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from typing import TYPE_CHECKING

import serialx

from . import commands
from .acks import AckTracker
from .commands import DEFAULT_LINE_LIMIT
from .connection import (
    DEFAULT_BAUDRATE,
    Connectable,
    EventCallback,
    ModuleConnection,
    StreamOpener,
)
from .errors import (
    DeviceConnectError,
    LoginRefusedError,
    LoginUnconfirmedError,
    LoginUnreachableError,
    M6311CommandError,
    M6311Error,
    M6311ProtocolError,
    M6311TimeoutError,
    ModeRefusedError,
    NoDeviceIdError,
    NoDeviceKeyError,
    NoMasterKeyError,
    NotAnM6311Error,
    refused_as_unknown,
)
from .line_limit import LineLimit, LineRefusedError
from .meters import LinkMeters
from .models import (
    Connected,
    ConnectFailed,
    ConnectMode,
    LinkStatus,
    LoginSettings,
    ModuleBoot,
    ModuleEvent,
    ModuleInfo,
    Provisioning,
    SignalQuality,
)
from .network import (
    SIM_NOT_INSERTED,
    NetworkStatus,
    SimState,
    read_iccid,
    read_imsi,
    read_operator,
    read_registration,
    read_sim_state,
)
from .redaction import SECRETS, install_log_filter
from .responses import (
    Response,
    read_firmware,
    read_imei,
    read_signal,
    read_status,
    read_value,
)
from .trace import SerialTrace

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from .commands import Command
    from .records import Record

_LOGGER = logging.getLogger(__name__)

LOGIN_CONFIRM_TIMEOUT = 20.0
"""How long a login the module accepted with `OK` may take to be reported up. Newer firmware
answers `AT+CIOTSTART` at once and prints `CONNECT OK` when the login is done; the real
M6311R driver gives it 10 s (docs/protocol.md, evidence): twice that, for a slow network."""
LOGIN_POLL_INTERVAL = 1.0
"""While a login is not confirmed, AT+CIOTSTATUS is asked this often (for firmware that
reports nothing)."""
STARTUP_TIMEOUT = 20.0
"""How long a module that does not answer yet may still be starting: real drivers wait 15 s
after power-on, and firmware ignores commands until it is ready."""
READY_PATIENCE = 6.0
"""Once `AT` is answered, how long refusals of the other identity commands may still be a
module finishing its start; after that, a module that answers `AT` alone is not an M6311."""
STARTUP_ATTEMPT = 1.0
"""Seconds each `AT` of a start-up wait may take before it is sent again."""
BINARY_OVER_TIMEOUT = 5.0
"""How long to wait for `BIN SEND OVER!` after the last chunk before ending anyway."""
RESTART_SETTLE = 5.0
"""After AT+CFUN=1,1 is answered, how long to wait for the module's start-up line before
asking it again (it may print none)."""
DEFAULT_ACK_TIMEOUT = 30.0
"""How long the platform may take to acknowledge stored data (`SAVE succ!msg:<id>`)."""


class M6311Client(Connectable):
    """One M6311 module: its link, what watches it, and a method for each command."""

    def __init__(
        self,
        url: str,
        *,
        baudrate: int = DEFAULT_BAUDRATE,
        line_limit: int = DEFAULT_LINE_LIMIT,
        open_connection: StreamOpener = serialx.open_serial_connection,
        trace: SerialTrace | None = None,
    ) -> None:
        """Describe the module's port and its longest accepted command line (bytes)."""
        self.connection = ModuleConnection(url, baudrate=baudrate, open_connection=open_connection)
        self.limits = LineLimit(line_limit)
        """The longest line sent, learnt from the module's refusals (line_limit.py)."""
        self.meters = LinkMeters()
        """Serial bytes both ways and the estimated cellular traffic, across reconnects."""
        self.trace = SerialTrace() if trace is None else trace
        """The last lines both ways, with times and without secrets: for bug reports."""
        self.connection.watch(self.meters)
        self.connection.watch(self.trace)
        self.subscribe(self.meters.event)
        self._msg_id = 0
        self._acks = AckTracker()
        self.subscribe(self._acks.on_event)

    # -- the link --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The module's port: a device path, or a socket:// or esphome:// URL."""
        return self.connection.url

    @property
    def connected(self) -> bool:
        """Whether the port is open and being read."""
        return self.connection.connected

    async def connect(self) -> None:
        """Open the port and start reading it (secrets stay out of every log from now on)."""
        install_log_filter()
        await self.connection.connect()

    async def close(self) -> None:
        """Close the port; safe to call at any time, any number of times."""
        await self.connection.close()

    def subscribe(self, callback: EventCallback) -> Callable[[], None]:
        """Call `callback` with every unsolicited event; returns the call that unsubscribes."""
        return self.connection.subscribe(callback)

    async def execute(
        self, command: Command, *, timeout: float | None = None, resync: bool = True
    ) -> Response:
        """Have the connection carry out one command (see `ModuleConnection.execute`)."""
        return await self.connection.execute(command, timeout=timeout, resync=resync)

    @property
    def line_limit(self) -> int:
        """The longest command line sent now, in bytes with CR LF."""
        return self.limits.value

    @line_limit.setter
    def line_limit(self, limit: int) -> None:
        self.limits.value = commands.check_line_limit(limit)

    # -- the module ------------------------------------------------------------------------

    async def check_alive(self, *, timeout: float | None = None) -> None:
        """`AT`: the module answers at all."""
        await self.execute(commands.at(), timeout=timeout)

    async def wake(self, *, timeout: float | None = None) -> None:
        """`AT` until the module answers it cleanly, for up to `timeout` (`STARTUP_TIMEOUT`).

        A module that is still starting ignores commands (real drivers wait 15 s after power
        on), so a silent `AT` is sent again. After a replug, a reboot, or bytes sent at another
        baud rate, the module's line buffer may hold noise until a line end: the first `AT`
        reaches it as `<noise>AT` and gets `ERROR`; the next one is clean.

        Raises:
            M6311TimeoutError: nothing answered within the time.
            M6311CommandError: `AT` is refused however often it is sent.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (STARTUP_TIMEOUT if timeout is None else timeout)
        while True:
            attempt = min(STARTUP_ATTEMPT, max(deadline - loop.time(), 0.1))
            try:
                # No probe between two of them: a late OK answers the next AT as well, and
                # the line, still out of step, is brought back in step before the next command.
                await self.execute(commands.at(), timeout=attempt, resync=False)
            except M6311TimeoutError, M6311CommandError:
                if loop.time() >= deadline:
                    raise
            else:
                return

    async def identify(self, *, timeout: float | None = None) -> ModuleInfo:
        """Who answers: woken (`AT`), echo off (`ATE0`), its IMEI, what it stores (`AT+CIOT?`).

        A module that is starting ignores commands for a while: `AT` is sent again for up to
        `timeout` (`STARTUP_TIMEOUT`). Once it answers, the other steps are tried again for up to
        `READY_PATIENCE` while the module may still be finishing its start; only then does a
        module that answers `AT` but not the rest count as not an M6311.

        Raises:
            M6311TimeoutError, M6311CommandError: nothing (or nothing sensible) answered `AT`.
            NotAnM6311Error: it speaks AT, but not the OneNET commands as an M6311 does.
            M6311ConnectionError: the port went away.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (STARTUP_TIMEOUT if timeout is None else timeout)
        await self.wake(timeout=deadline - loop.time())
        ready_by = min(deadline, loop.time() + READY_PATIENCE)
        while True:
            try:
                return await self._identity()
            except (M6311CommandError, M6311ProtocolError, M6311TimeoutError) as err:
                if loop.time() < ready_by:
                    # A module that has just answered `AT` may still be starting: firmware
                    # refuses its other commands until it is ready.
                    _LOGGER.debug("The module is not ready yet (%s); asking again", err)
                    await asyncio.sleep(STARTUP_ATTEMPT)
                    await self.wake(timeout=max(deadline - loop.time(), STARTUP_ATTEMPT))
                    continue
                msg = f"the module on {self.url} answers AT, but not as an M6311: {err}"
                raise NotAnM6311Error(msg) from err

    async def _identity(self) -> ModuleInfo:
        """Echo off (`ATE0`), the IMEI, and what the module stores (`AT+CIOT?`)."""
        await self.disable_echo()
        imei = await self.read_imei()
        return ModuleInfo(imei=imei, provisioning=await self._any_provisioning(None))

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

    # -- the cellular network --------------------------------------------------------------

    async def read_network(self) -> NetworkStatus:
        """Registration (both), operator and SIM, as the module says now.

        What a module does not answer stays unknown (None): these are standard commands, but
        the M6311's own document does not list them.
        """
        return NetworkStatus(
            registration=await self._optional(commands.registration(), read_registration),
            data_registration=await self._optional(commands.data_registration(), read_registration),
            operator=await self._optional(commands.operator(), read_operator),
            sim=await self.read_sim_state(),
        )

    async def read_sim_state(self) -> SimState | None:
        """`AT+CPIN?`: the SIM's state (`+CME ERROR: 10` means no SIM)."""
        try:
            return read_sim_state(await self.execute(commands.sim_state()))
        except M6311CommandError as err:
            if err.error_code == SIM_NOT_INSERTED:
                return SimState.ABSENT
            return None

    async def read_sim_identity(self) -> tuple[str | None, str | None]:
        """`AT+CCID` and `AT+CIMI`: the SIM's ICCID and IMSI (None when not told)."""
        iccid = await self._optional(commands.iccid(), read_iccid)
        imsi = await self._optional(commands.imsi(), read_imsi)
        return iccid, imsi

    async def follow_network(self) -> None:
        """`AT+CREG=1`, `AT+CGREG=1`: report registration changes (a module may refuse)."""
        for command in (
            commands.registration_reports(data=False),
            commands.registration_reports(data=True),
        ):
            with contextlib.suppress(M6311CommandError):
                await self.execute(command)

    async def restart(self, *, timeout: float | None = None) -> None:
        """`AT+CFUN=1,1`, then the module's start-up waited for (`RESTART_SETTLE`, `wake`).

        A restart forgets the login parameters of modes 1 and 2, and echo comes back on: the
        caller logs in again (`identify` turns echo off).
        """
        booted = asyncio.get_running_loop().create_future()
        unsubscribe = self.subscribe(functools.partial(_note_boot, booted))
        try:
            await self.execute(commands.restart(), timeout=timeout)
            # A module answering at once may still be the one about to reset: wait for its
            # start-up line, or long enough for any firmware to have gone down.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(RESTART_SETTLE):
                    await asyncio.shield(booted)
        finally:
            unsubscribe()
            booted.cancel()
        await self.wake()

    async def _optional[T](
        self, command: Command, read: Callable[[Response], T | None]
    ) -> T | None:
        """A standard query a module may not know: its value, or None when refused."""
        try:
            return read(await self.execute(command))
        except M6311CommandError:
            return None

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
        command = commands.device_id_query()
        return read_value(await self.execute(command, timeout=timeout), command.name)

    async def read_device_key(self, *, timeout: float | None = None) -> str:
        """`AT+CIOTKEY?`: the stored device APIKEY (a secret: never log it)."""
        command = commands.device_key_query()
        return read_value(await self.execute(command, timeout=timeout), command.name)

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
        refuses a new one, and the old one may have other settings), AT+CIOTSTART, and then
        the login confirmed (`_confirm_login`).

        Raises:
            LoginRefusedError: the module refused it (-109, `CONNECT FAIL`) with a signal: the
                credentials.
            LoginUnreachableError: refused without a signal: the network, not the credentials.
            LoginUnconfirmedError: accepted, but never reported up: slow, not refused.
            M6311Error: any other failure (no stored device in mode 0: -103, -104, ...).
        """
        await self.prepare_one_shot(settings)
        await self.open_link(encrypt=settings.encrypt)

    async def open_link(self, *, encrypt: bool = False) -> None:
        """AT+CIOTSTART with the parameters already set, and the login confirmed.

        Raises:
            As `login`.
        """
        reported: asyncio.Future[Connected | ConnectFailed] = (
            asyncio.get_running_loop().create_future()
        )
        # Listening before AT+CIOTSTART goes out: its CONNECT may come with its OK.
        unsubscribe = self.subscribe(functools.partial(_note_login_report, reported))
        try:
            await self.start(encrypt=encrypt)
            await self._confirm_login(reported)
        except DeviceConnectError as err:
            raise await self._classify_refusal(err) from err
        finally:
            unsubscribe()
            reported.cancel()

    async def _confirm_login(self, reported: asyncio.Future[Connected | ConnectFailed]) -> None:
        """Wait until the login is up: `CONNECT OK`, or AT+CIOTSTATUS saying so.

        The document's firmware is up when `OK` comes; newer firmware answers `OK` at once and
        reports the login seconds later with `CONNECT OK` or `CONNECT FAIL` (docs/protocol.md,
        evidence). Only a refusal the module states is one: a login still not up after
        `LOGIN_CONFIRM_TIMEOUT` is slow, never wrong credentials.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LOGIN_CONFIRM_TIMEOUT
        while not reported.done():
            if await self.read_status() is LinkStatus.UP:
                return
            left = deadline - loop.time()
            if left <= 0:
                raise LoginUnconfirmedError(LOGIN_CONFIRM_TIMEOUT)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(LOGIN_POLL_INTERVAL, left)):
                    await asyncio.shield(reported)
        if isinstance(reported.result(), ConnectFailed):
            raise DeviceConnectError(commands.start(encrypt=False).name)

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
        """The mode's parameters, in the document's commands or, refused, the M6311R's."""
        try:
            match settings.mode:
                case ConnectMode.STORED_DEVICE:
                    await self.use_stored_device()
                case ConnectMode.DEVICE_ID:
                    await self.use_device(settings.device_id, settings.master_key)
                case _:  # ConnectMode.PROJECT_AUTH, the last of the three
                    await self.use_project(
                        settings.project_id, settings.auth_key, settings.auth_value
                    )
        except M6311CommandError as err:
            if not refused_as_unknown(err):
                raise
            await self._use_newer_set(settings, err)

    async def _use_newer_set(self, settings: LoginSettings, refusal: M6311CommandError) -> None:
        """The M6311R's login by stored project and auth info, where the document's failed.

        Newer firmware stores the project (AT+CIOTPROID) and the device's auth info
        (AT+CIOTAUTHINFO) and logs in with them after a bare AT+CIOTCONNECTPARA=1
        (docs/protocol.md, §14). Only mode 2 has such a counterpart: its auth_info value is
        what the device is registered with. Any other refusal says what the module answered.

        Raises:
            ModeRefusedError: neither set is taken for this mode.
        """
        if settings.mode is not ConnectMode.PROJECT_AUTH:
            raise ModeRefusedError(int(settings.mode), refusal.answer) from refusal
        try:
            await self.execute(commands.newer_project_id(settings.project_id))
        except M6311CommandError as err:
            raise ModeRefusedError(int(settings.mode), refusal.answer) from err
        _LOGGER.info("The module takes the M6311R's login commands; using them for mode 2")
        await self.execute(commands.newer_auth_info(settings.auth_value))
        await self.execute(commands.connect_stored_project())

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
        every line with `SAVE succ!msg:<msg_id>`. A line the module refuses for its length
        lowers `line_limit`, and the records not sent yet go in shorter lines.

        Raises:
            M6311ValidationError: a record does not fit a line (also once the limit is lower).
        """
        commands.split_records(records, msg_id=msg_id, line_limit=self.line_limit)  # all fit
        pending = list(records)
        sent = 0
        expected = 1 if wait_ack and msg_id > 0 else 0
        waiters: list[asyncio.Future[None]] = []
        with contextlib.ExitStack() as stack:
            while pending:
                # Each line is cut from what is left at the limit of the moment: it grows
                # and shrinks as the module teaches it (line_limit.py).
                line = commands.split_records(pending, msg_id=msg_id, line_limit=self.line_limit)[0]
                command = commands.send_data(msg_id, line, line_limit=self.line_limit)
                # Expected before the line goes out (its SAVE may come before its OK); a line
                # refused for its length is not sent, and its waiter goes with it.
                with contextlib.ExitStack() as line_acks:
                    line_waiters = line_acks.enter_context(
                        self._acks.expect_saves(msg_id, expected)
                    )
                    try:
                        await self._send_line(command)
                    except LineRefusedError:
                        continue
                    stack.enter_context(line_acks.pop_all())
                waiters += line_waiters
                del pending[: len(line)]
                sent += 1
            await self._acks.wait(waiters, ack_timeout, "CIOTDAT: the data was")
        return sent

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

        Raises:
            LineRefusedError: the module refused the line for its length; `line_limit` is
                lower now, and the caller may split the records again.
        """
        command = commands.send_once(encrypt, msg_id, records, line_limit=self.line_limit)
        with self._acks.expect_saves(msg_id, 1 if wait_ack and msg_id else 0) as waiters:
            await self._send_line(command)
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
        await self.execute(
            commands.binary_header(msg_id, datastream, len(data), line_limit=self.line_limit),
            timeout=timeout,
        )
        expected = 1 if wait_ack and msg_id else 0
        loop = asyncio.get_running_loop()
        pinged_at = loop.time()
        with (
            self._acks.expect_saves(msg_id, expected) as saves,
            self._acks.expect_binary_over() as over,
        ):
            offset = 0
            while offset < len(data):
                if keepalive is not None and loop.time() - pinged_at >= keepalive:
                    await self.ping(timeout=timeout)
                    pinged_at = loop.time()
                offset += await self._send_chunk(data, offset, timeout)
            await _wait_optional(over, BINARY_OVER_TIMEOUT)
            status = (await self.execute(commands.binary_end(), timeout=timeout)).value or ""
            await self._acks.wait(saves, ack_timeout, "CIOTBINSEND: the file was")
        return status

    async def _send_chunk(self, data: bytes, offset: int, timeout: float | None) -> int:
        """One AT+CIOTBINSEND of as many bytes from `offset` as a line holds; how many went.

        A chunk refused for its length goes nowhere: 0, and the next is sized anew.
        """
        chunk = data[offset : offset + commands.binary_chunk_capacity(self.line_limit)]
        command = commands.binary_chunk(chunk, line_limit=self.line_limit)
        try:
            await self._send_line(command, timeout=timeout)
        except LineRefusedError:
            return 0
        return len(chunk)

    async def _send_line(self, command: Command, *, timeout: float | None = None) -> Response:
        """A data line (CIOTDAT, CIOTSEND, CIOTBINSEND), whose refusal may teach the limit.

        Raises:
            LineRefusedError: refused for its length (see `line_limit.LineLimit.refused`).
        """
        size = len(command.encode())
        try:
            response = await self.execute(command, timeout=timeout)
        except M6311CommandError as err:
            if (refusal := self.limits.refused(size, err)) is not None:
                raise refusal from err
            raise
        self.limits.accepted(size)
        return response


def _note_login_report(
    reported: asyncio.Future[Connected | ConnectFailed], event: ModuleEvent
) -> None:
    """The first `CONNECT OK` / `CONNECT FAIL` after AT+CIOTSTART settles the login."""
    if isinstance(event, Connected | ConnectFailed) and not reported.done():
        reported.set_result(event)


def _note_boot(booted: asyncio.Future[None], event: ModuleEvent) -> None:
    """The module's start-up line: the restart happened."""
    if isinstance(event, ModuleBoot) and not booted.done():
        booted.set_result(None)


def _ping_succeeded(command: Command, response: Response) -> bool:
    """A final `+OK` succeeds; so does the dialect's `+CIOTPING: OK`, but not other text."""
    prefixes = tuple(prefix.casefold() for prefix in command.answer_prefixes)
    for line in response.lines:
        if line.casefold().startswith(prefixes):
            return line.split(":", 1)[1].strip().casefold() == "ok"
    return True


async def _wait_optional(future: asyncio.Future[None], seconds: float) -> None:
    """Wait for a line some firmwares never print; CIOTBINEND still reports the outcome."""
    try:
        async with asyncio.timeout(seconds):
            await asyncio.shield(future)  # a timeout here must not cancel what others await
    except TimeoutError:
        _LOGGER.debug("No BIN SEND OVER! after the last chunk; ending the upload anyway")
