"""The soak's figures as text: a summary for the terminal and `docs/reliability.md`."""

from __future__ import annotations

import platform
from datetime import UTC, datetime
from importlib import metadata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .run import SoakResult

DOC_HEADER = """\
# Reliability under faults

Written by `scripts/soak` (`soak/`); every figure below comes from the run described here.
Do not edit by hand: run `scripts/soak` again. `scripts/test` runs the same soak in a short
form (`tests/e2e/test_soak.py`: 4,000 changes, the same faults) and fails on any loss,
more than 1 % duplicates, or an error in the log.
"""

GUARANTEES = """\
## What is promised, and what the soak checks

- Every state change Home Assistant accepted for a forwarded entity reaches the platform,
  through cloud drops, module reboots, unplugs and a power cut (`kill -9` of `hass`).
- A record is on disk at most a second after its change: a change made in the last second
  before a power cut may be lost. The soak kills `hass` 1.5 s after its last change.
- After a crash, only the records of the line in flight at that moment can arrive twice (the
  module had sent them, Home Assistant had not yet recorded it); nothing confirmed more than
  a second before is sent again.
"""


def summary(result: SoakResult) -> str:
    """A few lines for the terminal."""
    tally = result.tally
    verdict = "PASSED" if result.passed else "FAILED"
    lines = [
        (
            f"soak {verdict}: {tally.sent} changes, {len(tally.lost)} lost, "
            f"{tally.duplicates} duplicates ({tally.duplicate_share:.2%}), "
            f"{len(result.errors)} error lines in the hass log"
        ),
        f"faults: {_faults(result)}",
    ]
    if tally.lost:
        lines.append(f"lost (first 20): {list(tally.lost[:20])}")
    if tally.unexpected:
        lines.append(f"never sent, yet received: {list(tally.unexpected[:20])}")
    lines.extend(f"log: {line}" for line in result.errors[:20])
    return "\n".join(lines)


def document(result: SoakResult) -> str:
    """docs/reliability.md."""
    plan, tally = result.plan, result.tally
    restarts = ", ".join(f"{seconds:.1f} s" for seconds in result.hass_restart_seconds) or "-"
    rows = [
        ("date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("Home Assistant", metadata.version("homeassistant")),
        ("Python", platform.python_version()),
        ("changes", f"{plan.changes} at {plan.rate:g} per second, one probe entity"),
        ("cloud link dropped", f"every {plan.cloud_drop_every:g} s"),
        ("module reboots", f"{len(plan.reboots)}, at {_fractions(plan.reboots)} of the stream"),
        (
            "module unplugged",
            (
                f"{len(plan.unplugs)} times for {plan.unplugged_for:g} s, at "
                f"{_fractions(plan.unplugs)}"
            ),
        ),
        (
            "`kill -9` of hass",
            f"{len(plan.kills)}, at {_fractions(plan.kills)}; restart took {restarts}",
        ),
        ("cloud latency", f"{plan.latency:g} s per cloud operation (emulated module)"),
        ("duration", f"{result.seconds:.0f} s in all"),
    ]
    figures = [
        ("changes accepted by Home Assistant", str(tally.sent)),
        ("datapoints on the platform", str(tally.received)),
        ("**lost**", f"**{len(tally.lost)}**"),
        ("duplicates", f"{tally.duplicates} ({tally.duplicate_share:.2%})"),
        ("received but never sent", str(len(tally.unexpected))),
        (
            "ERROR lines and tracebacks in the hass log (both runs, before and after the kill)",
            str(len(result.errors)),
        ),
        ("faults carried out", _faults(result)),
    ]
    return "\n".join(
        [
            DOC_HEADER,
            "## Parameters",
            "",
            "| | |",
            "|---|---|",
            *(f"| {name} | {value} |" for name, value in rows),
            "",
            "## Figures",
            "",
            "| | |",
            "|---|---|",
            *(f"| {name} | {value} |" for name, value in figures),
            "",
            (
                f"Verdict: **{'passed' if result.passed else 'failed'}** (0 lost, at most 1 % "
                "duplicates, no error in the log)."
            ),
            "",
            GUARANTEES,
        ]
    )


def _faults(result: SoakResult) -> str:
    """`51 cloud drops, 1 kill`: a fault's name loses its plural `s` for one."""
    return ", ".join(
        f"{count} {name[:-1] if count == 1 else name}" for name, count in result.faults.items()
    )


def _fractions(values: tuple[float, ...]) -> str:
    return ", ".join(f"{value:.0%}" for value in values)
