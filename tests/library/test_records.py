"""Records: the key rule, value and time formatting, escaping, and the record format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.onenet_m6311.m6311.errors import M6311ValidationError
from custom_components.onenet_m6311.m6311.records import (
    FORBIDDEN_VALUE_CHARACTERS,
    Record,
    check_datastream,
    encode_record,
    encode_records,
    escape_value,
    format_time,
    format_value,
    unescape_value,
)


@pytest.mark.parametrize(
    "key",
    ["t", "te", "temperature_1", "a-b.c", "A" * 64, "0", "_", "x.y-z_9"],
)
def test_valid_keys(key: str) -> None:
    assert check_datastream(key) == key
    assert Record(key, 1).datastream == key


@pytest.mark.parametrize(
    "key",
    ["", "A" * 65, "a b", "a,b", "a;b", 'a"b', "a\nb", "a\rb", "温度", "é", "a/b", "a:b", "a\tb"],
)
def test_invalid_keys_name_the_rule(key: str) -> None:
    with pytest.raises(M6311ValidationError, match=r"1 to 64 ASCII letters, digits"):
        Record(key, 1)


@pytest.mark.parametrize("key", [None, 5, b"key"])
def test_non_text_keys_are_refused(key: object) -> None:
    with pytest.raises(M6311ValidationError, match="is invalid"):
        check_datastream(key)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "1"),
        (False, "0"),
        (0, "0"),
        (89, "89"),
        (-7, "-7"),
        (10**20, "100000000000000000000"),
        (22.5, "22.5"),
        (0.1, "0.1"),
        (-0.0, "-0.0"),
        (22.0, "22.0"),
        (1 / 3, "0.3333333333333333"),
        (1e-7, "0.0000001"),
        (1.5e-5, "0.000015"),
        (1e22, "10000000000000000000000.0"),
        (-1.25e17, "-125000000000000000.0"),
        (1e16, "10000000000000000.0"),
        (123456789.125, "123456789.125"),
        ("35%", "35%"),
        ("on", "on"),
        ("温度 22 °C", "温度 22 °C"),
        (" padded ", " padded "),
    ],
)
def test_value_text(value: str | float, text: str) -> None:
    assert format_value(value) == text


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_text_reads_back_exactly_and_has_no_exponent(value: float) -> None:
    text = format_value(value)
    assert "e" not in text
    assert "E" not in text
    assert float(text) == value
    assert "." in text


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_floats_are_refused(value: float) -> None:
    with pytest.raises(M6311ValidationError, match="no such number"):
        Record("t", value)


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("a,b", "comma"),
        ("a;b", "semicolon"),
        ('say "hi"', "double quote"),
        ("line\rbreak", "CR"),
        ("line\nbreak", "LF"),
        ("nul\x00", "control character U\\+0000"),
        ("esc\x1b[2J", "control character U\\+001B"),
        ("ctrl-z\x1a", "control character U\\+001A"),
        ("back\x08space", "control character U\\+0008"),
        ("del\x7f", "control character U\\+007F"),
    ],
)
def test_text_values_with_separators_are_refused_naming_the_character(
    value: str, name: str
) -> None:
    with pytest.raises(M6311ValidationError, match=rf"cannot hold a {name} .*escape_value"):
        Record("t", value)


def test_an_integer_past_the_digit_limit_is_a_validation_error() -> None:
    with pytest.raises(M6311ValidationError, match="integer of 16610 bits"):
        Record("k", 10**5000)


def test_empty_text_value_is_refused() -> None:
    with pytest.raises(M6311ValidationError, match="empty text"):
        Record("t", "")


@pytest.mark.parametrize("value", [None, b"1", [1], {"a": 1}, 1j])
def test_values_of_other_types_are_refused(value: object) -> None:
    with pytest.raises(M6311ValidationError, match="must be str, int, float or bool"):
        format_value(value)


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain", "plain"),
        ("35%", "35%25"),
        ("a,b", "a%2Cb"),
        ("a;b", "a%3Bb"),
        ('"q"', "%22q%22"),
        ("a\r\nb", "a%0D%0Ab"),
        ("%2C", "%252C"),
        ("", ""),
        ("温度,°C", "温度%2C°C"),
        ("\x00\x1b\x1a\x08\x7f\t", "%00%1B%1A%08%7F%09"),
    ],
)
def test_escape_value(text: str, escaped: str) -> None:
    assert escape_value(text) == escaped
    assert unescape_value(escaped) == text


def test_escaped_text_is_a_valid_value() -> None:
    text = 'a,b;c"d\r\ne%f'
    record = Record("t", escape_value(text))
    assert encode_record(record) == "t,,a%2Cb%3Bc%22d%0D%0Ae%25f"


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("35%", "35%"),  # never escaped: left alone
        ("100%ok", "100%ok"),
        ("%41", "%41"),  # not one of the six codes
        ("%2c%3b%0d%0a%25%22", ',;\r\n%"'),  # lower case decodes too
        ("%", "%"),
        ("%2", "%2"),
    ],
)
def test_unescape_leaves_other_percent_signs(text: str, plain: str) -> None:
    assert unescape_value(text) == plain


@given(st.text())
def test_escape_round_trips_and_removes_every_separator(text: str) -> None:
    escaped = escape_value(text)
    assert unescape_value(escaped) == text
    assert not set(escaped) & set(FORBIDDEN_VALUE_CHARACTERS)
    if escaped:
        Record("t", escaped)  # always a value the record format takes


@pytest.mark.parametrize(
    ("time", "text"),
    [
        (None, ""),
        (datetime(2016, 1, 1), "2016-01-01 00:00:00"),  # noqa: DTZ001
        (datetime(2026, 11, 23, 9, 5, 7, 999999), "2026-11-23 09:05:07"),  # noqa: DTZ001
        # Aware times go in Beijing time (UTC+8), the zone OneNET keeps times in.
        (datetime(2026, 11, 23, 9, 5, 7, tzinfo=UTC), "2026-11-23 17:05:07"),
        (datetime(2026, 11, 23, 20, 5, 7, tzinfo=UTC), "2026-11-24 04:05:07"),
        (
            datetime(2026, 11, 23, 17, 5, 7, tzinfo=timezone(timedelta(hours=8))),
            "2026-11-23 17:05:07",
        ),
        (
            datetime(2026, 11, 23, 4, 5, 7, tzinfo=timezone(timedelta(hours=-5))),
            "2026-11-23 17:05:07",
        ),
        (datetime(999, 2, 3, 4, 5, 6), "0999-02-03 04:05:06"),  # noqa: DTZ001
        ("2016-01-01 00:00:00", "2016-01-01 00:00:00"),
        ("2024-02-29 23:59:59", "2024-02-29 23:59:59"),
    ],
)
def test_time_text(time: datetime | str | None, text: str) -> None:
    assert format_time(time) == text


@pytest.mark.parametrize(
    "time",
    [
        "2016-1-1 00:00:00",
        "2016-01-01T00:00:00",
        "2016-01-01 00:00",
        "2016-01-01 00:00:00.5",
        " 2016-01-01 00:00:00",
        "2016-01-01 00:00:00\n",
        "",
        "\uff12\uff10\uff11\uff16-01-01 00:00:00",  # full-width digits
        "yesterday",
    ],
)
def test_time_text_of_another_shape_is_refused(time: str) -> None:
    with pytest.raises(M6311ValidationError, match="not of the form YYYY-MM-DD HH:MM:SS"):
        Record("t", 1, time)


@pytest.mark.parametrize(
    "time",
    ["2023-02-29 00:00:00", "2016-13-01 00:00:00", "2016-01-01 24:00:00", "2016-01-01 00:60:00"],
)
def test_time_text_that_is_no_real_date_is_refused(time: str) -> None:
    with pytest.raises(M6311ValidationError, match="not a real date and time"):
        Record("t", 1, time)


@pytest.mark.parametrize("time", [1700000000, 1.5, b"2016-01-01 00:00:00"])
def test_time_of_another_type_is_refused(time: object) -> None:
    with pytest.raises(M6311ValidationError, match="must be a datetime, a text or None"):
        format_time(time)


@pytest.mark.parametrize(
    ("record", "text"),
    [
        (Record("te", 22.5), "te,,22.5"),
        (Record("hy", "35%"), "hy,,35%"),
        (Record("on", value=True), "on,,1"),
        (Record("pm", 89, "2016-01-01 00:00:00"), "pm,2016-01-01 00:00:00,89"),
        (Record("x", 1, datetime(2016, 1, 1, 8, 0, 0)), "x,2016-01-01 08:00:00,1"),  # noqa: DTZ001
    ],
)
def test_encode_record(record: Record, text: str) -> None:
    assert encode_record(record) == text


def test_encode_records_joins_with_semicolons_in_order() -> None:
    records = [Record("te", 22.5), Record("hy", "35%"), Record("pm", 89)]
    assert encode_records(records) == "te,,22.5;hy,,35%;pm,,89"
    assert encode_records(iter(records[:1])) == "te,,22.5"


def test_encode_records_needs_a_record() -> None:
    with pytest.raises(M6311ValidationError, match="at least one record"):
        encode_records([])


def test_records_are_frozen_values() -> None:
    record = Record("t", 1)
    with pytest.raises(AttributeError):
        record.datastream = "u"  # type: ignore[misc]
    assert record == Record("t", 1)
    assert record.time is None
