"""Counting what the platform received against what Home Assistant accepted.

Every change sets a probe entity to the next integer, so a value names its change: a value
sent and never received is lost, a value received twice is a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from custom_components.onenet_m6311.m6311 import Record, commands

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

SAMPLE_TIME = "2026-11-27 12:00:00"


@dataclass(frozen=True, slots=True)
class Tally:
    """Lost and doubled changes."""

    sent: int
    """Changes Home Assistant accepted."""
    received: int
    """Datapoints the platform holds (duplicates included)."""
    lost: tuple[int, ...]
    duplicated: tuple[int, ...]
    """Values received more than once, each named once."""
    duplicates: int
    """Datapoints beyond the first of their value."""
    unexpected: tuple[int, ...]
    """Values received that were never sent (must not happen)."""

    @property
    def duplicate_share(self) -> float:
        """Duplicates per change sent."""
        return self.duplicates / self.sent if self.sent else 0.0


def tally(sent: Sequence[int], received: Iterable[float]) -> Tally:
    """Compare the values sent with the values the platform received."""
    values = [int(value) for value in received]
    counts: dict[int, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    wanted = set(sent)
    return Tally(
        sent=len(sent),
        received=len(values),
        lost=tuple(value for value in sent if value not in counts),
        duplicated=tuple(sorted(value for value, count in counts.items() if count > 1)),
        duplicates=sum(count - 1 for count in counts.values()),
        unexpected=tuple(sorted(set(counts) - wanted)),
    )


def records_per_line(datastream: str, *, timestamps: bool = True) -> int:
    """The most records of `datastream` one AT+CIOTDAT line can hold (shortest value: `0`)."""
    sample = [Record(datastream, 0, SAMPLE_TIME if timestamps else None)] * 1000
    return len(commands.split_records(sample, msg_id=commands.MSG_ID_MAX)[0])


def is_one_run(values: Sequence[int], order: Sequence[int]) -> bool:
    """Whether `values` are consecutive in `order` (as the records of one line are)."""
    if not values:
        return True
    where = {value: index for index, value in enumerate(order)}
    positions = sorted(where[value] for value in values)
    return positions[-1] - positions[0] == len(positions) - 1
