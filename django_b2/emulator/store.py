"""The base of the state: SQLite metadata, blob files, lookups shared by every call. No HTTP.

Metadata lives in SQLite (``emulator.sqlite3`` in the data dir, WAL mode); bodies live as files
under ``blobs/``. Names are stored as UTF-8 BLOBs so SQLite orders them by UTF-8 bytes, as B2 does.
Tokens (account, upload, download) are kept too, so a restart with the same data dir leaves them
valid until they expire, as on B2.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets
import shutil
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any

from . import validation as v
from .errors import ApiError, bad_request, bucket_missing_file_lock, denied, not_found
from .records import (
    AccountToken,
    Body,
    Bucket,
    DownloadToken,
    FileVersion,
    Key,
    Segment,
    UploadToken,
)

_SCHEMA = """
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
CREATE INDEX IF NOT EXISTS files_by_name ON files (bucket_id, name, seq DESC);
CREATE INDEX IF NOT EXISTS files_by_action ON files (bucket_id, action, seq);
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
LIST_BATCH = 500
#: Expired tokens are dropped from memory and the data dir every this many new tokens.
TOKEN_PRUNE_EVERY = 1000
#: The kind digit after ``_f`` in a file id (b2sdk's ``FileVersion._type``).
FILE_KIND_SMALL = "1"
FILE_KIND_LARGE = "2"
#: The emulator's clock may move this far from the real one (dates stay printable).
MAX_CLOCK_OFFSET_SECONDS = 100 * 365 * 86_400


def file_from_row(row: tuple[Any, ...]) -> FileVersion:
    return FileVersion(
        file_id=row[0],
        bucket_id=row[1],
        name=bytes(row[2]).decode("utf-8"),
        seq=row[3],
        action=row[4],
        content_length=row[5],
        content_sha1=row[6],
        content_type=row[7],
        info=json.loads(row[8]),
        upload_timestamp=row[9],
        retention_mode=row[10],
        retention_until=row[11],
        legal_hold=row[12],
        sse=json.loads(row[13]),
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
        **({"replication": json.loads(row[10])} if len(row) > 10 and row[10] else {}),
    )


def require(key: Key, capability: str) -> None:
    if capability not in key.capabilities:
        raise denied(f"the application key lacks the {capability} capability")


def require_bucket(key: Key, bucket_id: str) -> None:
    if not key.allows_bucket(bucket_id):
        raise denied(f"the application key is not allowed to use bucket {bucket_id}")


def require_name(key: Key, name: str) -> None:
    if not key.allows_name(name):
        raise denied(f"the application key only allows names starting {key.name_prefix!r}")


def require_list_prefix(key: Key, prefix: str) -> None:
    if key.name_prefix is not None and not prefix.startswith(key.name_prefix):
        raise denied(
            f"the application key only allows listing with a prefix starting {key.name_prefix!r}"
        )


_TOKEN_KINDS: dict[str, type[AccountToken] | type[UploadToken] | type[DownloadToken]] = {
    "account": AccountToken,
    "upload": UploadToken,
    "download": DownloadToken,
}


@dataclass(frozen=True)
class UploadPlan:
    """What an upload will create once its body has arrived and checked out."""

    bucket: Bucket
    name: str
    content_type: str
    info: dict[str, str]
    retention: tuple[str | None, int | None]
    legal_hold: str | None
    sse: dict[str, Any]
    upload_timestamp: int | None = None


class Store:
    """The storage underneath every call: SQLite, blob files, shared lookups."""

    def __init__(
        self,
        data_dir: str,
        *,
        application_key_id: str | None = None,
        application_key: str | None = None,
        token_lifetime_seconds: int = 86_400,
    ) -> None:
        self.data_dir = os.path.abspath(data_dir)
        self.blob_dir = os.path.join(self.data_dir, "blobs")
        self.tmp_dir = os.path.join(self.data_dir, "tmp")
        os.makedirs(self.blob_dir, exist_ok=True)
        shutil.rmtree(self.tmp_dir, ignore_errors=True)
        os.makedirs(self.tmp_dir, exist_ok=True)
        self.token_lifetime_ms = token_lifetime_seconds * 1000
        self.clock_offset_ms = 0
        self.lock = threading.RLock()
        self.db = sqlite3.connect(
            os.path.join(self.data_dir, "emulator.sqlite3"),
            check_same_thread=False,
            isolation_level=None,
        )
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        for table, column, kind in (  # data dirs made by earlier versions
            ("files", "data", "BLOB"),
            ("parts", "data", "BLOB"),
            ("files", "replication_status", "TEXT"),
            ("buckets", "replication", "TEXT"),
        ):
            columns = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            if column not in columns:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        self.account_id = self._meta("account_id") or secrets.token_hex(6)
        self._set_meta("account_id", self.account_id)
        master_id = application_key_id or self._meta("master_key_id") or self.account_id
        master_secret = application_key or self._meta("master_key") or self._new_secret()
        self._set_meta("master_key_id", master_id)
        self._set_meta("master_key", master_secret)
        self.master = Key(
            key_id=master_id,
            secret=master_secret,
            name="master",
            capabilities=list(v.ALL_CAPABILITIES),
            expiration=None,
            bucket_ids=None,
            name_prefix=None,
            is_master=True,
        )
        self.keys: dict[str, Key] = {master_id: self.master}
        for row in self.db.execute("SELECT * FROM keys"):
            self.keys[row[0]] = Key(
                key_id=row[0],
                secret=row[1],
                name=row[2],
                capabilities=json.loads(row[3]),
                expiration=row[4],
                bucket_ids=json.loads(row[5]) if row[5] is not None else None,
                name_prefix=row[6],
            )
        self.tokens: dict[str, AccountToken | UploadToken | DownloadToken] = {}
        self._token_saves = 0
        self._load_tokens()

    def _load_tokens(self) -> None:
        """Tokens saved by an earlier run that have not expired yet."""
        now = self.now_ms()
        self.db.execute("DELETE FROM tokens WHERE expires_at <= ?", (now,))
        for kind, data in self.db.execute("SELECT kind, data FROM tokens").fetchall():
            record = _TOKEN_KINDS[kind](**json.loads(data))
            self.tokens[record.token] = record

    def _save_token(self, token: AccountToken | UploadToken | DownloadToken) -> None:
        """Keep a token in the data dir (the caller holds the lock); expired ones are pruned
        from time to time."""
        kind = next(name for name, cls in _TOKEN_KINDS.items() if isinstance(token, cls))
        data = dataclasses.asdict(token)
        for transient in ("uses", "test_mode_uses", "busy"):
            data.pop(transient, None)
        self.db.execute(
            "REPLACE INTO tokens VALUES (?, ?, ?, ?)",
            (token.token, kind, json.dumps(data), token.expires_at),
        )
        self.tokens[token.token] = token
        self._token_saves += 1
        if self._token_saves % TOKEN_PRUNE_EVERY == 0:
            now = self.now_ms()
            self.db.execute("DELETE FROM tokens WHERE expires_at <= ?", (now,))
            for stale in [t for t, found in self.tokens.items() if found.expires_at <= now]:
                del self.tokens[stale]

    def _forget_token(self, token: str) -> None:
        self.tokens.pop(token, None)
        self.db.execute("DELETE FROM tokens WHERE token = ?", (token,))

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    @staticmethod
    def _new_secret() -> str:
        return "K005" + secrets.token_urlsafe(20)[:27]

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
            self.db.execute("DELETE FROM tokens")
            self.db.execute("DELETE FROM keys")
            self.keys = {self.master.key_id: self.master}
            self.tokens.clear()
            self.clock_offset_ms = 0
            shutil.rmtree(self.blob_dir, ignore_errors=True)
            os.makedirs(self.blob_dir, exist_ok=True)

    def new_temp_path(self) -> str:
        return os.path.join(self.tmp_dir, secrets.token_hex(12))

    def _blob_path(self, blob: str) -> str:
        return os.path.join(self.blob_dir, blob)

    def _store_blob(self, temp_path: str) -> str:
        blob = secrets.token_hex(16)
        os.replace(temp_path, self._blob_path(blob))
        return blob

    def _remove_blob(self, blob: str | None) -> None:
        if blob:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._blob_path(blob))

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
        values = (
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
        verb = "INSERT" if insert else "REPLACE"
        self.db.execute(f"{verb} INTO buckets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)

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

    def _lock_settings(
        self,
        key: Key,
        bucket: Bucket,
        retention: object,
        legal_hold: object,
    ) -> tuple[tuple[str | None, int | None], str | None]:
        """Validate retention/legal hold for a new version; apply the bucket default."""
        now = self.now_ms()
        mode_until: tuple[str | None, int | None] = (None, None)
        hold: str | None = None
        # capabilities first: B2 answers 401 for a key without them, whatever the bucket
        if retention is not None:
            require(key, "writeFileRetentions")
        if legal_hold is not None:
            require(key, "writeFileLegalHolds")
        if (retention is not None or legal_hold is not None) and not bucket.lock_enabled:
            raise bucket_missing_file_lock()
        if retention is not None:
            mode_until = v.check_retention(retention, now_ms=now)
        elif bucket.lock_enabled and bucket.default_retention.get("mode"):
            period = bucket.default_retention["period"]
            days = period["duration"] * (365 if period["unit"] == "years" else 1)
            mode_until = (bucket.default_retention["mode"], now + days * 86_400_000)
        if legal_hold is not None:
            hold = v.check_legal_hold(legal_hold)
        return mode_until, hold

    def plan_upload(
        self,
        key: Key,
        bucket_id: str,
        *,
        name: str,
        content_type: str | None,
        info: dict[str, str],
        retention: object,
        legal_hold: object,
        sse: dict[str, Any],
        upload_timestamp: int | None = None,
    ) -> UploadPlan:
        bucket = self._bucket_for_files(key, bucket_id, "writeFiles")
        v.check_file_name(name)
        require_name(key, name)
        clean_info = v.check_file_info(info)
        content = v.check_content_type(content_type, name)
        v.check_header_budget(
            name, clean_info, restricted=bucket.lock_enabled or sse.get("mode") is not None
        )
        if sse.get("mode") is None and bucket.default_sse.get("mode") == "SSE-B2":
            sse = dict(bucket.default_sse)
        mode_until, hold = self._lock_settings(key, bucket, retention, legal_hold)
        return UploadPlan(
            bucket=bucket,
            name=name,
            content_type=content,
            info=clean_info,
            retention=mode_until,
            legal_hold=hold,
            sse=sse,
            upload_timestamp=upload_timestamp,
        )

    def _insert_file(self, version: FileVersion, data: bytes | None = None) -> FileVersion:
        cursor = self.db.execute(
            "INSERT INTO files (file_id, bucket_id, name, action, content_length, content_sha1, "
            "content_type, info, upload_timestamp, retention_mode, retention_until, legal_hold, "
            "sse, blob, data, replication_status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
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
            ),
        )
        version.seq = int(cursor.lastrowid or 0)
        return version

    def _new_file_id(self, bucket_id: str, kind: str = FILE_KIND_SMALL) -> str:
        """A B2-shaped id (83 characters with a 24-hex bucket id): ``4_z<bucket>_f<kind><15
        hex>_d<yyyymmdd>_m<hhmmss>_c<nnn>_v<nnnnnnn>_t<nnnn>``; b2sdk reads ``kind``."""
        stamp = time.gmtime(self.now_ms() // 1000)
        return (
            f"4_z{bucket_id}_f{kind}{secrets.token_hex(8)[:15]}"
            f"_d{time.strftime('%Y%m%d', stamp)}_m{time.strftime('%H%M%S', stamp)}"
            f"_c{secrets.randbelow(1000):03d}_v{secrets.randbelow(10**7):07d}"
            f"_t{secrets.randbelow(10**4):04d}"
        )

    def commit_upload(self, plan: UploadPlan, body: Body) -> FileVersion:
        """Store a received body as a new version of ``plan.name``."""
        with self.lock:
            self.get_bucket(plan.bucket.bucket_id)  # still there?
            version = FileVersion(
                file_id=self._new_file_id(plan.bucket.bucket_id),
                bucket_id=plan.bucket.bucket_id,
                name=plan.name,
                seq=0,
                action="upload",
                content_length=body.size,
                content_sha1=body.sha1,
                content_type=plan.content_type,
                info=plan.info,
                upload_timestamp=plan.upload_timestamp or self.now_ms(),
                retention_mode=plan.retention[0],
                retention_until=plan.retention[1],
                legal_hold=plan.legal_hold,
                sse=plan.sse,
                blob=self._store_blob(body.path) if body.path is not None else None,
                replication_status=self._replication_status_for(plan.bucket, plan.name),
            )
            self._insert_file(version, body.data)
        self._replicate_later(version)
        return version

    def _replication_status_for(self, bucket: Bucket, name: str) -> str | None:
        """``pending`` when a replication rule of ``bucket`` covers ``name`` (ReplicationMixin)."""
        return None

    def _replicate_later(self, version: FileVersion) -> None:
        """Queue a pending version for replication (ReplicationMixin)."""

    def segments(self, version: FileVersion) -> list[Segment]:
        """Where the bytes of an ``upload`` version are, in order."""
        if version.blob is not None:
            return [Segment(self._blob_path(version.blob), version.content_length)]
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
            Segment(self._blob_path(blob), length)
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
        self._remove_blob(version.blob)
        for (blob,) in self.db.execute(
            "SELECT blob FROM parts WHERE file_id = ?", (version.file_id,)
        ).fetchall():
            self._remove_blob(blob)
        self.db.execute("DELETE FROM parts WHERE file_id = ?", (version.file_id,))

    def unfinished(self, key: Key, file_id: object) -> FileVersion:
        require(key, "writeFiles")
        version = self.get_file(file_id)
        if version is None or version.action != "start":
            raise bad_request(f"Invalid fileId: {file_id} (not an unfinished large file)")
        require_bucket(key, version.bucket_id)
        require_name(key, version.name)
        return version
