"""The control API: the emulator's faults and inspection as JSON over HTTP on 127.0.0.1.

| method and path | body | does |
|---|---|---|
| `GET /state` | | the state (below) |
| `POST /drop-cloud` | | `drop_cloud()` |
| `POST /network` | `{"up": bool}` | `set_network(up=...)`: registration 1 or 2 |
| `POST /network-state` | `{"registration": int, "sim": str, "operator": str}` | see below |
| `POST /wedge` | | `wedge()`: cloud commands answer `ERROR` until a restart |
| `POST /reboot` | | `reboot()` |
| `POST /unplug` / `POST /replug` | | `unplug()` / `replug()` |
| `POST /delay` | `{"seconds": float}` | `delay_answers(seconds)` |
| `POST /swallow` | `{"count": int}` | `swallow_answers(count)` |
| `POST /garble` | `{"count": int}` | `garble_output(count)` |
| `POST /dialect` | `{"dialect": "plain_result|cr_only"}` | `set_dialect(...)` ("" = documented) |
| `POST /report` | `{"line": "+CREG: 5"}` | `report(line)`: print an unsolicited line now |

`POST /network-state` is `set_network_state(...)` with any subset of its three keys (no other
key): `registration` a 27.007 `<stat>` (0 not searching, 1 home, 2 searching, 3 denied,
4 unknown, 5 roaming), `sim` "ready", "pin" or "absent", `operator` the name `AT+COPS?` gives.

`GET /state`: `mode`, `online`, `echo`, `awake`, `registration`, `sim`, `operator`,
`network_up` (registered with a ready SIM), `wedged`, `restarts` (made by `AT+CFUN=1,1`),
`dialect`, `stored`, `serial_path`, `link_path`, `tcp_port` and the last 20 `commands`.
Each POST answers the state, as `GET /state` does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Protocol

from aiohttp import web

from .dialect import Dialect, parse_dialect
from .network import Sim, Stat

if TYPE_CHECKING:
    from .engine import ConnectMode
    from .state import Stored
    from .wire import PtyPort

type Action = Callable[[dict[str, object]], Awaitable[None]]


class ControlledModule(Protocol):
    """What the control API reads and drives: `ModuleEmulator` is one.

    Declared here, not imported, so that the emulator depends on its control API and not the
    other way round.
    """

    @property
    def mode(self) -> ConnectMode:
        """The current AT+CIOTCONNECTPARA mode."""

    @property
    def online(self) -> bool:
        """True while the EDP device connection is up."""

    @property
    def echo(self) -> bool:
        """True while the module echoes what it receives."""

    @property
    def awake(self) -> bool:
        """False while off, and while a SLOW_START module is still starting."""

    @property
    def dialect(self) -> Dialect:
        """The dialect the module prints in now."""

    @property
    def stored(self) -> Stored:
        """What the flash holds."""

    @property
    def pty(self) -> PtyPort:
        """The pseudo-terminal, open or not."""

    @property
    def link_path(self) -> str | None:
        """The stable symlink to the current pty, if one was asked for."""

    @property
    def tcp_port(self) -> int | None:
        """The TCP port serving the UART, if any."""

    @property
    def commands(self) -> list[str]:
        """Every command line received, oldest first."""

    @property
    def registration(self) -> Stat:
        """The registration the network gives with a ready SIM."""

    @property
    def sim(self) -> Sim:
        """The SIM: ready, waiting for its PIN, or absent."""

    @property
    def operator(self) -> str:
        """The operator's name."""

    @property
    def network_up(self) -> bool:
        """True while registered with a ready SIM."""

    @property
    def wedged(self) -> bool:
        """True while the cloud side is stuck."""

    @property
    def restarts(self) -> int:
        """How many restarts AT+CFUN=1,1 has made."""

    async def drop_cloud(self) -> None:
        """Lose the TCP connection to the platform."""

    async def set_network(self, *, up: bool) -> None:
        """Radio coverage on or off."""

    async def set_network_state(
        self,
        *,
        registration: int | None = None,
        sim: Sim | str | None = None,
        operator: str | None = None,
    ) -> None:
        """Change the registration, the SIM or the operator."""

    async def wedge(self) -> None:
        """Get the cloud side stuck until a restart."""

    async def reboot(self) -> None:
        """Power cycle."""

    async def unplug(self) -> None:
        """Pull the USB cable."""

    async def replug(self) -> None:
        """Plug it back in."""

    def delay_answers(self, seconds: float) -> None:
        """Hold every answer back this long."""

    def swallow_answers(self, count: int) -> None:
        """Print nothing for the next `count` answers."""

    def garble_output(self, count: int) -> None:
        """Corrupt the next `count` bytes printed."""

    def set_dialect(self, dialect: Dialect) -> None:
        """Switch the dialect while running."""

    def report(self, line: str) -> None:
        """Print an unsolicited line now."""


class ControlServer:
    """An aiohttp application bound to one emulator."""

    def __init__(self, module: ControlledModule) -> None:
        """Build the routes; nothing listens before `start`."""
        self.module = module
        self.url = ""
        self._runner: web.AppRunner | None = None
        actions: dict[str, Action] = {
            "drop-cloud": self._drop_cloud,
            "network": self._network,
            "network-state": self._network_state,
            "wedge": self._wedge,
            "reboot": self._reboot,
            "unplug": self._unplug,
            "replug": self._replug,
            "delay": self._delay,
            "swallow": self._swallow,
            "garble": self._garble,
            "dialect": self._dialect,
            "report": self._report,
        }
        self.app = web.Application()
        self.app.router.add_get("/state", self._state)
        for name, action in actions.items():
            self.app.router.add_post(f"/{name}", self._post(action))

    async def start(self, port: int) -> None:
        """Listen on 127.0.0.1:`port` (0: a free port)."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        bound_port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{bound_port}"

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def state(self) -> dict[str, object]:
        """What `GET /state` answers."""
        module = self.module
        return {
            "mode": int(module.mode),
            "online": module.online,
            "echo": module.echo,
            "awake": module.awake,
            "registration": int(module.registration),
            "sim": str(module.sim),
            "operator": module.operator,
            "network_up": module.network_up,
            "wedged": module.wedged,
            "restarts": module.restarts,
            "dialect": [flag.name for flag in module.dialect],
            "stored": asdict(module.stored),
            "serial_path": module.pty.path if module.pty.is_open else None,
            "link_path": module.link_path,
            "tcp_port": module.tcp_port,
            "commands": module.commands[-20:],
        }

    async def _state(self, _request: web.Request) -> web.Response:
        return web.json_response(self.state())

    def _post(self, action: Action) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            body = await request.json() if request.can_read_body else {}
            if not isinstance(body, dict):
                raise web.HTTPBadRequest(text="the body must be a JSON object")
            try:
                await action(body)
            except (KeyError, TypeError, ValueError) as error:
                raise web.HTTPBadRequest(text=f"bad body: {error!r}") from error
            return web.json_response(self.state())

        return handle

    async def _drop_cloud(self, _body: dict[str, object]) -> None:
        await self.module.drop_cloud()

    async def _network(self, body: dict[str, object]) -> None:
        await self.module.set_network(up=_bool(body["up"]))

    async def _network_state(self, body: dict[str, object]) -> None:
        unknown = set(body) - {"registration", "sim", "operator"}
        if unknown:
            raise KeyError(sorted(unknown))
        registration = body.get("registration")
        sim = body.get("sim")
        operator = body.get("operator")
        await self.module.set_network_state(
            registration=None if registration is None else _stat(registration),
            sim=None if sim is None else Sim(_text(sim)),
            operator=None if operator is None else _text(operator),
        )

    async def _wedge(self, _body: dict[str, object]) -> None:
        await self.module.wedge()

    async def _reboot(self, _body: dict[str, object]) -> None:
        await self.module.reboot()

    async def _unplug(self, _body: dict[str, object]) -> None:
        await self.module.unplug()

    async def _replug(self, _body: dict[str, object]) -> None:
        await self.module.replug()

    async def _delay(self, body: dict[str, object]) -> None:
        self.module.delay_answers(_number(body["seconds"]))

    async def _swallow(self, body: dict[str, object]) -> None:
        self.module.swallow_answers(_count(body["count"]))

    async def _garble(self, body: dict[str, object]) -> None:
        self.module.garble_output(_count(body["count"]))

    async def _dialect(self, body: dict[str, object]) -> None:
        value = body["dialect"]
        if not isinstance(value, str):
            raise TypeError(value)
        self.module.set_dialect(parse_dialect(value))

    async def _report(self, body: dict[str, object]) -> None:
        self.module.report(_line(body["line"]))


def _line(value: object) -> str:
    """One line of text: a line end in it would make two lines, or frame it wrongly."""
    if not isinstance(value, str):
        raise TypeError(value)
    if "\r" in value or "\n" in value:
        raise ValueError(value)
    return value


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _stat(value: object) -> Stat:
    """A 27.007 `<stat>`, 0-5 (a JSON integer, not a boolean)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(value)
    return Stat(value)


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(value)
    return value


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(value)
    return float(value)


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(value)
    return value
