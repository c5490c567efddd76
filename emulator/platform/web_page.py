"""The emulator's web page: devices, datastreams, binary uploads, commands, and a send form.

Server-rendered, no external assets, every value escaped. It works without JavaScript; a
tiny script only reloads it every few seconds while nobody is typing in the form. The form
posts back to `/`, which runs the same routine as POST /cmds and then redirects (POST,
redirect, GET) so a reload never sends a command twice. The page needs no api-key: it is
the emulator's own console on a loopback address.
"""

import json
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from aiohttp import web

from .commands import parse_qos, parse_timeout
from .errors import ApiError
from .served import PLATFORM, ServedPlatform

if TYPE_CHECKING:
    from .store import Command, StoredDatapoint

_RECENT_COMMANDS = 20

_STYLE = """
body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%}td,th{padding:.3rem .5rem;text-align:left;
border-bottom:1px solid #eee;vertical-align:top}th{background:#f6f6f6}
code{font-size:.9em}.on{color:#0a7a2f;font-weight:600}.off{color:#999}
.note{padding:.5rem .8rem;border-radius:4px;background:#eef6ee}.error{background:#fbeaea}
form{display:grid;grid-template-columns:8rem 1fr;gap:.5rem;max-width:40rem}
textarea{min-height:4rem}button{width:10rem}.muted{color:#777}
ul{margin:0;padding-left:1rem}
"""

_SCRIPT = """
setInterval(function () {
  if (!document.querySelector("form:focus-within")) { location.reload(); }
}, 5000);
"""


async def show(request: web.Request) -> web.Response:
    """GET /: the page, with the outcome of the last form post if the query names one."""
    platform = _platform(request)
    notice = _notice(request.query.get("cmd"), request.query.get("error"))
    sections = [
        _header(platform),
        notice,
        _devices(platform),
        _binaries(platform.store.binaries()),
        _commands(platform.store.commands()[:_RECENT_COMMANDS]),
        _form(platform),
    ]
    return web.Response(text=_page("".join(sections)), content_type="text/html")


async def send(request: web.Request) -> web.Response:
    """POST /: send the form's command, then redirect to the page showing the outcome."""
    platform = _platform(request)
    form = await request.post()
    try:
        cmd_uuid = await platform.commands.send(
            str(form.get("device_id", "")),
            str(form.get("body", "")).encode(),
            qos=parse_qos(str(form.get("qos", "0"))),
            timeout=parse_timeout(str(form.get("timeout", "0"))),
        )
    except ApiError as err:
        location = "/?" + urlencode({"error": f"errno {err.errno}: {err.error}"})
    else:
        location = "/?" + urlencode({"cmd": cmd_uuid})
    raise web.HTTPSeeOther(location)


def _platform(request: web.Request) -> ServedPlatform:
    """The emulator serving this request."""
    return request.app[PLATFORM]


def _page(content: str) -> str:
    """The HTML document around the sections."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>OneNET emulator</title><style>{_STYLE}</style></head>"
        f"<body>{content}<script>{_SCRIPT}</script></body></html>"
    )


def _header(platform: ServedPlatform) -> str:
    """Title and addresses."""
    host, port = platform.edp_address
    return (
        "<h1>OneNET platform emulator</h1>"
        f"<p class=muted>Project <code>{escape(platform.project_id)}</code> · EDP "
        f"<code>{escape(host)}:{port}</code> · HTTP <code>{escape(platform.http_url)}</code></p>"
    )


def _notice(cmd_uuid: str | None, error: str | None) -> str:
    """What happened to the last command sent from the form."""
    if error:
        return f'<p class="note error" role="alert">Not sent: {escape(error)}</p>'
    if cmd_uuid:
        return f'<p class="note" role="status">Command sent: <code>{escape(cmd_uuid)}</code></p>'
    return ""


def _devices(platform: ServedPlatform) -> str:
    """One table row per device, each followed by its datastreams."""
    rows = []
    for device in platform.store.devices():
        device_id = device["id"]
        state = (
            '<span class="on">online</span>'
            if platform.is_online(device_id)
            else ('<span class="off">offline</span>')
        )
        rows.append(
            f"<tr><td><code>{escape(device_id)}</code></td><td>{escape(device['title'])}</td>"
            f"<td>{escape(str(device['auth_info'] or ''))}</td><td>{state}</td>"
            f"<td>{escape(device['create_time'])}</td>"
            f"<td>{_datastreams(device['datastreams'])}</td></tr>"
        )
    if not rows:
        return "<h2>Devices</h2><p class=muted>No devices yet.</p>"
    head = "<tr><th>ID</th><th>Title</th><th>auth_info</th><th>State</th><th>Created</th>"
    head += "<th>Datastreams (latest)</th></tr>"
    return f"<h2>Devices</h2><table>{head}{''.join(rows)}</table>"


def _datastreams(streams: list[dict[str, object]]) -> str:
    """A device's datastreams, latest value and time, as a compact list."""
    if not streams:
        return "<span class=muted>none</span>"
    items = "".join(
        f"<li><code>{escape(str(stream['id']))}</code> = "
        f"{escape(_text(stream['current_value']))} "
        f"<span class=muted>{escape(str(stream['update_at']))}</span></li>"
        for stream in streams
    )
    return f"<ul>{items}</ul>"


def _text(value: object) -> str:
    """A value as the page shows it: text as it is, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _binaries(points: list[StoredDatapoint]) -> str:
    """Binary uploads, newest first."""
    if not points:
        return "<h2>Binary uploads</h2><p class=muted>None yet.</p>"
    rows = "".join(
        f"<tr><td><code>{escape(point.device_id)}</code></td>"
        f"<td>{escape(point.datastream_id)}</td><td>{escape(point.at)}</td>"
        f"<td>{point.size}</td><td><code>{escape(_text(point.descriptor))}</code></td></tr>"
        for point in points
    )
    head = "<tr><th>Device</th><th>Datastream</th><th>At</th><th>Bytes</th><th>Descriptor</th>"
    return f"<h2>Binary uploads</h2><table>{head}</tr>{rows}</table>"


def _commands(commands: list[Command]) -> str:
    """Recent commands with their status and reply."""
    if not commands:
        return "<h2>Commands</h2><p class=muted>None yet.</p>"
    rows = "".join(
        f"<tr><td><code>{escape(command.uuid)}</code></td>"
        f"<td><code>{escape(command.device_id)}</code></td>"
        f"<td>{escape(command.body.decode(errors='replace'))}</td>"
        f"<td>{escape(command.status.name.lower())}</td>"
        f"<td>{escape((command.response or b'').decode(errors='replace'))}</td></tr>"
        for command in commands
    )
    head = "<tr><th>UUID</th><th>Device</th><th>Body</th><th>Status</th><th>Reply</th></tr>"
    return f"<h2>Commands</h2><table>{head}{rows}</table>"


def _form(platform: ServedPlatform) -> str:
    """The send-a-command form."""
    options = "".join(
        f'<option value="{escape(device_id)}">{escape(device_id)}</option>'
        for device_id in platform.store.device_ids()
    )
    return (
        '<h2>Send a command</h2><form method="post" action="/">'
        f'<label for="device_id">Device</label><select id="device_id" name="device_id">'
        f"{options}</select>"
        '<label for="body">Body</label><textarea id="body" name="body" required></textarea>'
        '<label for="qos">QoS</label><select id="qos" name="qos">'
        '<option value="0">0</option><option value="1">1</option></select>'
        '<label for="timeout">Timeout (s)</label>'
        '<input id="timeout" name="timeout" type="number" min="0" max="2678400" value="0">'
        "<span></span><button type=submit>Send</button></form>"
    )
