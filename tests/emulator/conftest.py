"""Fixtures for the emulator tests: a running platform emulator on 127.0.0.1."""

from typing import TYPE_CHECKING

import pytest

from emulator.platform import PlatformEmulator

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


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
