"""Home Assistant's complaints in a `hass` log, for the end-to-end tests.

A real `hass` says what troubles it in its log: a deprecated call, a missing translation or icon,
a blocking call in the event loop, an unclosed session, an exception in a task. The end-to-end
tests read the log of every `hass` they start (`DemoStack.hass_output_path`) and fail on any
WARNING or ERROR entry but the few this module knows to be Home Assistant's own fixed notices,
and those a test expects (a link warning while it unplugs the module, say).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

ENTRY_START = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+(?:[+-]\d\d:\d\d)? "
    r"(?P<level>[A-Z]+) \((?P<thread>[^)]*)\) \[(?P<logger>[^\]]+)\] "
)
"""The first line of an entry in Home Assistant's log format; other lines continue one."""

COMPLAINT_LEVELS = frozenset({"WARNING", "ERROR", "CRITICAL"})

NOTICES = (
    # Printed at every start for every custom integration, whatever it does.
    re.compile(
        r"\[homeassistant\.loader\] We found a custom integration onenet_m6311 which has not been "
        r"tested by Home Assistant"
    ),
    # The stack starts hass with --skip-pip: the venv already holds every requirement.
    re.compile(r"\[homeassistant\.bootstrap\] Skipping pip installation of required modules"),
)
"""Home Assistant's fixed notices, which say nothing about the integration."""

LINK_WARNINGS = (
    re.compile(r"\[custom_components\.onenet_m6311\] OneNET link through \S+ is down; reconnect"),
    re.compile(r"\[custom_components\.onenet_m6311\] OneNET link through \S+ is not up \("),
)
"""What the integration says when the module goes away: expected where a test takes it away."""
RESTART_WARNING = re.compile(
    r"\[custom_components\.onenet_m6311\] The module on \S+ keeps failing to reach OneNET"
)
"""What it says when it restarts a module that keeps failing: expected where a test wedges it."""


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One entry of the log: its first line and the lines that continue it (a traceback)."""

    level: str
    logger: str
    text: str

    def __str__(self) -> str:
        """The entry as the log has it."""
        return self.text


def entries(log: str) -> list[LogEntry]:
    """The log's entries in order; text before the first entry is its own entry (level "")."""
    found: list[LogEntry] = []
    level = logger = ""
    lines: list[str] = []
    for line in log.splitlines():
        start = ENTRY_START.match(line)
        if start is None and lines:
            lines.append(line)
            continue
        if lines:
            found.append(LogEntry(level, logger, "\n".join(lines)))
        level, logger = (start["level"], start["logger"]) if start else ("", "")
        lines = [line]
    if lines:
        found.append(LogEntry(level, logger, "\n".join(lines)))
    return found


def complaints(log: str, expected: Iterable[re.Pattern[str]] = ()) -> list[LogEntry]:
    """The log's WARNING and ERROR entries, but Home Assistant's notices and what is expected.

    Lines outside the log format (text a library printed to stderr, a crash's traceback) count
    as complaints too, except blank ones.
    """
    allowed = (*NOTICES, *expected)
    return [
        entry
        for entry in entries(log)
        if (entry.level in COMPLAINT_LEVELS or (not entry.level and entry.text.strip()))
        and not any(pattern.search(entry.text) for pattern in allowed)
    ]
