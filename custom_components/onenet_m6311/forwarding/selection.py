"""Which entities are forwarded: chosen ones, and every entity of a label, an area or a domain.

Exporters choose what to send by entity, domain and glob (influxdb, mqtt_statestream), and
their users ask for areas and labels. Here each rule adds entities, and exclusions take them
out again:

- entities: as chosen, always (even this integration's own);
- label: every entity carrying it;
- areas: every entity in the area, its own or, when it has none, its device's;
- domains: every entity of the domain that has a state;
- excluded: never, whatever rule selects it.

The rules by label, area and domain never select this integration's own entities: its counters
change with every send, and forwarding them would feed itself. The selection follows the
registries (an entity moved into an area starts being forwarded, one moved out stops) and new
states of the chosen domains (`Forwarder`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from ..const import (
    CONF_EXCLUDE_ENTITIES,
    CONF_FORWARD_AREAS,
    CONF_FORWARD_DOMAINS,
    CONF_FORWARD_ENTITIES,
    CONF_FORWARD_LABEL,
    DOMAIN,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from homeassistant.core import HomeAssistant


@dataclass(frozen=True, slots=True)
class Selection:
    """The rules of one entry's options."""

    entities: frozenset[str] = frozenset()
    label: str | None = None
    areas: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Selection:
        """Read the options (missing keys select nothing)."""
        return cls(
            entities=frozenset(options.get(CONF_FORWARD_ENTITIES, ())),
            label=options.get(CONF_FORWARD_LABEL) or None,
            areas=frozenset(options.get(CONF_FORWARD_AREAS, ())),
            domains=frozenset(options.get(CONF_FORWARD_DOMAINS, ())),
            excluded=frozenset(options.get(CONF_EXCLUDE_ENTITIES, ())),
        )

    @property
    def active(self) -> bool:
        """Whether any rule may select something."""
        return bool(self.entities or self.label or self.areas or self.domains)

    @property
    def follows_registries(self) -> bool:
        """Whether what is selected changes with the entity and device registries."""
        return bool(self.label or self.areas or self.domains)

    def select(self, hass: HomeAssistant) -> frozenset[str]:
        """The entities forwarded now."""
        selected: set[str] = set(self.entities)
        for matches in self.by_rule(hass).values():
            selected |= matches
        return frozenset(selected - self.excluded)

    def by_rule(self, hass: HomeAssistant) -> dict[str, frozenset[str]]:
        """What each rule by label, area and domain selects (own entities left out)."""
        registry = er.async_get(hass)
        own = {entry.entity_id for entry in registry.entities.values() if entry.platform == DOMAIN}
        rules: dict[str, Iterable[str]] = {
            "label": _labelled(registry, self.label) if self.label else (),
            "areas": _in_areas(hass, registry, self.areas) if self.areas else (),
            "domains": hass.states.async_entity_ids(self.domains) if self.domains else (),
        }
        return {rule: frozenset(matches) - own for rule, matches in rules.items()}

    def counts(self, hass: HomeAssistant) -> dict[str, int]:
        """How many entities each rule selects, and how many are forwarded (diagnostics)."""
        counts = {"entities": len(self.entities)}
        counts |= {rule: len(matches) for rule, matches in self.by_rule(hass).items()}
        return counts | {"excluded": len(self.excluded), "forwarded": len(self.select(hass))}


def _labelled(registry: er.EntityRegistry, label: str) -> Iterable[str]:
    return (entry.entity_id for entry in er.async_entries_for_label(registry, label))


def _in_areas(
    hass: HomeAssistant, registry: er.EntityRegistry, areas: frozenset[str]
) -> Iterable[str]:
    """Entities in the areas: their own area, or their device's when they have none."""
    devices = dr.async_get(hass)
    for entry in registry.entities.values():
        area = entry.area_id
        if area is None and entry.device_id is not None:
            device = devices.async_get(entry.device_id)
            area = device.area_id if device is not None else None
        if area in areas:
            yield entry.entity_id
