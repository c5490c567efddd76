"""The config flow as a person meets it: Debian's Chromium, driven by Playwright, in the real UI.

A real `hass` (onboarded by `demo.stack`, the integration not set up) and both emulators; the
browser logs in as the demo user, adds the integration through Settings > Devices & services,
enters the emulated module's port, chooses mode 1, enters the credentials, and finds the device
and its entities. Screenshots go to `artifacts/browser/` (ignored by git), named in the output.
No browser is downloaded: `/usr/bin/chromium` comes from Debian (scripts/test installs it).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.async_api import Page, async_playwright

from demo.stack import DemoOptions, DemoStack

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

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
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser"
WAIT_MS = 30_000


@pytest.fixture
async def stack(socket_enabled: None, tmp_path: Path) -> AsyncIterator[DemoStack]:
    options = DemoOptions.on_free_ports(
        tmp_path,
        set_up_integration=False,
    )
    async with DemoStack(options) as demo:
        yield demo


async def shot(page: Page, name: str) -> None:
    path = SHOTS / f"{name}.png"
    await page.screenshot(path=path)
    print(f"screenshot: {path}")  # noqa: T201  # named in the test output


async def test_add_the_integration_in_the_ui(stack: DemoStack, tmp_path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            page.set_default_timeout(WAIT_MS)
            await run_flow(page, stack)
        except BaseException:
            if context.pages:
                await shot(context.pages[0], "failure")
            raise
        finally:
            await context.close()


async def run_flow(page: Page, stack: DemoStack) -> None:
    # Log in as the demo user.
    await page.goto(stack.hass_url)
    await page.get_by_role("textbox", name="Username").fill("demo")
    await page.get_by_role("textbox", name="Password").fill(stack.options.password)
    await shot(page, "1-login")
    await page.get_by_role("button", name="Log in").click()
    await page.get_by_text("Welcome Demo").wait_for()  # the HTTP settings: confirmed by the stack
    await shot(page, "2-overview")

    # Settings > Devices & services > Add integration > OneNET M6311.
    await page.goto(f"{stack.hass_url}/config/integrations/dashboard")
    await page.get_by_role("button", name="Add integration").click()
    await page.get_by_placeholder("Search for a brand name").fill("OneNET")
    await page.get_by_text("OneNET M6311").first.click()

    # The port (typed in: a pseudo-terminal is not in the list of serial ports).
    await page.get_by_text("Connect the M6311 module").wait_for()
    await page.get_by_label("Serial port").click()
    await page.get_by_text("Enter manually").click()
    await page.get_by_role("textbox", name="Serial port").fill(stack.emulator["link_path"])
    await shot(page, "3-port")
    await page.get_by_role("button", name="Submit").click()

    # Mode 1 and its credentials.
    await page.get_by_text("Mode 1: a device created on the OneNET platform").click()
    await page.get_by_role("textbox", name="Device ID").fill(stack.device_id)
    await page.get_by_role("textbox", name="Master APIKEY").fill(stack.master_key)
    await shot(page, "4-credentials")
    await page.get_by_role("button", name="Submit").click()
    await page.get_by_text(f"logs in to OneNET as device {stack.device_id}").wait_for()
    await shot(page, "5-created")
    await page.get_by_role("button", name="Skip and finish").click()

    # The device and its entities.
    entries = await stack.request("GET", "/api/config/config_entries/entry?domain=onenet_m6311")
    assert [entry["state"] for entry in entries] == ["loaded"]
    await page.goto(f"{stack.hass_url}/config/devices/dashboard")
    await page.get_by_text("M6311 ").first.click()
    await page.get_by_text("Cloud link").first.wait_for()
    await shot(page, "6-device")
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
