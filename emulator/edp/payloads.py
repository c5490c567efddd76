"""SAVEDATA payloads: building them, and reading datapoints and binary parts back out.

A SAVEDATA payload is what follows the type byte. The C SDK sends one typed block per packet;
the Java SDK parses repeated `type | block` runs, so the readers here accept both: the first
block's type is the message's `payload_type`, and any bytes left after it are further blocks,
each led by its own type byte.
"""

import json
import re
import struct
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from .errors import EdpError
from .framing import Reader, encode_string, encode_uint32

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping


class PayloadType(IntEnum):
    """SAVEDATA payload types."""

    JSON_DATASTREAMS = 1
    BINARY = 2
    JSON_SIMPLE = 3
    JSON_TIMESTAMPED = 4
    SPLIT_STRING = 5
    SPLIT_STRING_TIMED = 6
    FLOATS = 7


JSON_TYPES = frozenset(
    {PayloadType.JSON_DATASTREAMS, PayloadType.JSON_SIMPLE, PayloadType.JSON_TIMESTAMPED}
)

type Value = str | float | int
"""A datapoint value: JSON numbers stay numbers; other JSON values are kept as JSON text."""

_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?(?:[eE][+-]?\d+)?")
_TIME_BYTES = 6
# A type 7 record as the C SDK writes it (edp_c EdpKit.c, PackSavedataFloatWithTime): the
# stream number through WriteUint16, big-endian like every EDP integer, then the float through
# WriteFloat, a memcpy of the C float, so little-endian IEEE 754 on the little-endian hosts the
# SDK assumes (it tells big-endian hosts to reverse the four bytes). One struct cannot mix byte
# orders, so the float's bytes are taken raw and read on their own.
_FLOAT_RECORD = struct.Struct(">H4s")
_FLOAT_VALUE = struct.Struct("<f")


@dataclass(frozen=True, slots=True)
class Datapoint:
    """One value of one datastream; `at` is None when the device left the time to the server."""

    datastream: str
    at: str | None
    value: Value


def json_payload(obj: object) -> bytes:
    """Encode a JSON document as an EDP string, compact and UTF-8 as the SDKs write it."""
    return encode_string(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))


def binary_payload(descriptor: Mapping[str, Any], data: bytes) -> bytes:
    """Encode a type 2 payload: string JSON descriptor, uint32 length, the bytes."""
    return json_payload(dict(descriptor)) + encode_uint32(len(data)) + data


def read_blocks(payload_type: int, payload: bytes) -> Iterator[tuple[int, bytes]]:
    """Split a payload into (type, block) pairs; a block keeps its own length prefixes."""
    reader = Reader(payload)
    block_type = payload_type
    while True:
        start = reader.position
        _skip_block(reader, block_type)
        yield block_type, payload[start : reader.position]
        if not reader.remaining:
            return
        block_type = reader.uint8()


def _skip_block(reader: Reader, block_type: int) -> None:
    """Read past one block of the given type, checking that its lengths fit."""
    match block_type:
        case 1 | 3 | 4 | 5:
            reader.raw_string()
        case 2:
            reader.raw_string()
            reader.take(reader.uint32())
        case 6:
            reader.take(_TIME_BYTES)
            reader.raw_string()
        case 7:
            reader.take(_TIME_BYTES)
            reader.take(reader.uint16() * _FLOAT_RECORD.size)
        case _:
            msg = f"unknown SAVEDATA payload type {block_type}"
            raise EdpError(msg)


def datapoints(payload_type: int, payload: bytes) -> list[Datapoint]:
    """All datapoints in a payload of types 1, 3-7 (type 2 is binary: use binary_parts)."""
    points: list[Datapoint] = []
    for block_type, block in read_blocks(payload_type, payload):
        points.extend(_block_datapoints(block_type, block))
    return points


def _block_datapoints(block_type: int, block: bytes) -> list[Datapoint]:
    """Datapoints of one block."""
    reader = Reader(block)
    match block_type:
        case 1:
            return _datastreams_json(_json(reader.string()))
        case 3:
            return _simple_json(_json(reader.string()))
        case 4:
            return _timestamped_json(_json(reader.string()))
        case 5:
            return split_string_datapoints(reader.string())
        case 6:
            at = _time_bytes(reader.take(_TIME_BYTES))
            return split_string_datapoints(reader.string(), default_at=at)
        case 7:
            at = _time_bytes(reader.take(_TIME_BYTES))
            count = reader.uint16()
            return _float_records(reader.take(count * _FLOAT_RECORD.size), at)
    msg = f"payload type {block_type} carries no datapoints"
    raise EdpError(msg)


def binary_parts(payload_type: int, payload: bytes) -> tuple[dict[str, Any], bytes]:
    """The descriptor and the bytes of a type 2 payload."""
    if payload_type != PayloadType.BINARY:
        msg = f"payload type {payload_type} is not binary (2)"
        raise EdpError(msg)
    reader = Reader(payload)
    descriptor = _json(reader.string())
    if not isinstance(descriptor, dict):
        msg = f"binary descriptor is not a JSON object: {descriptor!r}"
        raise EdpError(msg)
    data = reader.take(reader.uint32())
    reader.expect_end("binary SAVEDATA")
    return descriptor, data


def split_string_datapoints(text: str, default_at: str | None = None) -> list[Datapoint]:
    """Parse a type 5 split string: two separator characters, then records.

    Records are `ds,datetime,value`, `ds,value` or a bare `value`, whose 0-based position
    among the records is then its datastream id. An empty datetime means "server time".
    """
    if len(text) < 2:  # noqa: PLR2004  # two separator characters
        msg = f"split string lacks its two separator characters: {text!r}"
        raise EdpError(msg)
    field_sep, record_sep = text[0], text[1]
    points: list[Datapoint] = []
    for position, record in enumerate(text[2:].split(record_sep)):
        if record:
            points.append(_split_record(record.split(field_sep), position, default_at))
    return points


def _split_record(fields: list[str], position: int, default_at: str | None) -> Datapoint:
    """One split-string record as a datapoint."""
    match fields:
        case [value]:
            return Datapoint(str(position), default_at, _text_value(value))
        case [datastream, value]:
            return Datapoint(datastream, default_at, _text_value(value))
        case [datastream, at, value]:
            return Datapoint(datastream, at or default_at, _text_value(value))
    msg = f"split string record with {len(fields)} fields: {fields!r}"
    raise EdpError(msg)


def _text_value(text: str) -> Value:
    """A number when the text is a plain decimal number, else the text itself."""
    match = _NUMBER.fullmatch(text)
    if match is None:
        return text
    if match.group(1) is None and "e" not in text.lower():
        return int(text)
    return float(text)


def _json(text: str) -> Any:  # noqa: ANN401  # JSON is dynamically typed by nature
    """Parse JSON, turning its error into EdpError."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        msg = f"invalid JSON payload: {err}"
        raise EdpError(msg) from err


def _json_value(value: object) -> Value:
    """Keep JSON numbers and strings; carry anything else (objects, booleans) as JSON text."""
    if isinstance(value, (str, float, int)) and not isinstance(value, bool):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _datastreams_json(document: object) -> list[Datapoint]:
    """Type 1: `{"datastreams":[{"id":..,"datapoints":[{"at":..,"value":..}]}]}`."""
    try:
        return [
            Datapoint(str(stream["id"]), point.get("at"), _json_value(point["value"]))
            for stream in document["datastreams"]  # type: ignore[index]
            for point in stream["datapoints"]
        ]
    except (KeyError, TypeError, AttributeError) as err:
        msg = f"type 1 payload does not have the datastreams shape: {err!r}"
        raise EdpError(msg) from err


def _simple_json(document: object) -> list[Datapoint]:
    """Type 3: `{"temperature":22.5,"humidity":"95.2%"}`."""
    if not isinstance(document, dict):
        msg = "type 3 payload is not a JSON object"
        raise EdpError(msg)
    return [Datapoint(str(key), None, _json_value(value)) for key, value in document.items()]


def _timestamped_json(document: object) -> list[Datapoint]:
    """Type 4: `{"temperature":{"2015-03-22 22:31:12":22.5}}`."""
    if not isinstance(document, dict) or not all(isinstance(v, dict) for v in document.values()):
        msg = "type 4 payload is not an object of objects"
        raise EdpError(msg)
    return [
        Datapoint(str(key), str(at), _json_value(value))
        for key, points in document.items()
        for at, value in points.items()
    ]


def _time_bytes(raw: bytes) -> str | None:
    """Six time bytes (YY-2000, MM, DD, hh, mm, ss); all zero means server time."""
    if not any(raw):
        return None
    year, month, day, hour, minute, second = raw
    try:
        moment = datetime(2000 + year, month, day, hour, minute, second)  # noqa: DTZ001  # Beijing wall time, no zone on the wire
    except ValueError as err:
        msg = f"invalid time bytes {raw.hex()}"
        raise EdpError(msg) from err
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _float_records(raw: bytes, at: str | None) -> list[Datapoint]:
    """Type 7 records: a big-endian uint16 stream number, then a little-endian float32."""
    return [
        Datapoint(str(stream), at, _FLOAT_VALUE.unpack(value)[0])
        for stream, value in _FLOAT_RECORD.iter_unpack(raw)
    ]
