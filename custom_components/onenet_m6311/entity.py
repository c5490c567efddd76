"""The base of every entity: one device per module, identified by its IMEI.

Entities show one coordinator's data: the link's (`M6311Coordinator`) or a counter's
(`counters.CounterCoordinator`); the device is always the module's, which the link knows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity, DataUpdateCoordinator

from .const import DOMAIN, module_name
from .coordinator import M6311Coordinator

if TYPE_CHECKING:
    from homeassistant.helpers.entity import EntityDescription


def entity_unique_id(imei: str, key: str) -> str:
    """The unique ID of the module's entity of a description's `key`."""
    return f"{imei}_{key}"


class M6311Entity[CoordinatorT: DataUpdateCoordinator[Any]](CoordinatorEntity[CoordinatorT]):
    """An entity of the module's device showing a coordinator's data, as its description says."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: CoordinatorT,
        description: EntityDescription,
        *,
        link: M6311Coordinator | None = None,
    ) -> None:
        """Name the entity by its description's translation key; give it the module's device.

        `link` is the module's coordinator, when `coordinator` is another one.
        """
        super().__init__(coordinator)
        self.entity_description = description
        module = link if link is not None else coordinator
        if not isinstance(module, M6311Coordinator):
            msg = "an entity of a counter coordinator needs the link's coordinator too"
            raise TypeError(msg)
        imei = module.imei
        self._attr_unique_id = entity_unique_id(imei, description.key)
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, imei)},
            manufacturer="China Mobile",
            model="M6311",
            name=module_name(imei),
            serial_number=imei,
        )
        if module.identity is not None:  # else shown once the module is first asked
            self._attr_device_info["sw_version"] = module.identity.firmware
