"""The outbox's SQLite file: the only code that touches it, run on the outbox's own thread.

One table of records in queue order (the id is the order), one of counters, and one of the
last value that entered the queue per datastream. Every change the event loop gathered goes in
one transaction (`apply`): new records, deleted ones, counters, last values, and, when asked, a
read of the next records for the in-memory window. WAL journal and `synchronous=FULL`, as a
power cut is the fault this file exists for: a committed transaction survives it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from .values import QueuedValue

type Row = tuple[int, str, QueuedValue, str | None]
"""id, datastream, value, time."""


class QueuedRecord(Protocol):
    """What the file keeps of a record (the outbox's `OutboxRecord`)."""

    @property
    def datastream(self) -> str: ...  # noqa: D102
    @property
    def value(self) -> QueuedValue: ...  # noqa: D102
    @property
    def time(self) -> str | None: ...  # noqa: D102


SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY,
    datastream TEXT NOT NULL,
    value ANY NOT NULL,
    time TEXT
) STRICT;
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS last_values (
    datastream TEXT PRIMARY KEY,
    value ANY NOT NULL
) STRICT;
"""
PAGE_SIZE = 1024
"""Bytes per database page (SQLite's default is 4096); docs/benchmark.md has the figures."""


@dataclass(slots=True)
class Changes:
    """What one transaction writes, gathered on the event loop since the last one."""

    inserts: Mapping[int, QueuedRecord] = field(default_factory=dict)
    """New records by id; turned into rows on the outbox's thread, not on the event loop."""
    delete_through: int = 0
    """Confirmed: every record with an id up to this one leaves (one statement)."""
    delete_ids: list[int] = field(default_factory=list)
    """Dropped from the in-memory window because the outbox was full."""
    drop_oldest_after: int = 0
    drop_oldest: int = 0
    """Dropped past the window: the `drop_oldest` first records with an id above
    `drop_oldest_after`, which only the file holds."""
    counters: dict[str, int] = field(default_factory=dict)
    last_values: dict[str, QueuedValue] = field(default_factory=dict)
    read_after: int | None = None
    read_limit: int = 0
    """With `read_after`, the transaction ends by reading the next records for the window."""

    def __bool__(self) -> bool:
        """Whether there is anything to do."""
        return bool(
            self.inserts
            or self.delete_through
            or self.delete_ids
            or self.drop_oldest
            or self.counters
            or self.last_values
            or self.read_after is not None
        )


@dataclass(frozen=True, slots=True)
class Loaded:
    """What the file holds when it is opened."""

    length: int
    last_id: int
    counters: dict[str, int]
    last_values: dict[str, QueuedValue]
    window: list[Row]


class OutboxDatabase:
    """One connection, opened and used on one thread only."""

    def __init__(self, path: Path) -> None:
        """Nothing is opened before `open`."""
        self.path = path
        self._db: sqlite3.Connection | None = None

    def open(self, window: int) -> Loaded:
        """Open (or create) the file and read what it holds, with the first `window` records.

        A file SQLite cannot read raises `sqlite3.DatabaseError`; see `move_aside`.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=True)
        try:
            # Each transaction appends whole pages to the journal: small pages, fewer bytes on
            # an SD card per record (a new file only; the size is fixed when it is created).
            db.execute(f"PRAGMA page_size={PAGE_SIZE}")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.executescript(SCHEMA)
            loaded = self._read_all(db, window)
        except BaseException:
            db.close()
            raise
        self._db = db
        return loaded

    def move_aside(self) -> Path:
        """Rename an unreadable file (and its journal) out of the way; the new name.

        Home Assistant's recorder does the same with a database it cannot read: the data
        stays for a person to look at, and a new file lets forwarding go on.
        """
        aside = self.path.with_name(self.path.name + ".corrupt")
        for suffix in ("", "-wal", "-shm"):
            source = self.path.with_name(self.path.name + suffix)
            if source.exists():
                source.replace(aside.with_name(aside.name + suffix))
        return aside

    @staticmethod
    def _read_all(db: sqlite3.Connection, window: int) -> Loaded:
        length, last_id = db.execute(
            "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM records"
        ).fetchone()
        counters = dict(db.execute("SELECT name, value FROM counters").fetchall())
        last_values = dict(db.execute("SELECT datastream, value FROM last_values").fetchall())
        rows = db.execute(
            "SELECT id, datastream, value, time FROM records ORDER BY id LIMIT ?", (window,)
        ).fetchall()
        return Loaded(length, last_id, counters, last_values, rows)

    def apply(self, changes: Changes) -> list[Row]:
        """Write `changes` in one transaction; the records read, when asked."""
        db = self._connection()
        with db:  # one transaction: all of it or nothing
            db.execute("BEGIN IMMEDIATE")
            if changes.inserts:
                db.executemany(
                    "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?)",
                    (
                        (record_id, record.datastream, record.value, record.time)
                        for record_id, record in changes.inserts.items()
                    ),
                )
            if changes.delete_through:
                db.execute("DELETE FROM records WHERE id <= ?", (changes.delete_through,))
            if changes.delete_ids:
                db.executemany(
                    "DELETE FROM records WHERE id = ?", ((i,) for i in changes.delete_ids)
                )
            if changes.drop_oldest:
                db.execute(
                    "DELETE FROM records WHERE id IN"
                    " (SELECT id FROM records WHERE id > ? ORDER BY id LIMIT ?)",
                    (changes.drop_oldest_after, changes.drop_oldest),
                )
            if changes.counters:
                db.executemany(
                    "INSERT OR REPLACE INTO counters VALUES (?, ?)", changes.counters.items()
                )
            if changes.last_values:
                db.executemany(
                    "INSERT OR REPLACE INTO last_values VALUES (?, ?)",
                    changes.last_values.items(),
                )
            if changes.read_after is None:
                return []
            rows: list[Row] = db.execute(
                "SELECT id, datastream, value, time FROM records WHERE id > ? ORDER BY id LIMIT ?",
                (changes.read_after, changes.read_limit),
            ).fetchall()
            return rows

    def close(self) -> None:
        """Close the connection (a checkpoint folds the journal into the file)."""
        if self._db is not None:
            self._db.close()
            self._db = None

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            msg = "the outbox file is not open"
            raise sqlite3.ProgrammingError(msg)
        return self._db
