"""Exceptions raised by the M6311 protocol library.

Every exception derives from `M6311Error`. A module's `+ERR=<code>` answer becomes the
subclass of `M6311CommandError` for that code, so callers can catch exactly what they can act
on (for example `NoMasterKeyError` means "store a master APIKEY first"). Exception texts name
the command, never its parameters: parameters may hold secrets (master APIKEY, device key).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from collections.abc import Mapping


class Reason(StrEnum):
    """Why a call was refused or failed, for applications that say it in their own words.

    `M6311Error.reason` holds one, and `M6311Error.placeholders` the values its message names
    (never a secret). The error's text says the same in English.
    """

    # Validation: nothing was sent.
    KEY_INVALID = "key_invalid"
    VALUE_TYPE = "value_type"
    VALUE_INTEGER_TOO_LONG = "value_integer_too_long"
    VALUE_NOT_FINITE = "value_not_finite"
    VALUE_EMPTY = "value_empty"
    VALUE_CHARACTER = "value_character"
    TIME_FORMAT = "time_format"
    TIME_INVALID = "time_invalid"
    TIME_TYPE = "time_type"
    RECORDS_EMPTY = "records_empty"
    RECORD_TOO_LONG = "record_too_long"
    LINE_TOO_LONG = "line_too_long"
    LINE_REFUSED = "line_refused"
    MODE_REFUSED = "mode_refused"
    PARAMETER_INVALID = "parameter_invalid"
    AT_COMMAND_INVALID = "at_command_invalid"
    # Time-outs.
    NO_ANSWER = "no_answer"
    LOGIN_UNCONFIRMED = "login_unconfirmed"
    NOT_ACKNOWLEDGED = "not_acknowledged"
    OUT_OF_STEP = "out_of_step"
    # Anything else.
    OTHER = "other"


class M6311Error(Exception):
    """Base of every error of this library."""

    def __init__(
        self,
        *args: object,
        reason: Reason = Reason.OTHER,
        placeholders: Mapping[str, str] | None = None,
    ) -> None:
        """The message, and why in a form an application can translate (see `Reason`)."""
        super().__init__(*args)
        self.reason = reason
        self.placeholders: dict[str, str] = dict(placeholders or {})


class M6311ConnectionError(M6311Error):
    """The serial port could not be opened, or it closed (unplug, socket lost)."""


class M6311TimeoutError(M6311Error):
    """The module gave no final answer to a command in time (or no acknowledgement)."""


class LoginUnconfirmedError(M6311TimeoutError):
    """The module took the login (`OK`) but did not report it up in time.

    A slow network or platform, never a refusal: it does not count toward asking for new
    credentials.
    """

    def __init__(self, seconds: float) -> None:
        """Say how long the login was waited for."""
        super().__init__(
            f"CIOTSTART: the module accepted the login but did not report it up within"
            f" {seconds:g} s",
            reason=Reason.LOGIN_UNCONFIRMED,
            placeholders={"seconds": f"{seconds:g}"},
        )


class M6311ValidationError(M6311Error, ValueError):
    """A command's parameters break the module's rules; nothing was sent."""


class M6311ProtocolError(M6311Error):
    """An unexpected answer: its final result or its lines do not fit the command."""


class NotAnM6311Error(M6311ProtocolError):
    """Something answers `AT` on the port, but not the OneNET commands as an M6311 does."""


class M6311CommandError(M6311Error):
    """The module answered a command with an error (`+ERR`, `+ERR=<code>` or `ERROR`)."""

    code: ClassVar[int | None] = None
    meaning: ClassVar[str] = "the module reported an error"

    answer: str | None = None
    """The final line the module printed (`ERROR`, `+ERR=-108`), when it printed one."""

    def __init__(self, command: str, code: int | None = None) -> None:
        """Describe the failed command by its name (for example `CIOTSTART`)."""
        self.command = command
        if code is not None and code != type(self).code:
            self.error_code: int | None = code
        else:
            self.error_code = type(self).code
        suffix = f" ({self.error_code})" if self.error_code is not None else ""
        placeholders = {
            "command": command,
            "code": "" if self.error_code is None else str(self.error_code),
        }
        super().__init__(f"{command} failed: {self.meaning}{suffix}", placeholders=placeholders)


class WlanError(M6311CommandError):
    """-100: the module's radio (WLAN/cellular) is not ready."""

    code = -100
    meaning = "WLAN error"


class NetworkError(M6311CommandError):
    """-101: the network could not be reached."""

    code = -101
    meaning = "network error"


class NoMasterKeyError(M6311CommandError):
    """-102: no master APIKEY is stored in the module."""

    code = -102
    meaning = "no master key"


class NoDeviceIdError(M6311CommandError):
    """-103: no device ID is stored in the module."""

    code = -103
    meaning = "no device ID"


class NoDeviceKeyError(M6311CommandError):
    """-104: no device APIKEY is stored in the module."""

    code = -104
    meaning = "no device key"


class DeviceNotOnlineError(M6311CommandError):
    """-105: the device is not logged in to the platform."""

    code = -105
    meaning = "device not online"


class InvalidOperationError(M6311CommandError):
    """-106: the command is not allowed in the module's current state."""

    code = -106
    meaning = "invalid operation"


class FileSendError(M6311CommandError):
    """-107: a binary upload failed."""

    code = -107
    meaning = "file send error"


class ParameterError(M6311CommandError):
    """-108: the module refused the command's parameters."""

    code = -108
    meaning = "parameter error"


class DeviceConnectError(M6311CommandError):
    """-109: logging in to the platform failed (credentials, or the platform refused)."""

    code = -109
    meaning = "device connect failed"


class LoginRefusedError(DeviceConnectError):
    """-109 with a signal on the air: the platform refused the login (check the credentials)."""


class LoginUnreachableError(DeviceConnectError):
    """-109 without a signal (AT+CSQ says 99): no network, whatever the credentials."""


class DataSendError(M6311CommandError):
    """-110: data could not be sent to the platform."""

    code = -110
    meaning = "data send failed"


class DeviceDisconnectError(M6311CommandError):
    """-111: closing the platform connection failed."""

    code = -111
    meaning = "device disconnect failed"


class DeviceInitError(M6311CommandError):
    """-112: creating the device or its key on the platform failed."""

    code = -112
    meaning = "device parameter init failed"


ERRORS_BY_CODE: dict[int, type[M6311CommandError]] = {  # the document's §3.2
    -100: WlanError,
    -101: NetworkError,
    -102: NoMasterKeyError,
    -103: NoDeviceIdError,
    -104: NoDeviceKeyError,
    -105: DeviceNotOnlineError,
    -106: InvalidOperationError,
    -107: FileSendError,
    -108: ParameterError,
    -109: DeviceConnectError,
    -110: DataSendError,
    -111: DeviceDisconnectError,
    -112: DeviceInitError,
}

DOCUMENTED_CODES = frozenset(ERRORS_BY_CODE)
"""The module's documented error codes (-100 to -112), each with an exception of its own."""
"""The exception for each error code the M6311 document lists (-100 to -112)."""


def error_for_code(command: str, code: int | None) -> M6311CommandError:
    """Return the exception for a module error answer to `command` (code None: a bare error)."""
    if code is None:
        return M6311CommandError(command)
    return ERRORS_BY_CODE.get(code, M6311CommandError)(command, code)


class ModeRefusedError(M6311CommandError):
    """The module takes neither the document's nor the M6311R's parameters of a login mode."""

    def __init__(self, mode: int, answer: str | None) -> None:
        """Say which mode, and what the module answered instead of `OK`."""
        super().__init__("CIOTCONNECTPARA")
        said = answer or "nothing"
        self.args = (
            f"CIOTCONNECTPARA: the module does not take login mode {mode}; it answered {said}",
        )
        self.reason = Reason.MODE_REFUSED
        self.placeholders = {"mode": str(mode), "answer": said}
        self.answer = answer


def refused_as_unknown(error: M6311CommandError) -> bool:
    """A parameter error (-108) or a bare error without a code.

    That is how firmware refuses a form of a command it does not take: a line too long, a
    dialect's parameters.
    """
    return isinstance(error, ParameterError) or error.error_code is None
