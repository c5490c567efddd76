"""An emulated M6311 cellular module speaking OneNET's AT commands on a real pseudo-terminal.

The module talks EDP (TCP) and the HTTP API to a platform (normally `emulator.platform`).
Everything the M6311 document leaves open is decided in `engine` (commands) and `dialect`
(what is printed); the public entry point is `ModuleEmulator`.
"""

from .cloud import CloudLink, Login
from .dialect import Dialect, parse_dialect
from .emulator import ModuleEmulator
from .engine import Code, ConnectMode, ModuleConfig
from .network import Sim, Stat
from .profile import PROFILES, Profile, profile_named
from .state import Stored

__all__ = [
    "PROFILES",
    "CloudLink",
    "Code",
    "ConnectMode",
    "Dialect",
    "Login",
    "ModuleConfig",
    "ModuleEmulator",
    "Profile",
    "Sim",
    "Stat",
    "Stored",
    "parse_dialect",
    "profile_named",
]
