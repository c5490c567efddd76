"""The module link: opens the port, logs in to OneNET, keeps the login alive, reconnects.

Push, no polling: the coordinator's data changes when something happens on the link (login,
ping, loss, a cloud command), and entities listen. One supervisor task, owned by the config
entry and stopped on unload, runs the whole life of the link:

    establish -> keep alive (ping every interval) -> link lost -> back off -> establish ...

The link counts as lost when the port closes (unplug), the module prints a boot line
(reboot: its temporary settings are gone), a ping fails and AT+CIOTSTATUS says down, or the
user presses "reconnect". A USB replug or the reconnect button cuts the back-off short.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypedDict, Unpack

from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .const import (
    BACKOFF_INITIAL,
    BACKOFF_MAX,
    CONF_KEEP_LINK,
    CONF_PING_INTERVAL,
    DEFAULT_PING_INTERVAL,
    DOMAIN,
    LOGGER,
    MAX_PING_INTERVAL,
)
from .credentials import login_settings
from .helpers import translated_module_errors
from .link_report import LinkReport
from .m6311 import (
    CloudCommand,
    ConnectionLost,
    LinkStatus,
    M6311Client,
    M6311ConnectionError,
    M6311Error,
    ModuleBoot,
    ModuleEvent,
    NetworkReport,
    NetworkStatus,
    SimState,
)
from .m6311.listeners import Listeners
from .m6311.network import apply_report
from .recovery import Recovery, WrongModuleError

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .counters import CounterCoordinator, MeterReadings
    from .delivery import Delivery
    from .forwarding.forwarder import Forwarder, ForwardStats

PORT_POLL = 1.0
"""While the port's device is missing, how often to look whether it is back."""

type M6311ConfigEntry = ConfigEntry[M6311Runtime]
type CommandListener = Callable[[CloudCommand], None]


@dataclass(frozen=True, slots=True)
class M6311Runtime:
    """What a loaded entry holds: the module link, how data reaches OneNET, the forwarding."""

    coordinator: M6311Coordinator
    forwarder: Forwarder
    delivery: Delivery
    meters: CounterCoordinator[MeterReadings]
    """The link's meters (serial bytes, cellular data), for their sensors."""
    forwarding: CounterCoordinator[ForwardStats]
    """The forwarding's counters, for their sensors."""


@dataclass(frozen=True, slots=True)
class LinkState:
    """What entities show about the link."""

    online: bool = False
    """Logged in to the OneNET platform."""
    ping_round_trip: float | None = None
    """The last heartbeat's round trip, in milliseconds."""
    signal_dbm: int | None = None
    commands_received: int = 0
    network: NetworkStatus = field(default_factory=NetworkStatus)
    """Registration, operator and SIM, as last asked or reported (also while not logged in:
    it tells why)."""
    module_restarts: int = 0
    """Restarts of the module since the entry was set up (recovery, or the button)."""


class LinkChanges(TypedDict, total=False):
    """Fields of `LinkState` that change together (`_update`)."""

    online: bool
    ping_round_trip: float | None
    signal_dbm: int | None
    commands_received: int
    network: NetworkStatus
    module_restarts: int


@dataclass(frozen=True, slots=True)
class ModuleIdentity:
    """What the module says about itself, read once per set-up."""

    imei: str
    firmware: str


class M6311Coordinator(DataUpdateCoordinator[LinkState]):
    """Owns the module client and the supervisor task of one config entry."""

    config_entry: ConfigEntry[M6311Runtime]

    def __init__(self, hass: HomeAssistant, entry: M6311ConfigEntry, client: M6311Client) -> None:
        """Prepare the link; nothing is opened before `async_start`."""
        super().__init__(hass, LOGGER, config_entry=entry, name=DOMAIN, update_interval=None)
        self.client = client
        self.settings = login_settings(entry.data)
        self.identity: ModuleIdentity | None = None
        self.data = LinkState()
        self._link_lost = asyncio.Event()
        self._online = asyncio.Event()
        self._retry_now = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._command_listeners: Listeners[[CloudCommand]] = Listeners("a cloud command listener")
        self._report = LinkReport(hass, entry, client.url)
        """What the user sees of the link's ups and downs (log, repairs, reauth)."""
        self._recovery = Recovery(hass.loop.time)
        self.sim_identity: tuple[str | None, str | None] = (None, None)
        """The SIM's ICCID and IMSI, read once it is ready (diagnostics, redacted)."""
        self.exclusive = asyncio.Lock()
        """One operation on the module at a time: every send (records, files: delivery.py),
        provisioning, each heartbeat, a state refresh. The connection already keeps single
        commands apart; this keeps operations of several commands whole."""
        self._unsubscribe = client.subscribe(self._on_module_event)

    @property
    def keep_link(self) -> bool:
        """Whether the platform login is held open (off: one-shot mode, AT+CIOTSEND)."""
        return bool(self.config_entry.options.get(CONF_KEEP_LINK, True))

    @property
    def ping_interval(self) -> float:
        """Seconds between heartbeats (options), never so long that the idle limit drops the link.

        The options flow keeps it within bounds; an entry edited by hand may not be.
        """
        interval = float(self.config_entry.options.get(CONF_PING_INTERVAL, DEFAULT_PING_INTERVAL))
        return min(interval, MAX_PING_INTERVAL)

    # -- life cycle ------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Start the supervisor, which connects and logs in in the background.

        The entry does not wait for the module: forwarding fills the outbox from the first
        moment, whether the module is there, unplugged or silent, and the Cloud link sensor
        shows the link off until it is up (quality_scale.yaml: test-before-setup).
        """
        self._supervisor = self.config_entry.async_create_background_task(
            self.hass, self._supervise(), f"{DOMAIN} link {self.client.url}"
        )

    async def async_stop(self) -> None:
        """Stop the supervisor, log out (best effort) and close the port."""
        self._unsubscribe()
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        if self.client.connected and self.data.online and self.keep_link:
            with contextlib.suppress(M6311Error):
                await self.client.quit()
        await self.client.close()

    @property
    def imei(self) -> str:
        """The module's IMEI, known from the set-up (the entry's unique ID) without asking it."""
        return self.config_entry.unique_id or self.config_entry.entry_id

    async def async_ping(self) -> float:
        """Ping the platform now; returns the round trip in seconds.

        Raises:
            ServiceValidationError: one-shot mode holds no login to ping (nothing is sent).
        """
        if not self.keep_link:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="ping_one_shot")
        with translated_module_errors():
            round_trip = await self.client.ping()
        self._update(ping_round_trip=round(round_trip * 1000, 1))
        return round_trip

    async def async_check_login(self) -> None:
        """A send failed: if the login is gone, say so now, not at the next heartbeat.

        The Cloud link sensor and the next commands then do not wait a heartbeat's interval.
        """
        if self.keep_link and not await self._still_logged_in():
            self._link_lost.set()

    async def async_forget_device(self) -> None:
        """Mode 0: delete the stored device ID and key (AT+CIOTIDC)."""
        await self.client.clear_device_id()

    async def async_provision(self, master_key: str | None) -> str:
        """Mode 0: store a master key if given, create the device (AT+CIOTINIT), log in again."""
        async with self.exclusive:
            device_id = await self.client.provision(master_key)
        self.request_reconnect()
        return device_id

    async def async_wait_online(self) -> None:
        """Return once the module is logged in (at once if it is)."""
        await self._online.wait()

    def request_reconnect(self) -> None:
        """Drop the login and connect again now (the reconnect button, a USB replug)."""
        self._link_lost.set()
        self._retry_now.set()

    def add_command_listener(self, listener: CommandListener) -> Callable[[], None]:
        """Call `listener` with every cloud command; returns the call that removes it."""
        return self._command_listeners.add(listener)

    async def _async_update_data(self) -> LinkState:
        """Read the link's state now (`homeassistant.update_entity`): the login, the signal.

        The supervisor owns the link: a login found down is handed to it, as a failed
        heartbeat would be, and the state it then shows follows from there.
        """
        if not self.data.online:
            return self.data  # the supervisor is connecting: nothing to read yet
        async with self.exclusive:
            if self.keep_link and not await self._still_logged_in():
                self._link_lost.set()
                return self.data
            return replace(self.data, signal_dbm=await self._read_signal())

    # -- the supervisor --------------------------------------------------------------------

    async def _supervise(self) -> None:
        while True:
            await self._reconnect()
            failure = await self._keep_alive()
            self._set_offline()
            if failure is not None:
                await self._after_failure(failure)

    async def _keep_alive(self) -> M6311Error | None:
        """Ping every interval; return when the link is lost, with the heartbeat's failure."""
        while not await self._wait(self._link_lost, self.ping_interval):
            async with self.exclusive:
                if (failure := await self._heartbeat()) is not None:
                    return failure
        return None

    async def _heartbeat(self) -> M6311Error | None:
        """One ping (and a status check when it fails); None while the login is still up."""
        if not self.keep_link:
            return await self._module_answers()
        try:
            round_trip = await self.client.ping()
        except M6311ConnectionError as err:
            return err
        except M6311Error as err:
            LOGGER.debug("Ping failed (%s); checking the login", err)
            return None if await self._still_logged_in() else err
        signal = await self._read_signal()
        self._update(ping_round_trip=round(round_trip * 1000, 1), signal_dbm=signal)
        self._recovered()
        return None

    async def _module_answers(self) -> M6311Error | None:
        """One-shot mode has no login to ping: the module answering `AT` is what counts."""
        try:
            await self.client.check_alive()
        except M6311Error as err:
            return err
        self._update(signal_dbm=await self._read_signal())
        self._recovered()
        return None

    async def _still_logged_in(self) -> bool:
        try:
            return await self.client.read_status() is LinkStatus.UP
        except M6311Error:
            return False

    async def _read_signal(self) -> int | None:
        try:
            return (await self.client.read_signal()).dbm
        except M6311Error as err:
            LOGGER.debug("Reading the signal quality failed: %s", err)
            return self.data.signal_dbm

    async def _reconnect(self) -> None:
        """Try to establish the link until it works, backing off between attempts."""
        delay = BACKOFF_INITIAL
        while True:
            self._link_lost.clear()
            try:
                await self._establish()
            except M6311Error as err:
                LOGGER.debug("Connecting to %s failed: %s", self.client.url, err)
                self._report.failed(err)
                await self._after_failure(err)
            else:
                return
            # Jitter keeps several modules (or a module and its cloud) from retrying in step.
            seconds = delay * random.uniform(0.5, 1.0)  # noqa: S311
            async with self._port_watch():
                await self._wait(self._retry_now, seconds)
            self._retry_now.clear()
            delay = min(delay * 2, BACKOFF_MAX)

    @contextlib.asynccontextmanager
    async def _port_watch(self) -> AsyncIterator[None]:
        """While the port's device is missing, retry as soon as it is back.

        Home Assistant tells of a USB adapter plugged in again (`_watch_usb_port`); a device
        path it does not see (a serial HAT's, a pty, a renamed link) is looked at every
        `PORT_POLL` seconds meanwhile. Network ports (socket://, esphome://) are not files.
        """
        path = self.client.url
        if "://" in path or await self.hass.async_add_executor_job(os.path.exists, path):
            yield
            return
        watch = self.config_entry.async_create_background_task(
            self.hass, self._watch_for(path), f"{DOMAIN} port watch {path}"
        )
        try:
            yield
        finally:
            watch.cancel()

    async def _watch_for(self, path: str) -> None:
        # A device file appearing fires no event this can wait on: it is looked for.
        while not await self.hass.async_add_executor_job(os.path.exists, path):  # noqa: ASYNC110
            await asyncio.sleep(PORT_POLL)
        LOGGER.debug("%s is back; connecting now", path)
        self._retry_now.set()

    async def _establish(self) -> None:
        """Open the port if needed, see who answers, and log in (or prepare one-shot mode)."""
        if not self.client.connected:
            await self.client.close()  # releases what a lost port left behind
            await self.client.connect()
        # Echo comes back on after a reboot, and a replug may leave noise: identify handles both.
        module = await self.client.identify()
        await self._check_identity(module.imei)
        await self._read_network()  # before the login: when it fails, this tells why
        self._link_lost.clear()
        if self.keep_link:
            await self.client.login(self.settings)
        else:
            await self.client.prepare_one_shot(self.settings)
        self._set_online(await self._measure_link())

    async def _measure_link(self) -> LinkChanges:
        """A first heartbeat at link-up: round trip and signal show with the link, not later.

        It tells nothing the login did not: a failure waits for the next heartbeat's verdict.
        """
        measured: LinkChanges = {"signal_dbm": await self._read_signal()}
        if not self.keep_link:
            self._recovered()
            return measured
        try:
            measured["ping_round_trip"] = round(await self.client.ping() * 1000, 1)
        except M6311Error as err:
            LOGGER.debug("The first ping after the login failed: %s", err)
        else:
            self._recovered()
        return measured

    async def _check_identity(self, imei: str) -> None:
        """The IMEI is read each time: a different module on the port is not this entry's."""
        expected = self.config_entry.unique_id
        if expected and imei != expected:
            raise WrongModuleError(imei)
        if self.identity is None:
            self.identity = ModuleIdentity(imei=imei, firmware=await self.client.read_firmware())
            self._report.firmware(self.identity.firmware)

    # -- the network and recovery ----------------------------------------------------------

    async def async_restart_module(self) -> None:
        """Restart the module now (the Restart module button); the link is made again after.

        Raises:
            HomeAssistantError: the module could not be asked (translated).
        """
        with translated_module_errors():
            async with self.exclusive:
                await self.client.restart()
        self._count_restart()
        self.request_reconnect()

    async def _read_network(self) -> None:
        """Registration, operator and SIM now; registration changes reported from now on."""
        try:
            network = await self.client.read_network()
            await self.client.follow_network()
            if network.sim is SimState.READY and self.sim_identity == (None, None):
                self.sim_identity = await self.client.read_sim_identity()
        except M6311Error as err:
            LOGGER.debug("Reading the network state failed: %s", err)
            return
        self._set_network(network)

    def _set_network(self, network: NetworkStatus) -> None:
        self._report.network(network)
        self._update(network=network)

    async def _after_failure(self, error: M6311Error) -> None:
        """A login or a heartbeat failed: show why, and restart the module when that is due."""
        if not self.client.connected:
            return  # the port is gone: nothing to ask, nothing a restart would mend
        await self._read_network()
        self._update(signal_dbm=await self._read_signal())  # a dead antenna shows here
        if self._recovery.gave_up:
            self._report.unreachable()
        if not self._recovery.failed(error):
            return
        if self._recovery.first_restart:
            LOGGER.warning(
                "The module on %s keeps failing to reach OneNET (%s); restarting it",
                self.client.url,
                error,
            )
        try:
            async with self.exclusive:
                await self.client.restart()
        except M6311Error as err:
            LOGGER.debug("Restarting the module failed: %s", err)
        self._count_restart()

    def _count_restart(self) -> None:
        self._recovery.restarted()
        self._update(module_restarts=self._recovery.restarts)

    def _recovered(self) -> None:
        """A good heartbeat: a failure episode, if any, is over."""
        if self._recovery.in_episode:
            self._recovery.recovered()
            self._report.reachable()

    # -- events and state ------------------------------------------------------------------

    def _on_module_event(self, event: ModuleEvent) -> None:
        if isinstance(event, CloudCommand):
            self._on_cloud_command(event)
        elif isinstance(event, NetworkReport):
            if (network := apply_report(self.data.network, event)) is not None:
                self._set_network(network)
        elif isinstance(event, ConnectionLost | ModuleBoot):
            LOGGER.debug("Link event: %s", event)
            self._link_lost.set()

    def _on_cloud_command(self, command: CloudCommand) -> None:
        self._update(commands_received=self.data.commands_received + 1)
        self._command_listeners.notify(command)

    def _set_online(self, measured: LinkChanges) -> None:
        self._online.set()
        self._report.up(was_online=self.data.online)
        changes: LinkChanges = {**measured, "online": True}
        self._update(**changes)

    def _set_offline(self) -> None:
        self._online.clear()
        if self.data.online:
            self._report.down()
        self._update(online=False, ping_round_trip=None)

    def _update(self, **changes: Unpack[LinkChanges]) -> None:
        self.async_set_updated_data(replace(self.data, **changes))

    @staticmethod
    async def _wait(event: asyncio.Event, seconds: float) -> bool:
        """Sleep up to `seconds`; True when `event` was set first."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await event.wait()
                return True
        return False
