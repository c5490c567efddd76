"""The OneNET M6311 integration: Home Assistant to China Mobile's OneNET through an M6311 module.

This module only sets entries up and unloads them; the link lives in coordinator.py, cloud
commands in cloud_commands.py, actions in services.py.
"""

from __future__ import annotations

import os
import sqlite3
from typing import TYPE_CHECKING

from homeassistant.components import usb
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv

from .carryover import Carryover, carryover, forget
from .cloud_commands import async_setup_cloud_commands
from .const import (
    CONF_BAUDRATE,
    CONF_DEVICE,
    CONF_LINE_LIMIT,
    DEFAULT_BAUDRATE,
    DOMAIN,
    SECRET_KEYS,
)
from .coordinator import M6311ConfigEntry, M6311Coordinator, M6311Runtime
from .counters import CounterCoordinator, read_meters
from .delivery import Delivery
from .forwarding.forwarder import Forwarder
from .forwarding.outbox_files import async_remove_outbox_files
from .forwarding.settings import ForwardSettings
from .m6311 import DEFAULT_LINE_LIMIT, M6311Client
from .m6311.redaction import SECRETS
from .services import async_setup_services

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.helpers.typing import ConfigType

PLATFORMS = [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.EVENT, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions once for all entries."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: M6311ConfigEntry) -> bool:
    """Start the module link (in the background) and forwarding, and set the platforms up."""
    secrets = [entry.data[key] for key in SECRET_KEYS if entry.data.get(key)]
    SECRETS.add(secrets)  # kept out of every log, serialx's included, while the entry is loaded
    entry.async_on_unload(lambda: SECRETS.remove(secrets))
    port = entry.data[CONF_DEVICE]
    kept = carryover(hass, entry.entry_id)
    # Registered before what it reads stops: it runs after them (unload runs backwards).
    entry.async_on_unload(lambda: _keep(entry, kept))
    client = M6311Client(
        port,
        baudrate=entry.data.get(CONF_BAUDRATE, DEFAULT_BAUDRATE),
        line_limit=entry.data.get(CONF_LINE_LIMIT, DEFAULT_LINE_LIMIT),
        trace=kept.trace,
    )
    entry.async_on_unload(client.limits.add_listener(_keep_line_limit(hass, entry)))
    coordinator = M6311Coordinator(hass, entry, client)
    await coordinator.async_start()
    # Registered first, so it runs last: the port closes after everything else let go of it.
    entry.async_on_unload(coordinator.async_stop)
    delivery = Delivery(coordinator)
    forwarder = Forwarder(
        hass, entry, coordinator, delivery, ForwardSettings.from_options(entry.options)
    )
    entry.async_on_unload(forwarder.async_stop)
    try:
        await forwarder.async_start()
    except (OSError, sqlite3.Error) as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="outbox_unavailable",
            translation_placeholders={"error": str(err)},
        ) from err
    meters = CounterCoordinator(hass, entry, name="meters", read=read_meters(client.meters))
    entry.async_on_unload(meters.async_start(client.meters.add_listener))
    forwarding = CounterCoordinator(hass, entry, name="forwarding", read=lambda: forwarder.stats)
    entry.async_on_unload(forwarding.async_start(forwarder.add_listener))
    entry.runtime_data = M6311Runtime(
        coordinator=coordinator,
        forwarder=forwarder,
        delivery=delivery,
        meters=meters,
        forwarding=forwarding,
    )
    kept.restore(entry.runtime_data)
    entry.async_on_unload(async_setup_cloud_commands(hass, coordinator))
    real_port = await hass.async_add_executor_job(os.path.realpath, port)
    entry.async_on_unload(_watch_usb_port(hass, coordinator, {port, real_port}))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


def _keep(entry: M6311ConfigEntry, kept: Carryover) -> None:
    """Note the counters of an entry being unloaded (one that failed to set up has none)."""
    runtime: M6311Runtime | None = getattr(entry, "runtime_data", None)
    if runtime is not None:
        kept.keep(runtime)


def _keep_line_limit(hass: HomeAssistant, entry: M6311ConfigEntry) -> Callable[[int], None]:
    """Store a line limit the module taught, so that the next start begins with it."""

    def keep(limit: int) -> None:
        hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_LINE_LIMIT: limit})

    return keep


async def async_unload_entry(hass: HomeAssistant, entry: M6311ConfigEntry) -> bool:
    """Unload the platforms; the link logs out and closes through `async_on_unload`."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: M6311ConfigEntry) -> None:
    """The entry is deleted: its outbox goes with it."""
    await async_remove_outbox_files(hass, entry.entry_id)
    forget(hass, entry.entry_id)


def _watch_usb_port(
    hass: HomeAssistant, coordinator: M6311Coordinator, paths: set[str]
) -> Callable[[], None]:
    """Retry at once when the module's USB adapter is plugged in again."""

    @callback
    def on_port_event(added: set[usb.USBDevice], removed: set[usb.USBDevice]) -> None:
        # resolved_device (where the release has it) is the real path behind a by-id link.
        if any(
            {device.device, getattr(device, "resolved_device", None)} & paths for device in added
        ):
            coordinator.request_reconnect()

    return usb.async_register_port_event_callback(hass, on_port_event)
