"""The config flow as a person meets it: Debian's Chromium, driven by Playwright, in the real UI.

A real `hass` (onboarded by `demo.stack`, the integration not set up) and both emulators; the
browser logs in as the demo user, adds the integration through Settings > Devices & services,
types a port that does not exist (and reads the error), then the emulated module's port, chooses
mode 1, enters the credentials, and finds the device and its entities. Then the sample file the
demo offers is sent through the REST API. Home Assistant runs on the HTTP settings the demo
stored, confirmed, and Settings > Repairs holds nothing the demo made, before and after.

Once in English and once in Simplified Chinese, set as onboarding in it would
(`DemoOptions.language`): Home Assistant's language, which names the entities, and the demo
user's, as their profile page sets it (`frontend/set_user_data`, key `language`), which the
frontend applies once logged in (the login page follows the browser's language, here en-US).
Every text looked for is read, by its key, from the frontend's translations (`hass_frontend`)
or the integration's (`translations/<language>.json`). Chinese needs a CJK font, without which
Chromium draws boxes: scripts/test installs Debian's `fonts-wqy-zenhei` with `chromium`.

Screenshots go to `.cache/screenshots/<language>/` (ignored by git), named in the output. With
ONENET_DOCS_SCREENSHOTS=1 the English run also writes the README's images, `docs/images/setup.png`
(the connection mode choice) and `docs/images/device.png` (the device page). No browser is
downloaded: `/usr/bin/chromium` comes from Debian (scripts/test installs it).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image
from playwright.async_api import Page, ViewportSize, async_playwright

from demo.stack import (
    DOMAIN,
    IGNORED_ISSUES,
    SAMPLE_DATASTREAM,
    SAMPLE_TEXT,
    DemoOptions,
    DemoStack,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = ViewportSize(width=1000, height=700)
"""Small enough for the README's images, wide enough for the sidebar beside the page."""
SHOTS = REPO / ".cache" / "screenshots"
DOCS_VARIABLE = "ONENET_DOCS_SCREENSHOTS"
DOCS_IMAGES = REPO / "docs" / "images"
WAIT_MS = 30_000
LANGUAGES = ("en", "zh-Hans")
MISSING_PORT = "/dev/ttyM6311-missing"
"""A port typed wrong: no such file."""
INTEGRATION = REPO / "custom_components" / DOMAIN
CJK = re.compile(r"[\u4e00-\u9fff]")


def _flat(tree: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _flat(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", str(value)


def _fill(text: str, placeholders: dict[str, str]) -> str:
    for name, value in placeholders.items():
        text = text.replace(f"{{{name}}}", value)
    return text


class Texts:
    """What the UI says in one language, by translation key: the frontend's and ours."""

    def __init__(self, language: str) -> None:
        """Read the installed frontend's translations (the main file and every fragment's)."""
        self.language = language
        spec = importlib.util.find_spec("hass_frontend")
        assert spec is not None, "the frontend package (home-assistant-frontend) is not installed"
        assert spec.origin is not None
        translations = Path(spec.origin).parent / "static" / "translations"
        name = re.compile(rf"{re.escape(language)}-[0-9a-f]{{32}}\.json")
        self._ui: dict[str, str] = {}
        for path in sorted(translations.rglob("*.json")):
            if name.fullmatch(path.name):
                self._ui.update(_flat(json.loads(path.read_text(encoding="utf-8"))))
        assert self._ui, f"no frontend translations for {language} in {translations}"
        ours = INTEGRATION / "translations" / f"{language}.json"
        self._ours = dict(_flat(json.loads(ours.read_text(encoding="utf-8"))))

    def ui(self, key: str, **placeholders: str) -> str:
        """A text of Home Assistant's frontend."""
        return _fill(self._ui[key], placeholders)

    def ours(self, key: str, **placeholders: str) -> str:
        """A text of the integration."""
        return _fill(self._ours[key], placeholders)


@pytest.fixture
async def stack(socket_enabled: None, tmp_path: Path, language: str) -> AsyncIterator[DemoStack]:
    options = DemoOptions.on_free_ports(
        tmp_path,
        set_up_integration=False,
        language=None if language == "en" else language,
    )
    async with DemoStack(options) as demo:
        yield demo


async def shot(page: Page, language: str, name: str) -> None:
    path = SHOTS / language / f"{name}.png"
    await page.screenshot(path=path)
    print(f"screenshot: {path}")  # noqa: T201  # named in the test output


async def docs_image(page: Page, name: str) -> None:
    """With ONENET_DOCS_SCREENSHOTS=1, the page as docs/images/<name>.png, in 256 colours."""
    if os.environ.get(DOCS_VARIABLE) != "1":
        return
    path = DOCS_IMAGES / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=path)
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
    print(f"docs image: {path} ({path.stat().st_size} bytes)")  # noqa: T201


def cjk_fonts() -> str:
    """The fonts fontconfig (which Chromium asks) has for Chinese, one a line."""
    fc_list = shutil.which("fc-list")
    assert fc_list is not None, "fc-list (fontconfig, a dependency of chromium) is missing"
    found = subprocess.run(  # noqa: S603  # a fixed command
        [fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=True
    )
    return found.stdout.strip()


async def assert_http_settings(stack: DemoStack) -> None:
    """Home Assistant runs on the demo's HTTP settings, confirmed: nothing on trial."""
    settings = await stack.websocket({"type": "http/config"})
    assert settings["active_config_type"] == "stable"
    assert settings["pending"] is None
    stable = settings["stable"]
    assert (stable["server_host"], stable["server_port"]) == (
        [stack.options.hass_host],
        stack.options.hass_port,
    )


async def assert_no_repairs(stack: DemoStack) -> None:
    """Settings > Repairs is empty; what is ignored is only what the demo ignores up front."""
    await stack.wait_running()  # some issues are raised once Home Assistant has started
    assert await stack.repair_issues() == []
    every = (await stack.websocket({"type": "repairs/list_issues"}))["issues"]
    ignored = {(issue["domain"], issue["issue_id"]) for issue in every if issue["ignored"]}
    assert ignored <= set(IGNORED_ISSUES)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_add_the_integration_in_the_ui(
    stack: DemoStack, tmp_path: Path, language: str
) -> None:
    texts = Texts(language)
    if language.startswith("zh"):
        assert CJK.search(texts.ours("config.step.mode.title")), f"{language} is not Chinese"
        assert cjk_fonts(), "no font for Chinese: Chromium would draw boxes (fonts-wqy-zenhei)"
    await assert_http_settings(stack)
    await assert_no_repairs(stack)
    (SHOTS / language).mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            locale="en-US",
            viewport=VIEWPORT,
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            page.set_default_timeout(WAIT_MS)
            await run_flow(page, stack, texts)
        except BaseException:
            if context.pages:
                await shot(context.pages[0], language, "failure")
            raise
        finally:
            await context.close()
    await send_the_sample_file(stack)
    await assert_no_repairs(stack)


async def run_flow(page: Page, stack: DemoStack, texts: Texts) -> None:
    await log_in(page, stack, texts)
    await add_the_integration(page, stack, texts)
    await find_the_device(page, stack, texts)


async def log_in(page: Page, stack: DemoStack, texts: Texts) -> None:
    """As the demo user: the login page is in the browser's language (en-US), what follows in
    the user's (their profile's)."""
    await page.goto(stack.hass_url)
    await page.get_by_role("textbox", name="Username").fill("demo")
    await page.get_by_role("textbox", name="Password").fill(stack.options.password)
    await shot(page, texts.language, "1-login")
    await page.get_by_role("button", name="Log in").click()
    await page.locator(f'html[lang="{texts.language}"]').wait_for(state="attached")
    welcome = texts.ui("ui.panel.lovelace.strategy.home.welcome_user", user="Demo")
    await page.get_by_text(welcome).wait_for()
    await shot(page, texts.language, "2-overview")


async def add_the_integration(page: Page, stack: DemoStack, texts: Texts) -> None:
    """Settings > Devices & services > Add integration > OneNET M6311, and its steps."""
    language = texts.language
    await page.goto(f"{stack.hass_url}/config/integrations/dashboard")
    add = texts.ui("ui.panel.config.integrations.add_integration")
    await page.get_by_role("button", name=add).click()
    search = texts.ui("ui.panel.config.integrations.search_brand")
    await page.get_by_placeholder(search).fill("OneNET")
    await page.get_by_text("OneNET M6311").first.click()

    # The port, typed in: first one that does not exist, as a typo would, then the emulated
    # module's.
    await page.get_by_text(texts.ours("config.step.user.title")).wait_for()
    submit = page.get_by_role("button", name=texts.ui("ui.common.submit"))
    await type_port(page, texts, MISSING_PORT)
    await submit.click()
    await page.get_by_text(texts.ours("config.error.cannot_connect")).wait_for()
    # The port typed is shown as itself after the error, never as an unknown item.
    await page.get_by_text(MISSING_PORT).first.wait_for()
    assert await page.get_by_text(texts.ui("ui.components.combo-box.unknown_item")).count() == 0
    await shot(page, language, "3-port-error")
    await type_port(page, texts, stack.emulator["link_path"])
    await shot(page, language, "4-port")
    await submit.click()

    # The connection mode, mode 1 and its credentials.
    await page.get_by_text(texts.ours("config.step.mode.title")).wait_for()
    mode_1 = page.get_by_text(texts.ours("config.step.mode.menu_options.device"))
    await mode_1.wait_for()
    await shot(page, language, "5-mode")
    if language == "en":
        await docs_image(page, "setup")
    await mode_1.click()
    device_id = texts.ours("config.step.device.data.device_id")
    await page.get_by_role("textbox", name=device_id).fill(stack.device_id)
    master_key = texts.ours("config.step.device.data.master_key")
    await page.get_by_role("textbox", name=master_key).fill(stack.master_key)
    await shot(page, language, "6-credentials")
    await submit.click()
    created = texts.ours("config.create_entry.device", device_id=stack.device_id)
    await page.get_by_text(created).wait_for()
    await shot(page, language, "7-created")
    finish = texts.ui("ui.panel.config.integrations.config_flow.finish_skip")
    await page.get_by_role("button", name=finish).click()
    entries = await stack.request("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
    assert [entry["state"] for entry in entries] == ["loaded"]
    stack.entry_id = entries[0]["entry_id"]


async def find_the_device(page: Page, stack: DemoStack, texts: Texts) -> None:
    """Settings > Devices: the module's device, its entities, the link coming up."""
    await page.goto(f"{stack.hass_url}/config/devices/dashboard")
    await page.get_by_text("M6311 ").first.click()
    await page.get_by_text(texts.ours("entity.binary_sensor.cloud_link.name")).first.wait_for()
    await shot(page, texts.language, "8-device")
    if texts.language == "en":
        await docs_image(page, "device")
    link = next(
        entity_id
        for entity_id in await stack.entity_ids()
        if entity_id.startswith("binary_sensor.") and entity_id.endswith("_cloud_link")
    )
    for _ in range(60):  # the link comes up in the background, after the set-up
        if (await stack.state(link))["state"] == "on":
            break
        await asyncio.sleep(0.5)
    assert (await stack.state(link))["state"] == "on"


async def type_port(page: Page, texts: Texts, port: str) -> None:
    """Type a port into the serial port picker, as its own item (a pseudo-terminal is not among
    the serial ports found)."""
    await page.get_by_label(texts.ours("config.step.user.data.device")).click()
    # The picker's search box (typed keys outside it are Home Assistant's shortcuts).
    await page.locator("ha-picker-combo-box").get_by_role("textbox").fill(port)
    await page.get_by_text(texts.ui("ui.components.combo-box.add_custom_item")).click()


async def send_the_sample_file(stack: DemoStack) -> None:
    """The action the demo prints, through the REST API: the platform then holds the file."""
    await stack.request(
        "POST",
        f"/api/services/{DOMAIN}/send_file?return_response",
        {**stack.send_file_example(), "wait_for_ack": True},
    )
    assert await stack.binary_datapoint(SAMPLE_DATASTREAM) == SAMPLE_TEXT.encode()
