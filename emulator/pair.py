"""Both emulators wired together, with what each connection mode needs already on the platform.

`EmulatorPair` starts the platform emulator (HTTP API, web page and EDP on 127.0.0.1), makes
sure it holds a device for each `AT+CIOTCONNECTPARA` mode that logs in as a platform-made
device (mode 1: a device id to use with the master APIKEY; mode 2: a device with an auth_info),
then starts the module emulator wired to it. `PairInfo` says where everything is and what to
enter in each mode. `python -m emulator` (`emulator.cli`) runs one pair from a shell.

State lives in one folder (by default `.cache/emulator/` in the repository, which the chroot
the project's scripts use sees at the same path): the platform's SQLite database, the module's
flash (a JSON file) and the stable symlink to the pseudo-terminal. A restart with the same
folder finds the devices it made before and uses them again; `persist=False` keeps the
database and the flash in memory (the symlink still goes in the folder).
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Self

from .module import Dialect, ModuleEmulator
from .module.engine import auth_info
from .platform import DEFAULT_MASTER_KEY, DEFAULT_PROJECT_ID, PlatformEmulator

if TYPE_CHECKING:
    from .platform.store import Store

HOST = "127.0.0.1"
DEFAULT_HTTP_PORT = 8875
DEFAULT_EDP_PORT = 8876
DEFAULT_CONTROL_PORT = 8877
DEFAULT_CACHE_DIR = Path(__file__).resolve().parent.parent / ".cache" / "emulator"
DEFAULT_IMEI = "867567041234567"
DEFAULT_AUTH_KEY = "SYS"
DEFAULT_AUTH_VALUE = "89860012345678901234"
"""An ICCID-like SIM number: the document suggests the SIM number as a device's auth_info."""

DATABASE_NAME = "platform.sqlite"
STATE_NAME = "module-state.json"
LINK_NAME = "ttyM6311"
LOCK_NAME = "lock"

MODE1_TITLE = "Emulator: mode 1 device"
MODE2_TITLE = "Emulator: mode 2 device"


class PairError(Exception):
    """The pair cannot start (the message says why, for a person)."""


@dataclass(frozen=True, kw_only=True)
class PairOptions:
    """How to run the pair; the defaults are what `python -m emulator` uses."""

    cache_dir: Path = DEFAULT_CACHE_DIR
    persist: bool = True
    """Database and module flash in `cache_dir`; False keeps them in memory."""
    link_path: Path | None = None
    """The stable symlink to the pty; None: `cache_dir / "ttyM6311"`."""
    http_port: int = DEFAULT_HTTP_PORT
    edp_port: int = DEFAULT_EDP_PORT
    control_port: int | None = DEFAULT_CONTROL_PORT
    """The module's control API (faults, inspection); None: none."""
    tcp_port: int | None = None
    """Serve the module's UART on TCP too (`socket://`); 0 picks a free port."""
    master_key: str = DEFAULT_MASTER_KEY
    project_id: str = DEFAULT_PROJECT_ID
    auth_key: str = DEFAULT_AUTH_KEY
    auth_value: str = DEFAULT_AUTH_VALUE
    imei: str = DEFAULT_IMEI
    dialect: Dialect = Dialect.DOCUMENTED
    baudrate: int = 115200
    check_baudrate: bool = False
    pace_input: bool = True
    """What the client writes reaches the module at the baud rate (the output always does)."""
    latency: float = 0.0
    """Seconds added before each cloud operation of the module (the cellular round trip)."""
    profile: str | None = None
    """A real firmware's flags and limits by name (`m6311r`), added to `dialect`."""
    max_line: int | None = None
    """Longest command line in bytes; None: the profile's, else 1024."""
    connect_delay: float | None = None
    """CONNECT_LATE / CONNECT_ONLY: seconds from the login to `CONNECT OK`; None: 1.5."""
    startup_delay: float | None = None
    """SLOW_START: seconds the module is deaf after power-on; None: 15."""
    tcp_jitter: float = 0.0
    """Cut writes to the TCP client into pieces with pauses of up to this many seconds."""
    tcp_seed: int | None = None
    """Seed of that jitter (None: different at each start)."""

    @property
    def link(self) -> Path:
        """Where the stable symlink goes."""
        return self.link_path if self.link_path is not None else self.cache_dir / LINK_NAME

    @property
    def database(self) -> Path | None:
        """The platform's SQLite file, or None in memory."""
        return self.cache_dir / DATABASE_NAME if self.persist else None

    @property
    def state_file(self) -> Path | None:
        """The module's flash (JSON), or None in memory."""
        return self.cache_dir / STATE_NAME if self.persist else None


@dataclass(frozen=True, kw_only=True)
class ModeInfo:
    """What one connection mode needs.

    `fields` are named as Home Assistant's set-up form names them (`master_key`, `device_id`,
    `project_id`, `auth_key`, `auth_value`); `at` are the command lines that log in by hand,
    before `AT+CIOTSTART`.
    """

    mode: int
    fields: dict[str, str]
    at: list[str]
    device_id: str | None
    """The platform device this mode logs in as (mode 0: the one the module holds, if any)."""


@dataclass(frozen=True, kw_only=True)
class PairInfo:
    """Where everything is, and the credentials of each mode (`as_dict` for JSON)."""

    serial_path: str
    """The pty (`/dev/pts/N`); it changes at each start and replug."""
    link_path: str
    """The stable symlink to the pty."""
    socket_url: str | None
    baudrate: int
    web_url: str
    http_url: str
    edp_host: str
    edp_port: int
    control_url: str | None
    project_id: str
    master_key: str
    database: str | None
    state_file: str | None
    imei: str
    dialect: list[str]
    """The module's dialect flags, its profile's included."""
    latency: float
    profile: str | None = None
    m6311r_at: list[str] = field(default_factory=list)
    """With the M6311R's commands on: the lines that provision and log in as its driver does
    (project login with the values in flash), before `AT+CIOTSTART`."""
    modes: list[ModeInfo] = field(default_factory=list)
    """Modes 0, 1 and 2, in that order."""
    start: list[str] = field(default_factory=lambda: ["AT+CIOTSTART=0", "AT+CIOTSTART=1"])
    """Plaintext, then encrypted (RSA key exchange, AES-128): the platform takes both."""

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary of everything here."""
        return asdict(self)


class EmulatorPair:
    """The platform emulator and a module emulator wired to it, started and stopped together.

    Example:
        async with EmulatorPair(PairOptions(cache_dir=folder)) as pair:
            pair.info.link_path, pair.info.modes[1].fields
    """

    def __init__(self, options: PairOptions | None = None) -> None:
        """Configure; nothing runs before `start`."""
        self.options = options or PairOptions()
        self._platform: PlatformEmulator | None = None
        self._module: ModuleEmulator | None = None
        self._lock: int | None = None
        self._info: PairInfo | None = None

    @property
    def platform(self) -> PlatformEmulator:
        """The running platform emulator."""
        if self._platform is None:
            msg = "the emulators are not running"
            raise RuntimeError(msg)
        return self._platform

    @property
    def module(self) -> ModuleEmulator:
        """The running module emulator."""
        if self._module is None:
            msg = "the emulators are not running"
            raise RuntimeError(msg)
        return self._module

    @property
    def info(self) -> PairInfo:
        """What `start` found and made."""
        if self._info is None:
            msg = "the emulators are not running"
            raise RuntimeError(msg)
        return self._info

    async def start(self) -> PairInfo:
        """Start the platform, make the devices modes 1 and 2 need, start the module.

        Raises PairError when another pair uses the folder, OSError when a port is taken;
        either way nothing is left running.
        """
        options = self.options
        options.cache_dir.mkdir(parents=True, exist_ok=True)
        self._lock = _lock(options.cache_dir / LOCK_NAME)
        try:
            database = options.database
            self._platform = PlatformEmulator(
                master_key=options.master_key,
                project_id=options.project_id,
                db_path=None if database is None else str(database),
                host=HOST,
                edp_port=options.edp_port,
                http_port=options.http_port,
            )
            await self._platform.start()
            mode1_device, mode2_device = ensure_devices(
                self._platform.store, options.auth_key, options.auth_value
            )
            self._module = ModuleEmulator(
                platform_http_url=self._platform.http_url,
                edp_host=HOST,
                edp_port=self._platform.edp_port,
                imei=options.imei,
                state_path=options.state_file,
                dialect=options.dialect,
                baudrate=options.baudrate,
                check_baudrate=options.check_baudrate,
                pace_input=options.pace_input,
                cloud_latency=options.latency,
                link_path=options.link,
                tcp_port=options.tcp_port,
                control_port=options.control_port,
                profile=options.profile,
                max_line=options.max_line,
                connect_delay=options.connect_delay,
                startup_delay=options.startup_delay,
                tcp_jitter=options.tcp_jitter,
                tcp_seed=options.tcp_seed,
            )
            await self._module.start()
        except BaseException:
            await self.stop()
            raise
        self._info = self._describe(mode1_device, mode2_device)
        return self._info

    async def stop(self) -> None:
        """Stop both (module first, so its link closes before the platform goes)."""
        self._info = None
        module, self._module = self._module, None
        if module is not None:
            await module.stop()
        platform, self._platform = self._platform, None
        if platform is not None:
            await platform.stop()
        lock, self._lock = self._lock, None
        if lock is not None:
            os.close(lock)  # releases the flock

    async def __aenter__(self) -> Self:
        """Start on entering `async with`."""
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        """Stop on leaving it."""
        await self.stop()

    def _describe(self, mode1_device: str, mode2_device: str) -> PairInfo:
        options, platform, module = self.options, self.platform, self.module
        key, project = options.master_key, options.project_id
        stored = module.stored.device_id
        held = stored if stored is not None and platform.store.device(stored) else None
        quoted = Dialect.QUOTED_MKEY in module.dialect  # the bare form would be refused
        set_key = f'AT+CIOTMKEY="{key}"' if quoted else f"AT+CIOTMKEY={key}"
        modes = [
            ModeInfo(
                mode=0,
                fields={"master_key": key},
                at=[set_key, "AT+CIOTINIT", "AT+CIOTCONNECTPARA=0"],
                device_id=held,
            ),
            ModeInfo(
                mode=1,
                fields={"device_id": mode1_device, "master_key": key},
                at=[f'AT+CIOTCONNECTPARA=1,"{mode1_device}","{key}"'],
                device_id=mode1_device,
            ),
            ModeInfo(
                mode=2,
                fields={
                    "project_id": project,
                    "auth_key": options.auth_key,
                    "auth_value": options.auth_value,
                },
                at=[
                    f'AT+CIOTCONNECTPARA=2,"{project}","{options.auth_key}","{options.auth_value}"'
                ],
                device_id=mode2_device,
            ),
        ]
        tcp = module.tcp_port
        return PairInfo(
            serial_path=module.serial_path,
            link_path=str(options.link),
            socket_url=None if tcp is None else f"socket://{HOST}:{tcp}",
            baudrate=options.baudrate,
            web_url=platform.http_url + "/",
            http_url=platform.http_url,
            edp_host=HOST,
            edp_port=platform.edp_port,
            control_url=module.control_url,
            project_id=project,
            master_key=key,
            database=None if options.database is None else str(options.database),
            state_file=None if options.state_file is None else str(options.state_file),
            imei=options.imei,
            dialect=dialect_names(module.dialect),
            latency=options.latency,
            profile=options.profile,
            m6311r_at=m6311r_lines(module.dialect, project, key, options.imei),
            modes=modes,
        )


def ensure_devices(store: Store, auth_key: str, auth_value: str) -> tuple[str, str]:
    """The ids of the mode 1 and mode 2 devices, made only when the database lacks them.

    Mode 1's device is found by its title, mode 2's by its auth_info (the JSON object
    `{"<auth_key>":"<auth_value>"}` the module sends in its CONNREQ).
    """
    mode1 = next((d["id"] for d in store.devices() if d["title"] == MODE1_TITLE), None)
    if mode1 is None:
        mode1 = store.create_device(
            {"title": MODE1_TITLE, "desc": "AT+CIOTCONNECTPARA=1: this id and the master APIKEY"}
        )
    login = auth_info(auth_key, auth_value)
    mode2 = store.device_by_auth_info(login)
    if mode2 is None:
        mode2 = store.create_device(
            {
                "title": MODE2_TITLE,
                "desc": "AT+CIOTCONNECTPARA=2: project id, auth_info key and value",
                "auth_info": login,
            }
        )
    return str(mode1), mode2


def m6311r_lines(dialect: Dialect, project_id: str, master_key: str, imei: str) -> list[str]:
    """How the M6311R driver provisions and logs in (empty unless the module knows how).

    The driver registers the device with its IMEI as the auth info, then logs in as the
    project with the values in flash.
    """
    if not dialect & (Dialect.R_PROVISIONING | Dialect.R_ONLY):
        return []
    return [
        f"AT+CIOTPROID={project_id}",
        f'AT+CIOTMKEY="{master_key}"',
        f'AT+CIOTAUTHINFO="{imei}"',
        f'AT+CIOTINIT="{imei}","M6311R emulator"',
        "AT+CIOTCONNECTPARA=1",
    ]


def dialect_names(dialect: Dialect) -> list[str]:
    """The dialect's flags as the command line spells them (empty: the documented one)."""
    return [flag.name.lower() for flag in dialect if flag.name is not None]


def _lock(path: Path) -> int:
    """Hold an exclusive lock on `path` (released when the descriptor closes)."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        os.close(descriptor)
        if isinstance(error, BlockingIOError):
            msg = f"another emulator pair is running with {path.parent}"
            raise PairError(msg) from None
        raise
    return descriptor
