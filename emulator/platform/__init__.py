"""An emulated OneNET platform: EDP server, HTTP API, web page, SQLite state.

Start it in-process with `PlatformEmulator` (see its docstring).
"""

from .edp_server import SaveAckForm
from .emulator import DEFAULT_MASTER_KEY, DEFAULT_PROJECT_ID, PlatformEmulator
from .errors import ApiError, Errno
from .store import Command, CommandStatus, StoredDatapoint, beijing_now

__all__ = [
    "DEFAULT_MASTER_KEY",
    "DEFAULT_PROJECT_ID",
    "ApiError",
    "Command",
    "CommandStatus",
    "Errno",
    "PlatformEmulator",
    "SaveAckForm",
    "StoredDatapoint",
    "beijing_now",
]
