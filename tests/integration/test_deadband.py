"""Deadbands: what the datastreams form takes, and which moves they hold back."""

from __future__ import annotations

import pytest

from custom_components.onenet_m6311.forwarding.significance import Deadband, SilenceWatch


@pytest.mark.parametrize(
    ("text", "deadband"),
    [
        ("", None),
        ("  ", None),
        ("0.5", Deadband(absolute=0.5)),
        ("2%", Deadband(percent=2.0)),
        ("2 %", Deadband(percent=2.0)),
        ("0.5 2%", Deadband(absolute=0.5, percent=2.0)),
        ("2%, 0.5", Deadband(absolute=0.5, percent=2.0)),
    ],
)
def test_a_deadband_is_read(text: str, deadband: Deadband | None) -> None:
    assert Deadband.parse(text) == deadband
    if deadband is not None:
        assert Deadband.parse(str(deadband)) == deadband  # what is stored reads back


@pytest.mark.parametrize("text", ["abc", "-1", "0", "0%", "1 2", "1% 2%", "1e3", "2 %x"])
def test_an_unreadable_deadband_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="deadband"):
        Deadband.parse(text)


@pytest.mark.parametrize(
    ("deadband", "old", "new", "held"),
    [
        (Deadband(absolute=1), 10, 10.9, True),
        (Deadband(absolute=1), 10, 11, False),
        (Deadband(absolute=1), 10, 9, False),
        (Deadband(percent=10), 100, 109, True),
        (Deadband(percent=10), -100, -111, False),  # of the last value's size
        (Deadband(percent=10), 0, 0.001, False),  # from zero every move is infinite
        (Deadband(absolute=1, percent=10), 100, 105, True),  # passes 1, not 10 %
        (Deadband(absolute=1, percent=10), 5, 5.8, True),  # passes 10 %, not 1
        (Deadband(absolute=1, percent=10), 5, 6.5, False),
    ],
)
def test_a_move_passes_only_every_band_set(
    deadband: Deadband, old: float, new: float, *, held: bool
) -> None:
    assert deadband.holds(old, new) is held


def test_the_silence_counts_from_the_first_look_and_the_last_value_sent() -> None:
    watch = SilenceWatch(limit=10)
    assert watch.silent(["a", "b"], now=100) == []  # first seen: from now on
    watch.sent("a", now=105)
    assert watch.silent(["a", "b"], now=110) == ["b"]
    assert watch.silent(["a", "b"], now=115) == ["a", "b"]
