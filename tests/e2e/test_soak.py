"""The soak's short form (`scripts/soak --quick`): 4,000 changes through a real `hass` while
the cloud link drops every few seconds, the module reboots three times and is unplugged twice,
and `hass` is killed once (`kill -9`) and started again."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from demo.hass_log import LINK_WARNINGS
from soak.report import summary
from soak.run import QUICK, Soak

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(1200),  # a hang guard: a busy machine drains the queue slower
    pytest.mark.hass_log_expects(*LINK_WARNINGS),  # the soak unplugs the module and cuts the power
]


async def test_the_short_soak_loses_nothing(socket_enabled: None, tmp_path: Path) -> None:
    result = await Soak(QUICK, tmp_path, log=print).run()
    print(summary(result))  # noqa: T201
    faults = dict(result.faults)
    assert faults.pop("cloud drops") >= 5  # every 5 s for a minute and more
    assert faults == {"reboots": 3, "unplugs": 2, "kills": 1}  # every fault was carried out
    assert result.tally.lost == ()
    assert result.tally.unexpected == ()
    assert result.tally.duplicate_share <= 0.01
    assert result.errors == []
