"""Errors the platform emulator answers with, as OneNET's `errno` / `error` pairs."""

from enum import IntEnum


class Errno(IntEnum):
    """The `errno` values the emulator answers.

    0, 6 and 10 are confirmed from the real platform. The others are this emulator's choice
    (the real platform's values are not documented in the project's sources): 2 for a missing
    or unknown api-key, 4 for a valid key used outside its rights, 3 for an unknown device,
    5 for an unknown command and 12 for a command the device has not answered (yet).
    """

    SUCCESS = 0
    AUTH_FAILED = 2
    DEVICE_NOT_EXIST = 3
    PERMISSION_DENIED = 4
    NOT_FOUND = 5
    INVALID_PARAMETER = 6
    DEVICE_NOT_ONLINE = 10
    NO_RESPONSE = 12


class ApiError(Exception):
    """A failed platform call; the HTTP API answers it as `{"errno":..,"error":..}`."""

    def __init__(self, errno: Errno, error: str) -> None:
        """Keep the errno and the error text."""
        super().__init__(f"errno {errno}: {error}")
        self.errno = errno
        self.error = error


def invalid_parameter(detail: str) -> ApiError:
    """Errno 6, worded as the platform words it: `invalid parameter: <detail>`."""
    return ApiError(Errno.INVALID_PARAMETER, f"invalid parameter: {detail}")
