"""`ModuleEmulator`: the M6311 on a pseudo-terminal (and TCP), with its faults and inspection."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from typing import TYPE_CHECKING, Self

from emulator.edp import RsaKeyPair

from .cloud import CloudLink, LinkListener, PlatformHttp
from .dialect import Dialect
from .edp_link import EdpByteCount, EdpLink
from .engine import ConnectMode, Firmware, ModuleConfig
from .network import REGISTERED, Sim, Stat, check_operator
from .profile import Profile, profile_named
from .state import StateStore, Stored
from .wire import Garbler, InputPump, OutputPump, PtyPort, TcpPort

if TYPE_CHECKING:
    import os
    from collections.abc import Awaitable, Callable

    from .control import ControlServer


class ModuleEmulator:
    """An emulated M6311: AT on a real pty (and optionally TCP), EDP and HTTP to the platform.

    Typical use::

        module = ModuleEmulator(platform_http_url=url, edp_host="127.0.0.1", edp_port=port)
        await module.start()
        ...  # open module.serial_path with serialx
        await module.stop()
    """

    def __init__(  # noqa: PLR0913  # the knobs of a module, all keyword-only
        self,
        *,
        platform_http_url: str = "http://127.0.0.1:1",
        edp_host: str = "127.0.0.1",
        edp_port: int = 1,
        imei: str = "867567041234567",
        state_path: str | os.PathLike[str] | None = None,
        dialect: Dialect = Dialect.DOCUMENTED,
        baudrate: int = 115200,
        cloud_latency: float = 0.0,
        link_path: str | os.PathLike[str] | None = None,
        tcp_port: int | None = None,
        control_port: int | None = None,
        config: ModuleConfig | None = None,
        link_factory: Callable[[LinkListener], CloudLink] | None = None,
        check_baudrate: bool = False,
        pace_input: bool = False,
        profile: Profile | str | None = None,
        max_line: int | None = None,
        connect_delay: float | None = None,
        startup_delay: float | None = None,
        tcp_jitter: float = 0.0,
        tcp_seed: int | None = None,
    ) -> None:
        """Set the module up; nothing runs before `start`.

        `config` overrides the timing and identity defaults (`imei`, `dialect` and
        `cloud_latency` given here win over it). `profile` (a `Profile` or its name, such as
        "m6311r") adds its dialect flags to `dialect` and sets its limits over `config`'s;
        `max_line`, `connect_delay` and `startup_delay`, when given, win over both. `tcp_port`
        0 picks a free port; None serves no TCP. `control_port` likewise for the control API.
        `tcp_jitter` cuts each write to the TCP client into 1-4 pieces with pauses of up to
        that many seconds between them (random, seeded with `tcp_seed`), as a network transport
        delivers a serial line. `link_factory` replaces the EDP link (for tests of the AT side
        alone). With `check_baudrate`, a client that opens the pty at another speed than
        `baudrate` exchanges only line noise with the module. Output is always paced at
        `baudrate`; with `pace_input`, what the client writes reaches the firmware at that
        speed too (as on a wire, and as time-dependent tests need).
        """
        base = replace(config or ModuleConfig(), dialect=dialect)
        if profile is not None:
            base = (profile_named(profile) if isinstance(profile, str) else profile).apply(base)
        self.config = replace(
            base,
            imei=imei,
            cloud_latency=cloud_latency,
            max_line=base.max_line if max_line is None else max_line,
            connect_delay=base.connect_delay if connect_delay is None else connect_delay,
            startup_delay=base.startup_delay if startup_delay is None else startup_delay,
        )
        self.edp_address = (edp_host, edp_port)
        self.store = StateStore(state_path)
        self.garbler = Garbler()
        self.pty = PtyPort(self._feed, link_path)
        self.pty.required_baudrate = baudrate if check_baudrate else None
        self.tcp = None if tcp_port is None else TcpPort(self._feed, tcp_port, tcp_jitter, tcp_seed)
        self.output = OutputPump(baudrate, self._sinks, self.garbler)
        self.input = InputPump(baudrate, self._deliver) if pace_input else None
        self.firmware = Firmware(
            self.config,
            self.store,
            PlatformHttp(platform_http_url, self.config.http_timeout, self.config.cloud_latency),
            link_factory or self._edp_link,
            self.output.write,
        )
        self.firmware.on_restart = self._restart_requested
        self.edp_bytes = EdpByteCount()
        """What the module wrote to and read from the platform over EDP, since it was made."""
        self._control_port = control_port
        self._control: ControlServer | None = None
        self._rsa: RsaKeyPair | None = None
        self._powered = False
        self._awake = False
        """False while a SLOW_START module is still starting: it ignores what it receives."""
        self._starting: asyncio.Task[None] | None = None
        self._restarting: asyncio.Task[None] | None = None
        """The power cycle `AT+CFUN=1,1` asked for, until it is done."""
        self._cycling = False
        """The restart has begun its power cycle: it is waited for, not cancelled."""
        self.restarts = 0
        """How many restarts `AT+CFUN=1,1` has made (reboot, unplug and replug not counted)."""

    # --- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the flash, open the ports, power the module on."""
        await self.store.load()
        self.pty.open()
        if self.tcp is not None:
            await self.tcp.start()
        self.output.start()
        if self.input is not None:
            self.input.start()
        self._power_on()
        if self._control_port is not None:
            from .control import ControlServer  # noqa: PLC0415  # aiohttp.web only when asked

            control = ControlServer(self)
            await control.start(self._control_port)
            self._control = control

    async def stop(self) -> None:
        """Power off and close everything; no task is left running."""
        if self._control is not None:
            await self._control.stop()
            self._control = None
        await self._end_restart()
        await self._power_off()
        await self.output.stop()
        if self.input is not None:
            await self.input.stop()
        if self.tcp is not None:
            await self.tcp.stop()
        self.pty.close()

    def _power_on(self) -> None:
        self.firmware.power_on_reset()
        self.firmware.start()
        self._powered = True
        if Dialect.SLOW_START in self.dialect:
            self._awake = False
            self._starting = asyncio.get_running_loop().create_task(
                self._wake_up(self.config.startup_delay), name="m6311-start-up"
            )
        else:
            self._wake_up_now()

    async def _wake_up(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self._starting = None
        self._wake_up_now()

    def _wake_up_now(self) -> None:
        self._awake = True
        self.firmware.unsolicited(self.firmware.boot_lines())

    def _restart_requested(self) -> None:
        """`AT+CFUN=1,1` has been answered: power-cycle once the `OK` is on the line."""
        if self._restarting is None:
            self._restarting = asyncio.get_running_loop().create_task(
                self._restart(), name="m6311-restart"
            )

    async def _restart(self) -> None:
        await self.output.drained()
        self._cycling = True
        try:
            self.restarts += 1
            await self._power_off()
            self._power_on()
        finally:
            self._cycling = False
            self._restarting = None

    async def _end_restart(self) -> None:
        """Before another power change: a restart not begun is dropped, one under way ends."""
        task = self._restarting
        if task is None or task.done():
            return
        if not self._cycling:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self._restarting = None

    async def _power_off(self) -> None:
        starting, self._starting = self._starting, None
        if starting is not None:
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
        if self._powered:
            self._powered = False
            self._awake = False
            await self.firmware.stop()
            self.output.discard()
            if self.input is not None:
                self.input.discard()

    def _feed(self, data: bytes) -> None:
        if self.input is not None:
            self.input.feed(data)
        else:
            self._deliver(data)

    def _deliver(self, data: bytes) -> None:
        if self._powered and self._awake:  # a UART not set up yet loses what it receives
            self.firmware.feed(data)

    def _sinks(self) -> list[Callable[[bytes], Awaitable[None]]]:
        sinks: list[Callable[[bytes], Awaitable[None]]] = []
        if self.pty.is_open:
            sinks.append(self.pty.write)
        if self.tcp is not None and self.tcp.has_client:
            sinks.append(self.tcp.write)
        return sinks

    def _edp_link(self, listener: LinkListener) -> CloudLink:
        return EdpLink(
            listener, self.edp_address, self.config.idle_timeout, self._rsa_key, self.edp_bytes
        )

    async def _rsa_key(self) -> RsaKeyPair:
        """The module's RSA-1024 key, made once (in a thread: it takes a moment of CPU)."""
        if self._rsa is None:
            self._rsa = await asyncio.to_thread(RsaKeyPair.generate)
        return self._rsa

    # --- where clients connect --------------------------------------------------------------

    @property
    def serial_path(self) -> str:
        """The pty slave path (changes at each replug; `link_path` does not)."""
        if self.pty.path is None:
            msg = "the emulator is not started"
            raise RuntimeError(msg)
        return self.pty.path

    @property
    def link_path(self) -> str | None:
        """The stable symlink to the current pty, if one was asked for."""
        return None if self.pty.link_path is None else str(self.pty.link_path)

    @property
    def tcp_port(self) -> int | None:
        """The TCP port serving the UART (`socket://127.0.0.1:<port>`), if any."""
        return None if self.tcp is None else self.tcp.port

    @property
    def control_url(self) -> str | None:
        """The base URL of the control API, if it runs."""
        return None if self._control is None else self._control.url

    # --- inspection -------------------------------------------------------------------------

    @property
    def online(self) -> bool:
        """True while the EDP device connection is up."""
        return self.firmware.online

    @property
    def mode(self) -> ConnectMode:
        """The current AT+CIOTCONNECTPARA mode."""
        return self.firmware.params.mode

    @property
    def echo(self) -> bool:
        """True while the module echoes what it receives."""
        return self.firmware.echo

    @property
    def stored(self) -> Stored:
        """Master key, device id and device key as in flash."""
        return self.store.stored

    @property
    def commands(self) -> list[str]:
        """Every command line received, oldest first."""
        return self.firmware.commands

    @property
    def printed(self) -> bytes:
        """The last MiB the module has put on the line (after garbling)."""
        return bytes(self.output.written)

    @property
    def dialect(self) -> Dialect:
        """The dialect the module prints in now."""
        return self.firmware.phrases.dialect

    def set_dialect(self, dialect: Dialect) -> None:
        """Switch the dialect while running (SLOW_START takes effect at the next boot)."""
        self.firmware.set_dialect(dialect)

    @property
    def awake(self) -> bool:
        """False while off, and while a SLOW_START module is still starting."""
        return self._awake

    @property
    def registration(self) -> Stat:
        """The registration the network gives with a ready SIM (`set_network_state`)."""
        return self.firmware.network.registration

    @property
    def sim(self) -> Sim:
        """The SIM: ready, waiting for its PIN, or absent."""
        return self.firmware.network.sim

    @property
    def operator(self) -> str:
        """The operator's name AT+COPS? gives while registered."""
        return self.firmware.network.operator

    @property
    def network_up(self) -> bool:
        """True while registered (1 or 5) with a ready SIM: the cloud can be reached."""
        return self.firmware.network_up

    @property
    def wedged(self) -> bool:
        """True while the cloud side is stuck (`wedge`), until the next restart."""
        return self.firmware.wedged

    # --- faults -----------------------------------------------------------------------------

    async def drop_cloud(self) -> None:
        """The cellular network loses the TCP connection; the module prints nothing."""
        await self.firmware.drop_link()

    async def set_network(self, *, up: bool) -> None:
        """Radio coverage on or off: off drops the link, cloud commands then fail.

        The registration becomes 1 (home) or 2 (searching); one that already says the same
        (5, roaming, for up; 0, 3 or 4 for down) is kept.
        """
        if (self.registration in REGISTERED) != up:
            await self.set_network_state(registration=Stat.HOME if up else Stat.SEARCHING)

    async def set_network_state(
        self,
        *,
        registration: int | None = None,
        sim: Sim | str | None = None,
        operator: str | None = None,
    ) -> None:
        """Change where the module stands on the network (any subset; a power cycle keeps it).

        `registration` is a 27.007 `<stat>` (0-5), `sim` "ready", "pin" or "absent". A module
        that is up prints `+CPIN: ...` when the SIM changes, and `+CREG: <stat>` /
        `+CGREG: <stat>` when the registration it reports changes, if AT+CREG=1 / AT+CGREG=1
        asked for them. Not registered (stat other than 1 or 5) or without a ready SIM, it has
        no network: the link drops and cloud commands fail. Raises ValueError on a bad value,
        then nothing has changed.
        """
        new_stat = None if registration is None else Stat(registration)
        new_sim = None if sim is None else Sim(sim)
        new_operator = None if operator is None else check_operator(operator)
        network = self.firmware.network
        stat_before, sim_before = network.stat, network.sim
        if new_stat is not None:
            network.registration = new_stat
        if new_sim is not None:
            network.sim = new_sim
        if new_operator is not None:
            network.operator = new_operator
        reports = self.firmware.network_reports(stat_before, sim_before)
        if reports and self._awake:
            self.firmware.unsolicited(reports)
        if not network.up:
            await self.firmware.drop_link()

    async def wedge(self) -> None:
        """The module's cloud side gets stuck: the link drops, cloud commands answer `ERROR`.

        Local commands still answer; only a restart (`AT+CFUN=1,1`, `reboot`, unplug and
        replug) clears it.
        """
        await self.firmware.wedge()

    async def reboot(self) -> None:
        """Power cycle: link down, temporary settings lost, echo back on, `RDY` printed."""
        await self._end_restart()
        await self._power_off()
        self._power_on()

    async def unplug(self) -> None:
        """Pull the USB cable: the port vanishes (pty closed, TCP client dropped), power off."""
        await self._end_restart()
        await self._power_off()
        self.pty.close()
        if self.tcp is not None:
            self.tcp.accepting = False
            await self.tcp.drop_client()

    async def replug(self) -> None:
        """Plug back in: a new pty (the symlink follows), then a boot with `RDY`."""
        if self.pty.is_open:
            return
        self.pty.open()
        if self.tcp is not None:
            self.tcp.accepting = True
        self._power_on()

    def delay_answers(self, seconds: float) -> None:
        """Hold every answer back this long (0 ends it); echo and unsolicited lines are not."""
        self.firmware.answer_delay = seconds

    def swallow_answers(self, count: int) -> None:
        """Print nothing for the next `count` answers (the commands still run)."""
        self.firmware.swallow = count

    def report(self, line: str) -> None:
        """Print an unsolicited line now (a network report, a `+CTZV`, anything), framed."""
        self.firmware.unsolicited([line.encode()])

    def garble_output(self, count: int) -> None:
        """Corrupt the next `count` bytes the module prints."""
        self.garbler.remaining = count

    async def drained(self) -> None:
        """Wait until everything the module printed has gone out on the line."""
        await self.output.drained()

    async def __aenter__(self) -> Self:
        """Start on entering `async with`."""
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        """Stop on leaving `async with`."""
        with contextlib.suppress(asyncio.CancelledError):
            await self.stop()
