"""Diagnostic sensors of the link: signal, heartbeat round trip, cloud commands received."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import SIGNAL_STRENGTH_DECIBELS_MILLIWATT, EntityCategory, UnitOfTime

from .entity import M6311Entity

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import LinkState, M6311ConfigEntry, M6311Coordinator
    from .forwarding.forwarder import Forwarder, ForwardStats

PARALLEL_UPDATES = 0  # push: entities never poll


@dataclass(frozen=True, kw_only=True)
class LinkSensorDescription(SensorEntityDescription):
    """A sensor reading one field of the link state."""

    value_fn: Callable[[LinkState], float | int | None]
    needs_link: bool = True
    """Unavailable while the platform login is down (the value would be stale)."""


SENSORS: tuple[LinkSensorDescription, ...] = (
    LinkSensorDescription(
        key="signal_strength",
        translation_key="signal_strength",
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.signal_dbm,
    ),
    LinkSensorDescription(
        key="ping_round_trip",
        translation_key="ping_round_trip",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MILLISECONDS,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.ping_round_trip,
    ),
    LinkSensorDescription(
        key="commands_received",
        translation_key="commands_received",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        needs_link=False,
        value_fn=lambda state: state.commands_received,
    ),
)


@dataclass(frozen=True, kw_only=True)
class ForwardSensorDescription(SensorEntityDescription):
    """A sensor reading one counter of the forwarding."""

    value_fn: Callable[[ForwardStats], datetime | int | None]


FORWARD_SENSORS: tuple[ForwardSensorDescription, ...] = (
    ForwardSensorDescription(
        key="records_queued",
        translation_key="records_queued",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda stats: stats.queued,
    ),
    ForwardSensorDescription(
        key="records_sent",
        translation_key="records_sent",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda stats: stats.sent,
    ),
    ForwardSensorDescription(
        key="records_dropped",
        translation_key="records_dropped",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda stats: stats.dropped,
    ),
    ForwardSensorDescription(
        key="last_sent",
        translation_key="last_sent",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda stats: stats.last_sent,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: M6311ConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the link's and the forwarding's sensors."""
    runtime = entry.runtime_data
    async_add_entities(LinkSensor(runtime.coordinator, description) for description in SENSORS)
    async_add_entities(
        ForwardSensor(runtime.coordinator, runtime.forwarder, description)
        for description in FORWARD_SENSORS
    )


class LinkSensor(M6311Entity, SensorEntity):
    """A value of the link state."""

    entity_description: LinkSensorDescription

    @property
    def available(self) -> bool:
        """Unavailable while the link is down, for values that need it."""
        return super().available and (
            self.coordinator.data.online or not self.entity_description.needs_link
        )

    @property
    def native_value(self) -> float | int | None:
        """The current value."""
        return self.entity_description.value_fn(self.coordinator.data)


class ForwardSensor(M6311Entity, SensorEntity):
    """A counter of the forwarding (always available: it counts also while the link is down)."""

    entity_description: ForwardSensorDescription

    def __init__(
        self,
        coordinator: M6311Coordinator,
        forwarder: Forwarder,
        description: ForwardSensorDescription,
    ) -> None:
        """Describe the sensor."""
        super().__init__(coordinator, description)
        self._forwarder = forwarder

    @property
    def available(self) -> bool:
        """Counters are known whatever the link does."""
        return True

    @property
    def native_value(self) -> datetime | int | None:
        """The counter now."""
        return self.entity_description.value_fn(self._forwarder.stats)

    async def async_added_to_hass(self) -> None:
        """Follow the forwarder's counters while the entity exists (told at most once a second)."""
        await super().async_added_to_hass()
        self.async_on_remove(self._forwarder.add_listener(self.async_write_ha_state))
