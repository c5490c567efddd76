"""What the user chose to forward, read once from the entry's options."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..const import (
    CONF_ACK_MODE,
    CONF_ATTRIBUTES,
    CONF_BATCH_WINDOW,
    CONF_DATASTREAMS,
    CONF_DEADBANDS,
    CONF_MAX_SILENCE,
    CONF_MIN_INTERVAL,
    CONF_OUTBOX_CAPACITY,
    CONF_SEND_ON_CHANGE,
    CONF_SIGNIFICANT_ONLY,
    CONF_SNAPSHOT_INTERVAL,
    CONF_TIMESTAMPS,
    DEFAULT_BATCH_WINDOW,
    DEFAULT_OUTBOX_CAPACITY,
)
from .selection import Selection
from .significance import Deadband
from .values import default_datastream

if TYPE_CHECKING:
    from collections.abc import Mapping


DELAYED_AFTER = 5.0
"""Seconds after its change from which a record is late: it keeps its time (TimeMode.DELAYED).

A record sent sooner lets the platform stamp its arrival, which is then at most this plus one
second (times count whole seconds) plus the cellular transit after the change."""


class TimeMode(enum.StrEnum):
    """When a record carries the time of its change ("Send the time of each change")."""

    ALWAYS = "always"
    DELAYED = "delayed"
    """Only when it leaves more than `DELAYED_AFTER` s after its change: else the platform
    stamps its arrival, and the line is 19 bytes a record shorter."""
    NEVER = "never"

    @classmethod
    def from_option(cls, value: object) -> TimeMode:
        """The option's value; True and False are what earlier versions stored."""
        if isinstance(value, bool):
            return cls.ALWAYS if value else cls.NEVER
        try:
            return cls(str(value))
        except ValueError:
            return cls.ALWAYS


@dataclass(frozen=True, slots=True)
class ForwardSettings:
    """The forwarding options of one entry (OptionsFlowWithReload: fixed while loaded)."""

    selection: Selection = field(default_factory=Selection)
    """Which entities: chosen, by label, area or domain, less the excluded (selection.py)."""
    datastreams: Mapping[str, str] = field(default_factory=dict)
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    send_on_change: bool = True
    snapshot_interval: float = 0.0
    """Seconds between snapshots of every forwarded entity; 0: none."""
    min_interval: float = 0.0
    """Shortest time between two records of one entity; within it the last value wins."""
    batch_window: float = DEFAULT_BATCH_WINDOW
    """How long the sender lets records gather before it sends, so they share commands."""
    time_mode: TimeMode = TimeMode.ALWAYS
    significant_only: bool = False
    """Only changes Home Assistant's significant-change rules (and the deadbands) pass."""
    deadbands: Mapping[str, Deadband] = field(default_factory=dict)
    max_silence: float = 0.0
    """Seconds after which an entity nothing was sent for sends its current value; 0: never."""
    ack: bool = False
    """Delivered only on the platform's `SAVE succ` (AT+CIOTDAT with a message id)."""
    capacity: int = DEFAULT_OUTBOX_CAPACITY

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> ForwardSettings:
        """Read the options (missing keys keep their defaults)."""
        return cls(
            selection=Selection.from_options(options),
            datastreams=dict(options.get(CONF_DATASTREAMS, {})),
            attributes={k: tuple(v) for k, v in options.get(CONF_ATTRIBUTES, {}).items()},
            send_on_change=bool(options.get(CONF_SEND_ON_CHANGE, True)),
            snapshot_interval=float(options.get(CONF_SNAPSHOT_INTERVAL, 0)),
            min_interval=float(options.get(CONF_MIN_INTERVAL, 0)),
            batch_window=float(options.get(CONF_BATCH_WINDOW, DEFAULT_BATCH_WINDOW)),
            time_mode=TimeMode.from_option(options.get(CONF_TIMESTAMPS, TimeMode.ALWAYS)),
            significant_only=bool(options.get(CONF_SIGNIFICANT_ONLY, False)),
            deadbands=_deadbands(options.get(CONF_DEADBANDS, {})),
            max_silence=float(options.get(CONF_MAX_SILENCE, 0)),
            ack=bool(options.get(CONF_ACK_MODE, False)),
            capacity=int(options.get(CONF_OUTBOX_CAPACITY, DEFAULT_OUTBOX_CAPACITY)),
        )

    def datastream(self, entity_id: str, attribute: str | None = None) -> str:
        """The datastream an entity's state (or one of its attributes) goes to."""
        if attribute is None and entity_id in self.datastreams:
            return self.datastreams[entity_id]
        base = self.datastreams.get(entity_id)
        if attribute is not None and base:
            return default_datastream(base, attribute)
        return default_datastream(entity_id, attribute)


def _deadbands(texts: Mapping[str, str]) -> dict[str, Deadband]:
    """The entities' deadbands; the options flow stored only readable ones."""
    deadbands = {}
    for entity_id, text in texts.items():
        if (deadband := Deadband.parse(text)) is not None:
            deadbands[entity_id] = deadband
    return deadbands
