"""What the module prints, in the documented form or in one of the dialects seen in the wild.

Every line is framed as V.25ter verbose mode frames it (`<CR><LF>text<CR><LF>`): the document
writes answers as `+OK<CR><LF>`, and real modules put the same line end in front of each answer,
so a client that splits on line ends sees exactly the documented text.
"""

from __future__ import annotations

import enum


class Dialect(enum.Flag):
    """Switches from the documented answers to forms other firmwares print; flags combine."""

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
