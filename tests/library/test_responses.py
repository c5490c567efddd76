"""Reading the module: final results, events, information lines, the decoder and the readers."""

from __future__ import annotations

import pytest

from custom_components.onenet_m6311.m6311 import errors
from custom_components.onenet_m6311.m6311.errors import (
    M6311CommandError,
    M6311Error,
    M6311ProtocolError,
    error_for_code,
)
from custom_components.onenet_m6311.m6311.models import (
    BinarySendOver,
    CloudCommand,
    Connected,
    ConnectFailed,
    LinkStatus,
    ModuleBoot,
    NetworkReport,
    SaveAck,
    SignalQuality,
)
from custom_components.onenet_m6311.m6311.responses import (
    MAX_COMMAND_PAYLOAD,
    MAX_LINE_BYTES,
    TRANSPORT_PATIENCE,
    DecodedItem,
    Final,
    Info,
    LineDecoder,
    ModuleLineEvent,
    Response,
    parse_event,
    parse_final,
    parse_line,
    read_firmware,
    read_imei,
    read_signal,
    read_status,
    read_value,
)

# --- final results ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "ok", "value", "code"),
    [
        ("+OK", True, None, None),
        ("+ok", True, None, None),
        ("+Ok", True, None, None),
        ("+OK=1088826", True, "1088826", None),
        ("+OK=syp2wjH2rowlyX1H7bqwynVVnK8=", True, "syp2wjH2rowlyX1H7bqwynVVnK8=", None),
        ("+OK=", True, "", None),
        ("+OK=device_up", True, "device_up", None),
        ("+OK=Device_down", True, "Device_down", None),
        ("+OK PING succ!", True, "PING succ!", None),
        ("+OK=a,b", True, "a,b", None),
        ("OK", True, None, None),
        (" OK ", True, None, None),
        ("+ERR", False, None, None),
        ("+err", False, None, None),
        ("+ERR=-108", False, "-108", -108),
        ("+ERR=-100", False, "-100", -100),
        ("+ERR= -112", False, "-112", -112),
        ("+ERR:-103", False, "-103", -103),
        ("+ERR=abc", False, "abc", None),
        ("+ERR=", False, "", None),
        ("ERROR", False, None, None),
        ("+CME ERROR: 10", False, "10", 10),
        ("+CMS ERROR: 500", False, "500", 500),
        ("+CME ERROR: SIM not inserted", False, "SIM not inserted", None),
    ],
)
def test_final_results(line: str, ok: bool, value: str | None, code: int | None) -> None:
    final = parse_final(line)
    assert final == Final(ok=ok, value=value, code=code, raw=line)
    assert parse_line(line) == final


@pytest.mark.parametrize(
    "line",
    [
        "ok",  # free text, not the standard result code
        "Ok",
        "error",
        "+OKAY",
        "+OK!",
        "+ERROR",
        "OK then",
        "+CIOTPING: OK",
        "CIOTSTATUS:device_up",
        "+CIOTSTATUS: 1",
        "+CSQ: 20,99",
        "867567041234567",
        "+CGMR: M6311_V1.2",
        "M6311R01A01V02",
        "AT+CIOTSTATUS",
        'AT+CIOTDAT=0,1,"t,,1"',
        "CONNECT FAILURE",
        "+CREG 1",
        "Call Ready now",
        "SAVE fail!msg:3",
        "",
    ],
)
def test_information_lines(line: str) -> None:
    assert parse_final(line) is None
    assert parse_event(line) is None
    assert parse_line(line) == Info(line)


# --- unsolicited events -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "event"),
    [
        ("+IOTCMD=5,hello", CloudCommand(b"hello")),
        ("+IOTCMD:5,hello", CloudCommand(b"hello")),
        ("+IOTCMD: 5,hello", CloudCommand(b"hello")),
        ("+CIOTCMD:5,hello", CloudCommand(b"hello")),
        ("+CIOTCMD: 5,hello", CloudCommand(b"hello")),
        ("+CIOTCMD=3,a,b", CloudCommand(b"a,b")),
        ("+IOTCMD=6,开", CloudCommand("开".encode())),
        ("+IOTCMD=0,", CloudCommand(b"")),
        ("+IOTCMD=3,ab ", CloudCommand(b"ab ")),
        ("SAVE succ!msg:361", SaveAck(361)),
        ("SAVE succ!msg: 7", SaveAck(7)),
        ("save succ!msg:1", SaveAck(1)),
        ("BIN SEND OVER!", BinarySendOver()),
        ("bin send over", BinarySendOver()),
        ("CONNECT", Connected("CONNECT")),
        ("CONNECT OK", Connected("CONNECT OK")),
        ("RDY", ModuleBoot("RDY")),
        ("+PBREADY", ModuleBoot("+PBREADY")),
        ("CONNECT FAIL", ConnectFailed("CONNECT FAIL")),
        ("+CREG: 1", NetworkReport("CREG", "1", "+CREG: 1")),
        ("+CGREG: 0,1", NetworkReport("CGREG", "0,1", "+CGREG: 0,1")),
        ("+CEREG:5", NetworkReport("CEREG", "5", "+CEREG:5")),
        (
            "+CTZV: 18/01/05,08:00:00,+32",
            NetworkReport("CTZV", "18/01/05,08:00:00,+32", "+CTZV: 18/01/05,08:00:00,+32"),
        ),
        ("+CPIN: READY", NetworkReport("CPIN", "READY", "+CPIN: READY")),
        ("+cpin:NOT INSERTED", NetworkReport("CPIN", "NOT INSERTED", "+cpin:NOT INSERTED")),
        ("Call Ready", NetworkReport("Call Ready", "", "Call Ready")),
        ("SMS Ready", NetworkReport("SMS Ready", "", "SMS Ready")),
    ],
)
def test_unsolicited_lines(line: str, event: ModuleLineEvent) -> None:
    assert parse_event(line) == event
    assert parse_line(line) == event
    assert parse_final(line) is None


def test_cloud_command_text() -> None:
    assert CloudCommand("开灯".encode()).text == "开灯"
    assert CloudCommand(b"\xff").text == "\ufffd"


# --- error codes --------------------------------------------------------------------------

CODES = [
    (-100, errors.WlanError, "WLAN error"),
    (-101, errors.NetworkError, "network error"),
    (-102, errors.NoMasterKeyError, "no master key"),
    (-103, errors.NoDeviceIdError, "no device ID"),
    (-104, errors.NoDeviceKeyError, "no device key"),
    (-105, errors.DeviceNotOnlineError, "device not online"),
    (-106, errors.InvalidOperationError, "invalid operation"),
    (-107, errors.FileSendError, "file send error"),
    (-108, errors.ParameterError, "parameter error"),
    (-109, errors.DeviceConnectError, "device connect failed"),
    (-110, errors.DataSendError, "data send failed"),
    (-111, errors.DeviceDisconnectError, "device disconnect failed"),
    (-112, errors.DeviceInitError, "device parameter init failed"),
]


@pytest.mark.parametrize(("code", "error_type", "meaning"), CODES)
def test_error_codes_map_to_their_exceptions(
    code: int, error_type: type[M6311CommandError], meaning: str
) -> None:
    final = parse_final(f"+ERR={code}")
    assert final is not None
    error = error_for_code("CIOTSTART", final.code)
    assert type(error) is error_type
    assert isinstance(error, M6311CommandError)
    assert isinstance(error, M6311Error)
    assert error.error_code == code
    assert error.command == "CIOTSTART"
    assert str(error) == f"CIOTSTART failed: {meaning} ({code})"


def test_every_documented_code_is_mapped() -> None:
    assert sorted(errors.ERRORS_BY_CODE) == list(range(-112, -99))


@pytest.mark.parametrize("line", ["+ERR", "ERROR", "+ERR=abc"])
def test_errors_without_a_code_are_plain_command_errors(line: str) -> None:
    final = parse_final(line)
    assert final is not None
    error = error_for_code("CIOTPING", final.code)
    assert type(error) is M6311CommandError
    assert error.error_code is None
    assert str(error) == "CIOTPING failed: the module reported an error"


def test_unknown_codes_keep_their_number() -> None:
    final = parse_final("+ERR=-150")
    assert final is not None
    error = error_for_code("CIOTDAT", final.code)
    assert type(error) is M6311CommandError
    assert error.error_code == -150
    assert str(error) == "CIOTDAT failed: the module reported an error (-150)"


def test_protocol_error_is_a_library_error() -> None:
    assert issubclass(M6311ProtocolError, M6311Error)


# --- the line decoder ---------------------------------------------------------------------


def decode(*chunks: bytes) -> list[DecodedItem]:
    decoder = LineDecoder()
    items: list[DecodedItem] = []
    for chunk in chunks:
        items += decoder.feed(chunk)
    return items


@pytest.mark.parametrize("end", [b"\r\n", b"\r", b"\n", b"\r\r\n", b"\n\r"])
def test_line_ends(end: bytes) -> None:
    stream = b"+CSQ: 20,99" + end + b"OK" + end
    assert decode(stream) == [Info("+CSQ: 20,99"), Final(True, None, None, "OK")]


def test_empty_lines_are_dropped() -> None:
    assert decode(b"\r\n\r\n\n\r+OK\r\n\r\n") == [Final(True, None, None, "+OK")]


def test_partial_lines_wait_for_their_end() -> None:
    decoder = LineDecoder()
    assert decoder.feed(b"+OK=10") == []
    assert decoder.feed(b"88826") == []
    assert decoder.feed(b"\r") == [Final(True, "1088826", None, "+OK=1088826")]
    assert decoder.feed(b"\n") == []


def test_an_answer_with_echo_and_events() -> None:
    stream = (
        b"AT+CIOTSTATUS\r\r\n+OK=device_up\r\n"
        b'+IOTCMD=9,a,b\r\n"c;x\r\n'
        b"AT+CIOTPING\r\n+OK PING succ!\r+ERR=-108\r\nSAVE succ!msg:12\r\nRDY\r\n"
    )
    assert decode(stream) == [
        Info("AT+CIOTSTATUS"),
        Final(True, "device_up", None, "+OK=device_up"),
        CloudCommand(b'a,b\r\n"c;x'),
        Info("AT+CIOTPING"),
        Final(True, "PING succ!", None, "+OK PING succ!"),
        Final(False, "-108", -108, "+ERR=-108"),
        SaveAck(12),
        ModuleBoot("RDY"),
    ]


@pytest.mark.parametrize(
    "header", [b"+IOTCMD=", b"+IOTCMD:", b"+IOTCMD: ", b"+CIOTCMD:", b"+CIOTCMD: ", b"+iotcmd="]
)
def test_cloud_command_payload_is_cut_by_its_byte_length(header: bytes) -> None:
    payload = 'on,"x";\r\n\r开\n'.encode()
    stream = header + str(len(payload)).encode() + b"," + payload + b"\r\nOK\r\n"
    assert decode(stream) == [CloudCommand(payload), Final(True, None, None, "OK")]


def test_cloud_command_waits_for_its_whole_payload() -> None:
    decoder = LineDecoder()
    assert decoder.feed(b"+IOTCMD=10,abc\r\n") == []
    assert decoder.feed(b"de") == []
    assert decoder.feed(b"fgh") == []  # the count is there; the next byte tells it was right
    assert decoder.feed(b"\r\nOK\r\n") == [
        CloudCommand(b"abc\r\ndefgh"),
        Final(True, None, None, "OK"),
    ]


def test_cloud_command_header_may_arrive_in_pieces() -> None:
    decoder = LineDecoder()
    for piece in (b"+IOT", b"CMD", b"=1", b"2"):
        assert decoder.feed(piece) == []
    assert decoder.feed(b",hello world!\r\n") == [CloudCommand(b"hello world!")]


def test_cloud_command_without_a_line_end_after_it() -> None:
    assert decode(b"+IOTCMD=2,on+OK\r\n") == [CloudCommand(b"on"), Info("+OK")]


def test_what_follows_a_payload_on_its_line_is_never_a_final_or_event() -> None:
    # A module counting characters rather than bytes: the tail of the text is left over.
    assert decode("+IOTCMD=2,开OK\r\nOK\r\n".encode()) == [
        CloudCommand("开".encode()[:2]),
        Info("\ufffdOK"),
        Final(True, None, None, "OK"),
    ]
    assert decode(b"+IOTCMD=1,xSAVE succ!msg:5\r\n") == [
        CloudCommand(b"x"),
        Info("SAVE succ!msg:5"),
    ]


def test_the_check_after_a_payload_waits_for_the_next_byte() -> None:
    decoder = LineDecoder()
    assert decoder.feed(b"+IOTCMD=2,on") == []
    assert decoder.feed(b"") == []
    assert decoder.feed(b"OK\r\n") == [CloudCommand(b"on"), Info("OK")]
    assert decoder.feed(b"OK\r\n") == [Final(True, None, None, "OK")]


def test_a_payload_declared_too_long_ends_before_the_next_answer() -> None:
    # The module declared 10 bytes, printed 5 and a line end, then answered the next command:
    # the count ends inside `+OK=1088826`, and no line end follows it.
    assert decode(b"+IOTCMD=10,hello\r\n+OK=1088826\r\n") == [
        CloudCommand(b"hello", truncated=True),
        Final(True, "1088826", None, "+OK=1088826"),
    ]
    # Declared 30, and the line stays quiet short of it: only then is the count wrong.
    decoder = LineDecoder()
    assert decoder.feed(b"+IOTCMD=30,a\r\nb\r\nSAVE succ!msg:7\r\n") == []
    assert decoder.quiet_needed() == TRANSPORT_PATIENCE
    assert decoder.flush_idle() == [CloudCommand(b"a\r\nb", truncated=True), SaveAck(7)]


@pytest.mark.parametrize(
    "inside",
    [b"+OK", b"+ERR=-108", b"SAVE succ!msg:1", b"OK", b"+CIOTPING: OK", b"+CREG: 1", b"RDY"],
)
def test_a_payload_is_read_by_its_declared_length_whatever_it_holds(inside: bytes) -> None:
    # The real driver copies exactly <len> bytes: text that looks like an answer is data.
    payload = b"on\r\n" + inside + b"\r\nmore"
    stream = b"+CIOTCMD:" + str(len(payload)).encode() + b"," + payload + b"\r\n+OK=12\r\n"
    assert decode(stream) == [CloudCommand(payload), Final(True, "12", None, "+OK=12")]
    # ...also when it comes byte by byte.
    assert decode(*(bytes([byte]) for byte in stream)) == decode(stream)


@pytest.mark.parametrize(
    "answer",
    [b"+CSQ: 20,99", b"+CIOTPING: OK", b"+CIOTSTATUS: 1", b"CIOTSTATUS:device_up", b"+csq:9,0"],
)
def test_a_payload_declared_too_long_ends_before_an_information_answer(answer: bytes) -> None:
    # A signal probe, heartbeat or status check was in flight: once the line is quiet short of
    # the count, its answer is not payload.
    decoder = LineDecoder()
    assert decoder.feed(b"+IOTCMD=40,hello\r\n" + answer + b"\r\n\r\nOK\r\n") == []
    assert decoder.flush_idle() == [
        CloudCommand(b"hello", truncated=True),
        Info(answer.decode()),
        Final(True, None, None, "OK"),
    ]


def test_information_lines_of_other_shapes_stay_payload() -> None:
    assert decode(b"+IOTCMD=17,a\r\n+CSQ 20\r\nbcdef\r\n") == [
        CloudCommand(b"a\r\n+CSQ 20\r\nbcdef")
    ]


def test_a_payload_whose_length_counts_its_line_end() -> None:
    assert decode(b"+IOTCMD=7,hello\r\n+OK=1088826\r\n") == [
        CloudCommand(b"hello"),
        Final(True, "1088826", None, "+OK=1088826"),
    ]
    # The same bytes with a line end after them: the CR LF was data.
    assert decode(b"+IOTCMD=7,hello\r\n\r\nOK\r\n") == [
        CloudCommand(b"hello\r\n"),
        Final(True, None, None, "OK"),
    ]


def test_a_short_payload_ends_when_the_line_goes_quiet() -> None:
    decoder = LineDecoder()
    assert decoder.feed(b"+IOTCMD=10,hello\r\n") == []
    waiting_before = decoder.waiting
    assert decoder.flush_idle() == [CloudCommand(b"hello", truncated=True)]
    assert (waiting_before, decoder.waiting) == (True, False)
    assert decoder.feed(b"+OK=1\r\n") == [Final(True, "1", None, "+OK=1")]


def test_a_payload_ending_in_a_line_end_is_settled_by_quiet() -> None:
    decoder = LineDecoder()
    assert decoder.feed(b"+IOTCMD=7,hello\r\n") == []  # data, or the count's line end?
    assert decoder.flush_idle() == [CloudCommand(b"hello")]


def test_an_answer_beginning_inside_a_payload_when_the_line_goes_quiet() -> None:
    decoder = LineDecoder()
    assert decoder.feed(b"+IOTCMD=20,hello\r\n+OK PING") == []
    assert decoder.flush_idle() == [
        CloudCommand(b"hello", truncated=True),
        Final(True, "PING", None, "+OK PING"),
    ]


@pytest.mark.parametrize(
    ("line", "final"),
    [
        (b"+OK PING succ!", Final(True, "PING succ!", None, "+OK PING succ!")),
        (b"OK", Final(True, None, None, "OK")),
        (b"+ERR=-105", Final(False, "-105", -105, "+ERR=-105")),
    ],
)
def test_a_final_without_its_line_end_counts_once_the_line_is_quiet(
    line: bytes, final: Final
) -> None:
    decoder = LineDecoder()
    assert decoder.feed(line) == []
    assert decoder.flush_idle() == [final]
    assert decoder.feed(b"\r\n") == []  # its late line end is an empty line


def test_quiet_does_not_end_information_without_its_line_end() -> None:
    decoder = LineDecoder()
    assert decoder.feed(b"867567041") == []
    assert decoder.flush_idle() == []
    assert decoder.feed(b"234567\r\n") == [Info("867567041234567")]


@pytest.mark.parametrize("noise", [b"\x00\x00", b"\xff", b"\xff\xfe\x00", b"\x1b\x7f", b"\x80\xbf"])
def test_noise_before_an_answer_hides_nothing(noise: bytes) -> None:
    assert decode(noise + b"+OK=1088826\r\n") == [Final(True, "1088826", None, "+OK=1088826")]
    assert decode(noise + b"\r\n" + noise + b"OK\r\n") == [Final(True, None, None, "OK")]


def test_text_starting_with_a_character_beyond_ascii_is_kept() -> None:
    assert decode("温度\r\n".encode()) == [Info("温度")]


def test_cloud_command_of_the_largest_length_is_believed() -> None:
    payload = bytes(range(256)) * (MAX_COMMAND_PAYLOAD // 256)
    stream = f"+IOTCMD={MAX_COMMAND_PAYLOAD},".encode() + payload + b"\r\n"
    assert decode(stream) == [CloudCommand(payload)]


@pytest.mark.parametrize("length", [MAX_COMMAND_PAYLOAD + 1, 10**11])
def test_absurd_cloud_command_lengths_are_not_believed(length: int) -> None:
    line = f"+IOTCMD={length},abc"
    decoder = LineDecoder()
    # Nothing is held back waiting for the announced bytes: the line end settles it.
    assert decoder.feed(line.encode()) == []
    assert decoder.feed(b"\r\n+OK\r\n") == [Info(line), Final(True, None, None, "+OK")]
    assert decoder._buffer == bytearray()


def test_cloud_command_length_of_too_many_digits_is_an_ordinary_line() -> None:
    line = "+IOTCMD=1234567890123,abc"
    assert decode(line.encode() + b"\r\n") == [Info(line)]


def test_a_malformed_cloud_command_line_is_information() -> None:
    assert decode(b"+IOTCMD=12\r\n+IOTCMD=x,y\r\n") == [Info("+IOTCMD=12"), Info("+IOTCMD=x,y")]


def test_undecodable_bytes_are_replaced() -> None:
    assert decode(b"AB\xff\xfeC\r\n") == [Info("AB\ufffd\ufffdC")]


def test_a_line_of_the_longest_length_is_kept_whole() -> None:
    line = b"x" * MAX_LINE_BYTES
    assert decode(line + b"\r\n") == [Info(line.decode())]


def test_over_long_lines_are_cut_and_the_rest_dropped() -> None:
    line = b"+OK=" + b"y" * (3 * MAX_LINE_BYTES)
    expected = [Info(line[:MAX_LINE_BYTES].decode()), Final(True, None, None, "OK")]
    assert decode(line + b"\r\nOK\r\n") == expected
    decoder = LineDecoder()
    items: list[DecodedItem] = []
    for start in range(0, len(line), 1000):
        items += decoder.feed(line[start : start + 1000])
        # Memory stays bounded while the line goes on.
        assert len(decoder._buffer) <= MAX_LINE_BYTES + 1000
    items += decoder.feed(b"\r\nOK\r\n")
    assert items == expected


def test_over_long_line_with_the_line_end_in_the_same_chunk() -> None:
    line = b"z" * (MAX_LINE_BYTES + 1)
    assert decode(line + b"\nOK\n") == [
        Info("z" * MAX_LINE_BYTES),
        Final(True, None, None, "OK"),
    ]


def test_an_over_long_absurd_command_line_is_cut_too() -> None:
    line = f"+IOTCMD={MAX_COMMAND_PAYLOAD + 1},".encode() + b"q" * MAX_LINE_BYTES
    assert decode(line, b"\r\n+OK\r\n") == [
        Info(line[:MAX_LINE_BYTES].decode()),
        Final(True, None, None, "+OK"),
    ]


def test_reset_forgets_a_partial_line_and_state() -> None:
    decoder = LineDecoder()
    decoder.feed(b"+IOTCMD=2,o")
    decoder.reset()
    assert decoder.feed(b"K\r\nOK\r\n") == [Info("K"), Final(True, None, None, "OK")]
    decoder.feed(b"x" * (MAX_LINE_BYTES + 1))
    decoder.reset()
    assert decoder.feed(b"OK\r\n") == [Final(True, None, None, "OK")]
    decoder.feed(b"+IOTCMD=1,x")
    decoder.reset()
    assert decoder.feed(b"OK\r\n") == [Final(True, None, None, "OK")]


# --- readers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "status"),
    [
        (Response((), "device_up"), LinkStatus.UP),
        (Response((), "Device_down"), LinkStatus.DOWN),
        (Response((), "DEVICE_UP"), LinkStatus.UP),
        (Response((), " device_down "), LinkStatus.DOWN),
        (Response(("CIOTSTATUS:device_up",), None), LinkStatus.UP),
        (Response(("CIOTSTATUS:device_down",), None), LinkStatus.DOWN),
        (Response(("CIOTSTATUS: Device_Down",), None), LinkStatus.DOWN),
        (Response(("+CIOTSTATUS: 1",), None), LinkStatus.UP),
        (Response(("+CIOTSTATUS: 0",), None), LinkStatus.DOWN),
        (Response(("+CIOTSTATUS:1",), None), LinkStatus.UP),
        (Response(("+ciotstatus: device_up",), None), LinkStatus.UP),
        (Response(("noise", "CIOTSTATUS:device_up"), None), LinkStatus.UP),
        (Response(("CIOTSTATUS:device_down",), ""), LinkStatus.DOWN),
    ],
)
def test_read_status(response: Response, status: LinkStatus) -> None:
    assert read_status(response) == status


@pytest.mark.parametrize(
    "response",
    [
        Response((), None),
        Response((), ""),
        Response((), "up"),
        Response(("+CIOTSTATUS: 2",), None),
        Response(("CIOTSTATUS:maybe",), None),
        Response(("device_up",), None),
    ],
)
def test_read_status_refuses_other_answers(response: Response) -> None:
    with pytest.raises(M6311ProtocolError, match="unexpected answer to CIOTSTATUS"):
        read_status(response)


@pytest.mark.parametrize(
    ("lines", "signal"),
    [
        (("+CSQ: 20,99",), SignalQuality(20, 99)),
        (("+CSQ:31,0",), SignalQuality(31, 0)),
        (("+csq: 99 , 99",), SignalQuality(99, 99)),
        (("junk", "+CSQ: 5,7"), SignalQuality(5, 7)),
    ],
)
def test_read_signal(lines: tuple[str, ...], signal: SignalQuality) -> None:
    assert read_signal(Response(lines, None)) == signal


@pytest.mark.parametrize("lines", [(), ("+CSQ: 20",), ("+CSQ: a,b",), ("20,99",)])
def test_read_signal_refuses_other_answers(lines: tuple[str, ...]) -> None:
    with pytest.raises(M6311ProtocolError, match="unexpected answer to CSQ"):
        read_signal(Response(lines, None))


@pytest.mark.parametrize(
    ("lines", "imei"),
    [
        (("867567041234567",), "867567041234567"),
        (("+CGSN: 867567041234567",), "867567041234567"),
        (("+CGSN:86756704123456",), "86756704123456"),
        (('+CGSN: "86756704123456789"',), "86756704123456789"),
        ((" 867567041234567 ",), "867567041234567"),
        (("M6311", "867567041234567"), "867567041234567"),
        (("+CGSN: 1,867567041234567",), "867567041234567"),
        (("+CGSN:1, 867567041234567",), "867567041234567"),
        (("+GSN: 867567041234567",), "867567041234567"),
    ],
)
def test_read_imei(lines: tuple[str, ...], imei: str) -> None:
    assert read_imei(Response(lines, None)) == imei


@pytest.mark.parametrize(
    "lines", [(), ("1234567890123",), ("867567041234567890",), ("IMEI 867567041234567",)]
)
def test_read_imei_refuses_other_answers(lines: tuple[str, ...]) -> None:
    with pytest.raises(M6311ProtocolError, match="unexpected answer to CGSN"):
        read_imei(Response(lines, None))


@pytest.mark.parametrize(
    ("response", "firmware"),
    [
        (Response(("M6311R01A01V02",), None), "M6311R01A01V02"),
        (Response(("+CGMR: M6311_V1.2 build 3",), None), "M6311_V1.2 build 3"),
        (Response(("+cgmr:V1",), None), "V1"),
        (Response(("  ", "+CGMR:", "Revision: 1"), None), "Revision: 1"),
        (Response((), "V2.0"), "V2.0"),
        (Response(("+CTZV: 18/01/05,08:00:00,+32", "M6311R01A01V02"), None), "M6311R01A01V02"),
        (Response(("+CREG: 1", "+CGMR: V3"), None), "V3"),
    ],
)
def test_read_firmware(response: Response, firmware: str) -> None:
    assert read_firmware(response) == firmware


@pytest.mark.parametrize("response", [Response((), None), Response(("",), " ")])
def test_read_firmware_refuses_an_empty_answer(response: Response) -> None:
    with pytest.raises(M6311ProtocolError, match="unexpected answer to CGMR"):
        read_firmware(response)


@pytest.mark.parametrize(
    ("value", "read"), [("1088826", "1088826"), (" abc= ", "abc="), ("a b", "a b")]
)
def test_read_value(value: str, read: str) -> None:
    assert read_value(Response(("ignored",), value), "CIOTID") == read


@pytest.mark.parametrize("value", [None, "", "  "])
def test_read_value_needs_a_value(value: str | None) -> None:
    with pytest.raises(M6311ProtocolError, match="gave no value"):
        read_value(Response(("secret-looking line",), value), "CIOTKEY")


def test_read_value_error_does_not_repeat_the_answer() -> None:
    with pytest.raises(M6311ProtocolError) as caught:
        read_value(Response(("syp2wjH2rowlyX1H7bqwynVVnK8=",), None), "CIOTKEY")
    assert "syp2" not in str(caught.value)


@pytest.mark.parametrize(
    ("rssi", "dbm"),
    [(0, -113), (1, -111), (20, -73), (31, -51), (32, None), (99, None), (-1, None)],
)
def test_signal_strength_in_dbm(rssi: int, dbm: int | None) -> None:
    assert SignalQuality(rssi, 99).dbm == dbm


@pytest.mark.parametrize(
    ("response", "value"),
    [
        (Response(lines=(), value=" 1088826 "), "1088826"),
        (Response(lines=("+CIOTID: 1088826",), value=None), "1088826"),
        (Response(lines=("+CIOTKEY:abc=",), value=None), "abc="),
        # A report that slipped in is not the value: only the command's own line is.
        (Response(lines=("+CREG: 1", "+CIOTID: 1088826"), value=None), "1088826"),
        (
            Response(lines=("+CIOTID: 1088826", "+CTZV: 18/01/05,08:00:00,+32"), value=None),
            "1088826",
        ),
    ],
)
def test_read_value_in_both_result_styles(response: Response, value: str) -> None:
    assert read_value(response, _name(response)) == value


def _name(response: Response) -> str:
    """The command whose value the response holds, as the client names it."""
    return "CIOTKEY" if any("CIOTKEY" in line for line in response.lines) else "CIOTID"


@pytest.mark.parametrize(
    "response",
    [
        Response(lines=(), value=None),
        Response(lines=("+CIOTID: ",), value=""),
        Response(lines=("1088826",), value=None),
        Response(lines=("+CREG: 1",), value=None),
    ],
)
def test_read_value_refuses_answers_without_one(response: Response) -> None:
    with pytest.raises(M6311ProtocolError, match="no value"):
        read_value(response, "CIOTID")
