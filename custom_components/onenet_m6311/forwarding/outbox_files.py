"""The outbox's files: where they live, the import of an earlier release's, their removal."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.helpers.storage import STORAGE_DIR, Store

from ..const import DOMAIN, LOGGER
from .outbox import OutboxRecord

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .outbox import Outbox

LEGACY_STORE_VERSION = 1
_JOURNAL_SUFFIXES = ("", "-wal", "-shm", ".corrupt", ".corrupt-wal", ".corrupt-shm")


def outbox_path(hass: HomeAssistant, entry_id: str) -> Path:
    """The entry's SQLite outbox, in `.storage/` beside Home Assistant's own files."""
    return Path(hass.config.path(STORAGE_DIR, f"{DOMAIN}.outbox.{entry_id}.sqlite"))


def _legacy_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """The JSON outbox (`Store`) that releases before the SQLite one kept."""
    return Store(hass, LEGACY_STORE_VERSION, f"{DOMAIN}.outbox.{entry_id}")


async def async_import_legacy_outbox(hass: HomeAssistant, entry_id: str, outbox: Outbox) -> None:
    """Move what the JSON outbox held into `outbox`, once, then remove the JSON file.

    The records and a mark that they came in are written in one transaction before the file
    goes, so a crash in between neither loses nor doubles them.
    """
    store = _legacy_store(hass, entry_id)
    stored = await store.async_load()
    if stored is None:
        return
    if not outbox.legacy_imported:
        records = [OutboxRecord(*fields) for fields in stored.get("records", [])]
        await outbox.async_import(
            records, sent=int(stored.get("sent", 0)), dropped=int(stored.get("dropped", 0))
        )
        LOGGER.info("Moved %d queued records from the earlier outbox file", len(records))
    await store.async_remove()


async def async_remove_outbox_files(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the entry's outbox (and a JSON one left by an earlier release)."""
    path = outbox_path(hass, entry_id)

    def remove() -> None:
        for suffix in _JOURNAL_SUFFIXES:
            with contextlib.suppress(FileNotFoundError):
                path.with_name(path.name + suffix).unlink()

    await hass.async_add_executor_job(remove)
    await _legacy_store(hass, entry_id).async_remove()
