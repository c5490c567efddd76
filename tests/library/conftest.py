"""Fixtures of the library's tests: a scripted fake module on a real pty, and a client on it."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pytest

from custom_components.onenet_m6311.m6311.client import M6311Client

from .fake_module import FakeModule

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from custom_components.onenet_m6311.m6311 import commands


@pytest.fixture
async def fake() -> AsyncIterator[FakeModule]:
    """A fake module, not yet opened (`fake.open()` makes its pty)."""
    module = FakeModule()
    yield module
    module.close()


@pytest.fixture
async def client(fake: FakeModule) -> AsyncIterator[M6311Client]:
    """A client connected to the fake module's pty."""
    path = fake.open()
    async with M6311Client(path) as connected:
        yield connected


def quick(command: commands.Command, timeout: float = 0.3) -> commands.Command:
    """The same command with a short timeout, for tests of silence."""
    return dataclasses.replace(command, timeout=timeout)
