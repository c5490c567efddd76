"""What the module prints, in the documented form or in one of the dialects seen in the wild.

A dialect also carries the behaviours of real firmwares that differ from the document (a login
that ends in `CONNECT OK` later, a slow start, the M6311R's provisioning commands): the
firmware (`engine`) and the emulator read those flags, this module only the printing ones.

Every line is framed as V.25ter verbose mode frames it (`<CR><LF>text<CR><LF>`): the document
writes answers as `+OK<CR><LF>`, and real modules put the same line end in front of each answer,
so a client that splits on line ends sees exactly the documented text.
"""

from __future__ import annotations

import enum


class Dialect(enum.Flag):
    """Switches from the documented answers and behaviours to other firmwares'; flags combine."""

    DOCUMENTED = 0
    PLAIN_RESULT = enum.auto()
    """`OK` / `ERROR` instead of `+OK` / `+ERR`, as V.25ter final result codes: an error code
    is lost, and a value comes first as an information line `+<CMD>: <value>`."""
    PING_COLON = enum.auto()
    """`+CIOTPING: OK` instead of `+OK PING succ!`."""
    STATUS_NUMERIC = enum.auto()
    """`+CIOTSTATUS: 1` / `+CIOTSTATUS: 0` then the final result, instead of `+OK=device_up`."""
    STATUS_BARE = enum.auto()
    """`CIOTSTATUS:device_up` / `CIOTSTATUS:device_down` then the final result (section 4.3.5)."""
    CIOTCMD = enum.auto()
    """Downlink commands as `+CIOTCMD:<len>,<data>` instead of `+IOTCMD=<len>,<data>`."""
    CR_ONLY = enum.auto()
    """Lines end with a bare CR instead of CR LF."""
    CONNECT_OK = enum.auto()
    """`CONNECT OK` printed after the `+OK` of `AT+CIOTSTART`."""
    CONNECT_LATE = enum.auto()
    """AT+CIOTSTART answers its final result at once and logs in behind it: `CONNECT OK`
    follows `connect_delay` s after the platform accepted (the link counts as up from then on),
    `CONNECT FAIL` when the login is refused or TCP fails (instead of an error final)."""
    CONNECT_ONLY = enum.auto()
    """As CONNECT_LATE, but AT+CIOTSTART prints no final result: only `CONNECT OK` / `CONNECT
    FAIL` (errors found before trying, such as -103 or -106, still answer as errors)."""
    QUOTED_MKEY = enum.auto()
    """AT+CIOTMKEY takes only `AT+CIOTMKEY="<key>"`; the bare form is a parameter error."""
    CGSN_PLUS = enum.auto()
    """`+CGSN: <imei>` instead of the bare IMEI line."""
    CGSN_INDEXED = enum.auto()
    """`+CGSN: 1,<imei>` instead of the bare IMEI line (wins over CGSN_PLUS)."""
    REPORTS = enum.auto()
    """Network reports (`+CREG: 1`, `+CGREG: 0,1`, `+CEREG: 1`, `+CTZV: ...`, in turn) inside
    answers: one before the first line, one between the information lines and the final."""
    SLOW_START = enum.auto()
    """At power-on and reboot the module is deaf (no echo, no answer) for `startup_delay` s,
    then prints `RDY`, `+CPIN: READY`, `Call Ready`, `SMS Ready` and `+PBREADY`."""
    R_PROVISIONING = enum.auto()
    """The M6311R's commands besides the documented ones: AT+CIOTPROID, AT+CIOTAUTHINFO,
    `AT+CIOTINIT="<title>","<desc>"` and `AT+CIOTCONNECTPARA=1` (the stored project login)."""
    R_ONLY = enum.auto()
    """The M6311R's commands instead of the documented logins: AT+CIOTCONNECTPARA modes 1 and
    2 with parameters are refused (-108); implies R_PROVISIONING."""


REPORT_CYCLE = (b"+CREG: 1", b"+CGREG: 0,1", b"+CEREG: 1", b"+CTZV: 18/01/05,08:00:00,+32")
"""The network reports REPORTS prints, in turn: registered on GSM, GPRS and LTE, then the
network's time zone report (the one the water-meter driver waits for as its sign of life)."""

BOOT_LINE = b"RDY"
SLOW_BOOT_LINES = (BOOT_LINE, b"+CPIN: READY", b"Call Ready", b"SMS Ready", b"+PBREADY")
"""What a module of the SIM800 lineage prints once it is up: ready, SIM ready, then its call,
SMS and phone-book parts (the second line says what the SIM is: see `Phrases.boot`)."""

_FINAL_RESULTS = (b"OK", b"ERROR")
_FINAL_PREFIXES = (b"+OK", b"+ERR", b"+CME ERROR")


def parse_dialect(text: str) -> Dialect:
    """Read a dialect from names joined by `|` or `,` (e.g. `plain_result|cr_only`)."""
    dialect = Dialect.DOCUMENTED
    for name in text.replace(",", "|").split("|"):
        stripped = name.strip().upper()
        if stripped:
            dialect |= Dialect[stripped]
    return dialect


class Phrases:
    """The lines (without framing) of every answer, in one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        """Remember the dialect; it can change at run time through `dialect`."""
        self.dialect = dialect
        self._reports_printed = 0

    @property
    def eol(self) -> bytes:
        """The line end of this dialect."""
        return b"\r" if Dialect.CR_ONLY in self.dialect else b"\r\n"

    def frame(self, lines: list[bytes]) -> bytes:
        """Put each line between line ends, as V.25ter verbose mode does."""
        eol = self.eol
        return b"".join(eol + line + eol for line in lines)

    def ok(self, value: str | None = None, name: str = "") -> list[bytes]:
        """Success of a CIOT command, `+OK` or `+OK=<value>`; `name` is the command (`+CIOTID`)."""
        if Dialect.PLAIN_RESULT in self.dialect:
            info = [f"{name}: {value}".encode()] if value else []
            return [*info, b"OK"]
        return [b"+OK" if value is None else b"+OK=" + value.encode()]

    def err(self, code: int | None = None) -> list[bytes]:
        """Failure of a CIOT command, `+ERR` or `+ERR=<code>`."""
        if Dialect.PLAIN_RESULT in self.dialect:
            return [b"ERROR"]
        return [b"+ERR" if code is None else f"+ERR={code}".encode()]

    def ping_ok(self) -> list[bytes]:
        """A heartbeat the platform answered."""
        if Dialect.PING_COLON in self.dialect:
            return [b"+CIOTPING: OK"]
        if Dialect.PLAIN_RESULT in self.dialect:
            return [b"OK"]
        return [b"+OK PING succ!"]

    def status(self, *, up: bool) -> list[bytes]:
        """The answer to AT+CIOTSTATUS (numeric wins when both status flags are set)."""
        if Dialect.STATUS_NUMERIC in self.dialect:
            return [f"+CIOTSTATUS: {int(up)}".encode(), *self.ok()]
        if Dialect.STATUS_BARE in self.dialect:
            return [b"CIOTSTATUS:device_up" if up else b"CIOTSTATUS:device_down", *self.ok()]
        # The document writes the two states with different capitals; kept byte for byte.
        return self.ok("device_up" if up else "Device_down", "+CIOTSTATUS")

    def started(self) -> list[bytes]:
        """The answer to a successful AT+CIOTSTART."""
        return [*self.ok(), *([b"CONNECT OK"] if Dialect.CONNECT_OK in self.dialect else [])]

    def connect_result(self, *, connected: bool) -> list[bytes]:
        """How a login behind the answer (CONNECT_LATE, CONNECT_ONLY) ended."""
        return [b"CONNECT OK" if connected else b"CONNECT FAIL"]

    def imei(self, imei: str) -> str:
        """The information line of AT+CGSN."""
        if Dialect.CGSN_INDEXED in self.dialect:
            return f"+CGSN: 1,{imei}"
        if Dialect.CGSN_PLUS in self.dialect:
            return f"+CGSN: {imei}"
        return imei

    def boot(self, cpin: bytes = SLOW_BOOT_LINES[1]) -> list[bytes]:
        """The lines a module prints once it has started; `cpin` is the SIM's line."""
        if Dialect.SLOW_START not in self.dialect:
            return [BOOT_LINE]
        return [BOOT_LINE, cpin, *SLOW_BOOT_LINES[2:]]

    def with_reports(self, lines: list[bytes]) -> list[bytes]:
        """An answer with network reports in it, under REPORTS (else `lines` as they are).

        Real modules print such reports whenever the network changes, so also inside answers;
        here they come at two fixed places, which tests can expect byte for byte: before the
        first line, and between the information lines and the final result.
        """
        if Dialect.REPORTS not in self.dialect or not lines:
            return lines
        reported = [self._next_report(), *lines]
        final = _final_index(lines)
        if final:  # some lines come before the final result: a report goes between them
            reported.insert(final + 1, self._next_report())
        return reported

    def _next_report(self) -> bytes:
        report = REPORT_CYCLE[self._reports_printed % len(REPORT_CYCLE)]
        self._reports_printed += 1
        return report

    def command(self, body: bytes) -> list[bytes]:
        """A platform command for the MCU; the length counts bytes, the body goes out raw."""
        prefix = b"+CIOTCMD:" if Dialect.CIOTCMD in self.dialect else b"+IOTCMD="
        return [prefix + str(len(body)).encode() + b"," + body]

    @staticmethod
    def std_ok(*info: str) -> list[bytes]:
        """A standard (V.25ter / 27.007) command's answer: information lines, then `OK`."""
        return [*(line.encode() for line in info), b"OK"]

    @staticmethod
    def std_error() -> list[bytes]:
        """A standard command's failure."""
        return [b"ERROR"]

    @staticmethod
    def cme_error(code: int) -> list[bytes]:
        """A 27.007 command's failure with its mobile equipment error (`+CME ERROR: 10`)."""
        return [f"+CME ERROR: {code}".encode()]


def _final_index(lines: list[bytes]) -> int | None:
    """Where the final result is: the last line that is one (lines after it are unsolicited)."""
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if line in _FINAL_RESULTS or line.startswith(_FINAL_PREFIXES):
            return index
    return None
