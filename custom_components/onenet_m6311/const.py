"""Constants of the OneNET M6311 integration."""

from __future__ import annotations

import logging
from typing import Final

from .m6311 import DEFAULT_BAUDRATE as LIBRARY_BAUDRATE
from .m6311 import IDLE_LIMIT

DOMAIN: Final = "onenet_m6311"
LOGGER = logging.getLogger(__package__)

# Config entry data.
CONF_DEVICE: Final = "device"
"""The serial port: a path, a /dev/serial/by-id path, or a socket:// / esphome:// URL."""
CONF_BAUDRATE: Final = "baudrate"
CONF_LINE_LIMIT: Final = "line_limit"
"""The longest command line the module took (bytes), once a refusal taught it; kept across
restarts so the next start does not send a line the module refuses."""
CONF_MODE: Final = "mode"
"""AT+CIOTCONNECTPARA mode: 0 stored device, 1 device ID + master key, 2 project + auth_info."""
CONF_ENCRYPT: Final = "encrypt"
CONF_MASTER_KEY: Final = "master_key"
CONF_DEVICE_ID: Final = "device_id"
CONF_PROJECT_ID: Final = "project_id"
CONF_AUTH_KEY: Final = "auth_key"
CONF_AUTH_VALUE: Final = "auth_value"

SECRET_KEYS: Final = frozenset({CONF_MASTER_KEY, CONF_AUTH_VALUE, "device_key"})
"""Values never shown in logs, diagnostics or errors."""

# Options.
CONF_PING_INTERVAL: Final = "ping_interval"
CONF_ALLOWED_ACTIONS: Final = "allowed_actions"
CONF_KEEP_LINK: Final = "keep_link"
"""Off: one-shot mode, every send logs in and out (AT+CIOTSEND); no cloud commands arrive."""

DEFAULT_BAUDRATE: Final = LIBRARY_BAUDRATE
"""The module's factory speed (the library's default)."""
DEFAULT_PING_INTERVAL: Final = 60
"""Seconds between heartbeats: well inside the module's idle limit (`IDLE_LIMIT`, 128 s)."""
MIN_PING_INTERVAL: Final = 10
"""The shortest interval the options offer: more often only costs cellular data."""
MAX_PING_INTERVAL: Final = int(IDLE_LIMIT) - 28
"""The longest interval allowed: a ping must land before the idle limit, with the margin of a
slow ping and a busy line."""

# Reconnecting.
BACKOFF_INITIAL: Final = 1.0
BACKOFF_MAX: Final = 300.0
REAUTH_AFTER_REFUSALS: Final = 3
"""Consecutive login refusals (-109) after which the user is asked for new credentials."""

# Bus events.
EVENT_COMMAND: Final = f"{DOMAIN}_command"
EVENT_COMMAND_REJECTED: Final = f"{DOMAIN}_command_rejected"

# Forwarding options.
CONF_FORWARD_ENTITIES: Final = "forward_entities"
CONF_FORWARD_LABEL: Final = "forward_label"
CONF_FORWARD_AREAS: Final = "forward_areas"
CONF_FORWARD_DOMAINS: Final = "forward_domains"
CONF_EXCLUDE_ENTITIES: Final = "exclude_entities"
CONF_DATASTREAMS: Final = "datastreams"
"""Entity ID -> datastream ID, where the default (see values.py) is not wanted."""
CONF_ATTRIBUTES: Final = "attributes"
"""Entity ID -> attributes forwarded beside its state."""
CONF_SEND_ON_CHANGE: Final = "send_on_change"
CONF_SNAPSHOT_INTERVAL: Final = "snapshot_interval"
CONF_MIN_INTERVAL: Final = "min_interval"
CONF_BATCH_WINDOW: Final = "batch_window"
CONF_TIMESTAMPS: Final = "timestamps"
"""When a record carries its change's time: "always", "delayed" or "never" (True/False before)."""
CONF_SIGNIFICANT_ONLY: Final = "significant_only"
CONF_MAX_SILENCE: Final = "max_silence"
CONF_DEADBANDS: Final = "deadbands"
"""Entity ID -> deadband text (`0.5`, `2%`, `0.5 2%`), used with significant_only."""
CONF_ACK_MODE: Final = "ack_mode"
CONF_OUTBOX_CAPACITY: Final = "outbox_capacity"

DEFAULT_BATCH_WINDOW: Final = 1.0
DEFAULT_OUTBOX_CAPACITY: Final = 10_000


def module_name(imei: str) -> str:
    """The one name of a module: its entry's title and its device's name ("M6311 4567").

    The IMEI's last four digits tell two modules apart; all fifteen would be noise.
    """
    return f"M6311 {imei[-4:]}"
