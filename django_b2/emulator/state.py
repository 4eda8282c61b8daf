"""Everything B2 stores, and B2's rules about it. No HTTP here.

Metadata lives in SQLite (``emulator.sqlite3`` in the data dir, WAL mode); bodies live as files
under ``blobs/``. Names are stored as UTF-8 BLOBs so SQLite orders them by UTF-8 bytes, as B2 does.
Tokens live in memory: a restart invalidates them (clients re-authorize) but keeps keys, buckets
and files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from typing import Any

from . import validation as v
from .errors import ApiError, bad_request, not_found, unauthorized
from .records import (
    AccountToken,
    Bucket,
    DownloadToken,
    FileVersion,
    Folder,
    Key,
    Part,
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
    default_retention TEXT NOT NULL, default_sse TEXT NOT NULL, revision INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS files (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, file_id TEXT NOT NULL UNIQUE, bucket_id TEXT NOT NULL,
    name BLOB NOT NULL, action TEXT NOT NULL, content_length INTEGER NOT NULL, content_sha1 TEXT,
    content_type TEXT, info TEXT NOT NULL, upload_timestamp INTEGER NOT NULL,
    retention_mode TEXT, retention_until INTEGER, legal_hold TEXT, sse TEXT NOT NULL, blob TEXT
);
CREATE INDEX IF NOT EXISTS files_by_name ON files (bucket_id, name, seq DESC);
CREATE INDEX IF NOT EXISTS files_by_action ON files (bucket_id, action, seq);
CREATE TABLE IF NOT EXISTS parts (
    file_id TEXT NOT NULL, part_number INTEGER NOT NULL, content_length INTEGER NOT NULL,
    content_sha1 TEXT NOT NULL, upload_timestamp INTEGER NOT NULL, blob TEXT NOT NULL,
    PRIMARY KEY (file_id, part_number)
);
"""

_FILE_COLUMNS = (
    "file_id, bucket_id, name, seq, action, content_length, content_sha1, content_type, info, "
    "upload_timestamp, retention_mode, retention_until, legal_hold, sse, blob"
)
_BATCH = 500
MAX_BUCKETS = 100


def _file_from_row(row: tuple[Any, ...]) -> FileVersion:
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
    )


def _bucket_from_row(row: tuple[Any, ...]) -> Bucket:
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
    )


def require(key: Key, capability: str) -> None:
    if capability not in key.capabilities:
        raise unauthorized(f"the application key lacks the {capability} capability")


def require_bucket(key: Key, bucket_id: str) -> None:
    if not key.allows_bucket(bucket_id):
        raise unauthorized(f"the application key is not allowed to use bucket {bucket_id}")


def require_name(key: Key, name: str) -> None:
    if not key.allows_name(name):
        raise unauthorized(f"the application key only allows names starting {key.name_prefix!r}")


def require_list_prefix(key: Key, prefix: str) -> None:
    if key.name_prefix is not None and not prefix.startswith(key.name_prefix):
        raise unauthorized(
            f"the application key only allows listing with a prefix starting {key.name_prefix!r}"
        )


class UploadPlan:
    """What an upload will create once its body has arrived and checked out."""

    def __init__(self, **fields: Any) -> None:
        self.bucket: Bucket = fields["bucket"]
        self.name: str = fields["name"]
        self.content_type: str = fields["content_type"]
        self.info: dict[str, str] = fields["info"]
        self.retention: tuple[str | None, int | None] = fields["retention"]
        self.legal_hold: str | None = fields["legal_hold"]
        self.sse: dict[str, Any] = fields["sse"]
        self.upload_timestamp: int | None = fields.get("upload_timestamp")


class State:
    """Buckets, files, parts, keys and tokens of one emulated account."""

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

    # ----------------------------------------------------------------- basics

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
        with self.lock:
            self.clock_offset_ms += int(seconds * 1000)

    def close(self) -> None:
        with self.lock:
            self.db.close()

    def reset(self) -> None:
        """Drop every bucket, file, part, key and token except the master key."""
        with self.lock:
            self.db.execute("DELETE FROM files")
            self.db.execute("DELETE FROM parts")
            self.db.execute("DELETE FROM buckets")
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

    # ---------------------------------------------------------- authorization

    def authorize(self, key_id: str, secret: str, *, api_version: int) -> tuple[Key, AccountToken]:
        with self.lock:
            key = self.keys.get(key_id)
            if key is None and key_id == self.account_id:
                key = self.master
            if key is None or not secrets.compare_digest(key.secret, secret):
                raise unauthorized("invalid application key id or application key")
            now = self.now_ms()
            if key.expiration is not None and key.expiration <= now:
                raise unauthorized("the application key has expired")
            if api_version < 4 and key.bucket_ids is not None and len(key.bucket_ids) > 1:
                raise ApiError(
                    401, "unsupported", "this key has several buckets; use b2api/v4 to authorize"
                )
            expires = now + self.token_lifetime_ms
            if key.expiration is not None:
                expires = min(expires, key.expiration)
            token = AccountToken(
                token=f"4_{self.account_id}_{secrets.token_urlsafe(24)}",
                key_id=key.key_id,
                expires_at=expires,
            )
            self.tokens[token.token] = token
            return key, token

    def _token(self, token: str | None) -> AccountToken | UploadToken | DownloadToken:
        if not token:
            raise ApiError(401, "missing_auth_token", "the Authorization header is missing")
        found = self.tokens.get(token)
        if found is None:
            raise ApiError(401, "bad_auth_token", "invalid authorization token")
        return found

    def _key_of(self, key_id: str) -> Key:
        key = self.keys.get(key_id)
        if key is None:
            raise ApiError(401, "bad_auth_token", "the application key of this token was deleted")
        return key

    def authenticate(self, token: str | None) -> tuple[Key, AccountToken]:
        """Resolve an account authorization token (counts one use)."""
        with self.lock:
            found = self._token(token)
            if not isinstance(found, AccountToken):
                raise ApiError(401, "bad_auth_token", "not an account authorization token")
            found.uses += 1
            if found.forced_expired or found.expires_at <= self.now_ms():
                raise ApiError(401, "expired_auth_token", "authorization token has expired")
            return self._key_of(found.key_id), found

    def count_test_mode_use(self, token: AccountToken) -> None:
        with self.lock:
            token.test_mode_uses += 1

    def expire_token(self, token: AccountToken) -> None:
        with self.lock:
            token.forced_expired = True

    def authenticate_download(self, token: str | None) -> tuple[Key, AccountToken | DownloadToken]:
        with self.lock:
            found = self._token(token)
            if isinstance(found, UploadToken):
                raise ApiError(401, "bad_auth_token", "upload tokens cannot download")
            if isinstance(found, AccountToken):
                found.uses += 1
                if found.forced_expired:
                    raise ApiError(401, "expired_auth_token", "authorization token has expired")
            if found.expires_at <= self.now_ms():
                raise ApiError(401, "expired_auth_token", "authorization token has expired")
            return self._key_of(found.key_id), found

    def begin_upload(
        self, token: str | None, *, bucket_id: str | None = None, large_file_id: str | None = None
    ) -> tuple[Key, UploadToken]:
        """Claim an upload token for one upload (released by ``end_upload``)."""
        with self.lock:
            found = self._token(token)
            if (
                not isinstance(found, UploadToken)
                or found.bucket_id != (bucket_id or found.bucket_id)
                or found.large_file_id != large_file_id
            ):
                raise ApiError(401, "bad_auth_token", "this token is not valid for this upload URL")
            if found.dead:
                raise ApiError(
                    401, "bad_auth_token", "this upload URL failed before; get a new one"
                )
            if found.expires_at <= self.now_ms():
                raise ApiError(401, "expired_auth_token", "upload authorization token has expired")
            key = self._key_of(found.key_id)
            if found.busy:
                raise ApiError(
                    400, "auth_token_limit", f"more than one upload using auth token {found.token}"
                )
            found.busy = True
            return key, found

    def end_upload(self, token: UploadToken, *, failed: bool) -> None:
        with self.lock:
            token.busy = False
            if failed:
                token.dead = True

    # ------------------------------------------------------------------ keys

    def create_key(
        self,
        key: Key,
        *,
        name: object,
        capabilities: object,
        valid_duration: object,
        bucket_ids: list[str] | None,
        name_prefix: object,
    ) -> Key:
        require(key, "writeKeys")
        key_name = v.check_key_name(name)
        caps = v.check_capabilities(capabilities, bucket_restricted=bucket_ids is not None)
        if name_prefix is not None and not isinstance(name_prefix, str):
            raise bad_request("namePrefix must be a string")
        expiration = None
        if valid_duration is not None and (
            not isinstance(valid_duration, int)
            or isinstance(valid_duration, bool)
            or not 1 <= valid_duration < v.MAX_KEY_SECONDS
        ):
            raise bad_request("validDurationInSeconds must be from 1 to 86399999")
        with self.lock:
            if bucket_ids is not None:
                if not bucket_ids:
                    raise bad_request("bucketIds must not be empty")
                for bucket_id in bucket_ids:
                    self.get_bucket(bucket_id)
            if valid_duration is not None:
                expiration = self.now_ms() + int(valid_duration) * 1000
            new = Key(
                key_id="005" + self.account_id + secrets.token_hex(5),
                secret=self._new_secret(),
                name=key_name,
                capabilities=caps,
                expiration=expiration,
                bucket_ids=list(bucket_ids) if bucket_ids is not None else None,
                name_prefix=name_prefix or None,
            )
            self.db.execute(
                "INSERT INTO keys VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    new.key_id,
                    new.secret,
                    new.name,
                    json.dumps(new.capabilities),
                    new.expiration,
                    json.dumps(new.bucket_ids) if new.bucket_ids is not None else None,
                    new.name_prefix,
                ),
            )
            self.keys[new.key_id] = new
            return new

    def delete_key(self, key: Key, key_id: object) -> Key:
        require(key, "deleteKeys")
        with self.lock:
            target = self.keys.get(key_id) if isinstance(key_id, str) else None
            if target is None or target.is_master:
                raise bad_request(f"application key {key_id} does not exist or is the master key")
            del self.keys[target.key_id]
            self.db.execute("DELETE FROM keys WHERE key_id = ?", (target.key_id,))
            return target

    def list_keys(
        self, key: Key, *, max_count: object, start_key_id: object
    ) -> tuple[list[Key], str | None]:
        require(key, "listKeys")
        count = 100 if max_count in (None, 0) else max_count
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 10_000:
            raise bad_request("maxKeyCount must be from 1 to 10000")
        if start_key_id is not None and not isinstance(start_key_id, str):
            raise bad_request("startApplicationKeyId must be a string")
        with self.lock:
            ids = sorted(
                k
                for k, value in self.keys.items()
                if not value.is_master and (start_key_id is None or k >= start_key_id)
            )
            page = [self.keys[k] for k in ids[:count]]
            return page, (ids[count] if len(ids) > count else None)

    # --------------------------------------------------------------- buckets

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
        return _bucket_from_row(row)

    def bucket_by_name(self, name: str) -> Bucket | None:
        with self.lock:
            row = self.db.execute("SELECT * FROM buckets WHERE name = ?", (name,)).fetchone()
        if row is None or row[1] != name:
            return None
        return _bucket_from_row(row)

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
        )
        verb = "INSERT" if insert else "REPLACE"
        self.db.execute(f"{verb} INTO buckets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)

    def create_bucket(self, key: Key, params: dict[str, Any]) -> Bucket:
        require(key, "writeBuckets")
        name = v.check_bucket_name(params.get("bucketName"))
        bucket_type = v.check_bucket_type(params.get("bucketType"))
        info = v.check_bucket_info(params.get("bucketInfo"))
        cors = v.check_cors_rules(params.get("corsRules"))
        lifecycle = v.check_lifecycle_rules(params.get("lifecycleRules"))
        lock_enabled = params.get("fileLockEnabled") or False
        if not isinstance(lock_enabled, bool):
            raise bad_request("fileLockEnabled must be true or false")
        if lock_enabled:
            require(key, "writeBucketRetentions")
        sse = v.check_sse(params.get("defaultServerSideEncryption"), bucket_default=True)
        if params.get("defaultServerSideEncryption") is not None:
            require(key, "writeBucketEncryption")
        with self.lock:
            if self.db.execute("SELECT 1 FROM buckets WHERE name = ?", (name,)).fetchone():
                raise ApiError(
                    400, "duplicate_bucket_name", f"Bucket name is already in use: {name}"
                )
            (count,) = self.db.execute("SELECT COUNT(*) FROM buckets").fetchone()
            if count >= MAX_BUCKETS:
                raise ApiError(
                    400, "too_many_buckets", f"at most {MAX_BUCKETS} buckets per account"
                )
            bucket = Bucket(
                bucket_id=secrets.token_hex(12),
                name=name,
                type=bucket_type,
                info=info,
                cors_rules=cors,
                lifecycle_rules=lifecycle,
                lock_enabled=lock_enabled,
                default_retention={"mode": None, "period": None},
                default_sse=sse,
                revision=1,
            )
            self._save_bucket(bucket, insert=True)
            return bucket

    def delete_bucket(self, key: Key, bucket_id: object) -> Bucket:
        require(key, "deleteBuckets")
        with self.lock:
            bucket = self.get_bucket(bucket_id)
            require_bucket(key, bucket.bucket_id)
            if self.db.execute(
                "SELECT 1 FROM files WHERE bucket_id = ? LIMIT 1", (bucket.bucket_id,)
            ).fetchone():
                raise ApiError(
                    400, "cannot_delete_non_empty_bucket", "Cannot delete non-empty bucket"
                )
            self.db.execute("DELETE FROM buckets WHERE bucket_id = ?", (bucket.bucket_id,))
            return bucket

    def list_buckets(
        self, key: Key, *, bucket_id: object, bucket_name: object, bucket_types: object
    ) -> list[Bucket]:
        require(key, "listBuckets")
        if bucket_types is None:
            types: tuple[str, ...] = v.DEFAULT_LISTED_BUCKET_TYPES
        elif (
            not isinstance(bucket_types, list)
            or not bucket_types
            or ("all" in bucket_types and len(bucket_types) > 1)
            or not all(t == "all" or t in v.ALL_BUCKET_TYPES for t in bucket_types)
        ):
            raise bad_request(
                'bucketTypes must be ["all"] or a non-empty list of '
                + ", ".join(v.ALL_BUCKET_TYPES)
            )
        else:
            types = v.ALL_BUCKET_TYPES if bucket_types == ["all"] else tuple(bucket_types)
        with self.lock:
            rows = self.db.execute("SELECT * FROM buckets ORDER BY name").fetchall()
        buckets = [_bucket_from_row(r) for r in rows]
        if key.bucket_ids is not None:
            named = [
                b
                for b in buckets
                if (bucket_id is not None and b.bucket_id == bucket_id)
                or (bucket_name is not None and b.name == bucket_name)
            ]
            if (bucket_id is None and bucket_name is None) or not all(
                key.allows_bucket(b.bucket_id) for b in named
            ):
                raise unauthorized(
                    "this key is restricted: name its bucket (bucketId or bucketName)"
                )
            if bucket_id is not None and bucket_id not in key.bucket_ids:
                raise unauthorized("this key is not allowed to list that bucket")
        return [
            b
            for b in buckets
            if b.type in types
            and (bucket_id is None or b.bucket_id == bucket_id)
            and (bucket_name is None or b.name == bucket_name)
        ]

    def update_bucket(self, key: Key, params: dict[str, Any]) -> Bucket:
        require(key, "writeBuckets")
        with self.lock:
            bucket = self.get_bucket(params.get("bucketId"))
            require_bucket(key, bucket.bucket_id)
            if_revision = params.get("ifRevisionIs")
            if if_revision is not None and if_revision != bucket.revision:
                raise ApiError(409, "conflict", "simultaneous updates to bucket; revision changed")
            if params.get("bucketType") is not None:
                bucket.type = v.check_bucket_type(params["bucketType"])
            if params.get("bucketInfo") is not None:
                bucket.info = v.check_bucket_info(params["bucketInfo"])
            if params.get("corsRules") is not None:
                bucket.cors_rules = v.check_cors_rules(params["corsRules"])
            if params.get("lifecycleRules") is not None:
                bucket.lifecycle_rules = v.check_lifecycle_rules(params["lifecycleRules"])
            if params.get("defaultServerSideEncryption") is not None:
                require(key, "writeBucketEncryption")
                bucket.default_sse = v.check_sse(
                    params["defaultServerSideEncryption"], bucket_default=True
                )
            lock = params.get("fileLockEnabled")
            if lock is not None:
                require(key, "writeBucketRetentions")
                if not isinstance(lock, bool):
                    raise bad_request("fileLockEnabled must be true or false")
                if bucket.lock_enabled and not lock:
                    raise ApiError(400, "file_lock_conflict", "file lock cannot be disabled")
                bucket.lock_enabled = bucket.lock_enabled or lock
            if params.get("defaultRetention") is not None:
                require(key, "writeBucketRetentions")
                if not bucket.lock_enabled:
                    raise bad_request("defaultRetention needs a bucket with file lock enabled")
                bucket.default_retention = v.check_default_retention(params["defaultRetention"])
            bucket.revision += 1
            self._save_bucket(bucket, insert=False)
            return bucket

    # ---------------------------------------------------------------- files

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
                f"SELECT {_FILE_COLUMNS} FROM files WHERE file_id = ?", (file_id,)
            ).fetchone()
        return None if row is None else _file_from_row(row)

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

    def get_upload_url(self, key: Key, bucket_id: object) -> UploadToken:
        bucket = self._bucket_for_files(key, bucket_id, "writeFiles")
        with self.lock:
            token = UploadToken(
                token=f"4_{self.account_id}_u{secrets.token_urlsafe(24)}",
                key_id=key.key_id,
                bucket_id=bucket.bucket_id,
                large_file_id=None,
                expires_at=self.now_ms() + self.token_lifetime_ms,
            )
            self.tokens[token.token] = token
            return token

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
        if (retention is not None or legal_hold is not None) and not bucket.lock_enabled:
            raise ApiError(
                400, "bucket_missing_file_lock", "file lock is not enabled on this bucket"
            )
        if retention is not None:
            require(key, "writeFileRetentions")
            mode_until = v.check_retention(retention, now_ms=now)
        elif bucket.lock_enabled and bucket.default_retention.get("mode"):
            period = bucket.default_retention["period"]
            days = period["duration"] * (365 if period["unit"] == "years" else 1)
            mode_until = (bucket.default_retention["mode"], now + days * 86_400_000)
        if legal_hold is not None:
            require(key, "writeFileLegalHolds")
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

    def _insert_file(self, version: FileVersion) -> FileVersion:
        cursor = self.db.execute(
            "INSERT INTO files (file_id, bucket_id, name, action, content_length, content_sha1, "
            "content_type, info, upload_timestamp, retention_mode, retention_until, legal_hold, "
            "sse, blob) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            ),
        )
        version.seq = int(cursor.lastrowid or 0)
        return version

    def _new_file_id(self, bucket_id: str) -> str:
        return f"4_z{bucket_id}_f{secrets.token_hex(10)}"

    def commit_upload(
        self, plan: UploadPlan, temp_path: str, *, size: int, sha1: str
    ) -> FileVersion:
        """Store a received body as a new version of ``plan.name``."""
        with self.lock:
            self.get_bucket(plan.bucket.bucket_id)  # still there?
            version = FileVersion(
                file_id=self._new_file_id(plan.bucket.bucket_id),
                bucket_id=plan.bucket.bucket_id,
                name=plan.name,
                seq=0,
                action="upload",
                content_length=size,
                content_sha1=sha1,
                content_type=plan.content_type,
                info=plan.info,
                upload_timestamp=plan.upload_timestamp or self.now_ms(),
                retention_mode=plan.retention[0],
                retention_until=plan.retention[1],
                legal_hold=plan.legal_hold,
                sse=plan.sse,
                blob=self._store_blob(temp_path),
            )
            return self._insert_file(version)

    def segments(self, version: FileVersion) -> list[Segment]:
        """Where the bytes of an ``upload`` version are, in order."""
        if version.blob is not None:
            return [Segment(self._blob_path(version.blob), version.content_length)]
        with self.lock:
            rows = self.db.execute(
                "SELECT blob, content_length FROM parts WHERE file_id = ? ORDER BY part_number",
                (version.file_id,),
            ).fetchall()
        return [Segment(self._blob_path(blob), length) for blob, length in rows]

    def current_version(self, bucket_id: str, name: str) -> FileVersion | None:
        """The newest finished version of a name (may be a hide marker)."""
        with self.lock:
            row = self.db.execute(
                f"SELECT {_FILE_COLUMNS} FROM files WHERE bucket_id = ? AND name = ? "
                "AND action != 'start' ORDER BY seq DESC LIMIT 1",
                (bucket_id, name.encode("utf-8")),
            ).fetchone()
        return None if row is None else _file_from_row(row)

    def hide_file(self, key: Key, bucket_id: object, name: object) -> FileVersion:
        bucket = self._bucket_for_files(key, bucket_id, "writeFiles")
        file_name = v.check_file_name(name)
        require_name(key, file_name)
        with self.lock:
            current = self.current_version(bucket.bucket_id, file_name)
            if current is None:
                raise ApiError(400, "no_such_file", f"File not present: {file_name}")
            if current.action == "hide":
                raise ApiError(400, "already_hidden", f"File already hidden: {file_name}")
            marker = FileVersion(
                file_id=self._new_file_id(bucket.bucket_id),
                bucket_id=bucket.bucket_id,
                name=file_name,
                seq=0,
                action="hide",
                content_length=0,
                content_sha1=None,
                content_type="application/x-bz-hide-marker",
                info={},
                upload_timestamp=self.now_ms(),
            )
            return self._insert_file(marker)

    def _check_deletable(self, key: Key, version: FileVersion, bypass: bool) -> None:
        if version.legal_hold == "on":
            raise ApiError(403, "access_denied", "file is under legal hold")
        if version.retention_until is not None and version.retention_until > self.now_ms():
            if version.retention_mode == "compliance":
                raise ApiError(403, "access_denied", "file is under compliance retention")
            if not bypass or "bypassGovernance" not in key.capabilities:
                raise ApiError(
                    403,
                    "access_denied",
                    "file is under governance retention; bypassGovernance is required",
                )

    def _drop_version(self, version: FileVersion) -> None:
        self.db.execute("DELETE FROM files WHERE file_id = ?", (version.file_id,))
        self._remove_blob(version.blob)
        for (blob,) in self.db.execute(
            "SELECT blob FROM parts WHERE file_id = ?", (version.file_id,)
        ).fetchall():
            self._remove_blob(blob)
        self.db.execute("DELETE FROM parts WHERE file_id = ?", (version.file_id,))

    def delete_file_version(
        self, key: Key, *, name: object, file_id: object, bypass: object
    ) -> FileVersion:
        require(key, "deleteFiles")
        if not isinstance(name, str) or not isinstance(file_id, str) or not file_id:
            raise bad_request("fileName and fileId are required")
        if bypass not in (None, True, False):
            raise bad_request("bypassGovernance must be true or false")
        with self.lock:
            version = self.get_file(file_id)
            if version is None or version.name != name:
                raise ApiError(400, "file_not_present", f"File not present: {name} {file_id}")
            require_bucket(key, version.bucket_id)
            require_name(key, version.name)
            self._check_deletable(key, version, bool(bypass))
            self._drop_version(version)
            return version

    def update_file_retention(
        self, key: Key, *, name: object, file_id: object, retention: object, bypass: object
    ) -> FileVersion:
        require(key, "writeFileRetentions")
        with self.lock:
            version = self._lockable_version(key, name, file_id)
            mode, until = v.check_retention(retention, now_ms=self.now_ms())
            now = self.now_ms()
            in_force = version.retention_until is not None and version.retention_until > now
            bypassing = bool(bypass) and "bypassGovernance" in key.capabilities
            if in_force and version.retention_mode == "compliance":
                if mode != "compliance" or (until or 0) < (version.retention_until or 0):
                    raise ApiError(
                        403, "access_denied", "compliance retention can only be extended"
                    )
            elif in_force and version.retention_mode == "governance" and not bypassing:
                shorter = until is None or until < (version.retention_until or 0)
                if mode is None or (mode == "governance" and shorter):
                    raise ApiError(
                        403,
                        "access_denied",
                        "shortening governance retention needs bypassGovernance",
                    )
            self.db.execute(
                "UPDATE files SET retention_mode = ?, retention_until = ? WHERE file_id = ?",
                (mode, until, version.file_id),
            )
            version.retention_mode, version.retention_until = mode, until
            return version

    def update_file_legal_hold(
        self, key: Key, *, name: object, file_id: object, legal_hold: object
    ) -> FileVersion:
        require(key, "writeFileLegalHolds")
        with self.lock:
            version = self._lockable_version(key, name, file_id)
            hold = v.check_legal_hold(legal_hold)
            self.db.execute(
                "UPDATE files SET legal_hold = ? WHERE file_id = ?", (hold, version.file_id)
            )
            version.legal_hold = hold
            return version

    def _lockable_version(self, key: Key, name: object, file_id: object) -> FileVersion:
        version = self.get_file(file_id)
        if version is None or version.name != name or version.action == "hide":
            raise ApiError(400, "file_not_present", f"File not present: {name} {file_id}")
        require_bucket(key, version.bucket_id)
        require_name(key, version.name)
        if not self.get_bucket(version.bucket_id).lock_enabled:
            raise ApiError(
                400, "bucket_missing_file_lock", "file lock is not enabled on this bucket"
            )
        return version

    # -------------------------------------------------------------- listing

    def _scan(
        self, bucket_id: str, start: bytes, start_seq: int | None, end: bytes | None
    ) -> Iterator[FileVersion]:
        """Versions in (name asc, newest first) order from (start, start_seq) on."""
        upper = "" if end is None else " AND name < ?"
        tail: tuple[Any, ...] = () if end is None else (end,)
        args: tuple[Any, ...]
        if start_seq is None:
            where, args = "name >= ?", (start,)
        else:
            where, args = "((name = ? AND seq <= ?) OR name > ?)", (start, start_seq, start)
        while True:
            with self.lock:
                rows = self.db.execute(
                    f"SELECT {_FILE_COLUMNS} FROM files WHERE bucket_id = ? AND {where}{upper} "
                    "ORDER BY name, seq DESC LIMIT ?",
                    (bucket_id, *args, *tail, _BATCH),
                ).fetchall()
            for row in rows:
                yield _file_from_row(row)
            if len(rows) < _BATCH:
                return
            last_name, last_seq = rows[-1][2], rows[-1][3]
            where = "((name = ? AND seq < ?) OR name > ?)"
            args = (last_name, last_seq, last_name)

    def list_files(
        self,
        key: Key,
        params: dict[str, Any],
        *,
        versions: bool,
    ) -> tuple[list[FileVersion | Folder], FileVersion | Folder | None]:
        """One page of list_file_names/list_file_versions and the first entry after it."""
        require(key, "listFiles")
        bucket_id = params.get("bucketId")
        if not isinstance(bucket_id, str) or not bucket_id:
            raise ApiError(400, "invalid_bucket_id", "bucketId is required")
        bucket = self.get_bucket(bucket_id)
        require_bucket(key, bucket.bucket_id)
        max_count = params.get("maxFileCount")
        if max_count in (None, 0):
            max_count = 100
        if (
            not isinstance(max_count, int)
            or isinstance(max_count, bool)
            or not 1 <= max_count <= 10_000
        ):
            raise ApiError(400, "out_of_range", "maxFileCount must be from 1 to 10000")
        prefix = params.get("prefix") or ""
        delimiter = params.get("delimiter") or None
        start_name = params.get("startFileName") or ""
        start_id = params.get("startFileId") if versions else None
        for field, value in (("prefix", prefix), ("startFileName", start_name)):
            if not isinstance(value, str):
                raise bad_request(f"{field} must be a string")
        if delimiter is not None and not isinstance(delimiter, str):
            raise bad_request("delimiter must be a string")
        require_list_prefix(key, prefix)
        start_seq: int | None = None
        if start_id is not None:
            if not start_name:
                raise ApiError(400, "invalid_file_id", "startFileId needs startFileName")
            pinned = self.get_file(start_id)
            if pinned is None or pinned.bucket_id != bucket.bucket_id or pinned.name != start_name:
                raise ApiError(400, "invalid_file_id", f"invalid startFileId: {start_id}")
            start_seq = pinned.seq
        prefix_b = prefix.encode()
        begin = max(start_name.encode(), prefix_b)
        if begin != start_name.encode():
            start_seq = None
        end = v.name_successor(prefix_b) if prefix_b else None
        entries: list[FileVersion | Folder] = []
        scan = self._scan(bucket.bucket_id, begin, start_seq, end)
        seen_name: str | None = None
        while len(entries) <= max_count:
            version = next(scan, None)
            if version is None:
                break
            if not versions:
                if version.name == seen_name or version.action == "start":
                    continue
                seen_name = version.name
                if version.action == "hide":
                    continue
            folder = self._folder_of(version.name, prefix, delimiter)
            if folder is not None:
                entries.append(Folder(folder))
                scan = self._scan(bucket.bucket_id, v.name_successor(folder.encode()), None, end)
                seen_name = None
                continue
            entries.append(version)
        following = entries.pop() if len(entries) > max_count else None
        return entries, following

    @staticmethod
    def _folder_of(name: str, prefix: str, delimiter: str | None) -> str | None:
        if delimiter is None:
            return None
        index = name.find(delimiter, len(prefix))
        if index < 0:
            return None
        return name[: index + len(delimiter)]

    def list_unfinished(
        self, key: Key, params: dict[str, Any]
    ) -> tuple[list[FileVersion], str | None]:
        bucket = self._bucket_for_files(key, params.get("bucketId"), "listFiles")
        prefix = params.get("namePrefix") or ""
        if not isinstance(prefix, str):
            raise bad_request("namePrefix must be a string")
        require_list_prefix(key, prefix)
        max_count = params.get("maxFileCount")
        if max_count in (None, 0):
            max_count = 100
        if (
            not isinstance(max_count, int)
            or isinstance(max_count, bool)
            or not 1 <= max_count <= 100
        ):
            raise ApiError(400, "out_of_range", "maxFileCount must be from 1 to 100")
        start_seq = 0
        start_id = params.get("startFileId")
        if start_id is not None:
            pinned = self.get_file(start_id)
            if pinned is None or pinned.bucket_id != bucket.bucket_id:
                raise bad_request(f"invalid startFileId: {start_id}")
            start_seq = pinned.seq
        prefix_b = prefix.encode()
        with self.lock:
            rows = self.db.execute(
                f"SELECT {_FILE_COLUMNS} FROM files WHERE bucket_id = ? AND action = 'start' "
                "AND seq >= ? AND substr(name, 1, ?) = ? ORDER BY seq LIMIT ?",
                (bucket.bucket_id, start_seq, len(prefix_b), prefix_b, max_count + 1),
            ).fetchall()
        files = [_file_from_row(r) for r in rows]
        following = files.pop().file_id if len(files) > max_count else None
        return files, following

    # ----------------------------------------------------------- large files

    def start_large_file(self, key: Key, params: dict[str, Any]) -> FileVersion:
        name = params.get("fileName")
        plan = self.plan_upload(
            key,
            params.get("bucketId"),  # type: ignore[arg-type]
            name=v.check_file_name(name),
            content_type=params.get("contentType"),
            info=params.get("fileInfo") or {},
            retention=params.get("fileRetention"),
            legal_hold=params.get("legalHold"),
            sse=v.check_sse(params.get("serverSideEncryption"), bucket_default=False),
        )
        with self.lock:
            version = FileVersion(
                file_id=self._new_file_id(plan.bucket.bucket_id),
                bucket_id=plan.bucket.bucket_id,
                name=plan.name,
                seq=0,
                action="start",
                content_length=0,
                content_sha1="none",
                content_type=plan.content_type,
                info=plan.info,
                upload_timestamp=self.now_ms(),
                retention_mode=plan.retention[0],
                retention_until=plan.retention[1],
                legal_hold=plan.legal_hold,
                sse=plan.sse,
            )
            return self._insert_file(version)

    def unfinished(self, key: Key, file_id: object) -> FileVersion:
        require(key, "writeFiles")
        version = self.get_file(file_id)
        if version is None or version.action != "start":
            raise bad_request(f"Invalid fileId: {file_id} (not an unfinished large file)")
        require_bucket(key, version.bucket_id)
        require_name(key, version.name)
        return version

    def get_upload_part_url(self, key: Key, file_id: object) -> UploadToken:
        version = self.unfinished(key, file_id)
        with self.lock:
            token = UploadToken(
                token=f"4_{self.account_id}_p{secrets.token_urlsafe(24)}",
                key_id=key.key_id,
                bucket_id=version.bucket_id,
                large_file_id=version.file_id,
                expires_at=self.now_ms() + self.token_lifetime_ms,
            )
            self.tokens[token.token] = token
            return token

    def commit_part(
        self, file_id: str, part_number: int, temp_path: str, *, size: int, sha1: str
    ) -> Part:
        with self.lock:
            version = self.get_file(file_id)
            if version is None or version.action != "start":
                os.unlink(temp_path)
                raise bad_request(f"Invalid fileId: {file_id} (not an unfinished large file)")
            old = self.db.execute(
                "SELECT blob FROM parts WHERE file_id = ? AND part_number = ?",
                (file_id, part_number),
            ).fetchone()
            if old is not None:
                self._remove_blob(old[0])
            part = Part(
                file_id, part_number, size, sha1, self.now_ms(), self._store_blob(temp_path)
            )
            self.db.execute(
                "INSERT OR REPLACE INTO parts VALUES (?, ?, ?, ?, ?, ?)",
                (file_id, part_number, size, sha1, part.upload_timestamp, part.blob),
            )
            return part

    def finish_large_file(
        self, key: Key, file_id: object, sha1s: object, *, min_part_size: int
    ) -> FileVersion:
        with self.lock:
            version = self.unfinished(key, file_id)
            if not isinstance(sha1s, list) or not all(isinstance(s, str) for s in sha1s):
                raise bad_request("partSha1Array must be a list of SHA1 hex strings")
            rows = self.db.execute(
                "SELECT part_number, content_length, content_sha1 FROM parts WHERE file_id = ? "
                "ORDER BY part_number",
                (version.file_id,),
            ).fetchall()
            parts = {number: (length, sha1) for number, length, sha1 in rows}
            for number in range(1, len(sha1s) + 1):
                if number not in parts:
                    raise ApiError(
                        400, "missing_part", f"Part number {number} has not been uploaded"
                    )
            extra = sorted(n for n in parts if n > len(sha1s))
            if extra:
                raise bad_request(
                    f"partSha1Array has {len(sha1s)} entries but part {extra[0]} was uploaded"
                )
            if len(sha1s) < 2:
                raise bad_request("large files must have at least 2 parts")
            for number, expected in enumerate(sha1s, start=1):
                if parts[number][1] != expected.lower():
                    raise ApiError(
                        400, "part_sha1_mismatch", f"Part number {number} has wrong SHA1 {expected}"
                    )
            for number in range(1, len(sha1s)):
                if parts[number][0] < min_part_size:
                    raise bad_request(
                        f"Part number {number} is smaller than the minimum part size "
                        f"{min_part_size}"
                    )
            total = sum(length for length, _ in parts.values())
            if total > v.MAX_LARGE_FILE_SIZE:
                raise bad_request("large file is bigger than 10 TB")
            self.db.execute(
                "UPDATE files SET action = 'upload', content_length = ? WHERE file_id = ?",
                (total, version.file_id),
            )
            version.action = "upload"
            version.content_length = total
            return version

    def cancel_large_file(self, key: Key, file_id: object) -> FileVersion:
        with self.lock:
            version = self.unfinished(key, file_id)
            self._drop_version(version)
            return version

    def list_parts(
        self, key: Key, file_id: object, *, start: object, max_count: object
    ) -> tuple[list[Part], int | None]:
        version = self.unfinished(key, file_id)
        first = 1 if start in (None, 0) else start
        count = 100 if max_count in (None, 0) else max_count
        if not isinstance(first, int) or isinstance(first, bool) or not 1 <= first <= 10_000:
            raise bad_request("startPartNumber must be from 1 to 10000")
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 1000:
            raise bad_request("maxPartCount must be from 1 to 1000")
        with self.lock:
            rows = self.db.execute(
                "SELECT * FROM parts WHERE file_id = ? AND part_number >= ? "
                "ORDER BY part_number LIMIT ?",
                (version.file_id, first, count + 1),
            ).fetchall()
        parts = [Part(*row) for row in rows]
        following = parts.pop().part_number if len(parts) > count else None
        return parts, following

    # ----------------------------------------------------------------- copy

    def _copy_source(self, key: Key, source_id: object) -> tuple[FileVersion, Bucket]:
        require(key, "writeFiles")
        source = self.get_file(source_id)
        if source is None or source.action != "upload":
            raise bad_request(f"Invalid sourceFileId: {source_id}")
        bucket = self.get_bucket(source.bucket_id)
        if bucket.type != "allPublic":
            require(key, "readFiles")
            require_bucket(key, bucket.bucket_id)
            require_name(key, source.name)
        return source, bucket

    def _copy_bytes(self, source: FileVersion, start: int, length: int) -> tuple[str, str]:
        """Copy a byte range of a version into a temp file; returns (path, sha1)."""
        digest = hashlib.sha1()
        temp = self.new_temp_path()
        skip = start
        remaining = length
        with open(temp, "wb") as out:
            for segment in self.segments(source):
                if remaining <= 0:
                    break
                if skip >= segment.length:
                    skip -= segment.length
                    continue
                with open(segment.path, "rb") as src:
                    src.seek(skip)
                    take = min(segment.length - skip, remaining)
                    skip = 0
                    while take > 0:
                        chunk = src.read(min(take, 1 << 20))
                        if not chunk:
                            raise ApiError(500, "internal_error", "stored body is truncated")
                        digest.update(chunk)
                        out.write(chunk)
                        take -= len(chunk)
                        remaining -= len(chunk)
        return temp, digest.hexdigest()

    def copy_file(self, key: Key, params: dict[str, Any], *, max_size: int) -> FileVersion:
        source, _ = self._copy_source(key, params.get("sourceFileId"))
        dest_id = params.get("destinationBucketId") or source.bucket_id
        directive = params.get("metadataDirective") or "COPY"
        if directive == "COPY":
            if params.get("contentType") is not None or params.get("fileInfo") is not None:
                raise bad_request(
                    "contentType and fileInfo must be omitted with metadataDirective COPY"
                )
            content_type, info = source.content_type, source.info
        elif directive == "REPLACE":
            if params.get("contentType") is None:
                raise bad_request("contentType is required with metadataDirective REPLACE")
            content_type, info = params["contentType"], params.get("fileInfo") or {}
        else:
            raise bad_request("metadataDirective must be COPY or REPLACE")
        if params.get("range") is not None:
            start, end = v.parse_byte_range(params["range"], source.content_length)
            ranged = True
        else:
            start, end, ranged = 0, source.content_length - 1, False
        length = end - start + 1
        if length > max_size:
            raise ApiError(400, "source_too_large", f"Copy source too big: {length}")
        plan = self.plan_upload(
            key,
            dest_id,
            name=v.check_file_name(params.get("fileName")),
            content_type=content_type,
            info=info,
            retention=params.get("fileRetention"),
            legal_hold=params.get("legalHold"),
            sse=v.check_sse(params.get("destinationServerSideEncryption"), bucket_default=False),
        )
        segments = self.segments(source)
        if not ranged and len(segments) == 1 and source.content_sha1 != "none":
            temp = self.new_temp_path()
            try:
                os.link(segments[0].path, temp)
            except OSError:
                shutil.copyfile(segments[0].path, temp)
            sha1 = source.content_sha1 or ""
        else:
            temp, sha1 = self._copy_bytes(source, start, max(length, 0))
            if not ranged and source.content_sha1 == "none":
                sha1 = "none"
        return self.commit_upload(plan, temp, size=max(length, 0), sha1=sha1)

    def copy_part(self, key: Key, params: dict[str, Any]) -> Part:
        source, _ = self._copy_source(key, params.get("sourceFileId"))
        large = self.unfinished(key, params.get("largeFileId"))
        number = params.get("partNumber")
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 10_000:
            raise bad_request("partNumber must be from 1 to 10000")
        if params.get("range") is not None:
            start, end = v.parse_byte_range(params["range"], source.content_length)
        else:
            start, end = 0, source.content_length - 1
        length = end - start + 1
        if length > v.MAX_PART_SIZE or length < 1:
            raise bad_request("a part must be 1 byte to 5 GB")
        temp, sha1 = self._copy_bytes(source, start, length)
        return self.commit_part(large.file_id, number, temp, size=length, sha1=sha1)

    # ------------------------------------------------------------- downloads

    def get_download_authorization(self, key: Key, params: dict[str, Any]) -> DownloadToken:
        bucket = self._bucket_for_files(key, params.get("bucketId"), "shareFiles")
        prefix = params.get("fileNamePrefix")
        if not isinstance(prefix, str):
            raise bad_request("fileNamePrefix is required")
        require_list_prefix(key, prefix)
        duration = params.get("validDurationInSeconds")
        if (
            not isinstance(duration, int)
            or isinstance(duration, bool)
            or not 1 <= duration <= v.MAX_DOWNLOAD_AUTH_SECONDS
        ):
            raise bad_request("validDurationInSeconds must be from 1 to 604800")
        overrides = {}
        for name in (
            "b2ContentDisposition",
            "b2ContentLanguage",
            "b2Expires",
            "b2CacheControl",
            "b2ContentEncoding",
            "b2ContentType",
        ):
            value = params.get(name)
            if value is not None:
                if not isinstance(value, str):
                    raise bad_request(f"{name} must be a string")
                overrides[name] = value
        with self.lock:
            token = DownloadToken(
                token=f"3_{self.account_id}_d{secrets.token_urlsafe(24)}",
                key_id=key.key_id,
                bucket_id=bucket.bucket_id,
                prefix=prefix,
                expires_at=self.now_ms() + duration * 1000,
                overrides=overrides,
            )
            self.tokens[token.token] = token
            return token

    def resolve_download(
        self,
        auth: tuple[Key, AccountToken | DownloadToken] | None,
        *,
        bucket_name: str | None = None,
        file_name: str | None = None,
        file_id: str | None = None,
        overrides: dict[str, str],
    ) -> tuple[FileVersion, Bucket]:
        """Find the version a download serves and check the caller may read it."""
        key, grant = auth if auth is not None else (None, None)
        if file_id is not None:
            version = self.get_file(file_id)
            if grant is not None and isinstance(grant, DownloadToken):
                raise unauthorized("download authorization tokens only work with download by name")
            if version is None or version.action != "upload":
                if key is not None:
                    require(key, "readFiles")
                raise not_found(f"file not found: {file_id}")
            bucket = self.get_bucket(version.bucket_id)
        else:
            found = self.bucket_by_name(bucket_name or "")
            if found is None:
                raise not_found(f"bucket not found: {bucket_name}")
            bucket = found
            current = self.current_version(bucket.bucket_id, file_name or "")
            version = current if current is not None and current.action == "upload" else None
        if grant is None:
            if bucket.type != "allPublic":
                raise ApiError(401, "missing_auth_token", "this bucket is private; authorize first")
            if overrides:
                raise ApiError(
                    401, "missing_auth_token", "b2* query parameters need an authorization token"
                )
        elif isinstance(grant, DownloadToken):
            name = file_name or ""
            if grant.bucket_id != bucket.bucket_id or not name.startswith(grant.prefix):
                raise unauthorized("the download authorization does not cover this file")
            for field, value in grant.overrides.items():
                if overrides.get(field) != value:
                    raise unauthorized(f"the download authorization requires {field}={value!r}")
        else:
            assert key is not None
            require(key, "readFiles")
            require_bucket(key, bucket.bucket_id)
            require_name(key, file_name if version is None else version.name)  # type: ignore[arg-type]
        if version is None:
            raise not_found(f"file not found: {file_name}")
        return version, bucket
