"""The benchmarks run inside Home Assistant's test harness, like the integration tests.

The harness mounts its own `custom_components` package; importing ours first keeps the
repository's package in sys.modules, so Home Assistant finds this integration.
"""

import pytest

import custom_components.onenet_m6311  # noqa: F401  # must be imported before the harness


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """A configuration folder of the run's own: the outbox writes real files in `.storage/`."""
    return hass_tmp_config_dir
