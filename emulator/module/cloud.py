"""What the module needs from the cloud: the HTTP API for provisioning and an EDP link.

The AT side only sees these interfaces; `edp_link.EdpLink` implements the link with real EDP
over TCP and `PlatformHttp` the HTTP calls with aiohttp.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Protocol

import aiohttp


class CloudError(Exception):
    """A cloud operation failed."""


class CloudUnreachableError(CloudError):
    """No answer: TCP refused, reset or timed out."""


class CloudRefusedError(CloudError):
    """The platform answered, and said no."""


class DeviceGoneError(CloudRefusedError):
    """The platform does not know the device (any more)."""


@dataclass(frozen=True)
class Login:
    """What CONNREQ carries: device id + APIKEY, or project id + auth_info (device id empty)."""

    device_id: str
    auth: str
    project_id: str | None = None


class LinkListener(Protocol):
    """What the link tells the module."""

    def on_save_ack(self, msg_id: int) -> None:
        """The platform stored the data sent with `msg_id`."""

    def on_command(self, cmd_id: str, body: bytes) -> bytes:
        """A platform command arrived; returns the CMDRESP body."""

    def on_closed(self, reason: str) -> None:
        """The link went down without the module asking (platform, idle limit, TCP)."""


class CloudLink(Protocol):
    """One EDP device connection."""

    @property
    def is_open(self) -> bool:
        """True from a successful `open` until the link goes down."""

    async def open(self, login: Login, *, encrypt: bool) -> None:
        """Connect TCP, exchange keys when `encrypt`, log in; raises `CloudError`."""

    def send_text(self, text: str, msg_id: int) -> None:
        """Queue a SAVEDATA type 5 packet (`msg_id` 0: no acknowledgement asked)."""

    def send_binary(self, ds_id: str, data: bytes, msg_id: int) -> None:
        """Queue a SAVEDATA type 2 packet."""

    async def flush(self) -> None:
        """Wait until queued packets are on the wire; raises `CloudError`."""

    async def ping(self, limit: float) -> bool:
        """Send PINGREQ; True when PINGRESP arrives within `limit` seconds."""

    async def close(self) -> None:
        """Close the TCP connection (EDP has no logout message)."""


class PlatformHttp:
    """The few OneNET HTTP calls AT+CIOTINIT makes, with the master APIKEY."""

    def __init__(self, base_url: str, timeout: float, latency: float = 0.0) -> None:
        """Talk to `base_url` (e.g. `http://127.0.0.1:8080`), giving up after `timeout` s.

        `latency` is the cellular round trip added before each request.
        """
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.latency = latency

    async def create_device(
        self, master_key: str, title: str, desc: str, auth_info: str | None = None
    ) -> str:
        """POST /devices (with `auth_info` when given); returns the new device id."""
        body = {"title": title, "desc": desc, "protocol": "EDP"}
        if auth_info is not None:
            body["auth_info"] = auth_info
        data = await self._call("POST", "/devices", master_key, body)
        return str(_field(data, "device_id"))

    async def create_key(self, master_key: str, device_id: str, title: str) -> str:
        """POST /keys for one device; returns the APIKEY."""
        body = {
            "title": title,
            "permissions": [
                {
                    "resources": [{"dev_id": device_id}],
                    "access_methods": ["get", "put", "post", "delete"],
                }
            ],
        }
        data = await self._call("POST", "/keys", master_key, body)
        return str(_field(data, "key"))

    async def check_device(self, master_key: str, device_id: str) -> None:
        """GET /devices/{id}; raises `DeviceGoneError` when the platform does not know it."""
        try:
            await self._call("GET", f"/devices/{device_id}", master_key, None)
        except CloudRefusedError as error:
            raise DeviceGoneError(str(error)) from error

    async def _call(self, method: str, path: str, key: str, body: object) -> object:
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        await cellular_delay(self.latency)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.request(
                    method, self.base_url + path, json=body, headers={"api-key": key}
                ) as response,
            ):
                text = await response.text()
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            msg = f"{method} {path}: {error!r}"
            raise CloudUnreachableError(msg) from error
        return _answer_data(method, path, text)


def _answer_data(method: str, path: str, text: str) -> object:
    """The `data` of an answer whose errno is 0; anything else is a refusal."""
    try:
        answer = json.loads(text)
    except ValueError as error:
        msg = f"{method} {path}: not JSON: {text[:80]!r}"
        raise CloudRefusedError(msg) from error
    if not isinstance(answer, dict) or answer.get("errno") != 0:
        msg = f"{method} {path}: {text[:200]}"
        raise CloudRefusedError(msg)
    return answer.get("data")


def _field(data: object, name: str) -> object:
    if not isinstance(data, dict) or name not in data:
        msg = f"answer without {name}: {data!r}"
        raise CloudRefusedError(msg)
    return data[name]


async def cellular_delay(seconds: float) -> None:
    """The round trip of a cellular network, before each cloud operation."""
    if seconds > 0:
        await asyncio.sleep(seconds)
