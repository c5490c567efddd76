"""The platform's HTTP API (the parts the module and the tests use) and the web page routes.

Every answer is HTTP 200 with `{"errno": .., "error": ..[, "data": ..]}`, as the real
platform answers; the errno says what went wrong (see `Errno`).
"""

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import web_page
from .commands import parse_qos, parse_timeout
from .errors import ApiError, Errno, invalid_parameter
from .served import PLATFORM, ServedPlatform
from .store import CommandStatus, canonical_auth_info

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

_ACCESS_METHODS = ("get", "put", "post", "delete")
_DEVICE_FIELDS: dict[str, type | tuple[type, ...]] = {
    "title": str,
    "desc": str,
    "tags": list,
    "location": dict,
    "private": bool,
    "auth_info": (str, dict),
    "other": dict,
    "protocol": str,
}

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_app(platform: ServedPlatform) -> web.Application:
    """The aiohttp application: API routes, the web page, JSON errors."""
    app = web.Application(middlewares=[_errors_as_json], client_max_size=1024 * 1024)
    app[PLATFORM] = platform
    app.router.add_post("/devices", _create_device)
    app.router.add_get("/devices/{id}", _get_device)
    app.router.add_delete("/devices/{id}", _delete_device)
    app.router.add_get("/devices/{id}/datastreams", _get_datastreams)
    app.router.add_get("/devices/{id}/datapoints", _get_datapoints)
    app.router.add_post("/keys", _create_key)
    app.router.add_get("/keys", _get_keys)
    app.router.add_post("/cmds", _create_command)
    app.router.add_get("/cmds/{uuid}", _get_command_status)
    app.router.add_get("/cmds/{uuid}/resp", _get_command_response)
    app.router.add_get("/bindata/{index}", _get_binary)
    app.router.add_get("/", web_page.show)
    app.router.add_post("/", web_page.send)
    return app


def answer(data: object = None) -> web.Response:
    """A success answer; `data` is left out when None (as DELETE answers)."""
    body: dict[str, Any] = {"errno": Errno.SUCCESS, "error": "succ"}
    if data is not None:
        body["data"] = data
    return web.json_response(body)


@web.middleware
async def _errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer ApiError, unknown routes and wrong methods in the platform's JSON shape."""
    try:
        return await handler(request)
    except ApiError as err:
        return web.json_response({"errno": err.errno, "error": err.error})
    except web.HTTPRequestEntityTooLarge:
        error = "invalid parameter: body too large"
        return web.json_response({"errno": Errno.INVALID_PARAMETER, "error": error})
    except web.HTTPNotFound, web.HTTPMethodNotAllowed:
        error = f"not found: {request.method} {request.path}"
        return web.json_response({"errno": Errno.NOT_FOUND, "error": error})


def _platform(request: web.Request) -> ServedPlatform:
    """The emulator serving this request."""
    return request.app[PLATFORM]


def _authorize(request: web.Request, device_id: str | None = None) -> None:
    """Check the api-key header: the master key for anything, a device key for its device.

    `device_id` None means the call needs the master key.
    """
    store = _platform(request).store
    key = request.headers.get("api-key")
    if not key:
        raise ApiError(Errno.AUTH_FAILED, "auth failed: api-key missing")
    if key == store.master_key:
        return
    granted = store.key_devices(key)
    if granted is None:
        raise ApiError(Errno.AUTH_FAILED, "auth failed: invalid api-key")
    if device_id is None or device_id not in granted:
        raise ApiError(Errno.PERMISSION_DENIED, "permission denied: api-key has no access")


def _existing_device(request: web.Request) -> str:
    """Authorize for the device in the path and make sure it exists."""
    device_id = request.match_info["id"]
    _authorize(request, device_id)
    if _platform(request).store.device(device_id) is None:
        raise ApiError(Errno.DEVICE_NOT_EXIST, f"device not exist: {device_id}")
    return device_id


async def _json_object(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object, or errno 6."""
    try:
        body = await request.json()
    except json.JSONDecodeError, UnicodeDecodeError:
        msg = "body is not JSON"
        raise invalid_parameter(msg) from None
    if not isinstance(body, dict):
        msg = "body is not a JSON object"
        raise invalid_parameter(msg)
    return body


# Devices


async def _create_device(request: web.Request) -> web.Response:
    """POST /devices (master key): create a device from title, auth_info and the rest."""
    _authorize(request)
    fields = _device_fields(await _json_object(request))
    store = _platform(request).store
    auth_info = fields.get("auth_info")
    if auth_info is not None and store.auth_info_taken(auth_info):
        msg = f"auth_info exists::{canonical_auth_info(auth_info)}"
        raise invalid_parameter(msg)
    return answer({"device_id": store.create_device(fields)})


def _device_fields(body: dict[str, Any]) -> dict[str, Any]:
    """Check the POST /devices fields' types; unknown fields are ignored as the platform does."""
    title = body.get("title")
    if not isinstance(title, str) or not title:
        msg = "title"
        raise invalid_parameter(msg)
    fields: dict[str, Any] = {}
    for name, kind in _DEVICE_FIELDS.items():
        if name in body:
            if not isinstance(body[name], kind):
                raise invalid_parameter(name)
            fields[name] = body[name]
    location = fields.get("location")
    if location is not None and not {"lon", "lat"} <= location.keys():
        msg = "location needs lon and lat"
        raise invalid_parameter(msg)
    return fields


async def _get_device(request: web.Request) -> web.Response:
    """GET /devices/{id}: the device with `online` and its datastreams."""
    device_id = _existing_device(request)
    platform = _platform(request)
    device = platform.store.device(device_id)
    return answer({**(device or {}), "online": platform.is_online(device_id)})


async def _delete_device(request: web.Request) -> web.Response:
    """DELETE /devices/{id} (master key): the device goes, and its link is dropped."""
    _authorize(request)
    device_id = request.match_info["id"]
    platform = _platform(request)
    if platform.store.device(device_id) is None:
        raise ApiError(Errno.DEVICE_NOT_EXIST, f"device not exist: {device_id}")
    await platform.kick(device_id)
    platform.store.delete_device(device_id)
    return answer()


async def _get_datastreams(request: web.Request) -> web.Response:
    """GET /devices/{id}/datastreams: each stream with its latest value."""
    device_id = _existing_device(request)
    return answer(_platform(request).store.datastreams(device_id))


async def _get_datapoints(request: web.Request) -> web.Response:
    """GET /devices/{id}/datapoints[?datastream_id=]: points grouped by datastream."""
    device_id = _existing_device(request)
    datastream_id = request.query.get("datastream_id") or None
    points = _platform(request).store.datapoints(device_id, datastream_id)
    streams: dict[str, list[dict[str, Any]]] = {}
    for point in points:
        entry: dict[str, Any] = {"at": point.at, "value": point.value}
        if point.size is not None:
            entry["size"] = point.size
            entry["desc"] = point.descriptor
        streams.setdefault(point.datastream_id, []).append(entry)
    datastreams = [{"id": key, "datapoints": value} for key, value in streams.items()]
    return answer({"count": len(points), "datastreams": datastreams})


async def _get_binary(request: web.Request) -> web.Response:
    """GET /bindata/{index}: the bytes of a binary upload (its datapoint's value names it)."""
    point = _platform(request).store.binary(request.match_info["index"])
    if point is None or point.data is None:
        raise ApiError(Errno.NOT_FOUND, "not found: binary data")
    _authorize(request, point.device_id)
    return web.Response(body=point.data, content_type="application/octet-stream")


# Keys


async def _create_key(request: web.Request) -> web.Response:
    """POST /keys (master key): a key for the devices named in its permissions."""
    _authorize(request)
    body = await _json_object(request)
    device_ids, methods = _key_permissions(body)
    store = _platform(request).store
    for device_id in device_ids:
        if store.device(device_id) is None:
            raise ApiError(Errno.DEVICE_NOT_EXIST, f"device not exist: {device_id}")
    title = body.get("title", "")
    if not isinstance(title, str):
        msg = "title"
        raise invalid_parameter(msg)
    return answer({"key": store.create_key(title, device_ids, methods)})


def _key_permissions(body: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Device ids and access methods; access_methods may sit at top level or per permission."""
    permissions = body.get("permissions")
    if not isinstance(permissions, list) or not permissions:
        msg = "permissions"
        raise invalid_parameter(msg)
    device_ids: list[str] = []
    methods = _access_methods(body.get("access_methods"))
    for permission in permissions:
        if not isinstance(permission, dict) or not isinstance(permission.get("resources"), list):
            msg = "permissions.resources"
            raise invalid_parameter(msg)
        for resource in permission["resources"]:
            if not isinstance(resource, dict) or not isinstance(resource.get("dev_id"), str | int):
                msg = "resources.dev_id"
                raise invalid_parameter(msg)
            device_ids.append(str(resource["dev_id"]))
        methods |= _access_methods(permission.get("access_methods"))
    # No access_methods anywhere means every method, as an unrestricted key.
    granted = [method for method in _ACCESS_METHODS if method in methods]
    return device_ids, granted or list(_ACCESS_METHODS)


def _access_methods(value: object) -> set[str]:
    """A valid access_methods list as a set (absent: empty)."""
    if value is None:
        return set()
    if not isinstance(value, list) or not all(item in _ACCESS_METHODS for item in value):
        msg = "access_methods"
        raise invalid_parameter(msg)
    return set(value)


async def _get_keys(request: web.Request) -> web.Response:
    """GET /keys?device_id=: the keys that open a device."""
    device_id = _authorized_device_query(request)
    keys = _platform(request).store.keys_of(device_id)
    return answer({"per_page": 30, "page": 1, "total_count": len(keys), "keys": keys})


# Commands


async def _create_command(request: web.Request) -> web.Response:
    """POST /cmds?device_id=&qos=&timeout=: the raw body goes to the device as CMDREQ."""
    device_id = _authorized_device_query(request)
    qos = parse_qos(request.query.get("qos"))
    timeout = parse_timeout(request.query.get("timeout"))
    body = await request.read()
    cmd_uuid = await _platform(request).commands.send(device_id, body, qos=qos, timeout=timeout)
    return answer({"cmd_uuid": cmd_uuid})


def _authorized_device_query(request: web.Request) -> str:
    """The `device_id` query parameter, once the key may see that device.

    Without one, the key is still checked first, so a bad key is refused as such.
    """
    device_id = request.query.get("device_id")
    if not device_id:
        _authorize(request)
        msg = "device_id"
        raise invalid_parameter(msg)
    _authorize(request, device_id)
    return device_id


def _authorized_command(request: web.Request) -> tuple[str, CommandStatus, bytes | None]:
    """The command in the path, once the key may see its device."""
    cmd_uuid = request.match_info["uuid"]
    store = _platform(request).store
    command = store.command(cmd_uuid)
    if command is None:
        _authorize(request)
        raise ApiError(Errno.NOT_FOUND, f"cmd not found: {cmd_uuid}")
    _authorize(request, command.device_id)
    return cmd_uuid, command.status, command.response


async def _get_command_status(request: web.Request) -> web.Response:
    """GET /cmds/{uuid}: the command's status."""
    _, status, _ = _authorized_command(request)
    return answer({"status": int(status), "desc": status.name.lower()})


async def _get_command_response(request: web.Request) -> web.Response:
    """GET /cmds/{uuid}/resp: the device's CMDRESP body, as UTF-8 text.

    Bytes that are not UTF-8 come out as U+FFFD; the Python helper
    `PlatformEmulator.command()` keeps the exact bytes.
    """
    cmd_uuid, status, response = _authorized_command(request)
    if status != CommandStatus.ANSWERED or response is None:
        raise ApiError(Errno.NO_RESPONSE, f"no response: {cmd_uuid}")
    return answer(response.decode(errors="replace"))
