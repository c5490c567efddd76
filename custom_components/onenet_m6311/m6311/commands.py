"""Every AT command the library sends, built and checked before anything reaches the wire.

A builder returns a `Command`: the line to send, a name for logs and errors, how long to wait
for the final answer, a copy of the line with its secrets hidden, and the dialect lines that
answer it. A builder that refuses its arguments raises `M6311ValidationError`, so a command
either goes out whole and valid or not at all.

Rules decided here where the module's document is silent:

- Line length: the document gives no limit, so one is configurable (`line_limit`, in bytes,
  counting the final CR LF; default `DEFAULT_LINE_LIMIT`, from the M6312's manual, and lowered
  when a module refuses a line for its length: `line_limit.py`). Longer lines are refused, and
  `split_records` / `send_data_batches` spread records over as few AT+CIOTDAT lines as fit.
- IDs and keys (master APIKEY, device ID, project ID, auth_info key and value): printable
  ASCII without space, `"` or `,`, because they are written inside quotes or between commas
  and no escape exists. Real OneNET IDs are digits and keys base64 text, both of that shape.
- Quoting follows the document's format lines: CIOTBINSET and CIOTBINSEND unquoted, CIOTDAT,
  CIOTSEND data and CIOTCONNECTPARA strings quoted, as in the document's examples; CIOTMKEY
  quoted, as the document's example and real firmware have it (its format line is bare).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import M6311ValidationError, Reason
from .exchanges import (
    AnnouncesFile,
    ClosesLink,
    EndsFile,
    Exchange,
    LoginSize,
    OpensLink,
    Pings,
    SavesData,
    SendsChunk,
    SendsOnce,
    SetsLogin,
    auth_info,
    typed_exchange,
    utf8_size,
)
from .records import Record, check_datastream, encode_record
from .redaction import REDACTED

if TYPE_CHECKING:
    from collections.abc import Sequence

DEFAULT_LINE_LIMIT = 256
"""Longest command line sent at first, in bytes with its CR LF. The document states no limit;
the sibling M6312's AT manual gives 256 bytes a line, terminator included (docs/protocol.md,
§13). A module that takes less teaches it (`line_limit.LineLimit`)."""
MIN_LINE_LIMIT = 64
"""Smallest allowed `line_limit`: below it not even one short record or hex byte would fit."""
MAX_LINE_LIMIT = 8192
"""Largest allowed `line_limit`; the decoder cuts received lines (such as echoes) there."""


# Timeouts: how long to wait for a command's final answer, in seconds.
DEFAULT_TIMEOUT = 5.0
"""Local commands (queries, settings): the module answers from its own memory at once."""
INIT_TIMEOUT = 60.0
"""AT+CIOTINIT makes two HTTP calls to the platform over cellular (device, then its key)."""
START_TIMEOUT = 30.0
"""AT+CIOTSTART opens TCP and logs in over EDP, with an RSA key exchange when encrypting."""
SEND_ONCE_TIMEOUT = 20.0
"""AT+CIOTSEND: its own start and quit, plus the module's 5 s give-up on the data itself."""
QUIT_TIMEOUT = 10.0
"""AT+CIOTQUIT closes the TCP connection to the platform."""
PING_TIMEOUT = 10.0
"""AT+CIOTPING waits for the platform's ping answer over cellular."""
DATA_TIMEOUT = 10.0
"""AT+CIOTDAT sends the records on the open link before answering."""
BINARY_CHUNK_TIMEOUT = 10.0
"""AT+CIOTBINSEND sends the chunk on the open link before answering."""

IDLE_LIMIT = 128.0
"""Seconds without traffic after which the platform drops the EDP link (§4.3.4)."""

MSG_ID_MAX = 65535
"""Largest message id of AT+CIOTDAT and AT+CIOTBINSET."""
SEND_ONCE_MSG_ID_MAX = 65534
"""Largest message id of AT+CIOTSEND (the document forbids 65535 there)."""

PING_ANSWER_PREFIXES = ("+CIOTPING:",)
"""A dialect answers AT+CIOTPING with `+CIOTPING: OK` and no final result."""
STATUS_ANSWER_PREFIXES = ("+CIOTSTATUS:", "CIOTSTATUS:")
"""Dialects answer AT+CIOTSTATUS with `CIOTSTATUS:device_up` or `+CIOTSTATUS: 1`, no final."""

# Printable ASCII (0x21..0x7E) except `"` (0x22) and `,` (0x2C): no space, no control.
_TOKEN_PATTERN = re.compile(r"[!#-+\--~]+")
_DATA_PREFIX = "AT+CIOTDAT="
_SEND_ONCE_PREFIX = "AT+CIOTSEND=0,"  # the flag is one digit, 0 or 1: same length
_LINE_END = "\r\n"
_BINSEND_PREFIX = "AT+CIOTBINSEND="


@dataclass(frozen=True, slots=True)
class Command:
    """One AT command line, ready to send."""

    name: str
    """Short name for logs and errors, such as `CIOTDAT` (`AT` for the bare AT)."""
    line: str
    """The full command text without its line end, such as `AT+CIOTDAT=0,1,"t,,1"`."""
    timeout: float
    """Seconds to wait for the final answer."""
    redacted_line: str
    """`line` with every secret (master APIKEY, auth value) replaced: safe for logs."""
    answer_prefixes: tuple[str, ...] = ()
    """Information lines starting with one of these (any case) answer the command by
    themselves: some dialects print no final result after them."""
    secrets: tuple[str, ...] = ()
    """The secret values in `line`: kept out of every log while the command runs."""
    secret_answer: bool = False
    """The answer is a secret nobody registered (AT+CIOTKEY? prints the device key): the
    serial trace records its length only."""
    claims: tuple[str, ...] = ()
    """Network reports starting with one of these (any case) are this query's answer, not
    events (`AT+CREG?` claims `+CREG:`); every other report is an event, never a value."""
    reports_login: bool = False
    """`CONNECT OK` answers this command as its final would, and `CONNECT FAIL` refuses it:
    firmware that reports its login prints them instead of, or after, `OK` (AT+CIOTSTART)."""
    exchange: Exchange | None = None
    """What the module exchanges with the platform when it carries this out (exchanges.py),
    stated from the builder's arguments; None for what stays in the module."""

    def claim(self, text: str) -> bool:
        """Whether a report line is this command's answer (see `claims`)."""
        folded = text.casefold()
        return any(folded.startswith(prefix.casefold()) for prefix in self.claims)

    def encode(self) -> bytes:
        """Return the bytes to write: the line (UTF-8) and CR LF."""
        return f"{self.line}{_LINE_END}".encode()


def _simple(
    name: str, line: str, timeout: float = DEFAULT_TIMEOUT, exchange: Exchange | None = None
) -> Command:
    return Command(name=name, line=line, timeout=timeout, redacted_line=line, exchange=exchange)


def check_line_limit(line_limit: object) -> int:
    """`line_limit` if it is a whole number of bytes within the allowed range."""
    if (
        isinstance(line_limit, bool)
        or not isinstance(line_limit, int)
        or not MIN_LINE_LIMIT <= line_limit <= MAX_LINE_LIMIT
    ):
        msg = f"line_limit must be an integer from {MIN_LINE_LIMIT} to {MAX_LINE_LIMIT} bytes"
        raise M6311ValidationError(msg)
    return line_limit


def _check_int(what: str, value: object, low: int, high: int | None = None) -> int:
    # bool is an int subclass; True as a message id is a caller's bug, not 1.
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (high is not None and value > high)
    ):
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        msg = f"{what} must be an integer {bounds}"
        raise M6311ValidationError(msg)
    return value


def _check_token(what: str, value: object) -> str:
    # The message names the parameter, never its value: it may be a secret.
    if not isinstance(value, str) or not _TOKEN_PATTERN.fullmatch(value):
        msg = f"{what} must be non-empty printable ASCII without spaces, '\"' or ','"
        raise M6311ValidationError(
            msg, reason=Reason.PARAMETER_INVALID, placeholders={"parameter": what}
        )
    return value


def _line_bytes(line: str) -> int:
    return len(line.encode()) + len(_LINE_END)


def _check_length(command: Command, line_limit: int) -> Command:
    size = _line_bytes(command.line)
    if size > line_limit:
        msg = (
            f"the AT+{command.name} line would be {size} bytes with its line end, "
            f"more than the line limit of {line_limit}"
        )
        raise M6311ValidationError(
            msg,
            reason=Reason.LINE_TOO_LONG,
            placeholders={"command": command.name, "size": str(size), "limit": str(line_limit)},
        )
    return command


def _check_record(record: object) -> Record:
    # Typed callers cannot get this wrong; untyped ones (YAML, services) can.
    if not isinstance(record, Record):
        msg = f"records must be Record objects, not {type(record).__name__}"
        raise M6311ValidationError(msg)
    return record


def _check_records(records: Sequence[object]) -> None:
    if not records:
        msg = "at least one record is needed"
        raise M6311ValidationError(msg, reason=Reason.RECORDS_EMPTY)
    for record in records:
        _check_record(record)


def _check_bool(what: str, value: object) -> bool:
    if not isinstance(value, bool):
        msg = f"{what} must be True or False"
        raise M6311ValidationError(msg)
    return value


def at() -> Command:
    """`AT`: is the module there and in step?"""
    return _simple("AT", "AT")


def echo_off() -> Command:
    """`ATE0`: stop echoing command lines."""
    return _simple("ATE0", "ATE0")


def imei() -> Command:
    """`AT+CGSN`: the module's IMEI."""
    return _simple("CGSN", "AT+CGSN")


def firmware() -> Command:
    """`AT+CGMR`: the firmware version."""
    return _simple("CGMR", "AT+CGMR")


def signal() -> Command:
    """`AT+CSQ`: signal strength and bit error rate."""
    return _simple("CSQ", "AT+CSQ")


# -- the cellular network (3GPP 27.007; docs/protocol.md, §15) ---------------------------------

RESTART_TIMEOUT = 10.0
"""AT+CFUN=1,1 answers `OK` before the module resets (its start-up is waited for apart)."""


def _query(name: str, claims: str) -> Command:
    """`AT+<name>?`, whose `+<name>:` answer is also a report the module prints by itself."""
    line = f"AT+{name}?"
    return Command(
        name=name, line=line, timeout=DEFAULT_TIMEOUT, redacted_line=line, claims=(claims,)
    )


def registration() -> Command:
    """`AT+CREG?`: circuit-switched registration (`+CREG: <n>,<stat>`)."""
    return _query("CREG", "+CREG:")


def data_registration() -> Command:
    """`AT+CGREG?`: packet (GPRS) registration (`+CGREG: <n>,<stat>`), what OneNET needs."""
    return _query("CGREG", "+CGREG:")


def sim_state() -> Command:
    """`AT+CPIN?`: is the SIM there and unlocked (`+CPIN: READY`)?"""
    return _query("CPIN", "+CPIN:")


def registration_reports(*, data: bool) -> Command:
    """`AT+CREG=1` / `AT+CGREG=1`: print `+CREG: <stat>` whenever registration changes."""
    name = "CGREG" if data else "CREG"
    return _simple(name, f"AT+{name}=1")


def operator() -> Command:
    """`AT+COPS?`: the operator the module is registered with."""
    return _simple("COPS", "AT+COPS?")


def iccid() -> Command:
    """`AT+CCID?`: the SIM card's ICCID, asked as drivers of real M6311R and M6312 ask it."""
    return _simple("CCID", "AT+CCID?")


def imsi() -> Command:
    """`AT+CIMI`: the SIM's IMSI."""
    return _simple("CIMI", "AT+CIMI")


def restart() -> Command:
    """`AT+CFUN=1,1`: reset the module (it prints its start-up lines again)."""
    return _simple("CFUN", "AT+CFUN=1,1", RESTART_TIMEOUT)


def provisioning() -> Command:
    """`AT+CIOT?`: are master APIKEY, device ID and device key all stored?"""
    return _simple("CIOT", "AT+CIOT?")


def master_key_query() -> Command:
    """`AT+CIOTMKEY?`: is a master APIKEY stored (its value is not told)?"""
    return _simple("CIOTMKEY", "AT+CIOTMKEY?")


def set_master_key(key: str, *, line_limit: int = DEFAULT_LINE_LIMIT) -> Command:
    """`AT+CIOTMKEY="<key>"`: store the master APIKEY, quoted.

    The document's format line writes it bare, but its own example (§4.2.1) and every driver
    of real modules of this family quote it, and newer firmware refuses it bare (see
    docs/protocol.md, evidence); firmware that takes it bare takes it quoted too. The module
    deletes the device ID and key it made with a previous master key.
    """
    _check_token("the master APIKEY", key)
    command = Command(
        name="CIOTMKEY",
        line=f'AT+CIOTMKEY="{key}"',
        timeout=DEFAULT_TIMEOUT,
        redacted_line=f'AT+CIOTMKEY="{REDACTED}"',
        secrets=(key,),
    )
    return _check_length(command, check_line_limit(line_limit))


def init_device() -> Command:
    """`AT+CIOTINIT`: create (or check) the device and its key on the platform over HTTP."""
    return _simple("CIOTINIT", "AT+CIOTINIT", INIT_TIMEOUT)


def device_id_query() -> Command:
    """`AT+CIOTID?`: the stored device ID."""
    return _simple("CIOTID", "AT+CIOTID?")


def clear_device_id() -> Command:
    """`AT+CIOTIDC`: delete the stored device ID, and with it the device key."""
    return _simple("CIOTIDC", "AT+CIOTIDC")


def device_key_query() -> Command:
    """`AT+CIOTKEY?`: the stored device APIKEY (the answer is a secret; the line is not)."""
    return Command(
        name="CIOTKEY",
        line="AT+CIOTKEY?",
        timeout=DEFAULT_TIMEOUT,
        redacted_line="AT+CIOTKEY?",
        secret_answer=True,
    )


def clear_device_key() -> Command:
    """`AT+CIOTKEYC`: delete the stored device key only."""
    return _simple("CIOTKEYC", "AT+CIOTKEYC")


def status() -> Command:
    """`AT+CIOTSTATUS`: is the device logged in to the platform?"""
    return Command(
        name="CIOTSTATUS",
        line="AT+CIOTSTATUS",
        timeout=DEFAULT_TIMEOUT,
        redacted_line="AT+CIOTSTATUS",
        answer_prefixes=STATUS_ANSWER_PREFIXES,
    )


def start(encrypt: bool) -> Command:  # noqa: FBT001  # the contract's signature
    """`AT+CIOTSTART=0|1`: open the EDP link and log in, encrypted or not."""
    flag = int(_check_bool("encrypt", encrypt))
    line = f"AT+CIOTSTART={flag}"
    return Command(
        name="CIOTSTART",
        line=line,
        timeout=START_TIMEOUT,
        redacted_line=line,
        reports_login=True,
        exchange=OpensLink(encrypt),
    )


def send_data(
    msg_id: int, records: Sequence[Record], *, line_limit: int = DEFAULT_LINE_LIMIT
) -> Command:
    """`AT+CIOTDAT=<msg_id>,<num>,"<data>"`: send records on the open link.

    Args:
        msg_id: 0 (no platform acknowledgement) to 65535 (`SAVE succ!msg:<msg_id>` follows).
        records: at least one; `num` is their count.
        line_limit: longest line allowed, bytes with CR LF; see `send_data_batches` to split.
    """
    _check_int("msg_id", msg_id, 0, MSG_ID_MAX)
    _check_records(records)
    data = ";".join(encode_record(record) for record in records)
    line = f'{_DATA_PREFIX}{msg_id},{len(records)},"{data}"'
    command = Command(
        name="CIOTDAT",
        line=line,
        timeout=DATA_TIMEOUT,
        redacted_line=line,
        exchange=SavesData(msg_id, utf8_size(data)),
    )
    return _check_length(command, check_line_limit(line_limit))


def split_records(
    records: Sequence[Record],
    *,
    msg_id: int = 0,
    line_limit: int = DEFAULT_LINE_LIMIT,
    one_shot: bool = False,
) -> list[list[Record]]:
    """Spread records, in order, over as few AT+CIOTDAT lines of `line_limit` bytes as fit.

    With `one_shot` the lines are sized for AT+CIOTSEND instead (its prefix is longer); the
    encryption flag does not change the size, so either `send_once` accepts each batch.

    Raises:
        M6311ValidationError: a single record is too long for any line, or a bad argument.
    """
    # Why greedy (fill each line as far as it goes, then start the next) is optimal:
    # the length of a line holding a contiguous run of records is monotone: dropping records
    # from the run never makes the line longer (fewer record bytes, fewer `;`, and `num` has no
    # more digits). Let an optimal split end its lines after records o1 < o2 < ... < ok and
    # greedy after g1 < g2 < .... By induction gi >= oi: g1 >= o1 because greedy stops only
    # when the next record does not fit, and records 1..o1 fit. If gi >= oi, the run
    # gi+1..o(i+1) is part of the run oi+1..o(i+1), which fits, so it fits too and greedy's
    # line i+1 reaches at least o(i+1). So greedy reaches the last record within k lines.
    _check_int("msg_id", msg_id, 0, SEND_ONCE_MSG_ID_MAX if one_shot else MSG_ID_MAX)
    limit = check_line_limit(line_limit)
    # `<prefix><msg_id>,` + `<num>,"` + data + `"` + CR LF, data = records joined by `;`.
    prefix = _SEND_ONCE_PREFIX if one_shot else _DATA_PREFIX
    fixed = len(f'{prefix}{msg_id},,""') + len(_LINE_END)
    batches: list[list[Record]] = []
    batch: list[Record] = []
    data_size = 0  # bytes of the batch's data, separators included
    for item in records:
        record = _check_record(item)
        size = len(encode_record(record).encode())
        grown = data_size + size + (1 if batch else 0)
        if batch and fixed + len(str(len(batch) + 1)) + grown <= limit:
            batch.append(record)
            data_size = grown
            continue
        if fixed + 1 + size > limit:  # alone, with num = 1
            msg = (
                f"the record for {record.datastream!r} is {size} bytes: too long for one "
                f"AT+CIOTDAT line of at most {limit} bytes"
            )
            raise M6311ValidationError(
                msg,
                reason=Reason.RECORD_TOO_LONG,
                placeholders={"key": record.datastream, "size": str(size), "limit": str(limit)},
            )
        if batch:
            batches.append(batch)
        batch = [record]
        data_size = size
    if batch:
        batches.append(batch)
    return batches


def send_data_batches(
    msg_id: int, records: Sequence[Record], *, line_limit: int = DEFAULT_LINE_LIMIT
) -> list[Command]:
    """AT+CIOTDAT commands sending every record, in order, in as few lines as fit.

    Every command carries the same `msg_id`, so with `msg_id > 0` the platform acknowledges
    each line with the same `SAVE succ!msg:<msg_id>`.
    """
    _check_records(records)
    return [
        send_data(msg_id, batch, line_limit=line_limit)
        for batch in split_records(records, msg_id=msg_id, line_limit=line_limit)
    ]


def binary_header(
    msg_id: int, datastream: str, total_length: int, *, line_limit: int = DEFAULT_LINE_LIMIT
) -> Command:
    """`AT+CIOTBINSET=<msg_id>,<des>,<bin_lens>`: announce a binary upload of `total_length`.

    The datastream follows the record key rule (see `records`); the document writes the
    parameters unquoted.
    """
    _check_int("msg_id", msg_id, 0, MSG_ID_MAX)
    check_datastream(datastream)
    _check_int("total_length", total_length, 1)
    line = f"AT+CIOTBINSET={msg_id},{datastream},{total_length}"
    exchange = AnnouncesFile(msg_id, datastream, total_length)
    return _check_length(
        _simple("CIOTBINSET", line, exchange=exchange), check_line_limit(line_limit)
    )


def binary_chunk_capacity(line_limit: int = DEFAULT_LINE_LIMIT) -> int:
    """The most bytes one AT+CIOTBINSEND line of at most `line_limit` bytes can carry."""
    limit = check_line_limit(line_limit)
    overhead = len(_BINSEND_PREFIX) + len(",") + len(_LINE_END)
    size = (limit - overhead) // 2  # two hex digits a byte; the length digits cost more
    while overhead + len(str(size)) + 2 * size > limit:
        size -= 1
    return size


def _check_chunk(chunk: object) -> bytes:
    if not isinstance(chunk, (bytes, bytearray, memoryview)) or not chunk:
        msg = "a binary chunk must be non-empty bytes"
        raise M6311ValidationError(msg)
    return bytes(chunk)


def binary_chunk(
    chunk: bytes | bytearray | memoryview, *, line_limit: int = DEFAULT_LINE_LIMIT
) -> Command:
    """`AT+CIOTBINSEND=<bin_len>,<HEX>`: one non-empty chunk, as uppercase hex, unquoted.

    `bin_len` is the chunk's byte count, as the module checks. `binary_chunk_capacity` tells
    the largest chunk that fits `line_limit`.
    """
    data = _check_chunk(chunk)
    line = f"{_BINSEND_PREFIX}{len(data)},{data.hex().upper()}"
    command = _simple("CIOTBINSEND", line, BINARY_CHUNK_TIMEOUT, SendsChunk(len(data)))
    return _check_length(command, check_line_limit(line_limit))


def binary_end() -> Command:
    """`AT+CIOTBINEND`: end the binary upload; the module answers `+OK=` with its status."""
    return _simple("CIOTBINEND", "AT+CIOTBINEND", exchange=EndsFile())


def quit() -> Command:  # noqa: A001  # the command's own name (AT+CIOTQUIT)
    """`AT+CIOTQUIT`: close the platform link."""
    return _simple("CIOTQUIT", "AT+CIOTQUIT", QUIT_TIMEOUT, ClosesLink())


def send_once(
    encrypt: bool,  # noqa: FBT001  # the contract's signature
    msg_id: int,
    records: Sequence[Record],
    *,
    line_limit: int = DEFAULT_LINE_LIMIT,
) -> Command:
    """`AT+CIOTSEND=<encrypt>,<msg_id>,<num>,"<data>"`: connect, send, disconnect in one go.

    msg_id is 0..65534 here (the document forbids 65535). One line cannot be split: records
    that do not fit `line_limit` are refused.
    """
    flag = int(_check_bool("encrypt", encrypt))
    _check_int("msg_id", msg_id, 0, SEND_ONCE_MSG_ID_MAX)
    _check_records(records)
    data = ";".join(encode_record(record) for record in records)
    line = f'AT+CIOTSEND={flag},{msg_id},{len(records)},"{data}"'
    exchange = SendsOnce(encrypt, msg_id, utf8_size(data))
    command = _simple("CIOTSEND", line, SEND_ONCE_TIMEOUT, exchange)
    return _check_length(command, check_line_limit(line_limit))


def ping() -> Command:
    """`AT+CIOTPING`: heartbeat (the platform drops a link idle for 128 s)."""
    return Command(
        name="CIOTPING",
        line="AT+CIOTPING",
        timeout=PING_TIMEOUT,
        redacted_line="AT+CIOTPING",
        answer_prefixes=PING_ANSWER_PREFIXES,
        exchange=Pings(),
    )


def connect_stored_device() -> Command:
    """`AT+CIOTCONNECTPARA=0`: log in with the device ID and key made by AT+CIOTINIT."""
    return _simple("CIOTCONNECTPARA", "AT+CIOTCONNECTPARA=0", exchange=SetsLogin(None))


def connect_device(
    device_id: str, master_key: str, *, line_limit: int = DEFAULT_LINE_LIMIT
) -> Command:
    """`AT+CIOTCONNECTPARA=1,"<devid>","<apikey>"`: log in as a platform-made device.

    The master APIKEY is hidden in `redacted_line`; the module keeps these until it restarts.
    """
    _check_token("the device ID", device_id)
    _check_token("the master APIKEY", master_key)
    prefix = f'AT+CIOTCONNECTPARA=1,"{device_id}",'
    command = Command(
        name="CIOTCONNECTPARA",
        line=f'{prefix}"{master_key}"',
        timeout=DEFAULT_TIMEOUT,
        redacted_line=f'{prefix}"{REDACTED}"',
        secrets=(master_key,),
        exchange=SetsLogin(LoginSize(utf8_size(device_id), utf8_size(master_key))),
    )
    return _check_length(command, check_line_limit(line_limit))


def connect_project(
    project_id: str, auth_key: str, auth_value: str, *, line_limit: int = DEFAULT_LINE_LIMIT
) -> Command:
    """`AT+CIOTCONNECTPARA=2,"<projectid>","<key>","<value>"`: log in by auth_info.

    The auth_info value (the device's credential) is hidden in `redacted_line`; the module
    keeps these until it restarts.
    """
    _check_token("the project ID", project_id)
    _check_token("the auth_info key", auth_key)
    _check_token("the auth_info value", auth_value)
    prefix = f'AT+CIOTCONNECTPARA=2,"{project_id}","{auth_key}",'
    command = Command(
        name="CIOTCONNECTPARA",
        line=f'{prefix}"{auth_value}"',
        timeout=DEFAULT_TIMEOUT,
        redacted_line=f'{prefix}"{REDACTED}"',
        secrets=(auth_value,),
        exchange=SetsLogin(
            LoginSize(0, utf8_size(auth_info(auth_key, auth_value)), utf8_size(project_id))
        ),
    )
    return _check_length(command, check_line_limit(line_limit))


def newer_project_id(project_id: str) -> Command:
    """`AT+CIOTPROID=<project>`: the M6311R's way to store the project ID (unquoted)."""
    if not (project_id.isascii() and project_id.isdecimal()):
        msg = "the project ID must be digits"
        raise M6311ValidationError(
            msg, reason=Reason.PARAMETER_INVALID, placeholders={"parameter": "project ID"}
        )
    return _simple("CIOTPROID", f"AT+CIOTPROID={project_id}")


def newer_auth_info(auth_info: str) -> Command:
    """`AT+CIOTAUTHINFO="<auth info>"`: the M6311R's way to store the device's auth_info."""
    _check_token("the auth_info value", auth_info)
    return Command(
        name="CIOTAUTHINFO",
        line=f'AT+CIOTAUTHINFO="{auth_info}"',
        timeout=DEFAULT_TIMEOUT,
        redacted_line=f'AT+CIOTAUTHINFO="{REDACTED}"',
        secrets=(auth_info,),
    )


def connect_stored_project() -> Command:
    """`AT+CIOTCONNECTPARA=1` without parameters: the M6311R's login by what it stores.

    That is the project ID and the auth_info of AT+CIOTPROID and AT+CIOTAUTHINFO.
    """
    return _simple("CIOTCONNECTPARA", "AT+CIOTCONNECTPARA=1")


_RAW_PATTERN = re.compile(r"AT(?:\+?(?P<name>[A-Z][A-Z0-9]*)\??)?(?P<rest>.*)", re.IGNORECASE)
_RAW_TIMEOUTS = {
    "CIOTINIT": INIT_TIMEOUT,
    "CIOTSTART": START_TIMEOUT,
    "CIOTSEND": SEND_ONCE_TIMEOUT,
    "CIOTQUIT": QUIT_TIMEOUT,
    "CIOTPING": PING_TIMEOUT,
    "CIOTDAT": DATA_TIMEOUT,
    "CIOTBINSEND": BINARY_CHUNK_TIMEOUT,
}
_RAW_ANSWERS = {"CIOTPING": PING_ANSWER_PREFIXES, "CIOTSTATUS": STATUS_ANSWER_PREFIXES}
_RAW_SECRET_PARAMETERS = frozenset({"CIOTMKEY", "CIOTCONNECTPARA"})
"""Commands whose parameters may hold a master APIKEY or an auth_info value."""


_SECRET_ANSWERS = frozenset({"CIOTKEY", "CIOTMKEY"})
"""Commands whose answer may print a key (a firmware may print the master APIKEY too)."""


def raw(line: str, *, line_limit: int = DEFAULT_LINE_LIMIT) -> Command:
    """Any AT command line, for troubleshooting a module by hand.

    The line must start with `AT` and hold printable ASCII only (no line ends: one line is one
    command). Known commands keep their usual timeout and dialect answers; the parameters of
    commands that carry secrets are hidden in `redacted_line`.
    """
    text = str(line).strip()  # str(): untyped callers (YAML) may pass anything
    match = _RAW_PATTERN.fullmatch(text)
    if match is None or not text.isascii() or not text.isprintable():
        msg = "an AT command must start with AT and hold printable ASCII only, on one line"
        raise M6311ValidationError(msg, reason=Reason.AT_COMMAND_INVALID)
    name = (match["name"] or "AT").upper()
    redacted, secrets = text, tuple[str, ...]()
    if name in _RAW_SECRET_PARAMETERS and "=" in text:
        head, parameters = text.split("=", 1)
        redacted = f"{head}={REDACTED}"
        # Every parameter may be the secret one; the whole list is one more, as echoed.
        secrets = (parameters, *(part.strip('" ') for part in parameters.split(",")))
    command = Command(
        name=name,
        line=text,
        timeout=_RAW_TIMEOUTS.get(name, DEFAULT_TIMEOUT),
        redacted_line=redacted,
        answer_prefixes=_RAW_ANSWERS.get(name, ()),
        secrets=tuple(secret for secret in secrets if secret),
        secret_answer=name in _SECRET_ANSWERS,
        exchange=typed_exchange(text),
    )
    return _check_length(command, check_line_limit(line_limit))
