"""The cloud link as a connectivity sensor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined]  # re-exported at run time
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory

from .coordinator import M6311Coordinator
from .entity import M6311Entity

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import M6311ConfigEntry

PARALLEL_UPDATES = 0  # push: entities never poll

CLOUD_LINK = BinarySensorEntityDescription(
    key="cloud_link",
    translation_key="cloud_link",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: M6311ConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the cloud link sensor."""
    async_add_entities([CloudLinkSensor(entry.runtime_data.coordinator, CLOUD_LINK)])


class CloudLinkSensor(M6311Entity[M6311Coordinator], BinarySensorEntity):
    """On while the module is logged in to OneNET; stays available to show "disconnected"."""

    @property
    def is_on(self) -> bool:
        """Whether the platform login is up."""
        return self.coordinator.data.online
