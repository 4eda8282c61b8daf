"""The state's SQLite database: opening it, its schema, and records to rows and back.

Names are stored as UTF-8 BLOBs so SQLite orders them by UTF-8 bytes, as B2 does.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from .records import Bucket, FileVersion, Key

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS keys (
    key_id TEXT PRIMARY KEY, secret TEXT NOT NULL, name TEXT NOT NULL,
    capabilities TEXT NOT NULL, expiration INTEGER, bucket_ids TEXT, name_prefix TEXT
);
CREATE TABLE IF NOT EXISTS buckets (
    bucket_id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE, type TEXT NOT NULL,
    info TEXT NOT NULL, cors TEXT NOT NULL, lifecycle TEXT NOT NULL, lock_enabled INTEGER NOT NULL,
    default_retention TEXT NOT NULL, default_sse TEXT NOT NULL, revision INTEGER NOT NULL,
    replication TEXT
);
CREATE TABLE IF NOT EXISTS files (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, file_id TEXT NOT NULL UNIQUE, bucket_id TEXT NOT NULL,
    name BLOB NOT NULL, action TEXT NOT NULL, content_length INTEGER NOT NULL, content_sha1 TEXT,
    content_type TEXT, info TEXT NOT NULL, upload_timestamp INTEGER NOT NULL,
    retention_mode TEXT, retention_until INTEGER, legal_hold TEXT, sse TEXT NOT NULL, blob TEXT,
    data BLOB, replication_status TEXT
);
CREATE INDEX IF NOT EXISTS files_listing ON files (bucket_id, name, seq DESC, action);
CREATE INDEX IF NOT EXISTS files_by_action ON files (bucket_id, action, seq);
CREATE INDEX IF NOT EXISTS files_unfinished ON files (bucket_id, name) WHERE action = 'start';
CREATE TABLE IF NOT EXISTS notification_rules (bucket_id TEXT PRIMARY KEY, rules TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, kind TEXT NOT NULL, data TEXT NOT NULL, expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS parts (
    file_id TEXT NOT NULL, part_number INTEGER NOT NULL, content_length INTEGER NOT NULL,
    content_sha1 TEXT NOT NULL, upload_timestamp INTEGER NOT NULL, blob TEXT NOT NULL,
    data BLOB,
    PRIMARY KEY (file_id, part_number)
);
"""

FILE_COLUMNS = (
    "file_id, bucket_id, name, seq, action, content_length, content_sha1, content_type, info, "
    "upload_timestamp, retention_mode, retention_until, legal_hold, sse, blob, replication_status"
)
#: Indexes of older data dirs that newer ones replace (``files_listing`` covers ``files_by_name``).
_DROPPED_INDEXES = ("files_by_name",)
#: Columns added since the first data dirs were made: (table, column, type).
_ADDED_COLUMNS = (
    ("files", "data", "BLOB"),
    ("parts", "data", "BLOB"),
    ("files", "replication_status", "TEXT"),
    ("buckets", "replication", "TEXT"),
)
INSERT_FILE = (
    "INSERT INTO files (file_id, bucket_id, name, action, content_length, content_sha1, "
    "content_type, info, upload_timestamp, retention_mode, retention_until, legal_hold, "
    "sse, blob, data, replication_status) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def open_database(path: str) -> sqlite3.Connection:
    """The database at ``path`` (WAL mode), created or brought up to the current schema."""
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)
    for table, column, kind in _ADDED_COLUMNS:
        columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if column not in columns:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    for index in _DROPPED_INDEXES:
        db.execute(f"DROP INDEX IF EXISTS {index}")
    return db


#: The stored text of the file info and encryption of most versions, and what it decodes to.
_NO_INFO = json.dumps({})
_NO_SSE = json.dumps({"mode": None, "algorithm": None})


def _info(text: str) -> dict[str, str]:
    return {} if text == _NO_INFO else dict(json.loads(text))


def _sse(text: str) -> dict[str, Any]:
    return {"mode": None, "algorithm": None} if text == _NO_SSE else dict(json.loads(text))


def file_from_row(row: tuple[Any, ...]) -> FileVersion:
    """A version from a row of ``FILE_COLUMNS`` (listings decode thousands: no JSON parser for
    the common empty info and no encryption)."""
    return FileVersion(
        file_id=row[0],
        bucket_id=row[1],
        name=bytes(row[2]).decode("utf-8"),
        seq=row[3],
        action=row[4],
        content_length=row[5],
        content_sha1=row[6],
        content_type=row[7],
        info=_info(row[8]),
        upload_timestamp=row[9],
        retention_mode=row[10],
        retention_until=row[11],
        legal_hold=row[12],
        sse=_sse(row[13]),
        blob=row[14],
        replication_status=row[15],
    )


def bucket_from_row(row: tuple[Any, ...]) -> Bucket:
    return Bucket(
        bucket_id=row[0],
        name=row[1],
        type=row[2],
        info=json.loads(row[3]),
        cors_rules=json.loads(row[4]),
        lifecycle_rules=json.loads(row[5]),
        lock_enabled=bool(row[6]),
        default_retention=json.loads(row[7]),
        default_sse=json.loads(row[8]),
        revision=row[9],
        **({"replication": json.loads(row[10])} if row[10] else {}),
    )


def file_row(version: FileVersion, data: bytes | None) -> tuple[Any, ...]:
    """The values of ``INSERT_FILE`` for ``version`` (``data``: an inline body)."""
    return (
        version.file_id,
        version.bucket_id,
        version.name.encode("utf-8"),
        version.action,
        version.content_length,
        version.content_sha1,
        version.content_type,
        json.dumps(version.info),
        version.upload_timestamp,
        version.retention_mode,
        version.retention_until,
        version.legal_hold,
        json.dumps(version.sse),
        version.blob,
        data,
        version.replication_status,
    )


def bucket_row(bucket: Bucket) -> tuple[Any, ...]:
    """A row of ``buckets``, in column order."""
    return (
        bucket.bucket_id,
        bucket.name,
        bucket.type,
        json.dumps(bucket.info),
        json.dumps(bucket.cors_rules),
        json.dumps(bucket.lifecycle_rules),
        int(bucket.lock_enabled),
        json.dumps(bucket.default_retention),
        json.dumps(bucket.default_sse),
        bucket.revision,
        json.dumps(bucket.replication),
    )


def key_from_row(row: tuple[Any, ...]) -> Key:
    return Key(
        key_id=row[0],
        secret=row[1],
        name=row[2],
        capabilities=json.loads(row[3]),
        expiration=row[4],
        bucket_ids=json.loads(row[5]) if row[5] is not None else None,
        name_prefix=row[6],
    )


def key_row(key: Key) -> tuple[Any, ...]:
    """A row of ``keys``, in column order."""
    return (
        key.key_id,
        key.secret,
        key.name,
        json.dumps(key.capabilities),
        key.expiration,
        json.dumps(key.bucket_ids) if key.bucket_ids is not None else None,
        key.name_prefix,
    )
