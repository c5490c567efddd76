"""EDP messages: the spec's worked bytes, round trips, and stream decoding."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.edp import (
    CmdReq,
    CmdResp,
    ConnClose,
    ConnReq,
    ConnResp,
    ConnRespCode,
    Decoder,
    EdpError,
    EncryptReq,
    EncryptResp,
    Message,
    MessageType,
    PingReq,
    PingResp,
    SaveAck,
    SaveAckJson,
    SaveData,
    Unknown,
    decode_body,
    encode,
)

SPEC_CONNREQ = bytes.fromhex(
    "10 19 00 03 45 44 50 01 40 01 2C 00 05 34 33 31 30 31 00 07 61 62 63 64 65 66 67"
)
SPEC_SAVEDATA = bytes.fromhex("80 18 40 00 01 05 00 12") + b",;temp,22.5;hum,60"
UUID = "4a0ddb19-3f5f-5c5a-9e8b-2c7a1f3b0c11"

ALL_MESSAGES: list[Message] = [
    ConnReq("43101", "abcdefg"),
    ConnReq("", "SIM-13800000000", project_id="23219", keepalive=128),
    ConnReq("1", "k", protocol="XYZ", version=2),
    ConnResp(ConnRespCode.ACCEPTED),
    ConnResp(ConnRespCode.DUPLICATE_CONNECT, flags=0),
    ConnClose(3),
    SaveData.split_string(",;temp,22.5;hum,60", msg_id=1),
    SaveData.split_string(",;a,1"),
    SaveData.json({"temperature": 22.5}, 3, msg_id=65535),
    SaveData.json({"t": {"2015-03-22 22:31:12": 1}}, 4),
    SaveData.json({"datastreams": [{"id": "t", "datapoints": [{"value": 1}]}]}, 1),
    SaveData.binary({"ds_id": "image"}, b"\x00\x01\xff", msg_id=7),
    SaveData(5, bytes.fromhex("0003") + b",;1", device_id="other-device"),
    SaveAck(1),
    SaveAck(65535, result=1),
    SaveAckJson({"errno": 0, "error": "succ", "index": "1083108_1460300821358_bin1"}),
    CmdReq(UUID, b"on"),
    CmdReq(UUID, b""),
    CmdResp(UUID, b"done"),
    CmdResp(UUID, b""),
    CmdResp(UUID, b"", compact=True),
    PingReq(),
    PingResp(),
    EncryptReq(65537, (1 << 1023) + 12345),
    EncryptResp(bytes(range(128))),
    Unknown(MessageType.PUSHDATA, b"\x00\x01x"),
    Unknown(MessageType.UPDATEREQ, b""),
]


def test_spec_connreq_bytes() -> None:
    assert encode(ConnReq("43101", "abcdefg", keepalive=300)) == SPEC_CONNREQ
    assert Decoder().feed(SPEC_CONNREQ) == [ConnReq("43101", "abcdefg")]


def test_spec_savedata_bytes() -> None:
    message = SaveData.split_string(",;temp,22.5;hum,60", msg_id=1)
    assert encode(message) == SPEC_SAVEDATA
    assert Decoder().feed(SPEC_SAVEDATA) == [message]


def test_project_login_sends_an_empty_device_id() -> None:
    packet = encode(ConnReq("ignored", "auth", project_id="23219"))
    assert packet[8] == 0xC0
    assert packet[11:13] == b"\x00\x00"
    assert Decoder().feed(packet) == [ConnReq("", "auth", project_id="23219")]


@pytest.mark.parametrize(
    ("message", "packet"),
    [
        (ConnResp(0), "20020000"),
        (ConnResp(ConnRespCode.DEVICE_AUTH_FAILED), "20020002"),
        (ConnClose(1), "400101"),
        (SaveAck(0x0102), "9004400102" + "00"),
        (PingReq(), "c000"),
        (PingResp(), "d000"),
        (CmdReq("ab", b"xyz"), "a00b" + "0002" + "6162" + "00000003" + "78797a"),
        (CmdResp("ab", b""), "b008" + "0002" + "6162" + "00000000"),
        (CmdResp("ab", b"", compact=True), "b004" + "0002" + "6162"),
        (EncryptResp(b"\x01\x02"), "f004" + "0002" + "0102"),
    ],
)
def test_exact_packets(message: Message, packet: str) -> None:
    assert encode(message).hex() == packet
    assert Decoder().feed(bytes.fromhex(packet)) == [message]


def test_saveack_json_form() -> None:
    packet = encode(SaveAckJson({"errno": 0}))
    assert packet[:5] == bytes.fromhex("900e80000b")
    assert packet[5:] == b'{"errno":0}'


def test_encryptreq_layout() -> None:
    packet = encode(EncryptReq(65537, (1 << 1023) | 1))
    assert packet[:3] == bytes.fromhex("e0 8501")  # remaining length 133
    assert packet[3:7] == bytes.fromhex("00010001")
    assert packet[7] == 0x80
    assert len(packet) == 3 + 133
    assert packet[-1] == 1


def test_encryptreq_refuses_keys_that_do_not_fit() -> None:
    with pytest.raises(EdpError, match="does not fit"):
        encode(EncryptReq(65537, 1 << 1024))


@pytest.mark.parametrize("message", ALL_MESSAGES, ids=repr)
def test_every_message_round_trips(message: Message) -> None:
    decoder = Decoder()
    assert decoder.feed(encode(message)) == [message]
    assert decoder.buffered == 0


def test_connresp_license_string_is_skipped() -> None:
    assert Decoder().feed(bytes.fromhex("2006" + "0100" + "0002" + "6869")) == [ConnResp(0, 1)]


def test_cmdresp_without_length_decodes_as_compact() -> None:
    assert decode_body(0xB0, bytes.fromhex("00026162")) == CmdResp("ab", b"", compact=True)


def test_compact_cmdresp_with_a_body_keeps_the_length() -> None:
    assert encode(CmdResp("ab", b"x", compact=True)) == encode(CmdResp("ab", b"x"))


def _stream() -> tuple[bytes, list[Message]]:
    messages: list[Message] = [
        ConnReq("43101", "abcdefg"),
        SaveData.split_string(",;temp,22.5;hum,60", msg_id=1),
        PingReq(),
        SaveData.binary({"ds_id": "img"}, bytes(300)),
        CmdResp(UUID, b"ok"),
        Unknown(MessageType.PUSHDATA, b"\x00\x00"),
        ConnClose(0),
    ]
    return b"".join(encode(message) for message in messages), messages


def test_stream_split_at_every_position_decodes_the_same() -> None:
    stream, expected = _stream()
    for cut in range(len(stream) + 1):
        decoder = Decoder()
        decoded = decoder.feed(stream[:cut]) + decoder.feed(stream[cut:])
        assert decoded == expected, cut
        assert decoder.buffered == 0


def test_stream_fed_byte_by_byte_decodes_the_same() -> None:
    stream, expected = _stream()
    decoder = Decoder()
    decoded: list[Message] = []
    for index in range(len(stream)):
        decoded += decoder.feed(stream[index : index + 1])
    assert decoded == expected


@pytest.mark.parametrize(
    ("packet", "error"),
    [
        ("11 00", "low nibble"),
        ("00 00", "unknown packet type"),
        ("70 00", "unknown packet type"),
        ("c0 01 00", "PINGREQ: 1 unexpected trailing"),
        ("20 01 00", "body too short"),
        ("90 04 20 00 01 00", "neither 0x40 nor 0x80"),
        ("90 06 80 00 03 7b 7b 7b", "SAVEACK JSON is invalid"),
        ("90 05 80 00 02 5b 5d", "not an object"),
        ("f0 ff ff ff ff 01", "longer than 4 bytes"),
    ],
)
def test_malformed_packets_raise_edp_error(packet: str, error: str) -> None:
    with pytest.raises(EdpError, match=error):
        Decoder().feed(bytes.fromhex(packet))


def test_decoder_refuses_packets_over_its_limit() -> None:
    with pytest.raises(EdpError, match="exceeds the limit 10"):
        Decoder(max_remaining_length=10).feed(bytes.fromhex("800b"))


def test_savedata_with_device_id_and_msg_id_flags() -> None:
    packet = encode(SaveData(5, bytes.fromhex("0000"), msg_id=2, device_id="d"))
    assert packet.hex() == "8009" + "c0" + "000164" + "0002" + "05" + "0000"


def test_savedata_msg_id_zero_is_refused_but_decoded() -> None:
    with pytest.raises(EdpError, match=r"1\.\.65535"):
        encode(SaveData.split_string(",;a,1", msg_id=0))
    packet = bytes.fromhex("8006" + "40" + "0000" + "05" + "0000")
    assert Decoder().feed(packet) == [SaveData(5, b"\x00\x00", msg_id=0)]


_text = st.text(st.characters(codec="utf-8"), max_size=40)
_u16 = st.integers(min_value=1, max_value=0xFFFF)
_messages = st.one_of(
    st.builds(ConnReq, _text, _text, st.none() | _text, st.integers(0, 0xFFFF)),
    st.builds(ConnResp, st.integers(0, 9)),
    st.builds(SaveData, st.integers(1, 7), st.binary(max_size=300), st.none() | _u16),
    st.builds(SaveAck, _u16, st.integers(0, 255)),
    st.builds(CmdReq, _text, st.binary(max_size=300)),
    st.builds(CmdResp, _text, st.binary(min_size=1, max_size=300)),
    st.just(PingReq()),
)


@given(st.lists(_messages, max_size=6), st.data())
def test_any_message_sequence_round_trips_through_any_split(
    messages: list[Message], data: st.DataObject
) -> None:
    stream = b"".join(encode(message) for message in messages)
    cut = data.draw(st.integers(0, len(stream)))
    decoder = Decoder()
    decoded = decoder.feed(stream[:cut]) + decoder.feed(stream[cut:])
    expected = [
        ConnReq("", m.auth, m.project_id, m.keepalive)
        if isinstance(m, ConnReq) and m.project_id is not None
        else m
        for m in messages
    ]
    assert decoded == expected
