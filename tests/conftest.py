"""Shared fixtures.

The test harness mounts its own `custom_components` package; importing ours first keeps the
repository's package in sys.modules, so Home Assistant finds this integration.
"""

import os

import pytest
from homeassistant import const

import custom_components.onenet_m6311  # noqa: F401  # must be imported before the harness


def pytest_report_header() -> str:
    """Name the Home Assistant release under test: scripts/test runs three."""
    return f"homeassistant: {const.__version__}"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Refuse to run on another release than the one scripts/test meant (ONENET_EXPECT_HA)."""
    expected = os.environ.get("ONENET_EXPECT_HA")
    if expected and expected != const.__version__:
        message = f"expected Home Assistant {expected}, this venv has {const.__version__}"
        pytest.exit(message, returncode=4)
