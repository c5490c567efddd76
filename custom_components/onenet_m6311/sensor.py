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

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import LinkState, M6311ConfigEntry, M6311Coordinator

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
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.signal_dbm,
    ),
    LinkSensorDescription(
        key="ping_round_trip",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MILLISECONDS,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.ping_round_trip,
    ),
    LinkSensorDescription(
        key="commands_received",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        needs_link=False,
        value_fn=lambda state: state.commands_received,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: M6311ConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the link's sensors."""
    async_add_entities(LinkSensor(entry.runtime_data, description) for description in SENSORS)


class LinkSensor(M6311Entity, SensorEntity):
    """A value of the link state."""

    entity_description: LinkSensorDescription

    def __init__(self, coordinator: M6311Coordinator, description: LinkSensorDescription) -> None:
        """Describe the sensor."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

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
