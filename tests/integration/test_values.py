"""What states become on OneNET."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from custom_components.onenet_m6311.forwarding.values import (
    default_datastream,
    record_time,
    record_value,
)
from custom_components.onenet_m6311.m6311.records import Record

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("21.5", 21.5),
        ("3", 3),
        ("-0.25", -0.25),
        ("1e3", 1000.0),
        (7, 7),
        (2.5, 2.5),
        (True, 1),
        (False, 0),
        ("on", 1),
        ("off", 0),
        ("Open", 1),
        ("closed", 0),
        ("home", 1),
        ("not_home", 0),
        ("unavailable", None),
        ("unknown", None),
        ("", None),
        (None, None),
        ("nan", "nan"),  # text: the number pattern takes digits only
        ("inf", "inf"),
        ("1e999", "1e999"),  # too large for a float: sent as the text it is
        (float("inf"), None),
        ('heat, then cool; "eco"', "heat%2C then cool%3B %22eco%22"),
        ("35%", "35%25"),
        ("温度高", "温度高"),
        # Integers are kept as 64-bit in the outbox; longer ones go as the same digits.
        ("9223372036854775807", 9223372036854775807),
        ("9223372036854775808", "9223372036854775808"),
        ("-9223372036854775809", "-9223372036854775809"),
        (2**63, "9223372036854775808"),
        (-(2**63), -(2**63)),
        pytest.param(10**5000, None, id="10**5000"),  # no float, and too long for str()
    ],
)
def test_record_value(state: object, expected: object) -> None:
    value = record_value(state)
    assert value == expected
    assert type(value) is type(expected)
    if value is not None:
        Record("x", value)  # every value sent is one the record format accepts


@pytest.mark.parametrize(
    ("entity_id", "attribute", "expected"),
    [
        ("sensor.kitchen_temp", None, "sensor_kitchen_temp"),
        ("climate.living", "current_temperature", "climate_living__current_temperature"),
        ("sensor.x", "with space/slash", "sensor_x__with_space_slash"),
    ],
)
def test_default_datastream(entity_id: str, attribute: str | None, expected: str) -> None:
    assert default_datastream(entity_id, attribute) == expected


def test_long_datastreams_stay_valid_and_unique() -> None:
    first = default_datastream("sensor." + "a" * 80)
    second = default_datastream("sensor." + "a" * 79 + "b")
    assert len(first) == len(second) == 64
    assert first != second
    Record(first, 1)


async def test_record_time_is_home_assistant_local_time(hass: HomeAssistant) -> None:
    await hass.config.async_set_time_zone("Asia/Shanghai")
    assert record_time(datetime(2026, 11, 23, 8, 30, 5, 999, tzinfo=UTC)) == "2026-11-23 16:30:05"
