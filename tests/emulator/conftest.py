"""Fixtures for the emulator tests: emulators running on real ptys and on TCP at 127.0.0.1.

`platform_emulator` is the platform alone, for the tests of its HTTP API and EDP server.
`platform`, `module` and `port` are the module's cloud: the platform emulator, a module
emulator wired to it over real HTTP and EDP, and a serial client on the module's pty with echo
off. A test asks for the ones it uses; teardown runs in reverse (port, module, platform), as
nested `async with` blocks would. A test that needs other emulator settings overrides
`platform_options` or `module_options` (keyword arguments of `PlatformEmulator` and of
`ModuleEmulator`) by parametrizing them:

    @pytest.mark.parametrize("module_options", [{"cloud_latency": 0.2}])
    async def test_something(port: SerialClient) -> None: ...
"""

from typing import TYPE_CHECKING, Any

import pytest

from emulator.platform import PlatformEmulator

from .module_support import attached, running

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from emulator.module import ModuleEmulator

    from .module_support import SerialClient


@pytest.fixture
async def platform_emulator(socket_enabled: None) -> AsyncIterator[PlatformEmulator]:
    """A started emulator with an in-memory database; stopped after the test.

    The harness blocks socket creation (pytest-socket); `socket_enabled` lifts that for
    these tests, and the emulator only ever listens and connects on 127.0.0.1.
    """
    emulator = PlatformEmulator(master_key="master-key-for-tests", project_id="23219")
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
def platform_options() -> dict[str, Any]:
    """Keyword arguments for the `platform` fixture's emulator: none, the defaults."""
    return {}


@pytest.fixture
def module_options() -> dict[str, Any]:
    """Keyword arguments for the `module` fixture's emulator: none, the defaults."""
    return {}


@pytest.fixture
async def platform(
    socket_enabled: None, platform_options: dict[str, Any]
) -> AsyncIterator[PlatformEmulator]:
    """The platform emulator the `module` fixture talks to, with the default master key."""
    emulator = PlatformEmulator(**platform_options)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def module(
    platform: PlatformEmulator, module_options: dict[str, Any]
) -> AsyncIterator[ModuleEmulator]:
    """A module emulator wired to `platform`, its boot line already out."""
    async with running(
        platform_http_url=platform.http_url, edp_port=platform.edp_port, **module_options
    ) as emulator:
        yield emulator


@pytest.fixture
async def port(module: ModuleEmulator) -> AsyncIterator[SerialClient]:
    """The MCU's side of `module`'s serial line, echo turned off."""
    async with attached(module) as client:
        yield client
