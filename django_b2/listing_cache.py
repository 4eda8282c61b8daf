"""``ListingCache``: what a static storage's location holds, from one listing.

The static storages answer ``exists()``, ``get_modified_time()`` and "is this content already
there?" for every file of a ``collectstatic`` run. One listing of the location (up to 10,000
names per request) answers all of them; the storage then records its own writes and deletes in
it, so it describes what B2 holds once the storage's queued operations are done. The listing is
taken again after ``ttl`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from .client import expected_sha1

__all__ = ["ListedFile", "ListingCache"]

#: File info keys that describe the bytes, not how they are served.
_CONTENT_INFO_KEYS: Final = frozenset({"large_file_sha1", "src_last_modified_millis"})


@dataclass(frozen=True)
class ListedFile:
    """One current file version, as the listing shows it (or as this storage wrote it)."""

    size: int
    sha1: str | None  # hex; from contentSha1, or large_file_sha1 for large files; None unknown
    content_type: str | None
    file_info: Mapping[str, str] = field(default_factory=dict)
    modified_millis: int = 0

    @classmethod
    def from_listing(cls, entry: Mapping[str, Any]) -> ListedFile:
        info = {str(k): str(v) for k, v in (entry.get("fileInfo") or {}).items()}
        sha1 = expected_sha1(entry.get("contentSha1"), info)
        source_millis = info.get("src_last_modified_millis")
        if source_millis is not None and source_millis.isdigit():
            millis = int(source_millis)
        else:
            millis = int(entry.get("uploadTimestamp") or 0)
        return cls(
            size=int(entry.get("contentLength") or 0),
            sha1=sha1,
            content_type=entry.get("contentType"),
            file_info=info,
            modified_millis=millis,
        )

    def same_as(self, sha1: str, content_type: str, file_info: Mapping[str, str]) -> bool:
        """Whether storing ``sha1`` with this type and info would change nothing."""
        served = {k: v for k, v in self.file_info.items() if k not in _CONTENT_INFO_KEYS}
        return (
            self.sha1 == sha1
            and self.content_type == content_type
            and served == {k: v for k, v in file_info.items() if k not in _CONTENT_INFO_KEYS}
        )


class ListingCache:
    """B2 key -> :class:`ListedFile` for one location, listed once per ``ttl`` seconds."""

    def __init__(self, fetch: Callable[[], Iterable[Mapping[str, Any]]], ttl: float) -> None:
        self._fetch = fetch
        self._ttl = ttl
        self._lock = threading.Lock()
        self._files: dict[str, ListedFile] | None = None
        self._dirs: set[str] = set()
        self._taken_at = 0.0

    def is_fresh(self) -> bool:
        with self._lock:
            return self._files is not None and time.monotonic() - self._taken_at < self._ttl

    def snapshot(self, before_listing: Callable[[], None] | None = None) -> dict[str, ListedFile]:
        """The files, listed now if never listed or older than ``ttl``.

        ``before_listing`` runs first when a listing is needed (the storage waits for its
        queued operations there, so that the listing includes them).
        """
        if not self.is_fresh():
            if before_listing is not None:
                before_listing()
            files = {str(e["fileName"]): ListedFile.from_listing(e) for e in self._fetch()}
            dirs = {parent for key in files for parent in _parents(key)}
            with self._lock:
                self._files, self._dirs, self._taken_at = files, dirs, time.monotonic()
        with self._lock:
            return dict(self._files or {})

    def lookup(
        self, key: str, before_listing: Callable[[], None] | None = None
    ) -> ListedFile | None:
        """What the location holds under ``key``, listing it first if needed."""
        if not self.is_fresh():
            self.snapshot(before_listing)
        return self.get(key)

    def get(self, key: str) -> ListedFile | None:
        """What is known of ``key`` without listing (``None``: absent or never listed)."""
        with self._lock:
            return None if self._files is None else self._files.get(key)

    def is_dir(self, key: str) -> bool:
        with self._lock:
            return key in self._dirs

    def put(self, key: str, listed: ListedFile) -> None:
        """Record a write of this storage (nothing to do before the first listing)."""
        with self._lock:
            if self._files is not None:
                self._files[key] = listed
                self._dirs.update(_parents(key))

    def drop(self, key: str) -> None:
        with self._lock:
            if self._files is not None:
                self._files.pop(key, None)


def _parents(key: str) -> list[str]:
    """``"a/b/c.css"`` -> ``["a", "a/b"]``."""
    parts = key.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]
