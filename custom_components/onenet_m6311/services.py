"""Actions: send data, upload a file, ping, mode 0 provisioning, and raw AT for troubleshooting.

Registered once in `async_setup`; each call names its config entry. Bad input raises a
translated `ServiceValidationError`, link or module failures a translated
`HomeAssistantError` (see helpers.py).
"""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import service
from homeassistant.helpers.importlib import async_import_module
from homeassistant.util import dt as dt_util

from .const import CONF_MASTER_KEY, CONF_MODE, DOMAIN, LOGGER
from .helpers import translated_module_errors
from .m6311 import ConnectMode, Record, commands
from .m6311.redaction import SECRETS
from .voluptuous_alias import vol

if TYPE_CHECKING:
    from .coordinator import M6311ConfigEntry, M6311Coordinator, M6311Runtime
    from .delivery import Delivery

MAX_FILE_BYTES = 3 * 1024 * 1024
"""OneNET keeps binary datapoints of up to 3 MiB."""
EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_AHEAD = timedelta(days=1)
"""How far ahead of now a sample time may be (clocks differ; a measurement is not ahead)."""

SERVICE_SEND_DATA = "send_data"
SERVICE_SEND_FILE = "send_file"
SERVICE_PING = "ping"
SERVICE_FORGET_DEVICE = "forget_device"
SERVICE_PROVISION = "provision"
SERVICE_AT_COMMAND = "at_command"

ENTRY = {vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string}

SEND_DATA_SCHEMA = vol.Schema(
    {
        **ENTRY,
        vol.Required("values"): dict,  # empty: a translated error in the handler
        vol.Optional("time"): cv.datetime,
        vol.Optional("wait_for_ack", default=False): cv.boolean,
    }
)
SEND_FILE_SCHEMA = vol.Schema(
    {
        **ENTRY,
        vol.Required("datastream"): cv.string,
        vol.Exclusive("file_path", "source"): cv.string,
        vol.Exclusive("camera_entity_id", "source"): cv.entity_domain("camera"),
        vol.Optional("wait_for_ack", default=False): cv.boolean,
    }
)
PING_SCHEMA = vol.Schema(ENTRY)
FORGET_DEVICE_SCHEMA = vol.Schema(ENTRY)
PROVISION_SCHEMA = vol.Schema({**ENTRY, vol.Optional(CONF_MASTER_KEY): cv.string})
AT_COMMAND_SCHEMA = vol.Schema({**ENTRY, vol.Required("command"): cv.string})


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    register = hass.services.async_register
    register(DOMAIN, SERVICE_SEND_DATA, _send_data, SEND_DATA_SCHEMA, SupportsResponse.OPTIONAL)
    register(DOMAIN, SERVICE_SEND_FILE, _send_file, SEND_FILE_SCHEMA, SupportsResponse.OPTIONAL)
    register(DOMAIN, SERVICE_PING, _ping, PING_SCHEMA, SupportsResponse.OPTIONAL)
    admin = service.async_register_admin_service
    admin(hass, DOMAIN, SERVICE_FORGET_DEVICE, _forget_device, FORGET_DEVICE_SCHEMA)
    admin(hass, DOMAIN, SERVICE_PROVISION, _provision, PROVISION_SCHEMA, SupportsResponse.OPTIONAL)
    admin(hass, DOMAIN, SERVICE_AT_COMMAND, _at_command, AT_COMMAND_SCHEMA, SupportsResponse.ONLY)


def _runtime(call: ServiceCall) -> M6311Runtime:
    entry: M6311ConfigEntry = service.async_get_config_entry(
        call.hass, DOMAIN, call.data[ATTR_CONFIG_ENTRY_ID]
    )
    return entry.runtime_data


def _coordinator(call: ServiceCall) -> M6311Coordinator:
    return _runtime(call).coordinator


def _delivery(call: ServiceCall) -> Delivery:
    return _runtime(call).delivery


async def _send_data(call: ServiceCall) -> ServiceResponse:
    delivery = _delivery(call)
    values: dict[Any, Any] = call.data["values"]
    if not values:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="values_empty")
    when = call.data.get("time")
    local_time = _record_time(when) if when is not None else None
    with translated_module_errors():
        records = [Record(str(key), value, local_time) for key, value in values.items()]
        delivered = await delivery.send_records(records, ack=call.data["wait_for_ack"])
    return {"records": len(records), "commands": delivered.lines, "outcome": delivered.outcome}


def _record_time(when: datetime) -> datetime:
    """The time in Home Assistant's zone, when OneNET can take it: 2000 to a day ahead.

    A time before 2000 (or far ahead) is a mistake rather than a measurement, and the
    extremes of the calendar do not even convert between zones.
    """
    try:
        local = dt_util.as_local(when)
        moment = local.astimezone(UTC)
    except OverflowError, ValueError:
        moment = None
    if moment is None or not EARLIEST_TIME <= moment <= dt_util.utcnow() + LATEST_AHEAD:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="time_out_of_range",
            translation_placeholders={
                "time": when.isoformat(),
                "earliest": EARLIEST_TIME.date().isoformat(),
            },
        )
    return local


async def _send_file(call: ServiceCall) -> ServiceResponse:
    delivery = _delivery(call)
    data = await _file_bytes(call)
    with translated_module_errors():
        delivered = await delivery.send_file(
            call.data["datastream"], data, ack=call.data["wait_for_ack"]
        )
    return {"bytes": len(data), "status": delivered.status, "outcome": delivered.outcome}


async def _camera_snapshot(hass: HomeAssistant, entity_id: str) -> bytes:
    """A camera's picture.

    The camera component is imported only here, when asked: it loads image libraries
    (libturbojpeg) that an install without cameras does not need.
    """
    camera = await async_import_module(hass, "homeassistant.components.camera")
    image = await camera.async_get_image(hass, entity_id)
    return bytes(image.content)


async def _file_bytes(call: ServiceCall) -> bytes:
    hass = call.hass
    if camera := call.data.get("camera_entity_id"):
        try:
            data = await _camera_snapshot(hass, camera)
        except HomeAssistantError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="camera_failed",
                translation_placeholders={"entity_id": camera},
            ) from err
    elif path := call.data.get("file_path"):
        data = await hass.async_add_executor_job(_read_allowed_file, hass, path)
    else:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_file")
    _check_size(len(data))
    return data


def _read_allowed_file(hass: HomeAssistant, path: str) -> bytes:
    """Read a regular file under a folder Home Assistant allows (allowlist_external_dirs).

    The file is opened without waiting (a named pipe would block a worker thread), and its
    type and size come from the open file before anything is read: a huge or sparse file is
    refused by its size, and at most the limit is ever read.
    """
    if not hass.config.is_allowed_path(path):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="path_not_allowed",
            translation_placeholders={"path": path},
        )
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as err:
        raise _unreadable(path, err) from err
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="not_a_file",
                translation_placeholders={"path": path},
            )
        _check_size(info.st_size)
        data = os.read(descriptor, MAX_FILE_BYTES + 1)
    except OSError as err:
        raise _unreadable(path, err) from err
    finally:
        os.close(descriptor)
    _check_size(len(data))  # it may have changed since
    return data


def _check_size(size: int) -> None:
    if not 0 < size <= MAX_FILE_BYTES:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="file_size",
            translation_placeholders={"size": str(size), "max": str(MAX_FILE_BYTES)},
        )


def _unreadable(path: str, err: OSError) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="file_unreadable",
        translation_placeholders={"path": path, "error": err.strerror or str(err)},
    )


async def _ping(call: ServiceCall) -> ServiceResponse:
    round_trip = await _coordinator(call).async_ping()
    return {"round_trip_ms": round(round_trip * 1000, 1)}


def _require_stored_device_mode(coordinator: M6311Coordinator) -> None:
    if coordinator.config_entry.data[CONF_MODE] != ConnectMode.STORED_DEVICE:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="stored_device_mode_only"
        )


async def _forget_device(call: ServiceCall) -> None:
    coordinator = _coordinator(call)
    _require_stored_device_mode(coordinator)
    with translated_module_errors():
        await coordinator.async_forget_device()


async def _provision(call: ServiceCall) -> ServiceResponse:
    coordinator = _coordinator(call)
    _require_stored_device_mode(coordinator)
    with translated_module_errors():
        device_id = await coordinator.async_provision(call.data.get(CONF_MASTER_KEY))
    return {"device_id": device_id}


async def _at_command(call: ServiceCall) -> ServiceResponse:
    coordinator = _coordinator(call)
    with translated_module_errors():
        command = commands.raw(call.data["command"])
        LOGGER.info("Troubleshooting command sent: %s", command.redacted_line)
        # The answer may hold a secret nobody registered (AT+CIOTKEY? prints the device key).
        with SECRETS.hiding_traffic():
            response = await coordinator.client.execute(command)
    return {"lines": list(response.lines), "value": response.value}
