"""The M6311 client: one typed method for each command of the module's AT command set.

`M6311Client` is a `ModuleConnection` (see connection.py for the link itself) that builds each
command with `commands`, sends it, and reads the answer into a typed result with `responses`.
Every method takes `timeout`: the seconds its command's answer may take, instead of the
command's own (`commands.DEFAULT_TIMEOUT`, a minute for AT+CIOTINIT, ...).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import serialx

from . import commands
from .acks import AckTracker
from .commands import DEFAULT_LINE_LIMIT
from .connection import DEFAULT_BAUDRATE, ModuleConnection, StreamOpener
from .errors import M6311CommandError, NoDeviceIdError, NoDeviceKeyError, NoMasterKeyError
from .models import LinkStatus, Provisioning, SignalQuality
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
        self._acks = AckTracker()
        self.subscribe(self._acks.on_event)

    # -- the module ------------------------------------------------------------------------

    async def check_alive(self, *, timeout: float | None = None) -> None:
        """`AT`: the module answers at all."""
        await self.execute(commands.at(), timeout=timeout)

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

    async def send_file(
        self,
        datastream: str,
        data: bytes,
        *,
        msg_id: int = 0,
        wait_ack: bool = False,
        ack_timeout: float = DEFAULT_ACK_TIMEOUT,
        timeout: float | None = None,
    ) -> str:
        """Upload bytes to a datastream (CIOTBINSET, CIOTBINSEND chunks, CIOTBINEND).

        With `wait_ack` (and msg_id > 0) it returns only once the platform acknowledged the
        file (`SAVE succ!msg:<msg_id>`, printed after the last chunk). `timeout` applies to
        each command. Returns the upload status the module reports with `+OK=` ("" when it
        reports none).
        """
        chunk_size = commands.binary_chunk_capacity(self.line_limit)
        await self.execute(commands.binary_header(msg_id, datastream, len(data)), timeout=timeout)
        expected = 1 if wait_ack and msg_id else 0
        with (
            self._acks.expect_saves(msg_id, expected) as saves,
            self._acks.expect_binary_over() as over,
        ):
            for chunk in _chunked(data, chunk_size):
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
