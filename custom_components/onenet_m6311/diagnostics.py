"""Diagnostics: the entry, the module and the link, with every secret redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import async_redact_data

from .const import SECRET_KEYS
from .m6311.redaction import REDACTED

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import M6311ConfigEntry, M6311Coordinator

TO_REDACT = {*SECRET_KEYS, "imei", "serial_number", "unique_id", "title", "iccid", "imsi"}
"""Secrets, and the module's IMEI and the SIM's ICCID and IMSI (they identify the SIM's owner
to the operator): shown as known or not, never their value."""


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: M6311ConfigEntry
) -> dict[str, Any]:
    """What a maintainer needs to see to help, and nothing a stranger may know."""
    coordinator = entry.runtime_data.coordinator
    forwarder = entry.runtime_data.forwarder
    identity = coordinator.identity
    return async_redact_data(
        {
            "entry": {
                "title": entry.title,
                "unique_id": entry.unique_id,
                "data": dict(entry.data),
                "options": dict(entry.options),
            },
            "module": asdict(identity) if identity else None,
            "sim": dict(zip(("iccid", "imsi"), coordinator.sim_identity, strict=True)),
            "link": {
                **asdict(coordinator.data),
                "port_open": coordinator.client.connected,
                "line_limit": coordinator.client.line_limit,
                "longest_line_accepted": coordinator.client.limits.longest_accepted,
                "serial_trace": _serial_trace(coordinator),
            },
            "forwarding": {
                **asdict(forwarder.stats),
                "following": len(forwarder.following),
                "selected_by": forwarder.settings.selection.counts(hass),
                "outbox": forwarder.outbox.diagnostics(),
            },
            "data_usage": _data_usage(coordinator),
        },
        TO_REDACT,
    )


def _data_usage(coordinator: M6311Coordinator) -> dict[str, int]:
    """Since the entry was set up: the serial bytes, and the cellular estimate in its parts."""
    client = coordinator.client
    traffic = client.meters.data_usage.traffic
    return {
        "serial_bytes_sent": client.meters.serial_bytes_sent,
        "serial_bytes_received": client.meters.serial_bytes_received,
        **asdict(traffic),
        "cellular_bytes": traffic.total,
    }


def _serial_trace(coordinator: M6311Coordinator) -> list[str]:
    """The last lines of the serial line, without secrets, the IMEI, the ICCID and the IMSI.

    `python -m emulator.replay` plays the module's side of it again: see docs/protocol.md.
    """
    identifiers = [coordinator.imei, *filter(None, coordinator.sim_identity)]
    lines = coordinator.client.trace.lines()
    for identifier in identifiers:
        lines = [line.replace(identifier, REDACTED) for line in lines]
    return lines
