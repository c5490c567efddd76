"""The module's firmware: command lines in, answers and unsolicited lines out.

Decisions where the document is open (see also the package docstring):
- a second AT+CIOTSTART (or AT+CIOTSEND) while the link is up answers `+ERR=-106` (invalid
  operation) and leaves the link alone: section 4.3.5 says no new connection can be made;
- AT+CIOTSTART without `=<encrypt>` (section 4.3.6 writes it so) starts without encryption;
- mode 0 without a stored device id or key answers -103 / -104, modes 1 and 2 without their
  parameters -108;
- AT+CIOTDAT, AT+CIOTBINSET and AT+CIOTBINSEND answer -105 when the link is down;
- the binary packet goes to the platform when the last AT+CIOTBINSEND completes it (the
  document: "+OK means the chunk was sent", the acknowledgement comes "after the last
  BINSEND"); AT+CIOTBINEND then reports `+OK=` if it went out whole, -107 otherwise;
- CIOTIDC / CIOTKEYC answer a bare `+ERR` when there is nothing to delete;
- a known command with the wrong operator answers -108, an unknown one a bare `+ERR`.

The 3GPP TS 27.007 commands (AT+CREG, AT+CGREG, AT+COPS, AT+CPIN, AT+CCID, AT+CIMI, AT+CFUN)
answer as the M6311 / M6312 family does: information lines then `OK`, `ERROR` for a form not
supported, `+CME ERROR: <n>` for a SIM that is missing (10) or locked (11). Without a ready SIM
the module reports itself not registered (stat 0), whatever the network would give it.

A wedged module (a fault) has a stuck cloud side: every command that needs the cloud answers a
plain `ERROR` at once, the others answer as always; only a restart (a power cycle or
`AT+CFUN=1,1`) clears it.

The M6311R's commands (dialect R_PROVISIONING, from its driver: see the README) are decided so:
- AT+CIOTPROID takes digits only, unquoted as the driver sends them; AT+CIOTAUTHINFO one
  non-empty value; both are kept in flash, and their queries answer a bare `+ERR` when nothing
  is stored;
- `AT+CIOTINIT="<title>","<desc>"` registers the device with the stored auth info (-108 when
  there is none), otherwise exactly as AT+CIOTINIT;
- the driver sends AT+CIOTMKEY at every start: setting the key already stored keeps the
  device made with it (otherwise every start would register the auth info again, which the
  platform refuses).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .atparse import CommandLine, Op, parse_int, parse_line, split_params
from .cloud import (
    CloudError,
    CloudLink,
    CloudRefusedError,
    CloudUnreachableError,
    DeviceGoneError,
    LinkListener,
    Login,
    PlatformHttp,
    cellular_delay,
)
from .dialect import Dialect, Phrases
from .network import CPIN_LINES, DEFAULT_ICCID, DEFAULT_IMSI, DEFAULT_OPERATOR, NetworkState, Sim
from .records import count_records, parse_hex

if TYPE_CHECKING:
    from .state import StateStore

_LOGGER = logging.getLogger(__name__)

MAX_MSG_ID = 65535
MAX_SEND_MSG_ID = 65534
"""AT+CIOTSEND may not use 65535."""

CLOUD_COMMANDS = frozenset(
    {
        "+CIOTINIT",
        "+CIOTSTART",
        "+CIOTPING",
        "+CIOTDAT",
        "+CIOTSEND",
        "+CIOTBINSET",
        "+CIOTBINSEND",
        "+CIOTBINEND",
    }
)
"""The commands a wedged module answers with a plain `ERROR` (AT+CIOTSTATUS says down)."""

CME_SIM_NOT_INSERTED = 10
CME_SIM_PIN_REQUIRED = 11


class Code(enum.IntEnum):
    """The document's error codes."""

    WLAN = -100
    NETWORK = -101
    NO_MASTER_KEY = -102
    NO_DEVICE_ID = -103
    NO_DEVICE_KEY = -104
    NOT_ONLINE = -105
    INVALID_OPERATION = -106
    FILE_SEND = -107
    PARAMETER = -108
    CONNECT_FAILED = -109
    SEND_FAILED = -110
    DISCONNECT_FAILED = -111
    INIT_FAILED = -112


class ConnectMode(enum.IntEnum):
    """AT+CIOTCONNECTPARA modes, numbered as the M6311 document numbers them."""

    STORED = 0
    """Stored device id + device key (made by AT+CIOTINIT)."""
    DEVICE = 1
    """Temporary device id + master APIKEY (the default)."""
    PROJECT = 2
    """Temporary project id + auth_info key and value."""


@dataclass(frozen=True)
class ModuleConfig:
    """Everything about the module that does not change while it runs."""

    imei: str = "867567041234567"
    firmware: str = "M6311_V1.1.3"
    csq: tuple[int, int] = (20, 99)
    dialect: Dialect = Dialect.DOCUMENTED
    cloud_latency: float = 0.0
    """Seconds of cellular round trip added before each cloud operation."""
    idle_timeout: float = 128.0
    """Seconds without EDP traffic after which the link drops (the document's 128 s)."""
    send_timeout: float = 5.0
    """AT+CIOTSEND gives up after this many seconds (the document's 5 s)."""
    connect_timeout: float = 10.0
    ping_timeout: float = 5.0
    http_timeout: float = 10.0
    max_line: int = 1024
    """Longest command line accepted, in bytes without the line end."""
    connect_delay: float = 1.5
    """CONNECT_LATE / CONNECT_ONLY: seconds from the platform's acceptance to `CONNECT OK`."""
    startup_delay: float = 15.0
    """SLOW_START: seconds the module is deaf after power-on (the M6311R driver waits 15 s)."""
    cmd_reply: bytes = b""
    """The CMDRESP body the module sends for each platform command."""
    iccid: str = DEFAULT_ICCID
    """The SIM's ICCID (AT+CCID)."""
    imsi: str = DEFAULT_IMSI
    """The SIM's IMSI (AT+CIMI)."""
    operator: str = DEFAULT_OPERATOR
    """The operator's name the module starts with (AT+COPS?); it can change at run time."""


@dataclass
class ConnectParams:
    """The temporary login parameters of AT+CIOTCONNECTPARA (lost at reboot)."""

    mode: ConnectMode = ConnectMode.DEVICE
    values: tuple[str, ...] = ()
    stored_project: bool = False
    """The M6311R's `AT+CIOTCONNECTPARA=1`: log in with the project id and auth info in flash."""


@dataclass(frozen=True)
class Registration:
    """What AT+CIOTINIT registers the device as on the platform."""

    title: str
    desc: str = "created by AT+CIOTINIT"
    auth_info: str | None = None


@dataclass
class BinUpload:
    """A binary upload between AT+CIOTBINSET and AT+CIOTBINEND."""

    msg_id: int
    ds_id: str
    total: int
    data: bytearray = field(default_factory=bytearray)
    sent: bool = False


type LinkFactory = Callable[[LinkListener], CloudLink]
type Handler = Callable[[CommandLine], Awaitable[list[bytes]]]


class Firmware:
    """Interprets command lines one at a time and prints through `print_bytes`."""

    def __init__(
        self,
        config: ModuleConfig,
        store: StateStore,
        http: PlatformHttp,
        link_factory: LinkFactory,
        print_bytes: Callable[[bytes], None],
    ) -> None:
        """Wire the firmware to its flash, its cloud and its UART output."""
        self.config = config
        self.store = store
        self.http = http
        self.phrases = Phrases(config.dialect)
        self._link_factory = link_factory
        self._print = print_bytes
        self.echo = True
        self.params = ConnectParams()
        self.link: CloudLink | None = None
        self.upload: BinUpload | None = None
        self.network = NetworkState(operator=config.operator)
        self.registration_reports = {"+CREG": 0, "+CGREG": 0}
        """`<n>` of AT+CREG and AT+CGREG: 1 (or 2) prints `+CREG: <stat>` at each change."""
        self.wedged = False
        """The cloud side is stuck (a fault) until the next restart."""
        self.on_restart: Callable[[], None] | None = None
        """Power-cycles the module once `AT+CFUN=1,1` is answered (None: it only goes deaf)."""
        self._halted = False
        """`AT+CFUN=1,1` was answered: the module reads nothing more until it has restarted."""
        self.answer_delay = 0.0
        self.swallow = 0
        self.commands: list[str] = []
        self._buffer = bytearray()
        self._overlong = False
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        """Command lines; None stands for a line longer than `max_line`."""
        self._worker: asyncio.Task[None] | None = None
        self._held_acks: set[int] = set()
        self._stashed_acks: list[int] = []
        self._ack_waiters: dict[int, asyncio.Future[None]] = {}
        self._connecting: asyncio.Task[None] | None = None
        """A login behind the answer (CONNECT_LATE, CONNECT_ONLY) until it has ended."""
        self._after_answer: list[Callable[[], None]] = []
        """What waits for the current answer to be printed."""
        self._r_handlers: dict[str, Handler] = {
            "+CIOTPROID": self._proid,
            "+CIOTAUTHINFO": self._authinfo,
        }
        """The commands only the M6311R knows (R_PROVISIONING)."""
        self._handlers: dict[str, Handler] = {
            "": self._at,
            "E": self._ate,
            "+CGSN": self._cgsn,
            "+CGMR": self._cgmr,
            "+CSQ": self._csq,
            "+CREG": self._registration,
            "+CGREG": self._registration,
            "+COPS": self._cops,
            "+CPIN": self._cpin,
            "+CCID": self._ccid,
            "+CIMI": self._cimi,
            "+CFUN": self._cfun,
            "+CIOT": self._ciot,
            "+CIOTMKEY": self._mkey,
            "+CIOTMKEYA": self._mkey,  # section 4.2.1 spells it so
            "+CIOTINIT": self._init,
            "+CIOTID": self._id,
            "+CIOTIDC": self._idc,
            "+CIOTKEY": self._key,
            "+CIOTKEYC": self._keyc,
            "+CIOTSTATUS": self._status,
            "+CIOTSTART": self._start,
            "+CIOTDAT": self._dat,
            "+CIOTBINSET": self._binset,
            "+CIOTBINSEND": self._binsend,
            "+CIOTBINEND": self._binend,
            "+CIOTQUIT": self._quit,
            "+CIOTSEND": self._send,
            "+CIOTPING": self._ping,
            "+CIOTCONNECTPARA": self._connectpara,
        }

    # --- life cycle -------------------------------------------------------------------------

    @property
    def online(self) -> bool:
        """True while the EDP device connection is up."""
        return self.link_up()

    def link_up(self) -> bool:
        """True while the EDP device connection is up (a call: it changes across awaits)."""
        return self.link is not None and self.link.is_open

    @property
    def network_up(self) -> bool:
        """True while the module is registered with a ready SIM: it can reach the cloud."""
        return self.network.up

    @property
    def dialect(self) -> Dialect:
        """The dialect now (it can change at run time): how to print, and how to behave."""
        return self.phrases.dialect

    @property
    def _r_commands(self) -> bool:
        return bool(self.dialect & (Dialect.R_PROVISIONING | Dialect.R_ONLY))

    def start(self) -> None:
        """Start interpreting lines."""
        self._worker = asyncio.get_running_loop().create_task(self._run(), name="m6311-firmware")

    async def stop(self) -> None:
        """Stop interpreting (power off): the command in progress is abandoned, the link closed."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        self._buffer.clear()
        self._overlong = False
        self._after_answer.clear()
        while not self._lines.empty():
            self._lines.get_nowait()
        await self._cancel_connecting()  # power off: nothing more is printed
        await self.drop_link()

    def power_on_reset(self) -> None:
        """What a power cycle forgets: temporary parameters, echo setting, upload, faults."""
        self.echo = True
        self.registration_reports = dict.fromkeys(self.registration_reports, 0)
        self.wedged = False
        self._halted = False
        self.params = ConnectParams()
        self.upload = None
        self.answer_delay = 0.0
        self.swallow = 0
        self._held_acks.clear()
        self._stashed_acks.clear()

    async def drop_link(self) -> None:
        """Close the EDP link if one is up (fault injection, reboot, radio off).

        A login still going on behind its answer fails, and says so with `CONNECT FAIL`.
        """
        if await self._cancel_connecting():
            self.unsolicited(self.phrases.connect_result(connected=False))
        link, self.link = self.link, None
        if link is not None:
            await link.close()

    async def _cancel_connecting(self) -> bool:
        """End a login behind its answer; True if one was still going on."""
        task, self._connecting = self._connecting, None
        if task is None or task.done():
            return False
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return True

    # --- input ------------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Bytes from the UART: echo them, cut lines at CR or LF, queue the lines."""
        if self._halted:
            return
        if self.echo:
            self._print(data)
        for byte in data:
            if byte in b"\r\n":
                self._end_line()
            elif len(self._buffer) >= self.config.max_line:
                self._overlong = True
            else:
                self._buffer.append(byte)

    def _end_line(self) -> None:
        if self._overlong:
            self._lines.put_nowait(None)
        elif self._buffer:  # the LF of CR LF (and blank lines) end nothing
            self._lines.put_nowait(self._buffer.decode("utf-8", errors="replace"))
        self._buffer.clear()
        self._overlong = False

    async def _run(self) -> None:
        while True:
            line = await self._lines.get()
            if line is None:
                self.commands.append("")
                await self._finish(self.phrases.err(Code.PARAMETER))
                continue
            try:
                lines = await self.execute(line)
            except Exception:
                _LOGGER.exception("command %r failed inside the emulator", line)
                lines = self.phrases.err()
            await self._finish(lines)

    async def execute(self, line: str) -> list[bytes]:
        """Run one command line; returns the lines of its answer."""
        self.commands.append(line)
        command = parse_line(line)
        handler = None if command is None else self._handler(command.name)
        if command is None or handler is None:
            return self.phrases.err()
        if self.wedged and command.name in CLOUD_COMMANDS:
            return self.phrases.with_reports(self.phrases.std_error())
        return self.phrases.with_reports(await handler(command))

    def _handler(self, name: str) -> Handler | None:
        handler = self._handlers.get(name)
        if handler is None and self._r_commands:
            handler = self._r_handlers.get(name)
        return handler

    # --- output -----------------------------------------------------------------------------

    async def _finish(self, lines: list[bytes]) -> None:
        """Print a command's answer, then the acknowledgements that came in before it."""
        if self.answer_delay > 0:
            await asyncio.sleep(self.answer_delay)
        if self.swallow > 0:
            self.swallow -= 1
        else:
            self._print(self.phrases.frame(lines))
        waiting, self._after_answer = self._after_answer, []
        for then in waiting:
            then()
        # `SAVE succ!` must not overtake the `+OK` that says the data was sent.
        self._held_acks.clear()
        stashed, self._stashed_acks = self._stashed_acks, []
        for msg_id in stashed:
            self.unsolicited([f"SAVE succ!msg:{msg_id}".encode()])

    def unsolicited(self, lines: list[bytes]) -> None:
        """Print lines nobody asked for (platform commands, acknowledgements, boot)."""
        self._print(self.phrases.frame(lines))

    def set_dialect(self, dialect: Dialect) -> None:
        """Switch the dialect at run time."""
        self.phrases.dialect = dialect

    def boot_lines(self) -> list[bytes]:
        """What the module prints once it has started (SLOW_START: with the SIM's state)."""
        return self.phrases.boot(CPIN_LINES[self.network.sim])

    # --- the network and faults ---------------------------------------------------------------

    def network_reports(self, stat_before: int, sim_before: Sim) -> list[bytes]:
        """The unsolicited lines for a change of SIM or registration since those values.

        A SIM change is always printed (`+CPIN: NOT INSERTED`, `+CPIN: READY`, `+CPIN: SIM
        PIN`); a registration change only as AT+CREG=1 / AT+CGREG=1 asked for.
        """
        lines: list[bytes] = []
        if self.network.sim is not sim_before:
            lines.append(CPIN_LINES[self.network.sim])
        stat = int(self.network.stat)
        if stat != stat_before:
            lines.extend(
                f"{name}: {stat}".encode() for name, n in self.registration_reports.items() if n
            )
        return lines

    async def wedge(self) -> None:
        """The cloud side gets stuck: the link drops, cloud commands fail until a restart."""
        self.wedged = True
        await self.drop_link()

    def _halt_and_restart(self) -> None:
        """After `AT+CFUN=1,1` is printed: stop reading, have the module power-cycled."""
        self._halted = True
        self._buffer.clear()
        self._overlong = False
        while not self._lines.empty():
            self._lines.get_nowait()
        if self.on_restart is not None:
            self.on_restart()

    # --- link events (LinkListener) -----------------------------------------------------------

    def on_save_ack(self, msg_id: int) -> None:
        """SAVEACK: print `SAVE succ!msg:<id>` (after the `+OK` of its command)."""
        waiter = self._ack_waiters.pop(msg_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if msg_id in self._held_acks:
            self._stashed_acks.append(msg_id)
        else:
            self.unsolicited([f"SAVE succ!msg:{msg_id}".encode()])

    def on_command(self, cmd_id: str, body: bytes) -> bytes:
        """CMDREQ: print the command for the MCU; the module answers with `cmd_reply`."""
        _LOGGER.debug("platform command %s: %r", cmd_id, body)
        self.unsolicited(self.phrases.command(body))
        return self.config.cmd_reply

    def on_closed(self, reason: str) -> None:
        """The link went down by itself; the document prints nothing for it."""
        _LOGGER.debug("EDP link down: %s", reason)
        self.link = None
        for waiter in self._ack_waiters.values():  # no acknowledgement can come any more
            if not waiter.done():
                waiter.set_exception(CloudUnreachableError(reason))

    # --- standard commands ------------------------------------------------------------------

    async def _at(self, command: CommandLine) -> list[bytes]:
        return self.phrases.std_ok() if command.op is Op.RUN else self.phrases.std_error()

    async def _ate(self, command: CommandLine) -> list[bytes]:
        if command.params not in {"", "0", "1"}:
            return self.phrases.std_error()
        self.echo = command.params == "1"
        return self.phrases.std_ok()

    async def _cgsn(self, command: CommandLine) -> list[bytes]:
        return self._std_info(command, self.phrases.imei(self.config.imei))

    async def _cgmr(self, command: CommandLine) -> list[bytes]:
        return self._std_info(command, self.config.firmware)

    async def _csq(self, command: CommandLine) -> list[bytes]:
        rssi, ber = self.config.csq if self.network_up else (99, 99)
        return self._std_info(command, f"+CSQ: {rssi},{ber}")

    def _std_info(self, command: CommandLine, info: str) -> list[bytes]:
        return self.phrases.std_ok(info) if command.op is Op.RUN else self.phrases.std_error()

    # --- the network (3GPP TS 27.007) ---------------------------------------------------------

    async def _registration(self, command: CommandLine) -> list[bytes]:
        """AT+CREG / AT+CGREG: `?` reports `<n>,<stat>`; `=<n>` (0-2) sets the reports."""
        name = command.name
        if command.op is Op.QUERY:
            reports = self.registration_reports[name]
            return self.phrases.std_ok(f"{name}: {reports},{int(self.network.stat)}")
        n = parse_int(command.params, 0, 2) if command.op is Op.SET else None
        if n is None:
            return self.phrases.std_error()
        self.registration_reports[name] = n  # 2 would add the cell to the reports; none known
        return self.phrases.std_ok()

    async def _cops(self, command: CommandLine) -> list[bytes]:
        """AT+COPS?: automatic selection, and the operator (long alphanumeric) if registered."""
        if command.op is Op.QUERY:
            network = self.network
            info = f'+COPS: 0,0,"{network.operator}"' if network.up else "+COPS: 0"
            return self.phrases.std_ok(info)
        if command.op is Op.SET and command.params == "0":  # automatic: what it does already
            return self.phrases.std_ok()
        return self.phrases.std_error()

    async def _cpin(self, command: CommandLine) -> list[bytes]:
        if command.op is not Op.QUERY:
            return self.phrases.std_error()
        sim = self.network.sim
        if sim is Sim.ABSENT:
            return self.phrases.cme_error(CME_SIM_NOT_INSERTED)
        return [CPIN_LINES[sim], b"OK"]

    async def _ccid(self, command: CommandLine) -> list[bytes]:
        """AT+CCID (or AT+CCID?): the SIM's ICCID, readable before the PIN is given."""
        if command.op is Op.SET:
            return self.phrases.std_error()
        if self.network.sim is Sim.ABSENT:
            return self.phrases.cme_error(CME_SIM_NOT_INSERTED)
        return self.phrases.std_ok(f"+CCID: {self.config.iccid}")

    async def _cimi(self, command: CommandLine) -> list[bytes]:
        """AT+CIMI: the bare IMSI; the SIM gives it only once unlocked."""
        if command.op is not Op.RUN:
            return self.phrases.std_error()
        sim = self.network.sim
        if sim is not Sim.READY:
            code = CME_SIM_NOT_INSERTED if sim is Sim.ABSENT else CME_SIM_PIN_REQUIRED
            return self.phrases.cme_error(code)
        return self.phrases.std_ok(self.config.imsi)

    async def _cfun(self, command: CommandLine) -> list[bytes]:
        """AT+CFUN: full functionality only; `=1,1` restarts the module once `OK` is out."""
        if command.op is Op.QUERY:
            return self.phrases.std_ok("+CFUN: 1")
        values = split_params(command.params) if command.op is Op.SET else None
        if values in (["1"], ["1", "0"]):
            return self.phrases.std_ok()
        if values == ["1", "1"]:
            self._after_answer.append(self._halt_and_restart)
            return self.phrases.std_ok()
        return self.phrases.std_error()

    # --- stored parameters ------------------------------------------------------------------

    async def _ciot(self, command: CommandLine) -> list[bytes]:
        if command.op is not Op.QUERY:
            return self.phrases.err(Code.PARAMETER)
        stored = self.store.stored
        if stored.master_key is None:
            return self.phrases.err(Code.NO_MASTER_KEY)
        if stored.device_id is None:
            return self.phrases.err(Code.NO_DEVICE_ID)
        if stored.device_key is None:
            return self.phrases.err(Code.NO_DEVICE_KEY)
        return self.phrases.ok()

    async def _mkey(self, command: CommandLine) -> list[bytes]:
        stored = self.store.stored
        if command.op is Op.QUERY:
            if stored.master_key is None:
                return self.phrases.err(Code.NO_MASTER_KEY)
            return self.phrases.ok()
        if command.op is Op.SET and self._refuses_bare_key(command.params):
            return self.phrases.err(Code.PARAMETER)
        values = split_params(command.params) if command.op is Op.SET else None
        if values is None or len(values) != 1 or not values[0]:
            return self.phrases.err()
        key = values[0]
        if not (self._r_commands and key == stored.master_key):
            # A new master key orphans the device made with the old one: both are forgotten.
            stored.device_id, stored.device_key = None, None
        stored.master_key = key
        await self.store.save()
        return self.phrases.ok(key, command.name)

    def _refuses_bare_key(self, params: str) -> bool:
        """QUOTED_MKEY: only `AT+CIOTMKEY="<key>"` is taken."""
        quoted = len(params) >= 2 and params[0] == params[-1] == '"'  # noqa: PLR2004  # quotes
        return Dialect.QUOTED_MKEY in self.dialect and not quoted

    async def _id(self, command: CommandLine) -> list[bytes]:
        if command.op is not Op.QUERY:
            return self.phrases.err(Code.PARAMETER)
        device_id = self.store.stored.device_id
        return (
            self.phrases.err(Code.NO_DEVICE_ID)
            if device_id is None
            else self.phrases.ok(device_id, command.name)
        )

    async def _key(self, command: CommandLine) -> list[bytes]:
        if command.op is not Op.QUERY:
            return self.phrases.err(Code.PARAMETER)
        key = self.store.stored.device_key
        if key is None:
            return self.phrases.err(Code.NO_DEVICE_KEY)
        return self.phrases.ok(key, command.name)

    async def _idc(self, command: CommandLine) -> list[bytes]:
        stored = self.store.stored
        if command.op is not Op.RUN or stored.device_id is None:
            return self.phrases.err()
        stored.device_id, stored.device_key = None, None  # the key belongs to the id
        await self.store.save()
        return self.phrases.ok()

    async def _keyc(self, command: CommandLine) -> list[bytes]:
        stored = self.store.stored
        if command.op is not Op.RUN or stored.device_key is None:
            return self.phrases.err()
        stored.device_key = None
        await self.store.save()
        return self.phrases.ok()

    async def _init(self, command: CommandLine) -> list[bytes]:
        if command.op is Op.SET and self._r_commands:
            registration = self._r_registration(command.params)
        elif command.op is Op.RUN:
            registration = Registration(f"M6311-{self.config.imei}")
        else:
            registration = None
        if registration is None:
            return self.phrases.err(Code.PARAMETER)
        stored = self.store.stored
        if stored.master_key is None:
            return self.phrases.err(Code.NO_MASTER_KEY)
        if not self.network_up:
            return self.phrases.err(Code.WLAN)
        try:
            await self._provision(stored.master_key, registration)  # HTTP calls pay latency
        except CloudRefusedError:
            return self.phrases.err(Code.INIT_FAILED)
        except CloudUnreachableError:
            return self.phrases.err(Code.NETWORK)
        return self.phrases.ok()

    def _r_registration(self, params: str) -> Registration | None:
        """The M6311R's `AT+CIOTINIT="<title>","<desc>"`, registered with the stored auth info."""
        values = split_params(params) or []
        auth = self.store.stored.auth_info
        if len(values) != 2 or not all(values) or auth is None:  # noqa: PLR2004  # title, desc
            return None
        title, desc = values
        return Registration(title, desc, auth)

    async def _provision(self, master_key: str, registration: Registration) -> None:
        stored = self.store.stored
        if stored.device_id is not None and stored.device_key is not None:
            try:
                await self.http.check_device(master_key, stored.device_id)
            except DeviceGoneError:
                _LOGGER.debug("device %s is gone: creating it again", stored.device_id)
            else:
                return
            stored.device_id, stored.device_key = None, None
            await self.store.save()
        title = registration.title
        device_id = await self.http.create_device(
            master_key, title, registration.desc, registration.auth_info
        )
        device_key = await self.http.create_key(master_key, device_id, title)
        stored.device_id, stored.device_key = device_id, device_key
        await self.store.save()

    # --- the M6311R's stored login ------------------------------------------------------------

    async def _proid(self, command: CommandLine) -> list[bytes]:
        stored = self.store.stored
        if command.op is Op.QUERY:
            return self._stored_answer(stored.project_id, command.name)
        if command.op is not Op.SET or not (command.params.isascii() and command.params.isdigit()):
            return self.phrases.err(Code.PARAMETER)
        stored.project_id = command.params
        await self.store.save()
        return self.phrases.ok()

    async def _authinfo(self, command: CommandLine) -> list[bytes]:
        stored = self.store.stored
        if command.op is Op.QUERY:
            return self._stored_answer(stored.auth_info, command.name)
        values = split_params(command.params) if command.op is Op.SET else None
        if values is None or len(values) != 1 or not values[0]:
            return self.phrases.err(Code.PARAMETER)
        stored.auth_info = values[0]
        await self.store.save()
        return self.phrases.ok()

    def _stored_answer(self, value: str | None, name: str) -> list[bytes]:
        return self.phrases.err() if value is None else self.phrases.ok(value, name)

    # --- connection parameters ---------------------------------------------------------------

    async def _connectpara(self, command: CommandLine) -> list[bytes]:
        if command.op is Op.QUERY:
            quoted = "".join(f',"{value}"' for value in self.params.values)
            return self.phrases.ok(f"{int(self.params.mode)}{quoted}", command.name)
        values = split_params(command.params) if command.op is Op.SET else None
        if values == ["1"] and self._r_commands:
            self.params = ConnectParams(ConnectMode.DEVICE, stored_project=True)
            return self.phrases.ok()
        arity = {ConnectMode.STORED: 1, ConnectMode.DEVICE: 3, ConnectMode.PROJECT: 4}
        mode = parse_int(values[0], 0, 2) if values else None
        if values is None or mode is None or len(values) != arity[ConnectMode(mode)]:
            return self.phrases.err(Code.PARAMETER)
        if not all(values[1:]) or (mode != ConnectMode.STORED and Dialect.R_ONLY in self.dialect):
            return self.phrases.err(Code.PARAMETER)
        self.params = ConnectParams(ConnectMode(mode), tuple(values[1:]))
        return self.phrases.ok()

    def _login(self) -> Login | Code:
        """The CONNREQ contents for the current mode, or why there are none."""
        if self.params.mode is ConnectMode.STORED:
            return self._stored_device_login()
        if self.params.stored_project:
            return self._stored_project_login()
        if not self.params.values:
            return Code.PARAMETER
        if self.params.mode is ConnectMode.DEVICE:
            device_id, api_key = self.params.values
            return Login(device_id, api_key)
        project_id, auth_key, auth_value = self.params.values
        return Login("", auth_info(auth_key, auth_value), project_id)

    def _stored_device_login(self) -> Login | Code:
        """Mode 0: the device id and key AT+CIOTINIT stored."""
        stored = self.store.stored
        if stored.device_id is None:
            return Code.NO_DEVICE_ID
        if stored.device_key is None:
            return Code.NO_DEVICE_KEY
        return Login(stored.device_id, stored.device_key)

    def _stored_project_login(self) -> Login | Code:
        """The M6311R's mode 1: the project login of mode 2 with the values in flash."""
        stored = self.store.stored
        if stored.project_id is None or stored.auth_info is None:
            return Code.PARAMETER
        return Login("", stored.auth_info, stored.project_id)

    # --- the link ---------------------------------------------------------------------------

    async def _status(self, command: CommandLine) -> list[bytes]:
        if command.op is not Op.RUN:
            return self.phrases.err(Code.PARAMETER)
        return self.phrases.status(up=self.online and not self.wedged)

    async def _start(self, command: CommandLine) -> list[bytes]:
        encrypt = 0 if command.op is Op.RUN else parse_int(command.params, 0, 1)
        if command.op is Op.QUERY or encrypt is None:
            return self.phrases.err(Code.PARAMETER)
        if self._link_busy():
            return self.phrases.err(Code.INVALID_OPERATION)
        if self.dialect & (Dialect.CONNECT_LATE | Dialect.CONNECT_ONLY):
            return self._start_behind_the_answer(encrypt=bool(encrypt))
        code = await self._connect(encrypt=bool(encrypt))
        return self.phrases.err(code) if code is not None else self.phrases.started()

    def _link_busy(self) -> bool:
        """A link is up, or a login behind its answer is still going on."""
        return self.online or self._connecting is not None

    def _start_behind_the_answer(self, *, encrypt: bool) -> list[bytes]:
        """CONNECT_LATE / CONNECT_ONLY: answer now, log in once the answer is out."""
        login = self._login()
        if isinstance(login, Code):  # found before trying: an error final, as always
            return self.phrases.err(login)

        def log_in() -> None:
            self._connecting = asyncio.get_running_loop().create_task(
                self._log_in_late(login, encrypt=encrypt), name="m6311-login"
            )

        # Started once the answer is printed, so `CONNECT ...` never comes before it (and the
        # next command, which waits for that too, finds the login going on).
        self._after_answer.append(log_in)
        return [] if Dialect.CONNECT_ONLY in self.dialect else self.phrases.ok()

    async def _log_in_late(self, login: Login, *, encrypt: bool) -> None:
        link = await self._open_link(login, encrypt=encrypt)
        if link is not None:
            try:
                await asyncio.sleep(self.config.connect_delay)
            except asyncio.CancelledError:
                await link.close()
                raise
            if not link.is_open:  # the platform hung up before the module said it was in
                link = None
        self._connecting = None
        self.link = link
        self.unsolicited(self.phrases.connect_result(connected=link is not None))

    async def _connect(self, *, encrypt: bool) -> Code | None:
        """Open the link with the current parameters; None on success, else the error code."""
        login = self._login()
        if isinstance(login, Code):
            return login
        link = await self._open_link(login, encrypt=encrypt)
        if link is None:
            return Code.CONNECT_FAILED
        self.link = link
        return None

    async def _open_link(self, login: Login, *, encrypt: bool) -> CloudLink | None:
        """A link logged in with `login`, or None when the radio, TCP or the platform fail."""
        if not self.network_up:
            return None
        link = self._link_factory(self)
        try:
            await cellular_delay(self.config.cloud_latency)
            async with asyncio.timeout(self.config.connect_timeout):
                await link.open(login, encrypt=encrypt)
        except (CloudError, TimeoutError) as error:
            _LOGGER.debug("EDP login failed: %r", error)
            await link.close()
            return None
        except asyncio.CancelledError:
            await link.close()  # AT+CIOTSEND's deadline, or a reboot: leave no socket behind
            raise
        return link

    async def _quit(self, command: CommandLine) -> list[bytes]:
        if command.op is not Op.RUN:
            return self.phrases.err(Code.PARAMETER)
        if not self.online:
            return self.phrases.err(Code.DISCONNECT_FAILED)
        await self.drop_link()
        return self.phrases.ok()

    async def _ping(self, command: CommandLine) -> list[bytes]:
        link = self.link
        if command.op is not Op.RUN or link is None or not link.is_open:
            return self.phrases.err()
        await cellular_delay(self.config.cloud_latency)
        if await link.ping(self.config.ping_timeout):
            return self.phrases.ping_ok()
        return self.phrases.err()

    # --- data -------------------------------------------------------------------------------

    async def _dat(self, command: CommandLine) -> list[bytes]:
        parsed = self._records(command, MAX_MSG_ID, leading=1)
        if parsed is None:
            return self.phrases.err(Code.PARAMETER)
        _, msg_id, data = parsed
        link = self.link
        if link is None or not link.is_open:
            return self.phrases.err(Code.NOT_ONLINE)
        self._held_acks.add(msg_id)
        try:
            await cellular_delay(self.config.cloud_latency)
            link.send_text(",;" + data, msg_id)
            await link.flush()
        except CloudError:
            return self.phrases.err(Code.SEND_FAILED)
        return self.phrases.ok()

    def _records(
        self, command: CommandLine, max_msg_id: int, leading: int
    ) -> tuple[list[int], int, str] | None:
        """Parse `[encrypt,]msg_id,num,"data"`: (leading ints, msg_id, data) or None."""
        if command.op is not Op.SET:
            return None
        values = split_params(command.params, maxsplit=leading + 1)
        if values is None or len(values) != leading + 2:
            return None
        flags = [parse_int(value, 0, 1) for value in values[: leading - 1]]
        msg_id = parse_int(values[leading - 1], 0, max_msg_id)
        num = parse_int(values[leading], 1, 65535)
        data = values[leading + 1]
        if None in flags or msg_id is None or num is None or count_records(data) != num:
            return None
        return [flag for flag in flags if flag is not None], msg_id, data

    async def _send(self, command: CommandLine) -> list[bytes]:
        parsed = self._records(command, MAX_SEND_MSG_ID, leading=2)
        if parsed is None:
            return self.phrases.err(Code.PARAMETER)
        (encrypt,), msg_id, data = parsed
        if self._link_busy():
            return self.phrases.err(Code.INVALID_OPERATION)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.send_timeout
        try:
            async with asyncio.timeout_at(deadline):
                code = await self._connect(encrypt=bool(encrypt))
        except TimeoutError:
            code = Code.CONNECT_FAILED
        if code is not None:
            return self.phrases.err(code)
        try:
            async with asyncio.timeout_at(deadline):
                await self._send_and_wait(data, msg_id)
        except (CloudError, TimeoutError) as error:
            _LOGGER.debug("one-shot send failed: %r", error)
            await self.drop_link()
            return self.phrases.err(Code.SEND_FAILED)
        if not self.link_up():  # the platform hung up before the module could
            self.link = None
            return self.phrases.err(Code.DISCONNECT_FAILED)
        await self.drop_link()
        return self.phrases.ok()

    async def _send_and_wait(self, data: str, msg_id: int) -> None:
        link = self.link
        if link is None:
            msg = "the link went down"
            raise CloudUnreachableError(msg)
        acked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if msg_id:
            self._ack_waiters[msg_id] = acked
        try:
            await cellular_delay(self.config.cloud_latency)
            link.send_text(",;" + data, msg_id)
            await link.flush()
            if msg_id:
                await acked
        finally:
            self._ack_waiters.pop(msg_id, None)

    # --- binary -----------------------------------------------------------------------------

    async def _binset(self, command: CommandLine) -> list[bytes]:
        values = split_params(command.params) if command.op is Op.SET else None
        if values is None or len(values) != 3:  # noqa: PLR2004  # msg_id, des, bin_lens
            return self.phrases.err(Code.PARAMETER)
        msg_id = parse_int(values[0], 0, MAX_MSG_ID)
        total = parse_int(values[2], 1, 3 * 1024 * 1024)  # EDP allows up to 3 MiB
        if msg_id is None or total is None or not values[1]:
            return self.phrases.err(Code.PARAMETER)
        if not self.online:
            return self.phrases.err(Code.NOT_ONLINE)
        self.upload = BinUpload(msg_id, values[1], total)
        return self.phrases.ok()

    async def _binsend(self, command: CommandLine) -> list[bytes]:
        values = split_params(command.params) if command.op is Op.SET else None
        if values is None or len(values) != 2:  # noqa: PLR2004  # bin_len, bin_data
            return self.phrases.err(Code.PARAMETER)
        upload = self.upload
        if upload is None or upload.sent:
            return self.phrases.err(Code.INVALID_OPERATION)
        chunk = parse_hex(values[1])
        if chunk is None or not _fits(values[0], chunk, upload):
            return self.phrases.err(Code.PARAMETER)
        link = self.link
        if link is None or not link.is_open:
            return self.phrases.err(Code.NOT_ONLINE)
        upload.data += chunk
        if len(upload.data) < upload.total:
            return self.phrases.ok()
        return await self._send_binary(link, upload)

    async def _send_binary(self, link: CloudLink, upload: BinUpload) -> list[bytes]:
        self._held_acks.add(upload.msg_id)
        try:
            await cellular_delay(self.config.cloud_latency)
            link.send_binary(upload.ds_id, bytes(upload.data), upload.msg_id)
            await link.flush()
        except CloudError:
            return self.phrases.err(Code.SEND_FAILED)
        upload.sent = True
        return [*self.phrases.ok(), b"BIN SEND OVER!"]

    async def _binend(self, command: CommandLine) -> list[bytes]:
        if command.op is not Op.RUN:
            return self.phrases.err(Code.PARAMETER)
        upload, self.upload = self.upload, None
        if upload is None or not upload.sent:
            return self.phrases.err(Code.FILE_SEND)
        return self.phrases.ok("")


def _fits(length: str, chunk: bytes, upload: BinUpload) -> bool:
    """bin_len is the chunk's byte count, and the chunk stays within the announced total."""
    return parse_int(length, 1, MAX_MSG_ID) == len(chunk) <= upload.total - len(upload.data)


def auth_info(key: str, value: str) -> str:
    """The auth_info string of a mode 2 login, from its key and value."""
    return value if not key else f'{{"{key}":"{value}"}}'
