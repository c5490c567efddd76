"""The base of every entity: one device per module, identified by its IMEI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, module_name
from .coordinator import M6311Coordinator

if TYPE_CHECKING:
    from homeassistant.helpers.entity import EntityDescription


def entity_unique_id(imei: str, key: str) -> str:
    """The unique ID of the module's entity of a description's `key`."""
    return f"{imei}_{key}"


class M6311Entity(CoordinatorEntity[M6311Coordinator]):
    """An entity of the module's device, described by its `EntityDescription`."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: M6311Coordinator, description: EntityDescription) -> None:
        """Name the entity by its description's translation key; give it the module's device."""
        super().__init__(coordinator)
        self.entity_description = description
        imei = coordinator.imei
        self._attr_unique_id = entity_unique_id(imei, description.key)
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, imei)},
            manufacturer="China Mobile",
            model="M6311",
            name=module_name(imei),
            serial_number=imei,
        )
        if coordinator.identity is not None:  # else shown once the module is first asked
            self._attr_device_info["sw_version"] = coordinator.identity.firmware
