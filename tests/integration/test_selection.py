"""Forwarding by area and by domain, with exclusions, following the registries.

Each test checks what the forwarder follows (`Forwarder.following`) as the registries change,
and what reaches the emulated platform: a record each, once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.onenet_m6311.const import (
    CONF_DATASTREAMS,
    CONF_EXCLUDE_ENTITIES,
    CONF_FORWARD_AREAS,
    CONF_FORWARD_DOMAINS,
    CONF_FORWARD_ENTITIES,
)
from custom_components.onenet_m6311.diagnostics import async_get_config_entry_diagnostics

from .conftest import set_up, wait_until
from .test_options_flow import LINK, forwarding

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from emulator.platform import PlatformEmulator

pytestmark = pytest.mark.usefixtures("quick_retries")


def registered(hass: HomeAssistant, object_id: str, **changes: Any) -> str:
    """A sensor in the entity registry (of another integration), with these changes."""
    registry = er.async_get(hass)
    entry = registry.async_get_or_create("sensor", "test", object_id, suggested_object_id=object_id)
    if changes:
        registry.async_update_entity(entry.entity_id, **changes)
    return entry.entity_id


def following(entry: MockConfigEntry) -> frozenset[str]:
    return frozenset(entry.runtime_data.forwarder.following)


def values(platform: PlatformEmulator, device_id: str, datastream: str) -> list[Any]:
    return [point.value for point in platform.datapoints(device_id, datastream)]


async def test_an_area_follows_entities_moving_in_and_out(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, platform: PlatformEmulator, device_id: str
) -> None:
    kitchen = ar.async_get(hass).async_create("Kitchen")
    hall = ar.async_get(hass).async_create("Hall")
    own_area = registered(hass, "fridge", area_id=kitchen.id)
    # An entity without an area of its own is in its device's area.
    other = MockConfigEntry(domain="test")
    other.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("test", "oven")}
    )
    dr.async_get(hass).async_update_device(device.id, area_id=kitchen.id)
    by_device = registered(hass, "oven", device_id=device.id)
    elsewhere = registered(hass, "door", area_id=hall.id)
    await set_up(hass, mode1_entry, **{CONF_FORWARD_AREAS: [kitchen.id]})
    assert following(mode1_entry) == {own_area, by_device}
    er.async_get(hass).async_update_entity(elsewhere, area_id=kitchen.id)  # moved in
    await wait_until(lambda: elsewhere in following(mode1_entry))
    er.async_get(hass).async_update_entity(own_area, area_id=hall.id)  # moved out
    await wait_until(lambda: own_area not in following(mode1_entry))
    dr.async_get(hass).async_update_device(device.id, area_id=hall.id)  # its device moved
    await wait_until(lambda: by_device not in following(mode1_entry))
    hass.states.async_set(elsewhere, "12")
    hass.states.async_set(own_area, "99")  # no longer forwarded
    point = await platform.wait_datapoint(device_id, "sensor_door")
    assert point.value == 12
    assert values(platform, device_id, "sensor_fridge") == []
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_a_domain_takes_new_entities_once_and_never_its_own(
    hass: HomeAssistant, mode1_entry: MockConfigEntry, platform: PlatformEmulator, device_id: str
) -> None:
    hass.states.async_set("sensor.outdoor", "5")
    hass.states.async_set("switch.pump", "on")
    await set_up(hass, mode1_entry, **{CONF_FORWARD_DOMAINS: ["sensor"]})
    forwarded = following(mode1_entry)
    assert "sensor.outdoor" in forwarded
    assert "switch.pump" not in forwarded
    assert not any(entity.startswith("sensor.m6311_") for entity in forwarded)  # its own
    hass.states.async_set("sensor.new_probe", "7")  # a new entity of the domain
    point = await platform.wait_datapoint(device_id, "sensor_new_probe")
    assert point.value == 7
    hass.states.async_set("sensor.new_probe", "8")
    await wait_until(lambda: values(platform, device_id, "sensor_new_probe") == [7, 8])
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_exclusions_win_over_every_rule(
    hass: HomeAssistant, mode1_entry: MockConfigEntry
) -> None:
    hass.states.async_set("sensor.outdoor", "5")
    hass.states.async_set("sensor.noisy", "5")
    await set_up(
        hass,
        mode1_entry,
        **{
            CONF_FORWARD_DOMAINS: ["sensor"],
            CONF_FORWARD_ENTITIES: ["sensor.noisy"],
            CONF_EXCLUDE_ENTITIES: ["sensor.noisy"],
        },
    )
    assert "sensor.outdoor" in following(mode1_entry)
    assert "sensor.noisy" not in following(mode1_entry)
    diagnostics = await async_get_config_entry_diagnostics(hass, mode1_entry)
    counts = diagnostics["forwarding"]["selected_by"]
    assert counts["entities"] == 1
    assert counts["domains"] >= 2  # outdoor and noisy, not the integration's own
    assert counts["excluded"] == 1
    assert counts["forwarded"] == len(following(mode1_entry))
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_the_options_take_areas_domains_and_exclusions(
    hass: HomeAssistant, mode1_entry: MockConfigEntry
) -> None:
    kitchen = ar.async_get(hass).async_create("Kitchen")
    assert await hass.config_entries.async_setup(mode1_entry.entry_id)
    result = await hass.config_entries.options.async_init(mode1_entry.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], LINK)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], forwarding(**{CONF_FORWARD_DOMAINS: ["Sensor.Bad!"]})
    )
    assert result["errors"] == {CONF_FORWARD_DOMAINS: "invalid_domain"}
    chosen = {
        CONF_FORWARD_AREAS: [kitchen.id],
        CONF_FORWARD_DOMAINS: [" Switch", "switch"],
        CONF_EXCLUDE_ENTITIES: ["switch.pump"],
        "each_entity": False,
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], forwarding(**chosen)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert mode1_entry.options[CONF_FORWARD_AREAS] == [kitchen.id]
    assert mode1_entry.options[CONF_FORWARD_DOMAINS] == ["switch"]
    assert mode1_entry.options[CONF_EXCLUDE_ENTITIES] == ["switch.pump"]
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)


async def test_entities_of_a_domain_get_no_form_each(
    hass: HomeAssistant, mode1_entry: MockConfigEntry
) -> None:
    # A domain may select hundreds: only the entities chosen by name have a form.
    for index in range(30):
        hass.states.async_set(f"sensor.probe_{index}", str(index))
    assert await hass.config_entries.async_setup(mode1_entry.entry_id)
    result = await hass.config_entries.options.async_init(mode1_entry.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], LINK)
    chosen = {CONF_FORWARD_DOMAINS: ["sensor"], CONF_FORWARD_ENTITIES: ["switch.pump"]}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], forwarding(**chosen)
    )
    assert result["step_id"] == "entity"
    assert dict(result.get("description_placeholders") or {})["count"] == "1"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"datastream": "pump"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert mode1_entry.options[CONF_DATASTREAMS] == {"switch.pump": "pump"}
    assert await hass.config_entries.async_unload(mode1_entry.entry_id)
