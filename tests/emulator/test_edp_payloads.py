"""SAVEDATA payloads: datapoints of every type and binary parts."""

import pytest

from emulator.edp import Datapoint, EdpError, PayloadType, SaveData, split_string_datapoints
from emulator.edp.framing import encode_string


def test_spec_split_string_example() -> None:
    text = ",;temperature,2015-03-22 22:31:12,22.5;102;pm2.5,89;10"
    assert SaveData.split_string(text).datapoints() == [
        Datapoint("temperature", "2015-03-22 22:31:12", 22.5),
        Datapoint("1", None, 102),
        Datapoint("pm2.5", None, 89),
        Datapoint("3", None, 10),
    ]


def test_split_string_empty_time_text_values_and_other_separators() -> None:
    assert split_string_datapoints("|#te||22.5#hy||35%##pm|-1e3") == [
        Datapoint("te", None, 22.5),
        Datapoint("hy", None, "35%"),
        Datapoint("pm", None, -1000.0),
    ]


def test_split_string_errors() -> None:
    with pytest.raises(EdpError, match="separator"):
        split_string_datapoints(",")
    with pytest.raises(EdpError, match="4 fields"):
        split_string_datapoints(",;a,b,c,d")


def test_type_1_datastreams() -> None:
    document = {
        "datastreams": [
            {"id": "temp", "datapoints": [{"at": "2013-04-22 22:22:22", "value": 36.5}]},
            {"id": "gps", "datapoints": [{"value": {"lon": 1, "lat": 2}}, {"value": True}]},
        ]
    }
    message = SaveData.json(document, PayloadType.JSON_DATASTREAMS)
    assert message.datapoints() == [
        Datapoint("temp", "2013-04-22 22:22:22", 36.5),
        Datapoint("gps", None, '{"lon":1,"lat":2}'),
        Datapoint("gps", None, "true"),
    ]


def test_type_3_and_4() -> None:
    simple = SaveData.json({"temperature": 22.5, "humidity": "95.2%"}, 3)
    assert simple.datapoints() == [
        Datapoint("temperature", None, 22.5),
        Datapoint("humidity", None, "95.2%"),
    ]
    timed = SaveData.json({"temperature": {"2015-03-22 22:31:12": 22.5}}, 4)
    assert timed.datapoints() == [Datapoint("temperature", "2015-03-22 22:31:12", 22.5)]


@pytest.mark.parametrize(
    ("payload_type", "document", "error"),
    [
        (1, {"datastreams": [{"id": "t"}]}, "datastreams shape"),
        (3, [1], "not a JSON object"),
        (4, {"t": 1}, "object of objects"),
    ],
)
def test_json_shapes_are_checked(payload_type: int, document: object, error: str) -> None:
    with pytest.raises(EdpError, match=error):
        SaveData.json(document, payload_type).datapoints()


def test_invalid_json_and_non_json_type() -> None:
    with pytest.raises(EdpError, match="invalid JSON"):
        SaveData(3, encode_string("{")).datapoints()
    with pytest.raises(EdpError, match="not a JSON type"):
        SaveData.json({}, 5)


def test_type_6_time_bytes_and_server_time() -> None:
    timed = SaveData(
        6, bytes([15, 3, 22, 22, 31, 12]) + encode_string(",;a,1;b,2020-01-01 00:00:00,2")
    )
    assert timed.datapoints() == [
        Datapoint("a", "2015-03-22 22:31:12", 1),
        Datapoint("b", "2020-01-01 00:00:00", 2),
    ]
    server = SaveData(6, bytes(6) + encode_string(",;a,1"))
    assert server.datapoints() == [Datapoint("a", None, 1)]
    with pytest.raises(EdpError, match="invalid time bytes"):
        SaveData(6, bytes([15, 13, 1, 0, 0, 0]) + encode_string(",;a,1")).datapoints()


# Type 7 as the C SDK's PackSavedataFloatWithTime lays it out (docs/edp.md), written by hand:
# time bytes, big-endian count, then per point a big-endian stream number and a little-endian
# float32. The points are the SDK sample's (Main.c): {1, 0.5}, {2, 0.8}, {3, -0.5}.
SDK_FLOATS = bytes.fromhex(
    "10 04 05 0E 1E 1C"  # 2016-04-05 14:30:28
    "00 03"  # three points
    "00 01 00 00 00 3F"  # stream 1, 0.5f = 0x3F000000
    "00 02 CD CC 4C 3F"  # stream 2, 0.8f = 0x3F4CCCCD
    "00 03 00 00 00 BF"  # stream 3, -0.5f = 0xBF000000
)
FLOAT32_0_8 = 0xCCCCCD / 2**24  # 0x3F4CCCCD exactly: mantissa 1.0x4CCCCD, exponent -1


def test_type_7_floats() -> None:
    at = "2016-04-05 14:30:28"
    assert SaveData(7, SDK_FLOATS).datapoints() == [
        Datapoint("1", at, 0.5),
        Datapoint("2", at, FLOAT32_0_8),
        Datapoint("3", at, -0.5),
    ]
    server_time = bytes(6) + bytes.fromhex("0001 0102 0000C03F")  # stream 258, 1.5
    assert SaveData(7, server_time).datapoints() == [Datapoint("258", None, 1.5)]


def test_type_7_count_bounds_the_records() -> None:
    # A Java-style further block after the counted records is its own block, not floats.
    payload = SDK_FLOATS + b"\x05" + encode_string(",;a,1")
    assert SaveData(7, payload).datapoints()[-1] == Datapoint("a", None, 1)
    with pytest.raises(EdpError, match="body too short"):
        SaveData(7, SDK_FLOATS[:-1]).datapoints()


# JSON as the C SDK's cJSON_Print writes it (docs/edp.md): a line end after each `{`, tab
# indents, a tab after each `:`, numbers through printf (%d, %f, %e). Written by hand.
CJSON_TYPE_1 = (
    '{\n\t"datastreams":\t[{\n'
    '\t\t\t"id":\t"temperature",\n'
    '\t\t\t"datapoints":\t[{\n'
    '\t\t\t\t\t"at":\t"2015-03-22 22:31:12",\n'
    '\t\t\t\t\t"value":\t22.500000\n'
    "\t\t\t\t}]\n"
    "\t\t}]\n"
    "}"
)
CJSON_TYPE_3 = '{\n\t"temperature":\t22.500000,\n\t"count":\t1234,\n\t"big":\t1.000000e+10\n}'
CJSON_TYPE_4 = '{\n\t"temperature":\t{\n\t\t"2015-03-22 22:31:12":\t-0.500000\n\t}\n}'


def test_json_as_cjson_print_writes_it() -> None:
    assert SaveData(1, encode_string(CJSON_TYPE_1)).datapoints() == [
        Datapoint("temperature", "2015-03-22 22:31:12", 22.5)
    ]
    assert SaveData(3, encode_string(CJSON_TYPE_3)).datapoints() == [
        Datapoint("temperature", None, 22.5),
        Datapoint("count", None, 1234),
        Datapoint("big", None, 1e10),
    ]
    assert SaveData(4, encode_string(CJSON_TYPE_4)).datapoints() == [
        Datapoint("temperature", "2015-03-22 22:31:12", -0.5)
    ]
    descriptor = '{\n\t"ds_id":\t"temperature"\n}'
    binary = SaveData(2, encode_string(descriptor) + bytes.fromhex("00000003") + b"cba")
    assert binary.binary_parts() == ({"ds_id": "temperature"}, b"cba")


def test_repeated_blocks_as_the_java_sdk_sends_them() -> None:
    payload = encode_string(",;a,1") + b"\x03" + encode_string('{"b":2}')
    assert SaveData(5, payload).datapoints() == [Datapoint("a", None, 1), Datapoint("b", None, 2)]


def test_unknown_block_type_and_truncated_block() -> None:
    with pytest.raises(EdpError, match="unknown SAVEDATA payload type 9"):
        SaveData(9, b"").datapoints()
    with pytest.raises(EdpError, match="body too short"):
        SaveData(5, b"\x00\x05ab").datapoints()


def test_binary_parts() -> None:
    message = SaveData.binary({"ds_id": "image", "desc": {"w": 1}}, b"\x89PNG", msg_id=2)
    assert message.payload_type == PayloadType.BINARY
    assert message.binary_parts() == ({"ds_id": "image", "desc": {"w": 1}}, b"\x89PNG")
    with pytest.raises(EdpError, match="carries no datapoints"):
        message.datapoints()


def test_binary_errors() -> None:
    with pytest.raises(EdpError, match="not binary"):
        SaveData.split_string(",;a,1").binary_parts()
    with pytest.raises(EdpError, match="not a JSON object"):
        SaveData(2, encode_string("[]") + bytes(4)).binary_parts()
    with pytest.raises(EdpError, match="trailing"):
        SaveData(2, encode_string("{}") + bytes(4) + b"x").binary_parts()
