"""Diagnostic sensors: the link (signal, heartbeat, cloud commands), forwarding, data used."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    EntityCategory,
    UnitOfInformation,
    UnitOfTime,
)

from .coordinator import M6311Coordinator
from .counters import CounterCoordinator, MeterReadings
from .entity import M6311Entity
from .forwarding.forwarder import ForwardStats
from .m6311 import NetworkStatus, Registration, SimState, signal_percent

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import LinkState, M6311ConfigEntry

PARALLEL_UPDATES = 0  # push: entities never poll


def registration_name(network: NetworkStatus) -> str | None:
    """The registration the link depends on, as the sensor's state."""
    registration = network.link_registration
    return None if registration is None else registration.name.lower()


@dataclass(frozen=True, kw_only=True)
class LinkSensorDescription(SensorEntityDescription):
    """A sensor reading one field of the link state."""

    value_fn: Callable[[LinkState], float | int | str | None]
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
        needs_link=False,  # measured also while the login fails: a dead antenna shows
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
        key="signal_quality",
        translation_key="signal_quality",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        needs_link=False,  # a dead antenna is what it shows best
        value_fn=lambda state: signal_percent(state.signal_dbm),
    ),
    LinkSensorDescription(
        key="network_registration",
        translation_key="network_registration",
        device_class=SensorDeviceClass.ENUM,
        options=[state.name.lower() for state in Registration],
        entity_category=EntityCategory.DIAGNOSTIC,
        needs_link=False,
        value_fn=lambda state: registration_name(state.network),
    ),
    LinkSensorDescription(
        key="operator",
        translation_key="operator",
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        needs_link=False,
        value_fn=lambda state: state.network.operator,
    ),
    LinkSensorDescription(
        key="sim_state",
        translation_key="sim_state",
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in SimState],
        entity_category=EntityCategory.DIAGNOSTIC,
        needs_link=False,
        value_fn=lambda state: None if state.network.sim is None else state.network.sim.value,
    ),
    LinkSensorDescription(
        key="module_restarts",
        translation_key="module_restarts",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        needs_link=False,
        value_fn=lambda state: state.module_restarts,
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


@dataclass(frozen=True, kw_only=True)
class DataSensorDescription(SensorEntityDescription):
    """A sensor reading one byte counter of the link's meters."""

    value_fn: Callable[[MeterReadings], int]


def _data_size(
    key: str, value_fn: Callable[[MeterReadings], int], *, enabled: bool
) -> DataSensorDescription:
    return DataSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=enabled,
        value_fn=value_fn,
    )


DATA_SENSORS: tuple[DataSensorDescription, ...] = (
    # Both ways, headers included: what the SIM's plan counts (docs/data-usage.md).
    _data_size("cellular_data", lambda meters: meters.cellular_data, enabled=True),
    # For troubleshooting the serial line only: off by default, as each heartbeat changes them.
    _data_size("serial_bytes_sent", lambda meters: meters.serial_bytes_sent, enabled=False),
    _data_size("serial_bytes_received", lambda meters: meters.serial_bytes_received, enabled=False),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: M6311ConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the link's and the forwarding's sensors."""
    runtime = entry.runtime_data
    link = runtime.coordinator
    async_add_entities(LinkSensor(link, description) for description in SENSORS)
    async_add_entities(
        ForwardSensor(runtime.forwarding, description, link=link) for description in FORWARD_SENSORS
    )
    async_add_entities(
        DataSensor(runtime.meters, description, link=link) for description in DATA_SENSORS
    )


class LinkSensor(M6311Entity[M6311Coordinator], SensorEntity):
    """A value of the link state."""

    entity_description: LinkSensorDescription

    @property
    def available(self) -> bool:
        """Unavailable while the link is down, for values that need it."""
        return super().available and (
            self.coordinator.data.online or not self.entity_description.needs_link
        )

    @property
    def native_value(self) -> float | int | str | None:
        """The current value."""
        return self.entity_description.value_fn(self.coordinator.data)


class ForwardSensor(M6311Entity[CounterCoordinator[ForwardStats]], SensorEntity):
    """A counter of the forwarding (available whatever the link does: it counts meanwhile)."""

    entity_description: ForwardSensorDescription

    @property
    def native_value(self) -> datetime | int | None:
        """The counter as last published."""
        return self.entity_description.value_fn(self.coordinator.data)


class DataSensor(M6311Entity[CounterCoordinator[MeterReadings]], RestoreSensor):
    """A byte counter that goes on from where it was before Home Assistant restarted.

    The meters count from zero when the entry is set up; the sensor adds the value it last
    showed, restored once, so the total never goes back (a reset only when no value was kept,
    which `total_increasing` allows).
    """

    entity_description: DataSensorDescription
    _restored: int | None = None

    @property
    def native_value(self) -> int:
        """The value before the restart, and what the meters counted since."""
        counted = self.entity_description.value_fn(self.coordinator.data)
        return (self._restored or 0) + counted

    async def async_added_to_hass(self) -> None:
        """Restore the last value (once: the same object may be added again)."""
        await super().async_added_to_hass()
        if self._restored is None:
            self._restored = await self._last_value()

    async def _last_value(self) -> int:
        """The value last shown, or 0 when there is none (first start, or it was unknown)."""
        last = await self.async_get_last_sensor_data()
        value = None if last is None else last.native_value
        if isinstance(value, int | float) and value >= 0:
            return int(value)
        return 0
