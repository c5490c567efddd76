"""What the user chose to forward, read once from the entry's options."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..const import (
    CONF_ACK_MODE,
    CONF_ATTRIBUTES,
    CONF_BATCH_WINDOW,
    CONF_DATASTREAMS,
    CONF_FORWARD_ENTITIES,
    CONF_FORWARD_LABEL,
    CONF_MIN_INTERVAL,
    CONF_OUTBOX_CAPACITY,
    CONF_SEND_ON_CHANGE,
    CONF_SNAPSHOT_INTERVAL,
    CONF_TIMESTAMPS,
    DEFAULT_BATCH_WINDOW,
    DEFAULT_OUTBOX_CAPACITY,
)
from .values import default_datastream

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True, slots=True)
class ForwardSettings:
    """The forwarding options of one entry (OptionsFlowWithReload: fixed while loaded)."""

    entities: frozenset[str] = frozenset()
    label: str | None = None
    datastreams: Mapping[str, str] = field(default_factory=dict)
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    send_on_change: bool = True
    snapshot_interval: float = 0.0
    """Seconds between snapshots of every forwarded entity; 0: none."""
    min_interval: float = 0.0
    """Shortest time between two records of one entity; within it the last value wins."""
    batch_window: float = DEFAULT_BATCH_WINDOW
    """How long the sender lets records gather before it sends, so they share commands."""
    timestamps: bool = True
    ack: bool = False
    """Delivered only on the platform's `SAVE succ` (AT+CIOTDAT with a message id)."""
    capacity: int = DEFAULT_OUTBOX_CAPACITY

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> ForwardSettings:
        """Read the options (missing keys keep their defaults)."""
        return cls(
            entities=frozenset(options.get(CONF_FORWARD_ENTITIES, ())),
            label=options.get(CONF_FORWARD_LABEL) or None,
            datastreams=dict(options.get(CONF_DATASTREAMS, {})),
            attributes={k: tuple(v) for k, v in options.get(CONF_ATTRIBUTES, {}).items()},
            send_on_change=bool(options.get(CONF_SEND_ON_CHANGE, True)),
            snapshot_interval=float(options.get(CONF_SNAPSHOT_INTERVAL, 0)),
            min_interval=float(options.get(CONF_MIN_INTERVAL, 0)),
            batch_window=float(options.get(CONF_BATCH_WINDOW, DEFAULT_BATCH_WINDOW)),
            timestamps=bool(options.get(CONF_TIMESTAMPS, True)),
            ack=bool(options.get(CONF_ACK_MODE, False)),
            capacity=int(options.get(CONF_OUTBOX_CAPACITY, DEFAULT_OUTBOX_CAPACITY)),
        )

    @property
    def active(self) -> bool:
        """Whether anything is to be forwarded at all."""
        return bool(self.entities or self.label)

    def datastream(self, entity_id: str, attribute: str | None = None) -> str:
        """The datastream an entity's state (or one of its attributes) goes to."""
        if attribute is None and entity_id in self.datastreams:
            return self.datastreams[entity_id]
        base = self.datastreams.get(entity_id)
        if attribute is not None and base:
            return default_datastream(base, attribute)
        return default_datastream(entity_id, attribute)
