"""The B2 end of a migration: what is there already, uploads, server-side copies, checks."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django_b2.client import B2NotFound, expected_sha1
from django_b2.client._limits import MAX_FILE_INFO_ENTRIES

from .sources import B2Source, Payload, Source, SourceFile, describe

if TYPE_CHECKING:
    from django_b2.storage import B2Storage

__all__ = ["Destination", "Existing", "check_copy"]

_BATCH = 1000


@dataclass(frozen=True)
class Existing:
    """A file already at the destination."""

    size: int
    sha1: str | None
    file_id: str


class Destination:
    """A django_b2 storage to migrate into, with an on-disk index of what it holds already."""

    def __init__(self, storage: B2Storage, temp_dir: str | None = None) -> None:
        self.storage = storage
        self.prefix = storage.name_prefix
        self.description = describe(storage)
        self._temp_dir = temp_dir
        self._index: sqlite3.Connection | None = None
        self._index_path: str | None = None
        # One connection shared by the workers: sqlite3 cursors must not run concurrently.
        self._index_lock = threading.Lock()

    # -- what is there ------------------------------------------------------------------

    def load_index(self) -> int:
        """List the destination under ``location`` into a temporary SQLite file; the count."""
        handle, path = tempfile.mkstemp(prefix="django_b2-dest-", suffix=".sqlite3",
                                        dir=self._temp_dir)  # fmt: skip
        os.close(handle)
        self._index_path = path
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute(
            "CREATE TABLE files (name TEXT PRIMARY KEY, size INTEGER, sha1 TEXT, file_id TEXT)"
        )
        self._index = db
        storage = self.storage
        rows: list[tuple[str, int, str | None, str]] = []
        count = 0
        for entry in storage.client.iter_file_names(storage.bucket_id, prefix=self.prefix):
            rows.append(
                (
                    str(entry["fileName"]),
                    int(entry.get("contentLength") or 0),
                    expected_sha1(entry.get("contentSha1"), entry.get("fileInfo")),
                    str(entry.get("fileId") or ""),
                )
            )
            if len(rows) >= _BATCH:
                count += self._insert(rows)
                rows = []
        if rows:
            count += self._insert(rows)
        return count

    def _insert(self, rows: list[tuple[str, int, str | None, str]]) -> int:
        assert self._index is not None
        self._index.execute("BEGIN")
        self._index.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", rows)
        self._index.execute("COMMIT")
        return len(rows)

    def existing(self, key: str) -> Existing | None:
        if self._index is None:
            return None
        with self._index_lock:
            row = self._index.execute(
                "SELECT size, sha1, file_id FROM files WHERE name = ?", (key,)
            ).fetchone()
        return Existing(int(row[0]), row[1], str(row[2])) if row else None

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None
        if self._index_path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._index_path)
            self._index_path = None

    # -- names and checks ----------------------------------------------------------------

    def key(self, name: str) -> str:
        """The B2 name of storage name ``name`` (ValueError / SuspiciousFileOperation if bad)."""
        return self.storage.b2_name(name)

    def remote_sha1(self, file_id: str) -> str:
        """The SHA-1 of a destination file B2 has none for (a large file): read and hashed."""
        digest = hashlib.sha1()
        with self.storage.client.download_file_by_id(file_id, verify=False) as downloaded:
            for chunk in downloaded:
                digest.update(chunk)
        return digest.hexdigest()

    def remove(self, key: str, file_id: str) -> None:
        """Delete a version this migration wrote (a copy that failed its check)."""
        with contextlib.suppress(B2NotFound):
            self.storage.client.delete_file_version(key, file_id)

    # -- copies --------------------------------------------------------------------------

    def can_copy_from(self, source: Source) -> bool:
        """Whether ``b2_copy_file`` can copy from ``source`` (a B2 storage of the same account,
        readable with the destination's key)."""
        if not isinstance(source, B2Source):
            return False
        mine, theirs = self.storage, source.storage
        if mine.config.api_url != theirs.config.api_url:
            return False
        auth = mine.client.authorization
        if auth.account_id != theirs.client.authorization.account_id:
            return False
        if "readFiles" not in auth.capabilities:
            return False
        return auth.bucket_id is None or auth.bucket_id == theirs.bucket_id

    def _file_info(self, item: SourceFile, base: dict[str, str] | None = None) -> dict[str, str]:
        info = dict(base or {})
        own = self.storage.file_info_for(item.name)
        info.update(own)
        if item.modified_ms is not None:
            info.setdefault("src_last_modified_millis", str(item.modified_ms))
        if len(info) > MAX_FILE_INFO_ENTRIES:
            # Keep this storage's own entries; drop the oldest extras.
            extras = [k for k in info if k not in own]
            for name in extras[: len(info) - MAX_FILE_INFO_ENTRIES]:
                del info[name]
        return info

    def _content_type(self, item: SourceFile) -> str:
        if item.b2 and item.b2.get("contentType"):
            return str(item.b2["contentType"])
        return self.storage.guess_content_type(item.name)

    def upload(
        self,
        item: SourceFile,
        payload: Payload,
        progress: Callable[[int, int | None], None] | None = None,
    ) -> dict[str, Any]:
        """Upload ``payload`` as ``item``; large files by parts (the storage's settings)."""
        return self.storage.client.upload(
            self.storage.bucket_id,
            self.key(item.name),
            payload.body,
            content_type=self._content_type(item),
            file_info=self._file_info(item) or None,
            content_length=payload.size,
            **self.storage.config.upload_tuning,
            large_file_sha1=payload.sha1,
            progress=progress,
        )

    def server_copy(self, item: SourceFile) -> dict[str, Any]:
        """Copy a file of a B2 source of the same account with one ``b2_copy_file``."""
        assert item.b2 is not None
        source_info = {str(k): str(v) for k, v in (item.b2.get("fileInfo") or {}).items()}
        return dict(
            self.storage.client.copy_file(
                str(item.b2["fileId"]),
                self.key(item.name),
                destination_bucket_id=self.storage.bucket_id,
                metadata_directive="REPLACE",
                content_type=self._content_type(item),
                file_info=self._file_info(item, source_info),
            )
        )


def check_copy(
    result: dict[str, Any], size: int, sha1: str | None, payload: Payload | None
) -> str | None:
    """Why the copy ``result`` does not match the source (``None`` when it does)."""
    got_size = int(result.get("contentLength") or 0)
    if got_size != size:
        return f"the copy has {got_size} bytes, the source {size}"
    got = expected_sha1(result.get("contentSha1"), result.get("fileInfo"))
    if sha1 is not None and got is not None and got != sha1:
        return f"the copy's SHA-1 is {got}, the source's {sha1}"
    if payload is not None and not payload.unchanged():
        return "the source file changed while it was being sent"
    return None
