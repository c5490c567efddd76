"""Cloud commands (+IOTCMD) as an event entity, for automations' event triggers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import callback

from .cloud_commands import command_attributes
from .coordinator import M6311Coordinator
from .entity import M6311Entity

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import M6311ConfigEntry
    from .m6311 import CloudCommand

PARALLEL_UPDATES = 0  # push: entities never poll

EVENT_TYPE_COMMAND = "command"
CLOUD_COMMAND = EventEntityDescription(
    key="cloud_command", translation_key="cloud_command", event_types=[EVENT_TYPE_COMMAND]
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: M6311ConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the cloud command event entity."""
    async_add_entities([CloudCommandEvent(entry.runtime_data.coordinator, CLOUD_COMMAND)])


class CloudCommandEvent(M6311Entity[M6311Coordinator], EventEntity):
    """Fires with every command the platform sends: payload text, length, parsed JSON."""

    async def async_added_to_hass(self) -> None:
        """Listen to cloud commands while the entity exists."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.add_command_listener(self._on_command))

    @callback
    def _on_command(self, command: CloudCommand) -> None:
        self._trigger_event(EVENT_TYPE_COMMAND, command_attributes(command))
        self.async_write_ha_state()
