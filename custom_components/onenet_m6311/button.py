"""Buttons: ping the platform now, reconnect the link."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.const import EntityCategory

from .entity import M6311Entity

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import M6311ConfigEntry, M6311Coordinator

PARALLEL_UPDATES = 1  # one command at a time on the serial line anyway


@dataclass(frozen=True, kw_only=True)
class LinkButtonDescription(ButtonEntityDescription):
    """A button calling one coroutine of the coordinator."""

    press_fn: Callable[[M6311Coordinator], Awaitable[object]]


async def _reconnect(coordinator: M6311Coordinator) -> None:
    coordinator.request_reconnect()


BUTTONS: tuple[LinkButtonDescription, ...] = (
    LinkButtonDescription(
        key="ping",
        translation_key="ping",
        entity_category=EntityCategory.DIAGNOSTIC,
        press_fn=lambda coordinator: coordinator.async_ping(),
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
    """Add the link's buttons."""
    async_add_entities(
        LinkButton(entry.runtime_data.coordinator, description) for description in BUTTONS
    )


class LinkButton(M6311Entity, ButtonEntity):
    """A button acting on the link."""

    entity_description: LinkButtonDescription

    async def async_press(self) -> None:
        """Act."""
        await self.entity_description.press_fn(self.coordinator)
