"""The platform's state in SQLite: project, devices, keys, datastreams, datapoints, commands.

The calls are synchronous and run on the event loop. That is deliberate: the default
database is in memory, where every statement here takes microseconds, and a file database
only sees small single-row writes (autocommit, no fsync-heavy batches), which an emulator
for tests can afford. Moving them to a thread would buy nothing and leave executor threads
that the test harness counts as leaks.
"""

import base64
import json
import secrets
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from enum import IntEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
FIRST_DEVICE_ID = 35270468
"""Device ids are decimal strings counting up from here, like the platform's."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS project (
    id TEXT PRIMARY KEY, master_key TEXT NOT NULL, next_device INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]', location TEXT, private INTEGER NOT NULL DEFAULT 1,
    auth_info TEXT UNIQUE, protocol TEXT NOT NULL DEFAULT 'EDP',
    other TEXT NOT NULL DEFAULT '{}', create_time TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS keys (
    key TEXT PRIMARY KEY, title TEXT NOT NULL, access_methods TEXT NOT NULL,
    create_time TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS key_devices (
    key TEXT NOT NULL REFERENCES keys(key) ON DELETE CASCADE,
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    PRIMARY KEY (key, device_id));
CREATE TABLE IF NOT EXISTS datastreams (
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE, id TEXT NOT NULL,
    create_time TEXT NOT NULL, unit TEXT NOT NULL DEFAULT '',
    unit_symbol TEXT NOT NULL DEFAULT '', PRIMARY KEY (device_id, id));
CREATE TABLE IF NOT EXISTS datapoints (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    datastream_id TEXT NOT NULL, at TEXT NOT NULL, value TEXT NOT NULL,
    descriptor TEXT, size INTEGER, data BLOB);
CREATE TABLE IF NOT EXISTS commands (
    uuid TEXT PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    body BLOB NOT NULL, status INTEGER NOT NULL, qos INTEGER NOT NULL,
    timeout INTEGER NOT NULL, expires REAL, create_time TEXT NOT NULL, response BLOB);
"""


class CommandStatus(IntEnum):
    """Where a command stands (numbered as OneNET's command status query numbers them)."""

    DEVICE_OFFLINE = 0
    """Kept for a device that is offline, until it logs in or the timeout passes."""
    EXPIRED = 1
    SENT = 2
    SEND_FAILED = 3
    ANSWERED = 4


def canonical_auth_info(value: str | dict[str, Any]) -> str:
    """One spelling per auth_info, so a login matches however the JSON was spaced.

    auth_info is free text, or (older API, AT mode 2's key and value) a JSON object such as
    `{"SYS":"DcvGb46z..."}`; objects, given as such or as text, are kept as compact JSON.
    """
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return value
        if not isinstance(parsed, dict):
            return value
        value = parsed
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def beijing_now() -> str:
    """The current time as the platform writes it: Beijing time, `YYYY-MM-DD HH:MM:SS`."""
    return datetime.now(UTC).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True, slots=True)
class StoredDatapoint:
    """One stored datapoint; binary uploads carry their descriptor, size and bytes."""

    device_id: str
    datastream_id: str
    at: str
    value: Any
    descriptor: dict[str, Any] | None = None
    size: int | None = None
    data: bytes | None = None


@dataclass(frozen=True, slots=True)
class Command:
    """One command sent (or to be sent) to a device."""

    uuid: str
    device_id: str
    body: bytes
    status: CommandStatus
    qos: int
    timeout: int
    expires: float | None
    create_time: str
    response: bytes | None


class Store:
    """SQLite storage for one emulated project (one project per database file)."""

    def __init__(self, path: str | None, project_id: str, master_key: str) -> None:
        """Open (and create) the database; in memory when `path` is None."""
        self._db = sqlite3.connect(path or ":memory:", isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.executescript(_SCHEMA)
        self._db.execute(
            "INSERT INTO project (id, master_key, next_device) VALUES (?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET master_key = excluded.master_key",
            (project_id, master_key, FIRST_DEVICE_ID),
        )
        self.project_id = project_id
        self.master_key = master_key

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    # Devices

    def create_device(self, fields: dict[str, Any]) -> str:
        """Insert a device from validated API fields; return its new id."""
        # A counter, not MAX(id) + 1: a deleted device's id must never come back, or a module
        # checking "does my device still exist?" would find a stranger under its id.
        row = self._db.execute(
            "UPDATE project SET next_device = next_device + 1 WHERE id = ? RETURNING next_device",
            (self.project_id,),
        ).fetchone()
        device_id = str(row[0] - 1)
        self._db.execute(
            "INSERT INTO devices (id, title, description, tags, location, private, auth_info,"
            " protocol, other, create_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                device_id,
                fields["title"],
                fields.get("desc", ""),
                json.dumps(fields.get("tags", [])),
                json.dumps(fields["location"]) if "location" in fields else None,
                int(fields.get("private", True)),
                None
                if fields.get("auth_info") is None
                else canonical_auth_info(fields["auth_info"]),
                fields.get("protocol", "EDP"),
                json.dumps(fields.get("other", {})),
                beijing_now(),
            ),
        )
        return device_id

    def auth_info_taken(self, auth_info: str | dict[str, Any]) -> bool:
        """Is this auth_info already some device's?"""
        query = "SELECT 1 FROM devices WHERE auth_info = ?"
        return self._db.execute(query, (canonical_auth_info(auth_info),)).fetchone() is not None

    def device(self, device_id: str) -> dict[str, Any] | None:
        """A device's fields as the API shows them, or None.

        `online` is not stored: it is whether the EDP server holds a logged-in session for
        the device, which a restart ends anyway (see EdpServer.is_online).
        """
        row = self._db.execute("SELECT * FROM devices WHERE id = ?", (device_id,)).fetchone()
        if row is None:
            return None
        return {
            "id": row["id"],
            "title": row["title"],
            "desc": row["description"],
            "protocol": row["protocol"],
            "private": bool(row["private"]),
            "create_time": row["create_time"],
            "auth_info": row["auth_info"],
            "tags": json.loads(row["tags"]),
            "location": json.loads(row["location"]) if row["location"] else None,
            "other": json.loads(row["other"]),
            "datastreams": self.datastreams(device_id),
        }

    def devices(self) -> list[dict[str, Any]]:
        """Every device as `device()` shows it, oldest first."""
        return [device for device_id in self.device_ids() if (device := self.device(device_id))]

    def device_ids(self) -> list[str]:
        """Every device id, oldest first."""
        rows = self._db.execute("SELECT id FROM devices ORDER BY CAST(id AS INTEGER)")
        return [row["id"] for row in rows]

    def device_by_auth_info(self, auth_info: str) -> str | None:
        """The id of the device with this auth_info, or None."""
        query = "SELECT id FROM devices WHERE auth_info = ?"
        row = self._db.execute(query, (canonical_auth_info(auth_info),)).fetchone()
        return None if row is None else str(row["id"])

    def delete_device(self, device_id: str) -> bool:
        """Delete a device with its keys' links, datapoints and commands."""
        cursor = self._db.execute("DELETE FROM devices WHERE id = ?", (device_id,))
        return cursor.rowcount > 0

    # Keys

    def create_key(self, title: str, device_ids: Iterable[str], access_methods: list[str]) -> str:
        """Make an APIKEY for devices; return it (28 base64 characters, like the platform's)."""
        key = base64.b64encode(secrets.token_bytes(20)).decode()
        self._db.execute(
            "INSERT INTO keys (key, title, access_methods, create_time) VALUES (?, ?, ?, ?)",
            (key, title, json.dumps(access_methods), beijing_now()),
        )
        self._db.executemany(
            "INSERT OR IGNORE INTO key_devices (key, device_id) VALUES (?, ?)",
            [(key, device_id) for device_id in device_ids],
        )
        return key

    def keys_of(self, device_id: str) -> list[dict[str, Any]]:
        """The keys that grant access to a device, in the API's shape."""
        rows = self._db.execute(
            "SELECT k.* FROM keys k JOIN key_devices d ON d.key = k.key"
            " WHERE d.device_id = ? ORDER BY k.rowid",
            (device_id,),
        ).fetchall()
        return [
            {
                "key": row["key"],
                "title": row["title"],
                "create_time": row["create_time"],
                "permissions": [
                    {
                        "resources": [{"dev_id": device_id}],
                        "access_methods": json.loads(row["access_methods"]),
                    }
                ],
            }
            for row in rows
        ]

    def key_devices(self, key: str) -> set[str] | None:
        """The devices a key grants access to, or None when the key is unknown."""
        if self._db.execute("SELECT 1 FROM keys WHERE key = ?", (key,)).fetchone() is None:
            return None
        rows = self._db.execute("SELECT device_id FROM key_devices WHERE key = ?", (key,))
        return {row["device_id"] for row in rows}

    # Datastreams and datapoints

    def add_datapoint(self, point: StoredDatapoint) -> None:
        """Store one datapoint, creating its datastream on first use."""
        self._db.execute(
            "INSERT OR IGNORE INTO datastreams (device_id, id, create_time) VALUES (?, ?, ?)",
            (point.device_id, point.datastream_id, beijing_now()),
        )
        self._db.execute(
            "INSERT INTO datapoints (device_id, datastream_id, at, value, descriptor, size, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                point.device_id,
                point.datastream_id,
                point.at,
                json.dumps(point.value),
                None if point.descriptor is None else json.dumps(point.descriptor),
                point.size,
                point.data,
            ),
        )

    def datastreams(self, device_id: str) -> list[dict[str, Any]]:
        """A device's datastreams with their latest value and its time."""
        rows = self._db.execute(
            "SELECT s.*, p.at AS current_at, p.value AS current_value FROM datastreams s"
            " LEFT JOIN datapoints p ON p.seq = (SELECT MAX(seq) FROM datapoints q"
            "  WHERE q.device_id = s.device_id AND q.datastream_id = s.id)"
            " WHERE s.device_id = ? ORDER BY s.rowid",
            (device_id,),
        ).fetchall()
        return [
            {
                "id": row["id"],
                "create_time": row["create_time"],
                "unit": row["unit"],
                "unit_symbol": row["unit_symbol"],
                "update_at": row["current_at"],
                "current_value": json.loads(row["current_value"]),
            }
            for row in rows
        ]

    def datapoints(
        self, device_id: str | None = None, datastream_id: str | None = None
    ) -> list[StoredDatapoint]:
        """Stored datapoints, oldest first, filtered by device and datastream when given."""
        query = "SELECT * FROM datapoints WHERE (?1 IS NULL OR device_id = ?1)"
        query += " AND (?2 IS NULL OR datastream_id = ?2) ORDER BY seq"
        rows = self._db.execute(query, (device_id, datastream_id)).fetchall()
        return [_datapoint(row) for row in rows]

    def binary(self, index: str) -> StoredDatapoint | None:
        """The binary upload of an index (a binary datapoint's value holds its index)."""
        row = self._db.execute(
            "SELECT * FROM datapoints WHERE size IS NOT NULL AND value = ?",
            (json.dumps({"index": index}),),
        ).fetchone()
        return None if row is None else _datapoint(row)

    def binaries(self) -> list[StoredDatapoint]:
        """Every binary upload, newest first."""
        rows = self._db.execute("SELECT * FROM datapoints WHERE size IS NOT NULL ORDER BY seq DESC")
        return [_datapoint(row) for row in rows]

    # Commands

    def add_command(self, command: Command) -> None:
        """Store a new command."""
        self._db.execute(
            "INSERT INTO commands (uuid, device_id, body, status, qos, timeout, expires,"
            " create_time, response) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                command.uuid,
                command.device_id,
                command.body,
                command.status,
                command.qos,
                command.timeout,
                command.expires,
                command.create_time,
                command.response,
            ),
        )

    def command(self, uuid: str) -> Command | None:
        """A command by its uuid, or None."""
        row = self._db.execute("SELECT * FROM commands WHERE uuid = ?", (uuid,)).fetchone()
        return None if row is None else _command(row)

    def commands(self, device_id: str | None = None) -> list[Command]:
        """Commands, newest first, optionally of one device."""
        query = "SELECT * FROM commands WHERE (?1 IS NULL OR device_id = ?1) ORDER BY rowid DESC"
        return [_command(row) for row in self._db.execute(query, (device_id,))]

    def set_command_status(self, uuid: str, status: CommandStatus) -> None:
        """Move a command on."""
        self._db.execute("UPDATE commands SET status = ? WHERE uuid = ?", (status, uuid))

    def answer_command(self, uuid: str, device_id: str, response: bytes) -> bool:
        """Record a device's CMDRESP; False when the command is not that device's."""
        cursor = self._db.execute(
            "UPDATE commands SET status = ?, response = ? WHERE uuid = ? AND device_id = ?",
            (CommandStatus.ANSWERED, response, uuid, device_id),
        )
        return cursor.rowcount > 0

    def expire_commands(self, now: float | None = None) -> None:
        """Mark unanswered commands whose timeout has passed as expired."""
        self._db.execute(
            "UPDATE commands SET status = ? WHERE expires IS NOT NULL AND expires <= ?"
            " AND status IN (?, ?)",
            (
                CommandStatus.EXPIRED,
                time.time() if now is None else now,
                CommandStatus.DEVICE_OFFLINE,
                CommandStatus.SENT,
            ),
        )

    def commands_due_at_login(self, device_id: str) -> list[Command]:
        """What to send when a device logs in: kept offline commands, unanswered qos 1 ones."""
        self.expire_commands()
        rows = self._db.execute(
            "SELECT * FROM commands WHERE device_id = ?"
            " AND (status = ? OR (status = ? AND qos = 1)) ORDER BY rowid",
            (device_id, CommandStatus.DEVICE_OFFLINE, CommandStatus.SENT),
        )
        return [_command(row) for row in rows]


def _datapoint(row: sqlite3.Row) -> StoredDatapoint:
    """A datapoints row as a StoredDatapoint."""
    return StoredDatapoint(
        row["device_id"],
        row["datastream_id"],
        row["at"],
        json.loads(row["value"]),
        None if row["descriptor"] is None else json.loads(row["descriptor"]),
        row["size"],
        row["data"],
    )


def _command(row: sqlite3.Row) -> Command:
    """A commands row as a Command."""
    return Command(
        row["uuid"],
        row["device_id"],
        row["body"],
        CommandStatus(row["status"]),
        row["qos"],
        row["timeout"],
        row["expires"],
        row["create_time"],
        row["response"],
    )
