"""The base of the state: the data dir, its keys and clock, and lookups shared by every call.

Metadata lives in SQLite (``database.py``), bodies in blob files (``blobs.py``), tokens in
``tokens.py``. No HTTP here.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from . import ids
from .blobs import BlobFiles
from .database import (
    FILE_COLUMNS,
    INSERT_FILE,
    bucket_from_row,
    bucket_row,
    file_from_row,
    file_row,
    key_from_row,
    open_database,
)
from .errors import ApiError, bad_request, not_found
from .key_rules import ALL_CAPABILITIES
from .permissions import require, require_bucket, require_name
from .records import Body, Bucket, FileVersion, Key, Segment
from .tokens import TokenTable

#: The emulator's clock may move this far from the real one (dates stay printable).
MAX_CLOCK_OFFSET_SECONDS = 100 * 365 * 86_400


class Store:
    """The storage underneath every call: SQLite, blob files, tokens, shared lookups."""

    def __init__(
        self,
        data_dir: str,
        *,
        application_key_id: str | None = None,
        application_key: str | None = None,
        token_lifetime_seconds: int = 86_400,
    ) -> None:
        self.data_dir = os.path.abspath(data_dir)
        self.blobs = BlobFiles(self.data_dir)
        self.token_lifetime_ms = token_lifetime_seconds * 1000
        self.clock_offset_ms = 0
        self.lock = threading.RLock()
        self.db = open_database(os.path.join(self.data_dir, "emulator.sqlite3"))
        self.account_id = self._meta("account_id") or ids.account_id()
        self._set_meta("account_id", self.account_id)
        master_id = application_key_id or self._meta("master_key_id") or self.account_id
        master_secret = application_key or self._meta("master_key") or ids.application_key()
        self._set_meta("master_key_id", master_id)
        self._set_meta("master_key", master_secret)
        self.master = Key(
            key_id=master_id,
            secret=master_secret,
            name="master",
            capabilities=list(ALL_CAPABILITIES),
            expiration=None,
            bucket_ids=None,
            name_prefix=None,
            is_master=True,
        )
        self.keys: dict[str, Key] = {master_id: self.master}
        for row in self.db.execute("SELECT * FROM keys"):
            self.keys[row[0]] = key_from_row(row)
        self.tokens = TokenTable(self.db, self.now_ms)
        self.tokens.load()

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.clock_offset_ms

    def advance_clock(self, seconds: float) -> None:
        if not isinstance(seconds, (int, float)) or not (abs(seconds) <= MAX_CLOCK_OFFSET_SECONDS):
            raise ValueError(f"advance the clock by at most {MAX_CLOCK_OFFSET_SECONDS} seconds")
        with self.lock:
            offset = self.clock_offset_ms + int(seconds * 1000)
            if abs(offset) > MAX_CLOCK_OFFSET_SECONDS * 1000:
                raise ValueError(
                    f"the clock may be at most {MAX_CLOCK_OFFSET_SECONDS} seconds off real time"
                )
            self.clock_offset_ms = offset

    def close(self) -> None:
        with self.lock:
            self.db.close()

    def reset(self) -> None:
        """Drop every bucket, file, part, key and token except the master key."""
        with self.lock:
            self.db.execute("DELETE FROM files")
            self.db.execute("DELETE FROM parts")
            self.db.execute("DELETE FROM buckets")
            self.db.execute("DELETE FROM notification_rules")
            self.tokens.forget_all()
            self.db.execute("DELETE FROM keys")
            self.keys = {self.master.key_id: self.master}
            self.clock_offset_ms = 0
            self.blobs.remove_all()

    def get_bucket(self, bucket_id: object) -> Bucket:
        with self.lock:
            row = (
                self.db.execute(
                    "SELECT * FROM buckets WHERE bucket_id = ?", (bucket_id,)
                ).fetchone()
                if isinstance(bucket_id, str)
                else None
            )
        if row is None:
            raise ApiError(400, "bad_bucket_id", f"Bucket {bucket_id} does not exist")
        return bucket_from_row(row)

    def bucket_by_name(self, name: str) -> Bucket | None:
        with self.lock:
            row = self.db.execute("SELECT * FROM buckets WHERE name = ?", (name,)).fetchone()
        if row is None or row[1] != name:
            return None
        return bucket_from_row(row)

    def bucket_names(self, bucket_ids: list[str]) -> dict[str, str | None]:
        with self.lock:
            result: dict[str, str | None] = {}
            for bucket_id in bucket_ids:
                row = self.db.execute(
                    "SELECT name FROM buckets WHERE bucket_id = ?", (bucket_id,)
                ).fetchone()
                result[bucket_id] = None if row is None else row[0]
            return result

    def _save_bucket(self, bucket: Bucket, *, insert: bool) -> None:
        verb = "INSERT" if insert else "REPLACE"
        row = bucket_row(bucket)
        self.db.execute(f"{verb} INTO buckets VALUES ({', '.join('?' * len(row))})", row)

    def _bucket_for_files(self, key: Key, bucket_id: object, capability: str) -> Bucket:
        require(key, capability)
        bucket = self.get_bucket(bucket_id)
        require_bucket(key, bucket.bucket_id)
        return bucket

    def get_file(self, file_id: object) -> FileVersion | None:
        if not isinstance(file_id, str):
            return None
        with self.lock:
            row = self.db.execute(
                f"SELECT {FILE_COLUMNS} FROM files WHERE file_id = ?", (file_id,)
            ).fetchone()
        return None if row is None else file_from_row(row)

    def file_for_key(self, key: Key, file_id: object, capability: str) -> FileVersion:
        require(key, capability)
        if not isinstance(file_id, str) or not file_id:
            raise bad_request("fileId is required")
        found = self.get_file(file_id)
        if found is None:
            raise not_found(f"file not present: {file_id}")
        require_bucket(key, found.bucket_id)
        require_name(key, found.name)
        return found

    def _new_file_id(self, bucket_id: str, kind: str = ids.FILE_KIND_SMALL) -> str:
        return ids.file_id(bucket_id, kind, self.now_ms())

    def _insert_file(self, version: FileVersion, body: Body | None = None) -> FileVersion:
        """Insert a new version (with ``body``, stored as a blob or inline); sets its ``seq``."""
        if body is not None and body.path is not None:
            version.blob = self.blobs.keep(body.path)
        data = body.data if body is not None else None
        cursor = self.db.execute(INSERT_FILE, file_row(version, data))
        version.seq = int(cursor.lastrowid or 0)
        return version

    def _replication_status_for(self, bucket: Bucket, name: str, sse: dict[str, Any]) -> str | None:
        """``pending`` when a replication rule of ``bucket`` covers ``name`` (ReplicationMixin)."""
        return None

    def _replicate_later(self, version: FileVersion) -> None:
        """Queue a pending version for replication (ReplicationMixin)."""

    def segments(self, version: FileVersion) -> list[Segment]:
        """Where the bytes of an ``upload`` version are, in order."""
        if version.blob is not None:
            return [Segment(self.blobs.path(version.blob), version.content_length)]
        with self.lock:
            row = self.db.execute(
                "SELECT data FROM files WHERE file_id = ?", (version.file_id,)
            ).fetchone()
            if row is not None and row[0] is not None:
                return [Segment(None, version.content_length, bytes(row[0]))]
            rows = self.db.execute(
                "SELECT blob, content_length, part_number FROM parts WHERE file_id = ? "
                "ORDER BY part_number",
                (version.file_id,),
            ).fetchall()
        return [
            Segment(self.blobs.path(blob), length)
            if blob
            else Segment(None, length, part=(version.file_id, number))
            for blob, length, number in rows
        ]

    def segment_data(self, segment: Segment) -> bytes:
        """The bytes of an inline segment."""
        if segment.data is not None:
            return segment.data
        assert segment.part is not None
        with self.lock:
            row = self.db.execute(
                "SELECT data FROM parts WHERE file_id = ? AND part_number = ?", segment.part
            ).fetchone()
        if row is None or row[0] is None:
            raise ApiError(500, "internal_error", "a stored part disappeared")
        return bytes(row[0])

    def current_version(self, bucket_id: str, name: str) -> FileVersion | None:
        """The newest finished version of a name (may be a hide marker)."""
        with self.lock:
            row = self.db.execute(
                f"SELECT {FILE_COLUMNS} FROM files WHERE bucket_id = ? AND name = ? "
                "AND action != 'start' ORDER BY seq DESC LIMIT 1",
                (bucket_id, name.encode("utf-8")),
            ).fetchone()
        return None if row is None else file_from_row(row)

    def _drop_version(self, version: FileVersion) -> None:
        self.db.execute("DELETE FROM files WHERE file_id = ?", (version.file_id,))
        self.blobs.remove(version.blob)
        for (blob,) in self.db.execute(
            "SELECT blob FROM parts WHERE file_id = ?", (version.file_id,)
        ).fetchall():
            self.blobs.remove(blob)
        self.db.execute("DELETE FROM parts WHERE file_id = ?", (version.file_id,))

    def unfinished(self, key: Key, file_id: object) -> FileVersion:
        require(key, "writeFiles")
        version = self.get_file(file_id)
        if version is None or version.action != "start":
            raise bad_request(f"Invalid fileId: {file_id} (not an unfinished large file)")
        require_bucket(key, version.bucket_id)
        require_name(key, version.name)
        return version
