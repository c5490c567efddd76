"""The whole loop, for real: both emulators, a `hass` process, onboarding and the integration.

`DemoStack` starts the emulators (`python -m emulator --json`), writes a Home Assistant
configuration folder (the integration linked in, a few demo entities, the HTTP settings in
Home Assistant's own storage, a folder of files actions may send), starts `hass` on it,
onboards a demo user through the REST API, sets the integration up in mode 1 through the
config flow REST API and chooses the demo entities to forward through the options flow.
`scripts/demo` and the end-to-end test (`tests/e2e/`) both use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import aiohttp

if TYPE_CHECKING:
    from collections.abc import Callable

REPO = Path(__file__).resolve().parent.parent
DOMAIN = "onenet_m6311"
HOST = "127.0.0.1"
"""Where the emulators listen, and Home Assistant unless `DemoOptions.hass_host` says otherwise."""
DEMO_USER = "demo"
DEMO_ENTITIES = ("input_number.demo_level", "input_boolean.demo_switch", "sensor.demo_level_double")
START_TIMEOUT = 120.0
DEFAULT_HASS_PORT = 8123
LOAD_TIMEOUT = 60.0
ONBOARDING_STEPS_DONE_BEFOREHAND = ("core_config", "analytics", "integration")
"""Onboarding steps marked done in the configuration the demo writes: the location and units
come from configuration.yaml, and the core_config step would set up weather, radio and
text-to-speech integrations whose packages (and internet) the demo does not have."""

HTTP_SETTINGS_STORE = ("http", 1)
"""Home Assistant's file of HTTP settings (`.storage/http`), and the version of its layout the
demo writes: the settings alone, as releases before 2026.10 stored their last working ones.
Each release since migrates it to its own layout through its own schema, as the confirmed
settings (stable: no trial to confirm, nothing pending), and then finds no `http:` in
configuration.yaml to import. The demo so needs neither Home Assistant's layout of the day nor
its HTTP package, whose import costs a second of the demo's start on a busy machine."""
HTTP_SETTINGS_STORED_SINCE = (2026, 10)
"""The first release that takes its HTTP settings from its storage; older ones read them from
configuration.yaml, where the demo then writes them too."""
IGNORED_ISSUES = (
    ("homeassistant", "deprecated_method"),
    ("marketplace", "download_profile_hasscn"),
)
"""Repair issues the demo ignores up front, as a person would with Ignore in Settings > Repairs;
neither says anything about the integration.

- `deprecated_method`, "Unsupported installation method": raised after every start of a Home
  Assistant Core installation, which a `hass` from a venv is (the demo runs the test venv's).
  Nothing short of posing as a container satisfies the check.
- `download_profile_hasscn`, "The Marketplace can not reach its catalog" (2026.11 and newer):
  the Marketplace suggests mirrors to an installation in China (the demo's country) that
  cannot reach GitHub, as a machine without internet access cannot.
"""
SAMPLE_FILE = "hello.txt"
SAMPLE_TEXT = "Hello from the OneNET M6311 demo.\n"
SAMPLE_DATASTREAM = "hello"

CONFIGURATION = """\
# Written by the demo (demo/stack.py); rewritten at every start. The HTTP settings (address and
# port) are in .storage/http, where Settings > System > Network keeps them.
homeassistant:
  name: OneNET M6311 demo
  time_zone: UTC
  country: CN
  unit_system: metric
{language}  allowlist_external_dirs:
{allowed}{http}frontend:
config:
logger:
  default: warning
  logs:
    custom_components.{domain}: info
input_number:
  demo_level:
    name: Demo level
    min: 0
    max: 100
    step: 1
    initial: 20
input_boolean:
  demo_switch:
    name: Demo switch
template:
  - sensor:
      - name: Demo level double
        unique_id: demo_level_double
        unit_of_measurement: "%"
        state: "{{{{ (states('input_number.demo_level') | float(0) * 2) | round(0) }}}}"
"""


class DemoError(Exception):
    """A step of the demo failed; the message says which and why."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class DemoOptions:
    """Where the demo keeps its state and which ports it uses (0: a free one)."""

    state_dir: Path = REPO / ".demo"
    hass_host: str = HOST
    """The IP address Home Assistant listens on (its HTTP server_host). Only this machine by
    default: the demo user's password is printed, and Home Assistant's own default is every
    address; 0.0.0.0 (or ::) opens it to the network."""
    hass_port: int = DEFAULT_HASS_PORT
    http_port: int = 8875
    edp_port: int = 8876
    control_port: int = 8877
    password: str = field(default_factory=lambda: secrets.token_urlsafe(9))
    fresh: bool = True
    """Start from an empty Home Assistant configuration and an empty emulator cache."""
    log: Callable[[str], None] = field(default=lambda _text: None)
    set_up_integration: bool = True
    """False: stop after onboarding (the browser test adds the integration in the UI)."""
    latency: float = 0.0
    """Seconds the emulated module waits before each cloud operation (a cellular round trip)."""
    forwarded: tuple[str, ...] = DEMO_ENTITIES
    """The entities chosen for forwarding."""
    allowed_dirs: tuple[Path, ...] = ()
    """Folders actions may read files from (Home Assistant's allowlist_external_dirs), beside
    the stack's own `files/` (`DemoStack.files_dir`)."""
    profile: str | None = None
    """A real firmware the emulated module behaves as (`scripts/emulate --profile`)."""
    language: str | None = None
    """Home Assistant's language (which names the entities) and the demo user's (the UI's),
    as onboarding in it sets them; None: Home Assistant's default, English, and the UI in the
    browser's language."""

    @classmethod
    def on_free_ports(cls, state_dir: Path, **options: Any) -> DemoOptions:  # noqa: ANN401
        """Options for a stack beside others (tests, the soak): every port a free one."""
        return cls(
            state_dir=state_dir,
            hass_port=free_port(),
            http_port=0,
            edp_port=0,
            control_port=0,
            **options,
        )


class DemoStack:
    """Emulators + hass, set up as a person would; an async context manager."""

    def __init__(self, options: DemoOptions | None = None) -> None:
        """Nothing runs until `start`."""
        self.options = options or DemoOptions()
        self.emulator: dict[str, Any] = {}
        self.token = ""
        self.entry_id = ""
        self._emulator_proc: asyncio.subprocess.Process | None = None
        self._hass_proc: asyncio.subprocess.Process | None = None
        self._session: aiohttp.ClientSession | None = None

    # -- addresses -----------------------------------------------------------------------

    @property
    def config_dir(self) -> Path:
        """The Home Assistant configuration folder."""
        return self.options.state_dir / "config"

    @property
    def files_dir(self) -> Path:
        """A folder actions may read files from (`send_file`), with a sample file in it."""
        return self.options.state_dir / "files"

    @property
    def sample_file(self) -> Path:
        """The sample file in `files_dir`."""
        return self.files_dir / SAMPLE_FILE

    @property
    def hass_url(self) -> str:
        """Home Assistant's address as a browser on this machine reaches it."""
        return f"http://{_url_host(self.options.hass_host)}:{self.options.hass_port}"

    @property
    def pids(self) -> dict[str, int]:
        """The process ID of each running process of the stack ("hass", "emulators")."""
        processes = {"hass": self._hass_proc, "emulators": self._emulator_proc}
        return {name: proc.pid for name, proc in processes.items() if proc is not None}

    @property
    def master_key(self) -> str:
        """The emulated platform's master APIKEY."""
        return str(self.emulator["master_key"])

    @property
    def device_id(self) -> str:
        """The platform device mode 1 logs in as."""
        return str(self.emulator["modes"][1]["fields"]["device_id"])

    @property
    def session(self) -> aiohttp.ClientSession:
        """The HTTP session (open between `start` and `stop`)."""
        if self._session is None:
            msg = "the demo is not started"
            raise DemoError(msg)
        return self._session

    # -- life cycle ----------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        """Start everything; stop what started if a step fails."""
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *_: object) -> None:
        """Stop everything."""
        await self.stop()

    async def start(self) -> None:
        """Emulators, config, hass, onboarding, the integration and its forwarding."""
        self._session = aiohttp.ClientSession()
        self.options.state_dir.mkdir(parents=True, exist_ok=True)
        self.hass_output_path.write_bytes(b"")
        await self.start_emulators()
        self.check_hass_address()
        self.write_config()
        await self.start_hass()
        await self.onboard()
        if self.options.language:
            await self.set_user_language(self.options.language)
        if not self.options.set_up_integration:
            return
        await self.add_integration()
        if self.options.forwarded:
            await self.forward(list(self.options.forwarded))
        await self.wait_loaded()

    async def stop(self) -> None:
        """Stop hass, then the emulators (SIGTERM, then SIGKILL after 20 s); idempotent."""
        for proc in (self._hass_proc, self._emulator_proc):
            if proc is not None:
                await _terminate(proc)
        self._hass_proc = self._emulator_proc = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def start_emulators(self) -> None:
        """`python -m emulator --json`; its one JSON line says where everything is."""
        cache = self.options.state_dir / "emulator"
        if self.options.fresh:
            shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True, exist_ok=True)
        args = [
            "--json",
            "--cache-dir",
            str(cache),
            "--http-port",
            str(self.options.http_port),
            "--edp-port",
            str(self.options.edp_port),
            "--control-port",
            str(self.options.control_port),
            "--latency",
            str(self.options.latency),
        ]
        if self.options.profile is not None:
            args += ["--profile", self.options.profile]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self._emulator_proc = proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "emulator",
            *args,
            stdout=asyncio.subprocess.PIPE,
            env=env,
            cwd=REPO,
        )
        assert proc.stdout is not None  # noqa: S101  # asked for above
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
        except TimeoutError:
            line = b""
        if not line:
            msg = f"the emulators did not start (exit status {proc.returncode})"
            raise DemoError(msg)
        self.emulator = json.loads(line)
        self.options.log(f"Emulators up: serial port {self.emulator['link_path']}")

    def check_hass_address(self) -> None:
        """Fail unless Home Assistant can listen on its address and port.

        Home Assistant does not stop when it cannot: it starts again in recovery mode, which
        falls back to its default settings, every address of the machine.
        """
        host, port = self.options.hass_host, self.options.hass_port
        ipv6 = isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address)
        with socket.socket(socket.AF_INET6 if ipv6 else socket.AF_INET) as sock:
            # As Home Assistant binds: connections a previous hass left in TIME_WAIT don't count.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError as error:
                msg = f"Home Assistant cannot listen on {host} port {port}: {error.strerror}"
                raise DemoError(msg) from error

    def write_config(self) -> None:
        """Home Assistant's configuration folder, and the files folder with its sample.

        configuration.yaml with the demo entities; Home Assistant's stored settings (HTTP,
        onboarding, repairs); the integration linked in.
        """
        if self.options.fresh:
            shutil.rmtree(self.config_dir, ignore_errors=True)
        custom = self.config_dir / "custom_components"
        custom.mkdir(parents=True, exist_ok=True)
        link = custom / DOMAIN
        if not link.is_symlink():
            link.symlink_to(REPO / "custom_components" / DOMAIN)
        self.files_dir.mkdir(parents=True, exist_ok=True)
        self.sample_file.write_text(SAMPLE_TEXT, encoding="utf-8")
        folders = dict.fromkeys([self.files_dir, *self.options.allowed_dirs])
        allowed = "".join(f"    - {json.dumps(str(folder))}\n" for folder in folders)
        language = self.options.language
        text = CONFIGURATION.format(
            domain=DOMAIN,
            allowed=allowed,
            language=f"  language: {json.dumps(language)}\n" if language else "",
            http="" if _release() >= HTTP_SETTINGS_STORED_SINCE else self._http_yaml(),
        )
        (self.config_dir / "configuration.yaml").write_text(text, encoding="utf-8")
        (self.config_dir / ".storage").mkdir(exist_ok=True)
        self._write_http_settings()
        self._write_onboarding()
        self._write_ignored_issues()

    def _write_http_settings(self) -> None:
        """Where Home Assistant listens, stored as Settings > System > Network stores it.

        Always written: Home Assistant's default is every address of the machine. Stored, not in
        configuration.yaml: Home Assistant (2026.10 and newer) would import an `http:` section
        once, as settings on trial (reverted unless confirmed within five minutes), and raise a
        repair issue for as long as the section stays. The layout: `HTTP_SETTINGS_STORE`.
        """
        key, version = HTTP_SETTINGS_STORE
        settings = {"server_host": [self.options.hass_host], "server_port": self.options.hass_port}
        _write_store(self.config_dir, key, settings, version=version, minor_version=1)

    def _http_yaml(self) -> str:
        """The HTTP settings as an `http:` section, for releases that read them from there."""
        return (
            "http:\n"
            f"  server_host:\n    - {json.dumps(self.options.hass_host)}\n"
            f"  server_port: {self.options.hass_port}\n"
        )

    def _write_ignored_issues(self) -> None:
        """The repair issues of `IGNORED_ISSUES`, ignored before Home Assistant raises them."""
        if (self.config_dir / ".storage" / "repairs.issue_registry").exists():
            return
        now = datetime.now(UTC).isoformat()
        version = importlib.metadata.version("homeassistant")
        issues = [
            {
                "created": now,
                "dismissed_version": version,
                "domain": domain,
                "is_persistent": False,
                "issue_id": issue_id,
            }
            for domain, issue_id in IGNORED_ISSUES
        ]
        _write_store(
            self.config_dir,
            "repairs.issue_registry",
            {"issues": issues},
            version=1,
            minor_version=2,
        )

    def _write_onboarding(self) -> None:
        """Home Assistant's onboarding record, with only the user step left to do."""
        if not (self.config_dir / ".storage" / "onboarding").exists():
            done = {"done": list(ONBOARDING_STEPS_DONE_BEFOREHAND)}
            _write_store(self.config_dir, "onboarding", done, version=4, minor_version=1)

    async def start_hass(self) -> None:
        """`hass -c CONFIG --skip-pip` (the requirements are installed by the scripts)."""
        log = self.hass_output_path.open("ab")  # every run of this stack, restarts included
        with log:
            self._hass_proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "homeassistant",
                "-c",
                str(self.config_dir),
                "--skip-pip",
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                cwd=REPO,
            )
        self.options.log(f"Home Assistant starting (log: {self.config_dir}/home-assistant.log)")
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._hass_proc.returncode is not None:
                msg = f"hass exited with status {self._hass_proc.returncode}; see {log.name}"
                raise DemoError(msg)
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                # Any answer: its HTTP server is up. This view needs no token, so the probe
                # does not count as a failed login in hass's log.
                async with self.session.get(
                    f"{self.hass_url}/api/onboarding", timeout=aiohttp.ClientTimeout(total=5)
                ):
                    return
            await asyncio.sleep(0.1)  # a refused connection costs nothing; its wait does
        msg = f"hass did not answer on {self.hass_url} within {START_TIMEOUT:g} s"
        raise DemoError(msg)

    async def kill_hass(self) -> None:
        """SIGKILL the `hass` process, as a power cut would end it: nothing runs after it."""
        proc = self._hass_proc
        if proc is None:
            msg = "hass is not running"
            raise DemoError(msg)
        proc.kill()
        await proc.wait()
        self._hass_proc = None
        self.options.log("Home Assistant killed (SIGKILL)")

    async def stop_hass(self) -> None:
        """Stop `hass` as a user would (SIGTERM): it writes what it keeps, then exits."""
        if self._hass_proc is not None:
            await _terminate(self._hass_proc)
            self._hass_proc = None

    async def restart_hass(self) -> None:
        """Start `hass` again on the same configuration, log in again, wait for the entry."""
        await self.start_hass()
        await self.log_in()
        await self.wait_loaded()

    # -- Home Assistant's REST API -------------------------------------------------------

    async def request(
        self, method: str, path: str, body: object = None, *, auth: bool = True
    ) -> Any:  # noqa: ANN401  # JSON
        """One call to Home Assistant's REST API; the decoded JSON answer."""
        headers = {"Authorization": f"Bearer {self.token}"} if auth else {}
        async with self.session.request(
            method, f"{self.hass_url}{path}", json=body, headers=headers
        ) as response:
            text = await response.text()
            if response.status >= 400:  # noqa: PLR2004  # HTTP errors
                msg = f"{method} {path}: HTTP {response.status}: {text[:500]}"
                raise DemoError(msg)
            return json.loads(text) if text else None

    async def onboard(self) -> None:
        """The demo user, then every onboarding step; keeps an access token."""
        client_id = f"{self.hass_url}/"
        user = await self.request(
            "POST",
            "/api/onboarding/users",
            {
                "client_id": client_id,
                "name": "Demo",
                "username": DEMO_USER,
                "password": self.options.password,
                "language": self.options.language or "en",
            },
            auth=False,
        )
        await self._take_tokens(client_id, user["auth_code"])
        self.options.log(f"Onboarded: user {DEMO_USER!r}")

    async def websocket(self, command: dict[str, Any]) -> Any:  # noqa: ANN401  # JSON
        """One command on Home Assistant's websocket API as the demo user; its result."""
        async with self.session.ws_connect(f"{self.hass_url}/api/websocket") as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": self.token})
            auth = await ws.receive_json()
            if auth.get("type") != "auth_ok":
                msg = f"websocket login: {auth}"
                raise DemoError(msg)
            await ws.send_json({"id": 1, **command})
            answer = await ws.receive_json()
        if not answer.get("success"):
            msg = f"websocket {command['type']}: {answer.get('error')}"
            raise DemoError(msg)
        return answer.get("result")

    async def repair_issues(self) -> list[dict[str, Any]]:
        """The repair issues Settings > Repairs shows (the active ones not ignored)."""
        result = await self.websocket({"type": "repairs/list_issues"})
        return [issue for issue in result["issues"] if not issue["ignored"]]

    async def set_user_language(self, language: str) -> None:
        """The demo user's language, as their profile page sets it.

        The frontend applies it once the user is logged in; the login page follows the
        browser's language.
        """
        await self.websocket(
            {
                "type": "frontend/set_user_data",
                "key": "language",
                "value": {
                    "language": language,
                    "number_format": "language",
                    "time_format": "language",
                    "date_format": "language",
                    "time_zone": "local",
                    "first_weekday": "language",
                },
            }
        )

    async def wait_running(self) -> None:
        """Wait until Home Assistant has started.

        Its state is RUNNING once every integration of its start is set up, and the checks it
        makes once started (some raise repair issues) have begun.
        """
        deadline = time.monotonic() + START_TIMEOUT
        while (state := (await self.request("GET", "/api/config")).get("state")) != "RUNNING":
            if time.monotonic() > deadline:
                msg = f"Home Assistant is {state}, not RUNNING, after {START_TIMEOUT:g} s"
                raise DemoError(msg)
            await asyncio.sleep(0.25)

    async def log_in(self) -> None:
        """Get a new access token through the login flow, as the frontend does."""
        client_id = f"{self.hass_url}/"
        flow = await self.request(
            "POST",
            "/auth/login_flow",
            {
                "client_id": client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{client_id}?auth_callback=1",
            },
            auth=False,
        )
        result = await self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": client_id, "username": DEMO_USER, "password": self.options.password},
            auth=False,
        )
        await self._take_tokens(client_id, str(result["result"]))

    async def _take_tokens(self, client_id: str, code: str) -> None:
        async with self.session.post(
            f"{self.hass_url}/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": client_id},
        ) as response:
            tokens = await response.json()
        self.token = tokens["access_token"]

    async def add_integration(self) -> dict[str, Any]:
        """The config flow, mode 1, with the emulator's device and master key."""
        flow = await self.request("POST", "/api/config/config_entries/flow", {"handler": DOMAIN})
        path = f"/api/config/config_entries/flow/{flow['flow_id']}"
        steps = [
            {"device": self.emulator["link_path"], "serial": {"baudrate": 115200}},
            {"next_step_id": "device"},
            {"device_id": self.device_id, "master_key": self.master_key, "encrypt": False},
        ]
        result = flow
        for answer in steps:
            if result["type"] not in {"form", "menu"}:
                break
            result = await self.request("POST", path, answer)
            if result.get("errors"):
                msg = f"config flow step {result.get('step_id')}: {result['errors']}"
                raise DemoError(msg)
        if result["type"] != "create_entry":
            msg = f"config flow ended with {result}"
            raise DemoError(msg)
        self.entry_id = result["result"]["entry_id"]
        self.options.log(f"Integration set up: {result['title']}")
        return dict(result)

    async def forward(self, entities: list[str]) -> None:
        """The options flow: keep the link defaults, forward `entities` to default datastreams."""
        flow = await self.request(
            "POST", "/api/config/config_entries/options/flow", {"handler": self.entry_id}
        )
        path = f"/api/config/config_entries/options/flow/{flow['flow_id']}"
        result = await self.request("POST", path, _defaults(flow))
        answers = _defaults(result)
        answers["forward_entities"] = entities
        result = await self.request("POST", path, answers)
        while result["type"] == "form" and result["step_id"] == "entity":  # one per entity
            result = await self.request("POST", path, _defaults(result))
        if result["type"] != "create_entry":
            msg = f"options flow ended with {result}"
            raise DemoError(msg)
        self.options.log(f"Forwarding {', '.join(entities)}")

    def send_file_example(self) -> dict[str, Any]:
        """An `onenet_m6311.send_file` call that uploads the sample file (the demo prints it)."""
        return {
            "config_entry_id": self.entry_id,
            "datastream": SAMPLE_DATASTREAM,
            "file_path": str(self.sample_file),
        }

    async def entry_state(self) -> str:
        """The state of the integration's config entry (loaded, setup_retry, ...)."""
        entries = await self.request("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
        return next((str(e["state"]) for e in entries if e["entry_id"] == self.entry_id), "gone")

    async def wait_loaded(self) -> None:
        """Wait for the entry to be loaded again (the options flow reloads it)."""
        deadline = time.monotonic() + LOAD_TIMEOUT
        while (state := await self.entry_state()) != "loaded":
            if time.monotonic() > deadline:
                msg = f"the config entry is {state}, not loaded, after {LOAD_TIMEOUT:g} s"
                raise DemoError(msg)
            await asyncio.sleep(0.25)

    async def wait_link(self, state: str = "on", within: float = LOAD_TIMEOUT) -> None:
        """Wait until the Cloud link sensor shows `state` (the link is made in the background)."""
        deadline = time.monotonic() + within
        while True:
            links = [e for e in await self.entity_ids() if e.endswith("_cloud_link")]
            if links and (await self.state(links[0]))["state"] == state:
                return
            if time.monotonic() > deadline:
                msg = f"the Cloud link is not {state} after {within:g} s"
                raise DemoError(msg)
            await asyncio.sleep(0.25)

    async def state(self, entity_id: str) -> dict[str, Any]:
        """An entity's state object."""
        return dict(await self.request("GET", f"/api/states/{entity_id}"))

    async def set_state(self, entity_id: str, state: str) -> None:
        """Set an entity's state through the REST API (`POST /api/states/<entity_id>`)."""
        await self.request("POST", f"/api/states/{entity_id}", {"state": state})

    async def entity_ids(self) -> list[str]:
        """Every entity ID Home Assistant has a state for."""
        return [state["entity_id"] for state in await self.request("GET", "/api/states")]

    # -- the emulators' HTTP APIs --------------------------------------------------------

    @property
    def hass_output_path(self) -> Path:
        """What every `hass` process of this stack printed (its log), one after the other."""
        return self.options.state_dir / "hass.out"

    def hass_output(self) -> str:
        """The text of `hass_output_path`."""
        path = self.hass_output_path
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    async def datapoints(self) -> dict[str, list[Any]]:
        """The platform's datapoints of the mode 1 device, by datastream."""
        async with self.session.get(
            f"{self.emulator['http_url']}/devices/{self.device_id}/datapoints",
            headers={"api-key": self.master_key},
        ) as response:
            body = await response.json()
        return {
            stream["id"]: [point["value"] for point in stream["datapoints"]]
            for stream in body["data"]["datastreams"]
        }

    async def binary_datapoint(self, datastream: str) -> bytes:
        """The bytes of the last file uploaded to a datastream (the platform's /bindata)."""
        async with self.session.get(
            f"{self.emulator['http_url']}/devices/{self.device_id}/datapoints",
            params={"datastream_id": datastream},
            headers={"api-key": self.master_key},
        ) as response:
            body = await response.json()
        (stream,) = body["data"]["datastreams"]
        index = stream["datapoints"][-1]["value"]["index"]
        async with self.session.get(
            f"{self.emulator['http_url']}/bindata/{index}", headers={"api-key": self.master_key}
        ) as response:
            return await response.read()

    async def module_state(self) -> dict[str, Any]:
        """The emulated module's state (its control API's GET /state)."""
        async with self.session.get(f"{self.emulator['control_url']}/state") as response:
            state: dict[str, Any] = await response.json()
        return state

    async def send_command(self, payload: str) -> str:
        """POST /cmds to the mode 1 device; the command's uuid."""
        async with self.session.post(
            f"{self.emulator['http_url']}/cmds",
            params={"device_id": self.device_id},
            data=payload.encode(),
            headers={"api-key": self.master_key},
        ) as response:
            body = await response.json()
        if body["errno"] != 0:
            msg = f"POST /cmds: {body}"
            raise DemoError(msg)
        return str(body["data"]["cmd_uuid"])

    async def control(self, action: str) -> None:
        """POST to the module emulator's control API (unplug, replug, ...)."""
        async with self.session.post(f"{self.emulator['control_url']}/{action}") as response:
            if response.status >= 400:  # noqa: PLR2004  # HTTP errors
                msg = f"control {action}: HTTP {response.status}"
                raise DemoError(msg)


def _release() -> tuple[int, int]:
    """The installed Home Assistant's year and month (2026.10.4: 2026, 10)."""
    year, month = importlib.metadata.version("homeassistant").split(".")[:2]
    return int(year), int(month)


def _write_store(
    config_dir: Path, key: str, data: dict[str, Any], *, version: int, minor_version: int
) -> None:
    """A file of Home Assistant's `.storage/`, in the layout its `Store` reads."""
    body = {"version": version, "minor_version": minor_version, "key": key, "data": data}
    (config_dir / ".storage" / key).write_text(json.dumps(body, indent=2), encoding="utf-8")


def _url_host(address: str) -> str:
    """How a URL names the IP address a server listens on: every address, through loopback."""
    ip = ipaddress.ip_address(address)
    ipv6 = isinstance(ip, ipaddress.IPv6Address)
    if ip.is_unspecified:
        ip = ipaddress.ip_address("::1" if ipv6 else HOST)
    return f"[{ip}]" if ipv6 else str(ip)


def _defaults(form: dict[str, Any]) -> dict[str, Any]:
    """A form's answers as the UI would send them untouched: suggested values, else defaults."""
    return _schema_defaults(form.get("data_schema") or [])


def _schema_defaults(schema: list[dict[str, Any]]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for item in schema:
        name = item["name"]
        suggested = (item.get("description") or {}).get("suggested_value")
        if item.get("type") == "expandable":
            answers[name] = _schema_defaults(item.get("schema", []))
        elif suggested is not None:
            answers[name] = suggested
        elif "default" in item:
            answers[name] = item["default"]
    return answers


async def _terminate(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 20)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
