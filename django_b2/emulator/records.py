"""Plain records the state hands out: keys, buckets, file versions, parts, tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Key:
    key_id: str
    secret: str
    name: str
    capabilities: list[str]
    expiration: int | None
    bucket_ids: list[str] | None
    name_prefix: str | None
    is_master: bool = False

    def allows_bucket(self, bucket_id: str) -> bool:
        return self.bucket_ids is None or bucket_id in self.bucket_ids

    def allows_name(self, name: str) -> bool:
        return self.name_prefix is None or name.startswith(self.name_prefix)

    def __repr__(self) -> str:  # never show the secret
        return f"Key(key_id={self.key_id!r}, name={self.name!r})"


@dataclass
class Bucket:
    bucket_id: str
    name: str
    type: str
    info: dict[str, str]
    cors_rules: list[dict[str, Any]]
    lifecycle_rules: list[dict[str, Any]]
    lock_enabled: bool
    default_retention: dict[str, Any]
    default_sse: dict[str, Any]
    revision: int
    replication: dict[str, Any] = field(
        default_factory=lambda: {"asReplicationSource": None, "asReplicationDestination": None}
    )


@dataclass
class FileVersion:
    file_id: str
    bucket_id: str
    name: str
    seq: int
    action: str  # upload | start | hide
    content_length: int
    content_sha1: str | None
    content_type: str | None
    info: dict[str, str]
    upload_timestamp: int
    retention_mode: str | None = None
    retention_until: int | None = None
    legal_hold: str | None = None
    sse: dict[str, Any] = field(default_factory=lambda: {"mode": None, "algorithm": None})
    blob: str | None = None
    #: pending / completed / failed on a replication source, replica on the copy
    replication_status: str | None = None


@dataclass
class Folder:
    name: str


@dataclass
class Part:
    file_id: str
    part_number: int
    content_length: int
    content_sha1: str
    upload_timestamp: int
    blob: str


@dataclass
class AccountToken:
    token: str
    key_id: str
    expires_at: int
    uses: int = 0
    test_mode_uses: int = 0
    forced_expired: bool = False


@dataclass
class UploadToken:
    token: str
    key_id: str
    bucket_id: str
    large_file_id: str | None
    expires_at: int
    busy: bool = False
    dead: bool = False


@dataclass
class DownloadToken:
    token: str
    key_id: str
    bucket_id: str
    prefix: str
    expires_at: int
    overrides: dict[str, str] = field(default_factory=dict)


@dataclass
class Segment:
    """A piece of a file's body: a blob file on disk, or bytes kept inline in SQLite.

    Inline parts of large files are loaded only when needed (``State.segment_data``), so a
    download holds at most one part in memory.
    """

    path: str | None
    length: int
    data: bytes | None = None
    part: tuple[str, int] | None = None  # (file id, part number) of an inline part


@dataclass
class Body:
    """A received (or copied) body: small ones in memory, others in a temp file."""

    size: int
    sha1: str
    path: str | None = None
    data: bytes | None = None
