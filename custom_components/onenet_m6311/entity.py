"""The base of every entity: one device per module, identified by its IMEI."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import M6311Coordinator


class M6311Entity(CoordinatorEntity[M6311Coordinator]):
    """An entity of the module's device."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: M6311Coordinator, key: str) -> None:
        """Name the entity by its translation key and give it the module's device."""
        super().__init__(coordinator)
        imei = coordinator.imei
        self._attr_translation_key = key
        self._attr_unique_id = f"{imei}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, imei)},
            manufacturer="China Mobile",
            model="M6311",
            name=f"M6311 {imei[-4:]}",
            serial_number=imei,
        )
        if coordinator.identity is not None:  # else shown once the module is first asked
            self._attr_device_info["sw_version"] = coordinator.identity.firmware
