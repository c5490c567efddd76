"""EDP framing: remaining length and the body reader."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.edp import (
    MAX_REMAINING_LENGTH,
    EdpError,
    decode_remaining_length,
    encode_remaining_length,
)
from emulator.edp.framing import Reader, encode_string, encode_uint16, encode_uint32


@pytest.mark.parametrize(
    ("length", "encoded"),
    [
        (0, "00"),
        (127, "7f"),
        (128, "8001"),
        (16383, "ff7f"),
        (16384, "808001"),
        (16664, "988201"),
        (2097152, "80808001"),
        (MAX_REMAINING_LENGTH, "ffffff7f"),
    ],
)
def test_remaining_length_encodings(length: int, encoded: str) -> None:
    assert encode_remaining_length(length).hex() == encoded
    assert decode_remaining_length(bytes.fromhex(encoded), 0) == (length, len(encoded) // 2)


@pytest.mark.parametrize("length", [-1, MAX_REMAINING_LENGTH + 1])
def test_remaining_length_out_of_range_is_refused(length: int) -> None:
    with pytest.raises(EdpError, match="remaining length"):
        encode_remaining_length(length)


def test_remaining_length_over_four_bytes_is_refused() -> None:
    with pytest.raises(EdpError, match="longer than 4 bytes"):
        decode_remaining_length(bytes.fromhex("ffffffff01"), 0)


@pytest.mark.parametrize("partial", ["", "80", "ff80", "ffff80"])
def test_incomplete_remaining_length_asks_for_more(partial: str) -> None:
    assert decode_remaining_length(bytes.fromhex(partial), 0) is None


def test_remaining_length_decodes_at_an_offset() -> None:
    assert decode_remaining_length(bytes.fromhex("10988201"), 1) == (16664, 4)


@given(st.integers(min_value=0, max_value=MAX_REMAINING_LENGTH))
def test_remaining_length_round_trips(length: int) -> None:
    encoded = encode_remaining_length(length)
    assert decode_remaining_length(encoded, 0) == (length, len(encoded))


def test_integers_that_do_not_fit_are_refused() -> None:
    with pytest.raises(EdpError, match="uint16"):
        encode_uint16(0x10000)
    with pytest.raises(EdpError, match="uint32"):
        encode_uint32(-1)
    with pytest.raises(EdpError, match="uint16"):
        encode_string(b"x" * 0x10000)


def test_reader_reads_fields_and_refuses_short_bodies() -> None:
    reader = Reader(bytes.fromhex("01 0002 00000003 0002 6869 ff"))
    assert reader.uint8() == 1
    assert reader.uint16() == 2
    assert reader.uint32() == 3
    assert reader.string() == "hi"
    assert reader.position == 11
    with pytest.raises(EdpError, match="trailing"):
        reader.expect_end("test")
    with pytest.raises(EdpError, match="need 2 bytes, 1 left"):
        reader.uint16()


def test_reader_refuses_strings_that_are_not_utf8() -> None:
    with pytest.raises(EdpError, match="UTF-8"):
        Reader(bytes.fromhex("0001ff")).string()
