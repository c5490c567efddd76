"""Actions, buttons and diagnostics against the emulated module and platform."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components import api as api_component
from homeassistant.components.camera import Image
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import Context
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.onenet_m6311.const import (
    CONF_DEVICE_ID,
    CONF_KEEP_LINK,
    CONF_MASTER_KEY,
    DOMAIN,
)
from custom_components.onenet_m6311.m6311 import M6311Client

from .conftest import (
    IMEI,
    MASTER_KEY,
    entry_data,
    set_up,
    set_up_entry,
    state_of,
    wait_for_state,
    wait_until,
)

if TYPE_CHECKING:
    from pathlib import Path

    from homeassistant.auth.models import User
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import (
        ClientSessionGenerator,
        WebSocketGenerator,
    )

    from emulator.module import ModuleEmulator
    from emulator.platform import PlatformEmulator


LINK = "binary_sensor.m6311_4567_cloud_link"
ONE_SHOT_LINK = "binary_sensor.m6311_4567_module_ready_one_shot_mode"


@pytest.fixture
async def loaded(hass: HomeAssistant, mode1_entry: MockConfigEntry) -> MockConfigEntry:
    """The mode 1 entry, set up."""
    await set_up_entry(hass, mode1_entry)
    return mode1_entry


async def call(
    hass: HomeAssistant, service: str, entry: MockConfigEntry, **data: Any
) -> dict[str, Any] | None:
    response = await hass.services.async_call(
        DOMAIN,
        service,
        {"config_entry_id": entry.entry_id, **data},
        blocking=True,
        return_response=service != "forget_device",
    )
    return dict(response) if response is not None else None


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "UTC", "Europe/Berlin"])
async def test_send_data_arrives_with_its_time(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    platform: PlatformEmulator,
    device_id: str,
    zone: str,
) -> None:
    # OneNET reads record times as Beijing time, whatever zone Home Assistant is in.
    await hass.config.async_set_time_zone(zone)
    result = await call(
        hass,
        "send_data",
        loaded,
        values={"temperature": 22.5, "door": True, "note": "35%"},
        time="2026-11-23T08:30:00+00:00",
        wait_for_ack=True,
    )
    assert result == {"records": 3, "commands": 1, "outcome": "stored_on_onenet"}
    point = await platform.wait_datapoint(device_id, "temperature")
    assert point.value == 22.5
    assert point.at.startswith("2026-11-23 16:30:00")  # 08:30 UTC is 16:30 in Beijing
    assert (await platform.wait_datapoint(device_id, "door")).value == 1
    assert (await platform.wait_datapoint(device_id, "note")).value == "35%"


@pytest.mark.parametrize(
    ("values", "key", "placeholders"),
    [
        ({"bad key": 1}, "invalid_key_invalid", {"key": "bad key"}),
        ({"note": "a,b"}, "invalid_value_character", {"character": "U+002C"}),
        ({"note": "clear\x1b[2J"}, "invalid_value_character", {"character": "U+001B"}),
        ({"t": float("nan")}, "invalid_value_not_finite", {"value": "nan"}),
        ({"k" * 65: 1}, "invalid_key_invalid", {"key": "k" * 65}),
        ({"t": [1, 2]}, "invalid_value_type", {"type": "list"}),
        ({}, "values_empty", None),
    ],
)
async def test_send_data_refuses_bad_input(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    module: ModuleEmulator,
    values: dict[str, Any],
    key: str,
    placeholders: dict[str, str] | None,
) -> None:
    before = list(module.commands)
    with pytest.raises(ServiceValidationError) as caught:
        await call(hass, "send_data", loaded, values=values)
    assert caught.value.translation_key == key
    assert caught.value.translation_placeholders == placeholders
    assert module.commands == before  # nothing was sent


@pytest.mark.parametrize(
    "time",
    [
        "0001-01-01T00:00:00+05:00",  # does not even convert between zones
        "9999-12-31T23:59:59-05:00",
        "1999-12-31T23:59:59+00:00",
        "2100-01-01T00:00:00+00:00",
    ],
)
async def test_send_data_refuses_times_onenet_cannot_take(
    hass: HomeAssistant, loaded: MockConfigEntry, module: ModuleEmulator, time: str
) -> None:
    before = list(module.commands)
    with pytest.raises(ServiceValidationError) as caught:
        await call(hass, "send_data", loaded, values={"t": 1}, time=time)
    assert caught.value.translation_key == "time_out_of_range"
    assert (caught.value.translation_placeholders or {})["earliest"] == "2000-01-01"
    assert module.commands == before


async def test_refusals_over_the_apis_name_their_reason_in_the_users_language(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    hass_ws_client: WebSocketGenerator,
) -> None:
    assert await async_setup_component(hass, "api", {})
    websocket = await hass_ws_client(hass)
    await websocket.send_json_auto_id(
        {
            "type": "call_service",
            "domain": DOMAIN,
            "service": "send_data",
            "service_data": {"config_entry_id": loaded.entry_id, "values": {}},
        }
    )
    answer = await websocket.receive_json()
    assert answer["error"]["translation_key"] == "values_empty"
    assert "at least one datastream ID" in answer["error"]["message"]
    client = await hass_client()
    response = await client.post(
        f"/api/services/{DOMAIN}/send_data",
        json={"config_entry_id": loaded.entry_id, "values": {}},
    )
    # Home Assistant's REST API passes a refusal's message on from 2026.6 (2026.5 answers 500).
    if hasattr(api_component, "ServiceValidationError"):
        assert response.status == 400
        assert "at least one datastream ID" in await response.text()  # not a bare Bad Request
    else:
        assert response.status == 500


async def test_send_data_while_the_port_is_gone(
    hass: HomeAssistant, loaded: MockConfigEntry, module: ModuleEmulator
) -> None:
    await module.unplug()
    await wait_until(lambda: not loaded.runtime_data.coordinator.client.connected)
    with pytest.raises(HomeAssistantError) as caught:
        await call(hass, "send_data", loaded, values={"t": 1})
    assert caught.value.translation_key == "not_connected"
    await module.replug()


@pytest.mark.usefixtures("quick_retries")
async def test_a_failed_upload_tells_the_link_at_once(
    hass: HomeAssistant, loaded: MockConfigEntry, module: ModuleEmulator, tmp_path: Path
) -> None:
    # The cloud link drops in the middle of an upload: the Cloud link sensor goes off at once
    # (not at the next heartbeat, a minute away), the link is made again, and the next
    # command works.
    picture = tmp_path / "big.bin"
    await hass.async_add_executor_job(picture.write_bytes, bytes(range(256)) * 64)
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    loaded.runtime_data.coordinator.client.line_limit = 128  # many small chunks
    uploading = hass.async_create_task(
        call(hass, "send_file", loaded, datastream="image", file_path=str(picture))
    )
    await wait_until(
        lambda: sum(line.startswith("AT+CIOTBINSEND") for line in module.commands) >= 5
    )
    await module.drop_cloud()
    with pytest.raises(HomeAssistantError) as caught:
        await uploading
    assert caught.value.translation_key == "module_error_105"
    await wait_for_state(hass, LINK, "off", within=2)
    await wait_for_state(hass, LINK, "on", within=10)
    assert await call(hass, "send_data", loaded, values={"t": 1}) == {
        "records": 1,
        "commands": 1,
        "outcome": "handed_to_module",
    }


async def test_data_never_lands_between_an_uploads_chunks(
    hass: HomeAssistant, loaded: MockConfigEntry, module: ModuleEmulator, tmp_path: Path
) -> None:
    # send_data while a file goes out: its AT+CIOTDAT waits for the upload to end (the
    # link's lock), as a forwarded record does, instead of going between two chunks.
    picture = tmp_path / "big.bin"
    await hass.async_add_executor_job(picture.write_bytes, bytes(range(256)) * 16)
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    loaded.runtime_data.coordinator.client.line_limit = 128  # many small chunks
    uploading = hass.async_create_task(
        call(hass, "send_file", loaded, datastream="image", file_path=str(picture))
    )
    await wait_until(lambda: any(line.startswith("AT+CIOTBINSEND") for line in module.commands))
    sending = hass.async_create_task(call(hass, "send_data", loaded, values={"t": 1}))
    await uploading
    await sending
    names = [line.split("=", 1)[0] for line in module.commands]
    upload = names[names.index("AT+CIOTBINSET") : names.index("AT+CIOTBINEND") + 1]
    assert "AT+CIOTDAT" not in upload
    assert names.index("AT+CIOTDAT") > names.index("AT+CIOTBINEND")


async def test_send_file_from_an_allowed_path(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    platform: PlatformEmulator,
    device_id: str,
    tmp_path: Path,
) -> None:
    picture = tmp_path / "snap.jpg"
    content = bytes(range(256)) * 8
    picture.write_bytes(content)
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    result = await call(
        hass, "send_file", loaded, datastream="image", file_path=str(picture), wait_for_ack=True
    )
    assert result is not None
    assert result["bytes"] == len(content)
    point = await platform.wait_datapoint(device_id, "image")
    assert point.data == content


@pytest.mark.parametrize(
    ("setup", "key"),
    [
        ("outside", "path_not_allowed"),
        ("missing", "file_unreadable"),
        ("empty", "file_size"),
        ("none", "no_file"),
        ("folder", "not_a_file"),
    ],
)
async def test_send_file_refuses_bad_files(
    hass: HomeAssistant, loaded: MockConfigEntry, tmp_path: Path, setup: str, key: str
) -> None:
    hass.config.allowlist_external_dirs = {str(tmp_path / "allowed")}
    (tmp_path / "allowed").mkdir()
    (tmp_path / "allowed" / "empty.bin").write_bytes(b"")
    (tmp_path / "secret.txt").write_text("no")
    paths = {
        "outside": str(tmp_path / "secret.txt"),
        "missing": str(tmp_path / "allowed" / "nope.bin"),
        "empty": str(tmp_path / "allowed" / "empty.bin"),
        "folder": str(tmp_path / "allowed"),
    }
    extra = {"file_path": paths[setup]} if setup in paths else {}
    with pytest.raises(ServiceValidationError) as caught:
        await call(hass, "send_file", loaded, datastream="image", **extra)
    assert caught.value.translation_key == key


async def test_a_huge_sparse_file_is_refused_by_its_size_without_reading_it(
    hass: HomeAssistant, loaded: MockConfigEntry, module: ModuleEmulator, tmp_path: Path
) -> None:
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    huge = tmp_path / "huge.bin"
    await hass.async_add_executor_job(_sparse, huge, 1 << 30)  # 1 GiB, no block on disk
    too_big = tmp_path / "four.bin"
    await hass.async_add_executor_job(too_big.write_bytes, b"x" * (4 << 20))
    for path, size in ((huge, 1 << 30), (too_big, 4 << 20)):
        with pytest.raises(ServiceValidationError) as caught:
            await call(hass, "send_file", loaded, datastream="image", file_path=str(path))
        assert caught.value.translation_key == "file_size"
        assert (caught.value.translation_placeholders or {})["size"] == str(size)  # the real one
    assert not any(line.startswith("AT+CIOTBIN") for line in module.commands)


async def test_a_named_pipe_is_refused_at_once(
    hass: HomeAssistant, loaded: MockConfigEntry, tmp_path: Path
) -> None:
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    pipe = tmp_path / "pipe"
    await hass.async_add_executor_job(os.mkfifo, pipe)
    async with asyncio.timeout(5):  # nothing ever writes to it: reading it would block
        with pytest.raises(ServiceValidationError) as caught:
            await call(hass, "send_file", loaded, datastream="image", file_path=str(pipe))
    assert caught.value.translation_key == "not_a_file"


def _sparse(path: Path, size: int) -> None:
    with path.open("wb") as file:
        file.truncate(size)


@pytest.fixture
async def one_shot(hass: HomeAssistant, mode1_entry: MockConfigEntry) -> MockConfigEntry:
    """The mode 1 entry, set up with the cloud link not kept (AT+CIOTSEND)."""
    await set_up(hass, mode1_entry, **{CONF_KEEP_LINK: False})
    return mode1_entry


@pytest.mark.parametrize("ack", [False, True])
async def test_send_data_in_one_shot_mode(
    hass: HomeAssistant,
    one_shot: MockConfigEntry,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
    ack: bool,
) -> None:
    result = await call(hass, "send_data", one_shot, values={"t": 7, "u": 8}, wait_for_ack=ack)
    outcome = "stored_on_onenet" if ack else "handed_to_module"
    assert result == {"records": 2, "commands": 1, "outcome": outcome}
    assert (await platform.wait_datapoint(device_id, "t")).value == 7
    assert any(line.startswith("AT+CIOTSEND=") for line in module.commands)
    assert not any(line.startswith("AT+CIOTDAT=") for line in module.commands)
    assert state_of(hass, ONE_SHOT_LINK).state == "on"  # nothing marked the link lost


@pytest.mark.parametrize("ack", [False, True])
async def test_send_file_in_one_shot_mode_logs_in_for_itself(
    hass: HomeAssistant,
    one_shot: MockConfigEntry,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    device_id: str,
    tmp_path: Path,
    ack: bool,
) -> None:
    picture = tmp_path / "snap.jpg"
    content = bytes(range(256)) * 3
    picture.write_bytes(content)
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    starts = module.commands.count("AT+CIOTSTART=0")
    result = await call(
        hass, "send_file", one_shot, datastream="image", file_path=str(picture), wait_for_ack=ack
    )
    assert result is not None
    assert result["outcome"] == ("stored_on_onenet" if ack else "handed_to_module")
    assert (await platform.wait_datapoint(device_id, "image")).data == content
    assert module.commands.count("AT+CIOTSTART=0") == starts + 1
    assert module.commands[-1] == "AT+CIOTQUIT"  # logged out again: one shot
    assert not platform.is_online(device_id)
    # The next action still works in one shot.
    assert await call(hass, "send_data", one_shot, values={"t": 1}) == {
        "records": 1,
        "commands": 1,
        "outcome": "handed_to_module",
    }


async def test_ping_in_one_shot_mode_says_why_and_sends_nothing(
    hass: HomeAssistant, one_shot: MockConfigEntry, module: ModuleEmulator
) -> None:
    with pytest.raises(ServiceValidationError) as caught:
        await call(hass, "ping", one_shot)
    assert caught.value.translation_key == "ping_one_shot"
    assert "AT+CIOTPING" not in module.commands
    assert hass.states.get("button.m6311_4567_ping") is None  # not offered on the device page
    assert hass.states.get("button.m6311_4567_reconnect") is not None


async def test_one_shot_mode_names_what_its_link_sensor_can_show(
    hass: HomeAssistant, one_shot: MockConfigEntry
) -> None:
    # No login is held: the sensor shows that the module is ready to send, not a cloud link
    # OneNET would list as online.
    sensor = ONE_SHOT_LINK
    await wait_for_state(hass, sensor, "on")
    assert hass.states.get(LINK) is None
    assert state_of(hass, sensor).attributes["friendly_name"] == (
        "M6311 4567 Module ready (one-shot mode)"
    )


async def test_ping_action_and_button(
    hass: HomeAssistant, loaded: MockConfigEntry, module: ModuleEmulator
) -> None:
    result = await call(hass, "ping", loaded)
    assert result is not None
    assert result["round_trip_ms"] >= 0
    pings = module.commands.count("AT+CIOTPING")
    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: "button.m6311_4567_ping"}, blocking=True
    )
    assert module.commands.count("AT+CIOTPING") == pings + 1


async def test_reconnect_button_logs_in_again(
    hass: HomeAssistant, loaded: MockConfigEntry, module: ModuleEmulator
) -> None:
    starts = module.commands.count("AT+CIOTSTART=0")
    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: "button.m6311_4567_reconnect"}, blocking=True
    )
    await wait_until(lambda: module.commands.count("AT+CIOTSTART=0") == starts + 1)


async def test_at_command_returns_the_module_lines(
    hass: HomeAssistant, loaded: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    result = await call(hass, "at_command", loaded, command="AT+CSQ")
    assert result is not None
    assert result["lines"][0].startswith("+CSQ:")
    result = await call(hass, "at_command", loaded, command=f"AT+CIOTMKEY={MASTER_KEY}")
    assert MASTER_KEY not in caplog.text
    with pytest.raises(ServiceValidationError):
        await call(hass, "at_command", loaded, command="CSQ")


async def test_at_command_keeps_unknown_secrets_out_of_logs(
    hass: HomeAssistant,
    module: ModuleEmulator,
    platform: PlatformEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    device_id = await provisioned(module)
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id=IMEI, data=entry_data(module, 0, **{CONF_DEVICE_ID: device_id})
    )
    entry.add_to_hass(hass)
    await set_up_entry(hass, entry)
    caplog.set_level(logging.DEBUG)
    result = await call(hass, "at_command", entry, command="AT+CIOTKEY?")
    assert result is not None
    device_key = result["value"]
    assert device_key == module.stored.device_key
    assert device_key not in caplog.text


async def test_admin_actions_refuse_other_users(
    hass: HomeAssistant, loaded: MockConfigEntry, hass_read_only_user: User
) -> None:
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            "at_command",
            {"config_entry_id": loaded.entry_id, "command": "AT"},
            blocking=True,
            return_response=True,
            context=Context(user_id=hass_read_only_user.id),
        )


async def test_mode0_actions_refuse_other_modes(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    for service in ("forget_device", "provision"):
        with pytest.raises(ServiceValidationError) as caught:
            await call(hass, service, loaded)
        assert caught.value.translation_key == "stored_device_mode_only"


async def provisioned(module: ModuleEmulator) -> str:
    """Provision the module in mode 0 as the config flow would; its device ID."""
    async with M6311Client(module.link_path or module.serial_path) as client:
        await client.disable_echo()
        await client.set_master_key(MASTER_KEY)
        await client.init_device()
        return await client.read_device_id()


async def test_mode0_forget_and_provision(
    hass: HomeAssistant, module: ModuleEmulator, platform: PlatformEmulator
) -> None:
    device_id = await provisioned(module)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=IMEI,
        data=entry_data(module, 0, **{CONF_DEVICE_ID: device_id, CONF_MASTER_KEY: MASTER_KEY}),
    )
    entry.add_to_hass(hass)
    await set_up_entry(hass, entry)
    await platform.wait_online(device_id)

    await call(hass, "forget_device", entry)
    assert module.stored.device_id is None
    result = await call(hass, "provision", entry, master_key=MASTER_KEY)
    assert result is not None
    new_device = result["device_id"]
    assert new_device == module.stored.device_id
    await platform.wait_online(new_device)


async def test_diagnostics_redact_secrets(
    hass: HomeAssistant, loaded: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    from pytest_homeassistant_custom_component.components.diagnostics import (  # noqa: PLC0415
        get_diagnostics_for_config_entry,
    )

    diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(hass, hass_client, loaded)
    text = str(diagnostics)
    assert MASTER_KEY not in text
    assert IMEI not in text
    assert diagnostics["link"]["online"] is True
    assert diagnostics["forwarding"]["queued"] == 0
    assert diagnostics["forwarding"]["outbox"] == {
        "queued": 0,
        "in_memory": 0,
        "not_yet_on_disk": 0,
        "capacity": 10_000,
        "write_failing": False,
    }
    assert diagnostics["entry"]["data"][CONF_MASTER_KEY] == "**REDACTED**"
    trace = diagnostics["link"]["serial_trace"]
    assert any(line.endswith("> AT+CGSN\\r\\n") for line in trace)
    assert any(line.endswith("< **REDACTED**\\r\\n") for line in trace)  # the IMEI's line
    assert any("AT+CIOTCONNECTPARA=1," in line for line in trace)


async def test_module_errors_become_translated_errors(
    hass: HomeAssistant, loaded: MockConfigEntry, module: ModuleEmulator
) -> None:
    await module.drop_cloud()  # the module answers CIOTDAT with -105 until it logs in again
    with pytest.raises(HomeAssistantError) as caught:
        await call(hass, "send_data", loaded, values={"t": 1})
    assert caught.value.translation_key == "module_error_105"  # each code has its message
    assert caught.value.translation_placeholders == {"command": "CIOTDAT"}


async def test_a_silent_module_times_out_with_a_translated_error(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    module: ModuleEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("custom_components.onenet_m6311.m6311.commands.PING_TIMEOUT", 0.2)
    module.swallow_answers(1)
    with pytest.raises(HomeAssistantError) as caught:
        await call(hass, "ping", loaded)
    assert caught.value.translation_key == "module_timeout"


async def test_send_file_from_a_camera(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    platform: PlatformEmulator,
    device_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(200)) + b"\xff\xd9"
    asked: list[str] = []

    async def snapshot(hass: HomeAssistant, entity_id: str) -> Image:
        asked.append(entity_id)
        return Image(content_type="image/jpeg", content=jpeg)

    # A camera platform would need the demo integration's dependencies; the snapshot call is
    # Home Assistant's own, so it is the one thing replaced here.
    monkeypatch.setattr("homeassistant.components.camera.async_get_image", snapshot)
    result = await call(
        hass, "send_file", loaded, datastream="snapshot", camera_entity_id="camera.porch"
    )
    assert result == {"bytes": len(jpeg), "status": "", "outcome": "handed_to_module"}
    assert asked == ["camera.porch"]
    point = await platform.wait_datapoint(device_id, "snapshot")
    assert point.data == jpeg


async def test_send_file_from_a_failing_camera(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    assert await async_setup_component(hass, "camera", {})
    with pytest.raises(HomeAssistantError) as caught:
        await call(hass, "send_file", loaded, datastream="snapshot", camera_entity_id="camera.nope")
    assert caught.value.translation_key == "camera_failed"
