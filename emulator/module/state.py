"""What the module keeps across power cycles: master key, device ID and device key.

The M6311R keeps its project ID and auth info too (AT+CIOTPROID, AT+CIOTAUTHINFO).

A real module writes these to flash; the emulator writes them to a JSON file (or keeps them in
memory when no path is given, which is what most tests want).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import os


@dataclass
class Stored:
    """The three values AT+CIOT? asks about, and the M6311R's two."""

    master_key: str | None = None
    device_id: str | None = None
    device_key: str | None = None
    project_id: str | None = None
    auth_info: str | None = None


_M6311R_VALUES = ("project_id", "auth_info")
"""Written only once set, so that a documented module's file keeps its three values."""


class StateStore:
    """Loads and saves `Stored`; file I/O runs in a worker thread to keep the loop free."""

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        """Use the JSON file at `path`, or memory only when None."""
        self.path = None if path is None else Path(path)
        self.stored = Stored()

    async def load(self) -> Stored:
        """Read the file (a missing file means a factory-new module)."""
        if self.path is not None:
            self.stored = await asyncio.to_thread(_read, self.path)
        return self.stored

    async def save(self) -> None:
        """Write the current values (atomically: a crash leaves the old or the new file)."""
        if self.path is not None:
            values = {
                name: value
                for name, value in asdict(self.stored).items()
                if value is not None or name not in _M6311R_VALUES
            }
            await asyncio.to_thread(_write, self.path, values)


def _read(path: Path) -> Stored:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Stored()
    return Stored(
        master_key=_optional_str(raw.get("master_key")),
        device_id=_optional_str(raw.get("device_id")),
        device_key=_optional_str(raw.get("device_key")),
        project_id=_optional_str(raw.get("project_id")),
        auth_info=_optional_str(raw.get("auth_info")),
    )


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _write(path: Path, values: dict[str, str | None]) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(values, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)
