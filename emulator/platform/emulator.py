"""The in-process platform emulator: EDP server, HTTP API and web page over one store."""

import logging
from typing import Self

from aiohttp import web

from .commands import CommandSender
from .edp_server import EdpOptions, EdpServer, SaveAckForm
from .events import Changes
from .http_api import build_app
from .store import Command, CommandStatus, Store, StoredDatapoint

_LOGGER = logging.getLogger(__name__)
DEFAULT_MASTER_KEY = "emulated-master-key-0000000="
DEFAULT_PROJECT_ID = "23219"


class PlatformEmulator:
    """An emulated OneNET project: devices log in over EDP, tools call its HTTP API.

    Example:
        platform = PlatformEmulator()
        await platform.start()
        device_id = platform.create_device("sensor", auth_info="SIM-1")
        ...
        await platform.stop()
    """

    def __init__(  # noqa: PLR0913, PLR0917  # the documented constructor
        self,
        master_key: str = DEFAULT_MASTER_KEY,
        project_id: str = DEFAULT_PROJECT_ID,
        db_path: str | None = None,
        host: str = "127.0.0.1",
        edp_port: int = 0,
        http_port: int = 0,
        *,
        keepalive_scale: float = 1.0,
        login_timeout: float = 30.0,
        saveack_form: SaveAckForm = SaveAckForm.C,
    ) -> None:
        """Configure; nothing listens until `start()`. Port 0 picks a free port."""
        self.master_key = master_key
        self.project_id = project_id
        self.host = host
        self._db_path = db_path
        self._requested_edp_port = edp_port
        self._requested_http_port = http_port
        self._options = EdpOptions(keepalive_scale, login_timeout, saveack_form)
        self._store: Store | None = None
        self._edp: EdpServer | None = None
        self._runner: web.AppRunner | None = None
        self._changes: Changes | None = None
        self._edp_port = 0
        self._http_port = 0

    # Life cycle

    async def start(self) -> None:
        """Open the database and start listening for EDP and HTTP."""
        self._store = Store(self._db_path, self.project_id, self.master_key)
        self._changes = Changes()
        self._edp = EdpServer(self._store, self._changes, self._options)
        self._edp_port = await self._edp.start(self.host, self._requested_edp_port)
        self._runner = web.AppRunner(build_app(self), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._requested_http_port)
        await site.start()
        self._http_port = self._runner.addresses[0][1]
        _LOGGER.info("OneNET emulator: EDP %s, HTTP %s", self.edp_address, self.http_url)

    async def stop(self) -> None:
        """Close every connection, stop listening and close the database."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._edp is not None:
            await self._edp.stop()
            self._edp = None
        if self._store is not None:
            self._store.close()
            self._store = None

    async def __aenter__(self) -> Self:
        """Start on entering an `async with`."""
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        """Stop on leaving it."""
        await self.stop()

    # Addresses

    @property
    def edp_port(self) -> int:
        """The EDP TCP port (known after start)."""
        return self._edp_port

    @property
    def http_port(self) -> int:
        """The HTTP port (known after start)."""
        return self._http_port

    @property
    def edp_address(self) -> tuple[str, int]:
        """(host, port) a device connects to."""
        return self.host, self._edp_port

    @property
    def http_url(self) -> str:
        """Base URL of the HTTP API and the web page, without a trailing slash."""
        return f"http://{self.host}:{self._http_port}"

    # Parts, for the HTTP layer

    @property
    def store(self) -> Store:
        """The database (only while running)."""
        if self._store is None:
            msg = "the platform emulator is not running"
            raise RuntimeError(msg)
        return self._store

    @property
    def edp(self) -> EdpServer:
        """The EDP server (only while running)."""
        if self._edp is None:
            msg = "the platform emulator is not running"
            raise RuntimeError(msg)
        return self._edp

    @property
    def changes(self) -> Changes:
        """The change signal (only while running)."""
        if self._changes is None:
            msg = "the platform emulator is not running"
            raise RuntimeError(msg)
        return self._changes

    # Helpers for tests and tools

    def create_device(self, title: str, auth_info: str | None = None, **fields: object) -> str:
        """Create a device directly (no HTTP); return its id. Fields as in POST /devices."""
        values: dict[str, object] = {"title": title, **fields}
        if auth_info is not None:
            values["auth_info"] = auth_info
        return self.store.create_device(values)

    def create_key(self, device_id: str, title: str = "device key") -> str:
        """Create an APIKEY for one device; return it."""
        return self.store.create_key(title, [device_id], ["get", "put", "post", "delete"])

    def is_online(self, device_id: str) -> bool:
        """Is the device logged in over EDP?"""
        return self.edp.is_online(device_id)

    def datapoints(
        self, device_id: str | None = None, datastream_id: str | None = None
    ) -> list[StoredDatapoint]:
        """Stored datapoints, oldest first."""
        return self.store.datapoints(device_id, datastream_id)

    def command(self, cmd_uuid: str) -> Command | None:
        """A command's record (status, response), or None."""
        return self.store.command(cmd_uuid)

    @property
    def commands(self) -> CommandSender:
        """The command routine POST /cmds and the web page share (only while running)."""
        return CommandSender(self.store, self.edp)

    async def send_command(
        self,
        device_id: str,
        body: bytes,
        *,
        qos: int = 0,
        timeout: int = 0,  # noqa: ASYNC109  # the platform's command timeout, not a wait
    ) -> str:
        """Same as POST /cmds; return the command uuid (raises ApiError as the API answers)."""
        return await self.commands.send(device_id, body, qos=qos, timeout=timeout)

    async def kick(self, device_id: str, code: int = 0) -> bool:
        """Drop a device's EDP link (CONNCLOSE with `code`); False if it was not online."""
        return await self.edp.kick(device_id, code)

    async def wait_online(
        self, device_id: str, within: float = 5.0, *, online: bool = True
    ) -> None:
        """Wait until the device is online (or offline, with online=False)."""
        await self.changes.wait_for(lambda: self.edp.is_online(device_id) == online, within)

    async def wait_datapoint(
        self, device_id: str, datastream_id: str, within: float = 5.0, *, after: int = 0
    ) -> StoredDatapoint:
        """Wait for a datapoint of a datastream; `after` skips that many existing ones."""

        def newest() -> StoredDatapoint | None:
            points = self.store.datapoints(device_id, datastream_id)
            return points[-1] if len(points) > after else None

        return await self.changes.wait_for(newest, within)

    async def wait_command_response(self, cmd_uuid: str, within: float = 5.0) -> bytes:
        """Wait until the device answers a command; return its reply body."""

        def response() -> bytes | None:
            command = self.store.command(cmd_uuid)
            if command is None or command.status != CommandStatus.ANSWERED:
                return None
            return command.response

        return await self.changes.wait_for(response, within)
