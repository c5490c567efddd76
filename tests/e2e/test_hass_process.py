"""The whole loop in a real `hass` process, driven only through its REST and websocket APIs.

`demo.stack.DemoStack` (the code behind `scripts/demo`) starts both emulators and hass on free
ports in a temporary folder, onboards, runs the config flow (mode 1) and the options flow
(forwarding the demo entities) through the REST API; the test then follows one state change to
the platform, one platform command back to a Home Assistant event, and the link sensor through
an unplug and a replug of the emulated module. Before that, it checks that nothing of the stack
listens beyond 127.0.0.1 (scripts/demo prints the demo user's password).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from demo.hass_log import LINK_WARNINGS
from demo.stack import HOST, DemoOptions, DemoStack

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(420),
    pytest.mark.hass_log_expects(*LINK_WARNINGS),  # the loop unplugs and replugs the module
]


@pytest.fixture
async def stack(socket_enabled: None, tmp_path: Path) -> AsyncIterator[DemoStack]:
    options = DemoOptions.on_free_ports(tmp_path)
    demo = DemoStack(options)
    try:
        async with demo:
            yield demo
    finally:
        # Whatever failed, nothing may outlive the test; hass's own log helps the reader.
        log = tmp_path / "config" / "home-assistant.log"
        if log.exists():
            print(log.read_text(encoding="utf-8", errors="replace")[-6000:])  # noqa: T201


async def until[T](
    what: str, probe: Callable[[], Awaitable[T]], ok: Callable[[T], bool], seconds: float
) -> T:
    """Poll `probe` until `ok` holds of its answer; fail naming `what` and the last answer."""
    seen: list[T] = []
    try:
        async with asyncio.timeout(seconds):
            while not seen or not ok(seen[-1]):
                if seen:
                    await asyncio.sleep(0.5)
                seen.append(await probe())
    except TimeoutError:
        pytest.fail(f"{what}: not within {seconds:g} s; last seen {seen[-1:]!r}")
    return seen[-1]


TCP_LISTEN = "0A"
"""The state of a listening socket in /proc/net/tcp."""


def listening(pid: int) -> set[tuple[str, int]]:
    """(address, port) of each TCP socket the process `pid` listens on, as Linux's /proc shows."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):  # closed meanwhile
            target = str(fd.readlink())
            if target.startswith("socket:["):
                inodes.add(target.removeprefix("socket:[").removesuffix("]"))
    found = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text(encoding="ascii").splitlines()[1:]:
            local, state, inode = (line.split()[i] for i in (1, 3, 9))
            if state == TCP_LISTEN and inode in inodes:
                found.add(_socket_address(local))
    return found


def _socket_address(text: str) -> tuple[str, int]:
    """An address as /proc/net/tcp shows it: 32-bit words in the machine's byte order, hex port.

    "0100007F:1F90" is 127.0.0.1 port 8080 on x86.
    """
    host, port = text.split(":")
    raw = bytes.fromhex(host)
    words = [raw[i : i + 4] for i in range(0, len(raw), 4)]
    if sys.byteorder == "little":
        words = [word[::-1] for word in words]
    return str(ipaddress.ip_address(b"".join(words))), int(port, 16)


async def test_whole_loop_in_a_real_hass(stack: DemoStack) -> None:
    # Home Assistant listens on 127.0.0.1 only, the emulators too (the defaults of DemoOptions).
    sockets = {name: listening(pid) for name, pid in stack.pids.items()}
    assert (HOST, stack.options.hass_port) in sockets["hass"], sockets
    assert (HOST, int(stack.emulator["http_url"].rsplit(":", 1)[1])) in sockets["emulators"]
    assert {host for found in sockets.values() for host, _ in found} == {HOST}, sockets

    # The config flow made one loaded entry.
    entries = await stack.request("GET", "/api/config/config_entries/entry?domain=onenet_m6311")
    assert [(e["entry_id"], e["state"]) for e in entries] == [(stack.entry_id, "loaded")]
    options = entries[0]
    assert options["title"].startswith("M6311 ")

    link = next(
        entity_id
        for entity_id in await stack.entity_ids()
        if entity_id.startswith("binary_sensor.") and entity_id.endswith("_cloud_link")
    )
    await until("link up", lambda: stack.state(link), lambda s: s["state"] == "on", 60)

    # A state change through the REST API arrives on the platform.
    await stack.request(
        "POST",
        "/api/services/input_number/set_value",
        {"entity_id": "input_number.demo_level", "value": 42},
    )
    points = await until(
        "datapoints on the platform",
        stack.datapoints,
        lambda p: (
            42 in p.get("input_number_demo_level", [])
            and 84 in p.get("sensor_demo_level_double", [])
        ),
        60,
    )
    assert 42 in points["input_number_demo_level"]

    # A command posted to the platform fires the event, seen over the websocket API.
    async with stack.session.ws_connect(f"{stack.hass_url}/api/websocket") as ws:
        assert (await ws.receive_json())["type"] == "auth_required"
        await ws.send_json({"type": "auth", "access_token": stack.token})
        assert (await ws.receive_json())["type"] == "auth_ok"
        # The frontend needs every service description; one failing import hangs it.
        await ws.send_json({"id": 1, "type": "get_services"})
        services = await ws.receive_json()
        assert services["success"] is True, services
        assert "send_data" in str(services["result"].get("onenet_m6311"))
        await ws.send_json(
            {"id": 2, "type": "subscribe_events", "event_type": "onenet_m6311_command"}
        )
        assert (await ws.receive_json())["success"] is True
        await stack.send_command(json.dumps({"light": "on"}))
        message: dict[str, Any] = await asyncio.wait_for(ws.receive_json(), 30)
    data = message["event"]["data"]
    assert message["event"]["event_type"] == "onenet_m6311_command"
    assert data["payload"] == '{"light": "on"}'
    assert data["json"] == {"light": "on"}
    assert data["config_entry_id"] == stack.entry_id

    # The link sensor follows the module: off when unplugged, on again after the replug.
    await stack.control("unplug")
    await until("link off after unplug", lambda: stack.state(link), _off, 90)
    await stack.control("replug")
    await until("link on after replug", lambda: stack.state(link), _on, 150)


def _on(state: dict[str, Any]) -> bool:
    return bool(state["state"] == "on")


def _off(state: dict[str, Any]) -> bool:
    return bool(state["state"] != "on")
