"""Buttons: ping the platform now, reconnect the link."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.const import EntityCategory, Platform
from homeassistant.helpers import entity_registry as er

from .const import DOMAIN
from .coordinator import M6311Coordinator
from .entity import M6311Entity, entity_unique_id

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import M6311ConfigEntry

PARALLEL_UPDATES = 1  # one command at a time on the serial line anyway


@dataclass(frozen=True, kw_only=True)
class LinkButtonDescription(ButtonEntityDescription):
    """A button calling one coroutine of the coordinator."""

    press_fn: Callable[[M6311Coordinator], Awaitable[object]]
    needs_kept_link: bool = False
    """Offered only while the login is kept open: one-shot mode has no login to act on."""


async def _reconnect(coordinator: M6311Coordinator) -> None:
    coordinator.request_reconnect()


BUTTONS: tuple[LinkButtonDescription, ...] = (
    LinkButtonDescription(
        key="ping",
        translation_key="ping",
        entity_category=EntityCategory.DIAGNOSTIC,
        press_fn=lambda coordinator: coordinator.async_ping(),
        needs_kept_link=True,
    ),
    LinkButtonDescription(
        key="restart_module",
        translation_key="restart_module",
        entity_category=EntityCategory.CONFIG,
        press_fn=lambda coordinator: coordinator.async_restart_module(),
    ),
    LinkButtonDescription(
        key="reconnect",
        translation_key="reconnect",
        entity_category=EntityCategory.CONFIG,
        press_fn=_reconnect,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: M6311ConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the link's buttons: those of the entry's mode (see `needs_kept_link`).

    A button of the other mode left in the entity registry goes, so the device page does not
    show it as an entity no longer provided.
    """
    coordinator = entry.runtime_data.coordinator
    offered = [d for d in BUTTONS if coordinator.keep_link or not d.needs_kept_link]
    registry = er.async_get(hass)
    for description in BUTTONS:
        unique_id = entity_unique_id(coordinator.imei, description.key)
        if description not in offered and (
            entity_id := registry.async_get_entity_id(Platform.BUTTON, DOMAIN, unique_id)
        ):
            registry.async_remove(entity_id)
    async_add_entities(LinkButton(coordinator, description) for description in offered)


class LinkButton(M6311Entity[M6311Coordinator], ButtonEntity):
    """A button acting on the link."""

    entity_description: LinkButtonDescription

    async def async_press(self) -> None:
        """Act."""
        await self.entity_description.press_fn(self.coordinator)
