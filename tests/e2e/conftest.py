"""What every end-to-end test checks after it ran: Home Assistant had nothing to complain about.

Each test starts its `hass` processes under its own `tmp_path` (`DemoStack` writes their output
to `hass.out`); after the test, every WARNING or ERROR entry in them fails it, but Home
Assistant's fixed notices (`demo.hass_log.NOTICES`) and what the test declares it causes:

    @pytest.mark.hass_log_expects(*LINK_WARNINGS)   # the test unplugs the module
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from demo.hass_log import complaints

if TYPE_CHECKING:
    import re
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(autouse=True)
def hass_log_is_clean(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    """Fail the test on any complaint in the log of a `hass` it started."""
    yield
    if request.node.get_closest_marker("e2e") is None:
        return
    expected: list[re.Pattern[str]] = [
        pattern
        for marker in request.node.iter_markers("hass_log_expects")
        for pattern in marker.args
    ]
    logs = sorted(tmp_path.rglob("hass.out"))
    assert logs, f"no hass log under {tmp_path}: the check would pass unread"
    report = [
        f"{log.relative_to(tmp_path)}:\n" + "\n".join(map(str, found))
        for log in logs
        if (found := complaints(log.read_text(encoding="utf-8", errors="replace"), expected))
    ]
    if report:
        pytest.fail("Home Assistant complained in its log:\n" + "\n\n".join(report), pytrace=False)
