"""Files on a B2 storage that no model row refers to (orphans), and rows whose file is missing.

Both sides are streamed in B2's order (UTF-8 bytes) and merged like two sorted lists:

* the bucket, by ``b2_list_file_names`` under the storage's ``location`` (B2 returns names in that
  order, 1000 per call);
* the database, by :mod:`django_b2.references`: every FileField / ImageField using the storage is
  read in chunks into a temporary SQLite file and read back in byte order without repeats.

Memory stays bounded (one listing page, one chunk of rows, SQLite's page cache) whatever the
number of files and rows; the disk holds one copy of the referenced names for the scan's life.

:func:`delete_orphans` deletes per the storage's ``delete_policy`` and checks each file again just
before: still referenced by no row, still the version that was scanned, and no version younger
than ``older_than`` (an upload in flight or a file just re-used is never deleted).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import SuspiciousFileOperation
from django.db import models

from django_b2._pages import versions_of
from django_b2.client import B2BadRequest, B2Error, B2NotFound
from django_b2.references import NameSpool, field_label, fields_using, iter_field_names

if TYPE_CHECKING:
    from django_b2.storage import B2Storage

__all__ = [
    "DEFAULT_OLDER_THAN",
    "DeleteStats",
    "OrderError",
    "ScanStats",
    "StoredFile",
    "delete_orphans",
    "find_missing",
    "find_orphans",
]

#: Orphans younger than this (seconds) are left alone by default: they may be uploads whose row
#: is not saved yet.
DEFAULT_OLDER_THAN = 86_400.0
#: Names re-checked against the database per query before deleting.
_RECHECK_BATCH = 500
#: Names that cannot be B2 names kept for the report (the rest are only counted).
_MAX_INVALID_KEPT = 10_000


class OrderError(RuntimeError):
    """A listing came out of order: the merge cannot be trusted, so nothing is reported."""


@dataclass(frozen=True)
class StoredFile:
    """A file in the bucket: its storage name, B2 name, size, upload time (ms) and version id."""

    name: str
    key: str
    size: int
    uploaded: int
    file_id: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "b2_name": self.key,
            "size": self.size,
            "uploaded": self.uploaded,
            "file_id": self.file_id,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StoredFile:
        """The file :meth:`to_json` described."""
        return cls(
            name=data["name"],
            key=data["b2_name"],
            size=int(data["size"]),
            uploaded=int(data["uploaded"]),
            file_id=data["file_id"],
        )


@dataclass
class ScanStats:
    """What a scan saw (filled in as the scan goes; complete once its iterator is exhausted)."""

    fields: list[str] = field(default_factory=list)
    files: int = 0
    references: int = 0
    matched: int = 0
    orphans: int = 0
    orphan_bytes: int = 0
    young: int = 0
    missing: int = 0
    invalid: list[str] = field(default_factory=list)
    invalid_count: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "fields": self.fields,
            "files": self.files,
            "references": self.references,
            "matched": self.matched,
            "orphans": self.orphans,
            "orphan_bytes": self.orphan_bytes,
            "young": self.young,
            "missing": self.missing,
            "invalid_names": self.invalid_count,
        }


@dataclass
class DeleteStats:
    """What :func:`delete_orphans` did."""

    deleted: int = 0
    deleted_bytes: int = 0
    #: still referenced, replaced, or a version younger than the limit appeared: left alone
    kept: int = 0
    #: gone before we got to it
    gone: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "deleted": self.deleted,
            "deleted_bytes": self.deleted_bytes,
            "kept": self.kept,
            "gone": self.gone,
            "failed": [{"name": name, "error": error} for name, error in self.failed],
        }


def _fields(storage: B2Storage, fields: Iterable[models.FileField] | None) -> list[Any]:
    return list(fields) if fields is not None else fields_using(storage)


def _spool_references(
    storage: B2Storage, fields: list[Any], spool: NameSpool, stats: ScanStats
) -> None:
    stats.fields = [field_label(f) for f in fields]

    def to_key(name: str) -> str | None:
        try:
            return storage.b2_name(name)
        except (ValueError, SuspiciousFileOperation):
            stats.invalid_count += 1
            if len(stats.invalid) < _MAX_INVALID_KEPT:
                stats.invalid.append(name)
            return None

    for file_field in fields:
        spool.add_all(key for key in map(to_key, iter_field_names(file_field)) if key is not None)


def _listing(storage: B2Storage, stats: ScanStats) -> Iterator[tuple[bytes, dict[str, Any]]]:
    """The bucket's current files under ``location`` as (UTF-8 name, entry), checked in order."""
    previous = b""
    for entry in storage.client.iter_file_names(storage.bucket_id, prefix=storage.name_prefix):
        key = str(entry["fileName"]).encode("utf-8")
        if key <= previous:
            raise OrderError(
                f"B2 listed {entry['fileName']!r} after {previous.decode(errors='replace')!r}; "
                "names must come in UTF-8 byte order. Nothing was reported or deleted."
            )
        previous = key
        stats.files += 1
        yield key, dict(entry)


def _merge(
    storage: B2Storage, spool: NameSpool, stats: ScanStats
) -> Iterator[tuple[dict[str, Any] | None, bytes | None]]:
    """Yield ``(entry, None)`` for a file no row refers to, ``(None, key)`` for a missing file."""
    listed = _listing(storage, stats)
    referenced = spool.sorted()
    file_item = next(listed, None)
    ref = next(referenced, None)
    while file_item is not None or ref is not None:
        if ref is None or (file_item is not None and file_item[0] < ref):
            assert file_item is not None
            yield file_item[1], None
            file_item = next(listed, None)
        elif file_item is None or ref < file_item[0]:
            stats.references += 1
            yield None, ref
            ref = next(referenced, None)
        else:
            stats.references += 1
            stats.matched += 1
            file_item = next(listed, None)
            ref = next(referenced, None)


def _stored(storage: B2Storage, entry: dict[str, Any]) -> StoredFile:
    key = str(entry["fileName"])
    return StoredFile(
        name=key[len(storage.name_prefix) :],
        key=key,
        size=int(entry.get("contentLength") or 0),
        uploaded=int(entry.get("uploadTimestamp") or 0),
        file_id=str(entry.get("fileId") or ""),
    )


def _cutoff(older_than: float, now: float | None) -> int:
    if older_than < 0:
        raise ValueError(f"older_than must be at least 0 seconds, got {older_than}")
    current = time.time() if now is None else now
    return int((current - older_than) * 1000)


def find_orphans(
    storage: B2Storage,
    *,
    fields: Iterable[models.FileField] | None = None,
    older_than: float = DEFAULT_OLDER_THAN,
    now: float | None = None,
    stats: ScanStats | None = None,
    spool_dir: str | None = None,
) -> Iterator[StoredFile]:
    """The files under the storage's ``location`` that no row refers to, in B2's order.

    ``fields`` defaults to every FileField/ImageField that uses ``storage``; files uploaded less
    than ``older_than`` seconds before ``now`` (default: the current time) are left out and only
    counted in ``stats.young``.
    """
    stats = stats if stats is not None else ScanStats()
    cutoff = _cutoff(older_than, now)
    with NameSpool(spool_dir) as spool:
        _spool_references(storage, _fields(storage, fields), spool, stats)
        for entry, _ in _merge(storage, spool, stats):
            if entry is None:
                continue
            found = _stored(storage, entry)
            if found.uploaded > cutoff:
                stats.young += 1
                continue
            stats.orphans += 1
            stats.orphan_bytes += found.size
            yield found


def find_missing(
    storage: B2Storage,
    *,
    fields: Iterable[models.FileField] | None = None,
    stats: ScanStats | None = None,
    spool_dir: str | None = None,
) -> Iterator[str]:
    """The names rows refer to that are not in the bucket (broken links), as storage names.

    Names that cannot be B2 names at all (``..``, control characters) come last.
    """
    stats = stats if stats is not None else ScanStats()
    prefix = storage.name_prefix.encode("utf-8")
    with NameSpool(spool_dir) as spool:
        _spool_references(storage, _fields(storage, fields), spool, stats)
        for _, key in _merge(storage, spool, stats):
            if key is None:
                continue
            stats.missing += 1
            yield key[len(prefix) :].decode("utf-8", "surrogatepass")
    for name in stats.invalid:
        stats.missing += 1
        yield name
    stats.missing += stats.invalid_count - len(stats.invalid)


def _still_referenced(fields: list[Any], names: list[str]) -> set[str]:
    found: set[str] = set()
    for file_field in fields:
        lookup = {f"{file_field.attname}__in": names}
        rows = file_field.model._base_manager.filter(**lookup)
        found.update(str(name) for name in rows.values_list(file_field.attname, flat=True))
    return found


def _delete_one(storage: B2Storage, orphan: StoredFile, cutoff: int) -> str:
    """Delete one orphan per the storage's delete_policy: ``deleted``, ``kept`` or ``gone``."""
    client = storage.client
    versions = list(versions_of(client, storage.bucket_id, orphan.key, page_size=100))
    if not versions:
        return "gone"
    newest = versions[0]
    if str(newest.get("fileId")) != orphan.file_id or newest.get("action") != "upload":
        return "kept"  # replaced, hidden or being uploaded again since the scan
    if any(int(v.get("uploadTimestamp") or 0) > cutoff for v in versions):
        return "kept"
    policy = storage.config.delete_policy
    if policy == "hide":
        try:
            client.hide_file(storage.bucket_id, orphan.key)
        except B2BadRequest as exc:
            if exc.code != "already_hidden":
                raise
        return "deleted"
    targets = versions[:1] if policy == "delete_newest" else versions
    for version in targets:
        try:
            client.delete_file_version(orphan.key, str(version["fileId"]))
        except B2NotFound:
            continue  # deleted concurrently
    return "deleted"


def delete_orphans(
    storage: B2Storage,
    orphans: Iterable[StoredFile],
    *,
    fields: Iterable[models.FileField] | None = None,
    older_than: float = DEFAULT_OLDER_THAN,
    now: float | None = None,
    stats: DeleteStats | None = None,
) -> DeleteStats:
    """Delete ``orphans`` (from :func:`find_orphans`) per the storage's ``delete_policy``.

    Each batch of names is first checked against the database again, and each file against its
    versions in B2 (see the module docstring); a failure is recorded and the rest go on.
    """
    stats = stats if stats is not None else DeleteStats()
    cutoff = _cutoff(older_than, now)
    chosen = _fields(storage, fields)
    batch: list[StoredFile] = []

    def flush() -> None:
        referenced = _still_referenced(chosen, [orphan.name for orphan in batch])
        for orphan in batch:
            if orphan.uploaded > cutoff or orphan.name in referenced:
                stats.kept += 1
                continue
            try:
                outcome = _delete_one(storage, orphan, cutoff)
            except B2Error as exc:  # recorded and reported; the rest go on
                stats.failed.append((orphan.name, f"{type(exc).__name__}: {exc}"))
                continue
            if outcome == "deleted":
                stats.deleted += 1
                stats.deleted_bytes += orphan.size
            elif outcome == "kept":
                stats.kept += 1
            else:
                stats.gone += 1
        batch.clear()

    for orphan in orphans:
        batch.append(orphan)
        if len(batch) >= _RECHECK_BATCH:
            flush()
    if batch:
        flush()
    return stats
