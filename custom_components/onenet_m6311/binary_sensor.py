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
MODULE_READY = BinarySensorEntityDescription(
    key="cloud_link",  # the same entity: only its name says what one-shot mode can show
    translation_key="module_ready",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
)
"""One-shot mode holds no login: the sensor shows whether the module answers, so each send can
log in. Named "Cloud link" it read "Connected" while OneNET listed the device offline."""


async def async_setup_entry(
    hass: HomeAssistant,
    entry: M6311ConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the cloud link sensor (in one-shot mode: whether the module is ready to send)."""
    coordinator = entry.runtime_data.coordinator
    description = CLOUD_LINK if coordinator.keep_link else MODULE_READY
    async_add_entities([CloudLinkSensor(coordinator, description)])


class CloudLinkSensor(M6311Entity[M6311Coordinator], BinarySensorEntity):
    """On while the module is logged in to OneNET; stays available to show "disconnected"."""

    @property
    def is_on(self) -> bool:
        """Whether the platform login is up."""
        return self.coordinator.data.online
