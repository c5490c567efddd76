"""Mode 0: a module that lost its stored device gets a repair flow that provisions it again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_ON
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.onenet_m6311.const import CONF_DEVICE_ID, CONF_MASTER_KEY, DOMAIN
from custom_components.onenet_m6311.m6311 import M6311Client

from .conftest import IMEI, MASTER_KEY, entry_data, state_of_entry, wait_for_state, wait_until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from emulator.module import ModuleEmulator
    from emulator.platform import PlatformEmulator


async def provision_then_forget(module: ModuleEmulator, *, forget_key: bool) -> str:
    """Make the module hold a device, then lose it (as AT+CIOTIDC or a new key would)."""
    async with M6311Client(module.link_path or module.serial_path) as client:
        await client.disable_echo()
        await client.set_master_key(MASTER_KEY)
        await client.init_device()
        device_id = await client.read_device_id()
        if forget_key:
            await client.clear_device_key()
        else:
            await client.clear_device_id()
    return device_id


async def start_fix(client: Any, issue_id: str) -> dict[str, Any]:
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    assert response.status == 200
    result: dict[str, Any] = await response.json()
    return result


async def submit(client: Any, flow_id: str, data: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/api/repairs/issues/fix/{flow_id}", json=data)
    assert response.status == 200
    result: dict[str, Any] = await response.json()
    return result


async def test_a_lost_device_is_repaired(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    module: ModuleEmulator,
    platform: PlatformEmulator,
) -> None:
    assert await async_setup_component(hass, "repairs", {})
    old_device = await provision_then_forget(module, forget_key=False)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=IMEI,
        title=f"M6311 {IMEI[-4:]}",
        data=entry_data(module, 0, **{CONF_DEVICE_ID: old_device}),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)  # forwarding goes on
    issue_id = f"device_lost_{entry.entry_id}"
    await wait_until(lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None)

    client = await hass_client()
    flow = await start_fix(client, issue_id)
    assert flow["step_id"] == "confirm"
    await module.set_network(up=False)  # no coverage: AT+CIOTINIT cannot reach the platform
    flow = await submit(client, flow["flow_id"], {CONF_MASTER_KEY: MASTER_KEY})
    assert flow["errors"] == {"base": "network_error"}
    await hass.async_block_till_done()
    assert state_of_entry(entry) is ConfigEntryState.LOADED  # taken back while the user retries
    await module.set_network(up=True)
    flow = await submit(client, flow["flow_id"], {CONF_MASTER_KEY: MASTER_KEY})
    assert flow["type"] == "create_entry"
    await hass.async_block_till_done()

    new_device = entry.data[CONF_DEVICE_ID]
    assert new_device == module.stored.device_id
    assert new_device != old_device
    assert entry.data[CONF_MASTER_KEY] == MASTER_KEY
    assert state_of_entry(entry) is ConfigEntryState.LOADED
    await wait_for_state(hass, "binary_sensor.m6311_4567_cloud_link", STATE_ON)
    await platform.wait_online(new_device)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_repair_of_a_removed_entry_aborts(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, module: ModuleEmulator
) -> None:
    assert await async_setup_component(hass, "repairs", {})
    await provision_then_forget(module, forget_key=True)
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id=IMEI, data=entry_data(module, 0, **{CONF_DEVICE_ID: "1"})
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    issue_id = f"device_lost_{entry.entry_id}"
    await wait_until(lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None)
    client = await hass_client()
    flow = await start_fix(client, issue_id)
    await hass.config_entries.async_remove(entry.entry_id)
    flow = await submit(client, flow["flow_id"], {})
    assert flow == {**flow, "type": "abort", "reason": "entry_removed"}
