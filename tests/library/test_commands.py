"""Command builders: exact lines, timeouts, redaction, validation, and batch splitting."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.onenet_m6311.m6311 import commands
from custom_components.onenet_m6311.m6311.commands import (
    DEFAULT_LINE_LIMIT,
    MAX_LINE_LIMIT,
    MIN_LINE_LIMIT,
    Command,
)
from custom_components.onenet_m6311.m6311.errors import M6311ValidationError
from custom_components.onenet_m6311.m6311.records import Record, encode_record
from custom_components.onenet_m6311.m6311.redaction import REDACTED

if TYPE_CHECKING:
    from collections.abc import Callable

MASTER_KEY = "WRygxraTXCCikfaMnK9S46dfzDYA"
DEVICE_KEY = "syp2wjH2rowlyX1H7bqwynVVnK8="
AUTH_VALUE = "DcvGb46zAagazMtLuBcVnNk66tg="
THREE = [Record("te", 22.5), Record("hy", "35%"), Record("pm", 89)]


def test_constants() -> None:
    assert DEFAULT_LINE_LIMIT == 256  # the M6312 manual's line, terminator included
    assert commands.DEFAULT_TIMEOUT == 5.0
    assert commands.INIT_TIMEOUT == 60.0
    assert commands.START_TIMEOUT == 30.0
    assert commands.SEND_ONCE_TIMEOUT == 20.0
    assert commands.QUIT_TIMEOUT == 10.0
    assert commands.PING_TIMEOUT == 10.0
    assert commands.DATA_TIMEOUT == 10.0
    assert commands.BINARY_CHUNK_TIMEOUT == 10.0
    assert REDACTED == "**REDACTED**"


BUILT: list[tuple[Callable[[], Command], str, str, float]] = [
    (commands.at, "AT", "AT", 5.0),
    (commands.echo_off, "ATE0", "ATE0", 5.0),
    (commands.imei, "CGSN", "AT+CGSN", 5.0),
    (commands.firmware, "CGMR", "AT+CGMR", 5.0),
    (commands.signal, "CSQ", "AT+CSQ", 5.0),
    (commands.provisioning, "CIOT", "AT+CIOT?", 5.0),
    (commands.master_key_query, "CIOTMKEY", "AT+CIOTMKEY?", 5.0),
    (lambda: commands.set_master_key(MASTER_KEY), "CIOTMKEY", f'AT+CIOTMKEY="{MASTER_KEY}"', 5.0),
    (commands.init_device, "CIOTINIT", "AT+CIOTINIT", 60.0),
    (commands.device_id_query, "CIOTID", "AT+CIOTID?", 5.0),
    (commands.clear_device_id, "CIOTIDC", "AT+CIOTIDC", 5.0),
    (commands.device_key_query, "CIOTKEY", "AT+CIOTKEY?", 5.0),
    (commands.clear_device_key, "CIOTKEYC", "AT+CIOTKEYC", 5.0),
    (commands.status, "CIOTSTATUS", "AT+CIOTSTATUS", 5.0),
    (lambda: commands.start(encrypt=False), "CIOTSTART", "AT+CIOTSTART=0", 30.0),
    (lambda: commands.start(encrypt=True), "CIOTSTART", "AT+CIOTSTART=1", 30.0),
    (
        lambda: commands.send_data(0, THREE),
        "CIOTDAT",
        'AT+CIOTDAT=0,3,"te,,22.5;hy,,35%;pm,,89"',
        10.0,
    ),
    (
        lambda: commands.send_data(65535, [Record("t", 1, "2016-01-01 00:00:00")]),
        "CIOTDAT",
        'AT+CIOTDAT=65535,1,"t,2016-01-01 00:00:00,1"',
        10.0,
    ),
    (
        lambda: commands.binary_header(7, "photo", 1000),
        "CIOTBINSET",
        "AT+CIOTBINSET=7,photo,1000",
        5.0,
    ),
    (
        lambda: commands.binary_chunk(b"\x01\xaa\x55"),
        "CIOTBINSEND",
        "AT+CIOTBINSEND=3,01AA55",
        10.0,
    ),
    (
        lambda: commands.binary_chunk(bytearray(b"\x00\xff")),
        "CIOTBINSEND",
        "AT+CIOTBINSEND=2,00FF",
        10.0,
    ),
    (
        lambda: commands.binary_chunk(memoryview(b"\x10")),
        "CIOTBINSEND",
        "AT+CIOTBINSEND=1,10",
        10.0,
    ),
    (commands.binary_end, "CIOTBINEND", "AT+CIOTBINEND", 5.0),
    (commands.quit, "CIOTQUIT", "AT+CIOTQUIT", 10.0),
    (
        lambda: commands.send_once(True, 361, [Record("teet1", 22.5), *THREE[1:]]),
        "CIOTSEND",
        'AT+CIOTSEND=1,361,3,"teet1,,22.5;hy,,35%;pm,,89"',
        20.0,
    ),
    (
        lambda: commands.send_once(False, 0, [Record("t", value=False)]),
        "CIOTSEND",
        'AT+CIOTSEND=0,0,1,"t,,0"',
        20.0,
    ),
    (commands.ping, "CIOTPING", "AT+CIOTPING", 10.0),
    (commands.connect_stored_device, "CIOTCONNECTPARA", "AT+CIOTCONNECTPARA=0", 5.0),
    (
        lambda: commands.connect_device("1088826", DEVICE_KEY),
        "CIOTCONNECTPARA",
        f'AT+CIOTCONNECTPARA=1,"1088826","{DEVICE_KEY}"',
        5.0,
    ),
    (
        lambda: commands.connect_project("23219", "SYS", AUTH_VALUE),
        "CIOTCONNECTPARA",
        f'AT+CIOTCONNECTPARA=2,"23219","SYS","{AUTH_VALUE}"',
        5.0,
    ),
]


@pytest.mark.parametrize(("build", "name", "line", "timeout"), BUILT)
def test_command_lines(build: Callable[[], Command], name: str, line: str, timeout: float) -> None:
    command = build()
    assert command.name == name
    assert command.line == line
    assert command.timeout == timeout
    assert command.encode() == line.encode() + b"\r\n"


@pytest.mark.parametrize(
    ("command", "redacted", "secret"),
    [
        (commands.set_master_key(MASTER_KEY), 'AT+CIOTMKEY="**REDACTED**"', MASTER_KEY),
        (
            commands.connect_device("1088826", DEVICE_KEY),
            'AT+CIOTCONNECTPARA=1,"1088826","**REDACTED**"',
            DEVICE_KEY,
        ),
        (
            commands.connect_project("23219", "SYS", AUTH_VALUE),
            'AT+CIOTCONNECTPARA=2,"23219","SYS","**REDACTED**"',
            AUTH_VALUE,
        ),
    ],
)
def test_secrets_are_redacted(command: Command, redacted: str, secret: str) -> None:
    assert command.redacted_line == redacted
    assert secret not in command.redacted_line
    assert secret in command.line
    assert secret not in repr(command.redacted_line)


@pytest.mark.parametrize(("build", "name", "line", "timeout"), BUILT)
def test_lines_without_secrets_are_logged_as_they_are(
    build: Callable[[], Command], name: str, line: str, timeout: float
) -> None:
    command = build()
    if name not in {"CIOTMKEY", "CIOTCONNECTPARA"} or line in {
        "AT+CIOTMKEY?",
        "AT+CIOTCONNECTPARA=0",
    }:
        assert command.redacted_line == command.line
    else:
        assert REDACTED in command.redacted_line


@pytest.mark.parametrize(("build", "name", "line", "timeout"), BUILT)
def test_answer_prefixes(
    build: Callable[[], Command], name: str, line: str, timeout: float
) -> None:
    expected = {
        "CIOTPING": ("+CIOTPING:",),
        "CIOTSTATUS": ("+CIOTSTATUS:", "CIOTSTATUS:"),
    }.get(name, ())
    assert build().answer_prefixes == expected


def test_commands_are_frozen() -> None:
    command = commands.at()
    with pytest.raises(AttributeError):
        command.line = "ATZ"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: commands.send_data(-1, THREE), "msg_id must be an integer from 0 to 65535"),
        (lambda: commands.send_data(65536, THREE), "msg_id must be an integer from 0 to 65535"),
        (lambda: commands.send_data(True, THREE), "msg_id must be an integer"),
        (lambda: commands.send_data(1.0, THREE), "msg_id must be an integer"),  # type: ignore[arg-type]
        (lambda: commands.send_data("1", THREE), "msg_id must be an integer"),  # type: ignore[arg-type]
        (lambda: commands.send_data(0, []), "at least one record"),
        (lambda: commands.send_data(0, ["t,,1"]), "must be Record objects, not str"),  # type: ignore[list-item]
        (lambda: commands.send_once(False, 65535, THREE), "from 0 to 65534"),
        (lambda: commands.send_once(False, -1, THREE), "from 0 to 65534"),
        (lambda: commands.send_once(False, 0, []), "at least one record"),
        (lambda: commands.send_once(1, 0, THREE), "encrypt must be True or False"),  # type: ignore[arg-type]
        (lambda: commands.start(1), "encrypt must be True or False"),  # type: ignore[arg-type]
        (lambda: commands.start("0"), "encrypt must be True or False"),  # type: ignore[arg-type]
        (lambda: commands.binary_header(65536, "photo", 1), "from 0 to 65535"),
        (lambda: commands.binary_header(-1, "photo", 1), "from 0 to 65535"),
        (
            lambda: commands.binary_header(0, "photo", 0),
            "total_length must be an integer of at least 1",
        ),
        (
            lambda: commands.binary_header(0, "photo", -5),
            "total_length must be an integer of at least 1",
        ),
        (lambda: commands.binary_header(0, "bad stream", 5), "1 to 64 ASCII letters"),
        (lambda: commands.binary_header(0, "", 5), "1 to 64 ASCII letters"),
        (lambda: commands.binary_chunk(b""), "non-empty bytes"),
        (lambda: commands.binary_chunk("01AA"), "non-empty bytes"),  # type: ignore[arg-type]
        (lambda: commands.binary_chunk(b"x" * 600), "more than the line limit of 256"),
    ],
)
def test_invalid_arguments_are_refused(build: Callable[[], Command], message: str) -> None:
    with pytest.raises(M6311ValidationError, match=message):
        build()


TOKENS_REFUSED = ["", "a b", 'a"b', "a,b", "a\rb", "a\nb", "a\tb", "ключ", "a\x00b", "a\x7fb"]


@pytest.mark.parametrize("token", TOKENS_REFUSED)
@pytest.mark.parametrize(
    ("build", "what"),
    [
        (commands.set_master_key, "the master APIKEY"),
        (lambda t: commands.connect_device(t, DEVICE_KEY), "the device ID"),
        (lambda t: commands.connect_device("1088826", t), "the master APIKEY"),
        (lambda t: commands.connect_project(t, "SYS", AUTH_VALUE), "the project ID"),
        (lambda t: commands.connect_project("23219", t, AUTH_VALUE), "the auth_info key"),
        (lambda t: commands.connect_project("23219", "SYS", t), "the auth_info value"),
    ],
)
def test_ids_and_keys_must_be_plain_tokens(
    build: Callable[[str], Command], what: str, token: str
) -> None:
    with pytest.raises(M6311ValidationError, match=f"{what} must be non-empty printable ASCII"):
        build(token)


def test_token_errors_do_not_repeat_the_secret() -> None:
    with pytest.raises(M6311ValidationError) as caught:
        commands.set_master_key("secret key")
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize("token", ["a", "A+/=", "!#$%&'()*+-./:;<=>?@[\\]^_`{|}~", "x" * 200])
def test_printable_tokens_are_accepted(token: str) -> None:
    assert commands.set_master_key(token).line == f'AT+CIOTMKEY="{token}"'


@pytest.mark.parametrize(
    "build",
    [
        lambda limit: commands.set_master_key("k" * 60, line_limit=limit),
        lambda limit: commands.connect_device("1", "k" * 60, line_limit=limit),
        lambda limit: commands.connect_project("1", "SYS", "k" * 60, line_limit=limit),
        lambda limit: commands.binary_header(0, "s" * 64, 99, line_limit=limit),
        lambda limit: commands.binary_chunk(b"\x00" * 30, line_limit=limit),
        lambda limit: commands.send_data(0, [Record("t", "v" * 60)], line_limit=limit),
        lambda limit: commands.send_once(False, 0, [Record("t", "v" * 60)], line_limit=limit),
    ],
)
def test_every_variable_command_respects_the_line_limit(build: Callable[[int], Command]) -> None:
    assert len(build(DEFAULT_LINE_LIMIT).encode()) <= DEFAULT_LINE_LIMIT
    with pytest.raises(M6311ValidationError, match="more than the line limit of 64"):
        build(64)


def test_line_limit_counts_bytes_and_the_line_end() -> None:
    # 'AT+CIOTDAT=0,1,"t,,' + value + '"' + CR LF = 22 bytes + value
    exact = commands.send_data(0, [Record("t", "v" * 42)], line_limit=64)
    assert len(exact.encode()) == 64
    with pytest.raises(M6311ValidationError, match="would be 65 bytes"):
        commands.send_data(0, [Record("t", "v" * 43)], line_limit=64)
    # 'é' is two bytes in UTF-8.
    with pytest.raises(M6311ValidationError, match="would be 65 bytes"):
        commands.send_data(0, [Record("t", "v" * 41 + "é")], line_limit=64)


@pytest.mark.parametrize("limit", [MIN_LINE_LIMIT - 1, MAX_LINE_LIMIT + 1, 0, True, 100.0, "1024"])
def test_line_limit_itself_is_checked(limit: object) -> None:
    with pytest.raises(M6311ValidationError, match="line_limit must be an integer from 64 to 8192"):
        commands.send_data(0, THREE, line_limit=limit)  # type: ignore[arg-type]
    with pytest.raises(M6311ValidationError, match="line_limit"):
        commands.binary_chunk_capacity(limit)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("limit", "capacity"), [(1024, 501), (64, 22), (65, 22), (66, 23), (8192, 4085), (256, 117)]
)
def test_binary_chunk_capacity(limit: int, capacity: int) -> None:
    assert commands.binary_chunk_capacity(limit) == capacity
    assert len(commands.binary_chunk(b"\xff" * capacity, line_limit=limit).encode()) <= limit
    with pytest.raises(M6311ValidationError, match="line limit"):
        commands.binary_chunk(b"\xff" * (capacity + 1), line_limit=limit)


def test_binary_chunk_capacity_default() -> None:
    assert commands.binary_chunk_capacity() == 117  # 18 + 3 + 234 = 255 bytes


@given(st.integers(MIN_LINE_LIMIT, MAX_LINE_LIMIT))
def test_binary_chunk_capacity_is_the_largest_that_fits(limit: int) -> None:
    capacity = commands.binary_chunk_capacity(limit)
    assert len(commands.binary_chunk(b"\x01" * capacity, line_limit=limit).encode()) <= limit
    with pytest.raises(M6311ValidationError):
        commands.binary_chunk(b"\x01" * (capacity + 1), line_limit=limit)


# --- splitting records over AT+CIOTDAT lines ---------------------------------------------


def _line_size(msg_id: int, batch: list[Record]) -> int:
    return len(commands.send_data(msg_id, batch, line_limit=MAX_LINE_LIMIT).encode())


def _fewest_lines(msg_id: int, records: list[Record], limit: int) -> int | None:
    """The optimum by dynamic programming over every contiguous split (None: impossible)."""
    best: list[int | None] = [0] + [None] * len(records)
    for end in range(1, len(records) + 1):
        for start in range(end):
            previous = best[start]
            if previous is None or _line_size(msg_id, records[start:end]) > limit:
                continue
            current = best[end]
            if current is None or previous + 1 < current:
                best[end] = previous + 1
    return best[-1]


def test_split_records_fills_lines_in_order() -> None:
    records = [Record(f"k{i}", "x" * 50) for i in range(10)]
    batches = commands.split_records(records, line_limit=200)
    assert [len(batch) for batch in batches] == [3, 3, 3, 1]
    assert [record for batch in batches for record in batch] == records


def test_split_records_of_nothing_is_nothing() -> None:
    assert commands.split_records([]) == []


def test_split_records_keeps_small_sets_in_one_line() -> None:
    assert commands.split_records(THREE) == [THREE]


def test_a_record_too_long_for_any_line_is_refused() -> None:
    records = [Record("ok", 1), Record("huge", "x" * 100), Record("ok2", 2)]
    with pytest.raises(M6311ValidationError, match=r"record for 'huge' is 106 bytes: too long"):
        commands.split_records(records, line_limit=100)
    with pytest.raises(M6311ValidationError, match="too long"):
        commands.send_data_batches(0, records, line_limit=100)


def test_a_record_that_exactly_fills_a_line_alone_is_accepted() -> None:
    # 'AT+CIOTDAT=0,1,"' + record + '"' + CR LF = 19 bytes + record
    record = Record("t", "v" * 42)  # 't,,' + 42 = 45 bytes
    assert commands.split_records([record, record], line_limit=64) == [[record], [record]]
    with pytest.raises(M6311ValidationError):
        commands.split_records([Record("t", "v" * 43)], line_limit=64)


def test_split_records_checks_its_arguments() -> None:
    with pytest.raises(M6311ValidationError, match="msg_id"):
        commands.split_records(THREE, msg_id=70000)
    with pytest.raises(M6311ValidationError, match="line_limit"):
        commands.split_records(THREE, line_limit=10)
    with pytest.raises(M6311ValidationError, match="Record objects, not tuple"):
        commands.split_records([("t", 1)])  # type: ignore[list-item]


def test_the_record_count_digits_are_counted() -> None:
    # Ten one-byte-value records: the tenth line would need "10" for num.
    records = [Record("a", i) for i in range(10)]  # 'a,,N' = 4 bytes each
    # 9 records: 'AT+CIOTDAT=0,9,""' (17) + 9*4 + 8 + CR LF = 63 bytes
    assert _line_size(0, records[:9]) == 63
    # 10 records: 18 + 40 + 9 + 2 = 69 bytes
    batches = commands.split_records(records, line_limit=68)
    assert [len(batch) for batch in batches] == [9, 1]
    assert [len(batch) for batch in commands.split_records(records, line_limit=69)] == [10]


def test_send_data_batches_builds_one_command_per_line() -> None:
    records = [Record(f"k{i}", "x" * 50) for i in range(10)]
    batches = commands.send_data_batches(42, records, line_limit=200)
    assert len(batches) == 4
    assert all(command.name == "CIOTDAT" for command in batches)
    assert all(command.line.startswith("AT+CIOTDAT=42,") for command in batches)
    assert all(len(command.encode()) <= 200 for command in batches)
    assert (
        batches[0].line
        == 'AT+CIOTDAT=42,3,"' + ";".join(encode_record(record) for record in records[:3]) + '"'
    )
    assert batches[-1].line == f'AT+CIOTDAT=42,1,"{encode_record(records[-1])}"'


def test_send_data_batches_defaults() -> None:
    assert [command.line for command in commands.send_data_batches(0, THREE)] == [
        'AT+CIOTDAT=0,3,"te,,22.5;hy,,35%;pm,,89"'
    ]


def test_send_data_batches_needs_a_record() -> None:
    with pytest.raises(M6311ValidationError, match="at least one record"):
        commands.send_data_batches(0, [])


_records = st.lists(
    st.builds(
        Record,
        datastream=st.from_regex(r"[a-z]{1,8}", fullmatch=True),
        value=st.one_of(
            st.integers(-(10**6), 10**6),
            st.from_regex(r"[a-zA-Z0-9 %é温]{1,60}", fullmatch=True),
        ),
    ),
    max_size=14,
)


@given(
    records=_records,
    msg_id=st.sampled_from([0, 7, 65535]),
    limit=st.integers(MIN_LINE_LIMIT, 300),
)
def test_split_records_is_optimal_ordered_and_within_the_limit(
    records: list[Record], msg_id: int, limit: int
) -> None:
    optimum = _fewest_lines(msg_id, records, limit)
    if optimum is None:
        with pytest.raises(M6311ValidationError, match="too long"):
            commands.split_records(records, msg_id=msg_id, line_limit=limit)
        return
    batches = commands.split_records(records, msg_id=msg_id, line_limit=limit)
    assert len(batches) == optimum
    assert [record for batch in batches for record in batch] == records
    assert all(batch for batch in batches)
    assert all(_line_size(msg_id, batch) <= limit for batch in batches)


@pytest.mark.parametrize(
    ("line", "name", "timeout", "redacted", "answers"),
    [
        ("AT", "AT", commands.DEFAULT_TIMEOUT, "AT", ()),
        ("  at+csq ", "CSQ", commands.DEFAULT_TIMEOUT, "at+csq", ()),
        ("AT+CIOTINIT", "CIOTINIT", commands.INIT_TIMEOUT, "AT+CIOTINIT", ()),
        ("AT+CIOTKEY?", "CIOTKEY", commands.DEFAULT_TIMEOUT, "AT+CIOTKEY?", ()),
        ("AT+CIOTPING", "CIOTPING", commands.PING_TIMEOUT, "AT+CIOTPING", ("+CIOTPING:",)),
        (
            "AT+CIOTSTATUS",
            "CIOTSTATUS",
            commands.DEFAULT_TIMEOUT,
            "AT+CIOTSTATUS",
            ("+CIOTSTATUS:", "CIOTSTATUS:"),
        ),
        (
            "AT+CIOTMKEY=secret",
            "CIOTMKEY",
            commands.DEFAULT_TIMEOUT,
            "AT+CIOTMKEY=**REDACTED**",
            (),
        ),
        (
            'AT+CIOTCONNECTPARA=1,"1","k"',
            "CIOTCONNECTPARA",
            commands.DEFAULT_TIMEOUT,
            "AT+CIOTCONNECTPARA=**REDACTED**",
            (),
        ),
        ("ATE0", "E0", commands.DEFAULT_TIMEOUT, "ATE0", ()),
    ],
)
def test_raw_command(
    line: str, name: str, timeout: float, redacted: str, answers: tuple[str, ...]
) -> None:
    command = commands.raw(line)
    assert command.line == line.strip()
    assert command.name == name
    assert command.timeout == timeout
    assert command.redacted_line == redacted
    assert command.answer_prefixes == answers


@pytest.mark.parametrize(
    "line", ["", "CSQ", "AT+CSQ\r\nAT", 'AT+CIOTDAT=0,1,"温度,,1"', "AT\x00", 5]
)
def test_raw_command_refuses_what_is_not_one_at_line(line: object) -> None:
    with pytest.raises(M6311ValidationError, match="must start with AT"):
        commands.raw(line)  # type: ignore[arg-type]


def test_raw_command_respects_the_line_limit() -> None:
    with pytest.raises(M6311ValidationError, match="line limit"):
        commands.raw("AT+" + "X" * 100, line_limit=64)


@pytest.mark.parametrize("encrypt", [False, True])
def test_split_for_one_shot_fills_send_once_lines_to_the_limit(encrypt: bool) -> None:
    records = [Record(f"sensor_{n}", n * 1.25, "2026-11-23 08:00:00") for n in range(60)]
    batches = commands.split_records(records, msg_id=65534, line_limit=256, one_shot=True)
    lines = [commands.send_once(encrypt, 65534, batch, line_limit=256) for batch in batches]
    assert [record for batch in batches for record in batch] == records
    sizes = [len(command.encode()) for command in lines]
    assert max(sizes) <= 256
    # Full lines: the next record would not have fitted (the split is as tight as CIOTSEND's).
    for batch, following in itertools.pairwise(batches):
        with pytest.raises(M6311ValidationError, match="line limit"):
            commands.send_once(encrypt, 65534, [*batch, following[0]], line_limit=256)
    # Sized for CIOTDAT, the first line's records overflow a CIOTSEND line.
    (first_dat, *_) = commands.split_records(records, msg_id=65534, line_limit=256)
    with pytest.raises(M6311ValidationError, match="line limit"):
        commands.send_once(encrypt, 65534, first_dat, line_limit=256)


def test_split_for_one_shot_refuses_its_forbidden_message_id() -> None:
    with pytest.raises(M6311ValidationError, match="msg_id"):
        commands.split_records([Record("t", 1)], msg_id=65535, one_shot=True)
