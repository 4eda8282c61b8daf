"""Listings: file names, file versions, unfinished large files, parts."""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any

from .database import FILE_COLUMNS, file_from_row
from .errors import ApiError, bad_request
from .file_rules import name_successor
from .permissions import require, require_bucket, require_list_prefix
from .records import (
    FileVersion,
    Folder,
    Key,
    Part,
)
from .store import Store

#: Versions fetched by id in one ``IN (...)`` (under SQLite's oldest 999-variable limit).
FETCH_BATCH = 500

# The keys (name, seq) of a listing, in order, from the covering index ``files_listing``: every
# version (name ascending, newest first), or each name's current version: its newest that is not
# an unfinished large file, unless that is a hide marker (with one max(), SQLite takes a bare
# column from the row with the max). No sort: SQLite steps the index only as far as the caller
# reads.
_VERSION_KEYS = (
    "SELECT name, seq FROM files WHERE bucket_id = ? AND {lower}{upper} "
    "ORDER BY name, seq DESC LIMIT ?"
)
_CURRENT_KEYS = (
    "SELECT name, MAX(seq) FROM files WHERE bucket_id = ? AND {lower}{upper} "
    "AND action != 'start' GROUP BY name HAVING action != 'hide' ORDER BY name LIMIT ?"
)
_UNFINISHED = (
    f"SELECT {FILE_COLUMNS} FROM files INDEXED BY files_by_action "
    "WHERE bucket_id = ? AND action = 'start' AND seq >= ? ORDER BY seq LIMIT ?"
)
_UNFINISHED_UNDER = (
    f"SELECT {FILE_COLUMNS} FROM files INDEXED BY files_unfinished "
    "WHERE bucket_id = ? AND action = 'start' AND name >= ? AND name < ? AND seq >= ? "
    "ORDER BY seq LIMIT ?"
)
# The rest of one name's versions from a pinned version (``startFileId``) on, newest first.
_PINNED_KEYS = (
    "SELECT name, seq FROM files WHERE bucket_id = ? AND name = ? AND seq <= ?{upper} "
    "ORDER BY seq DESC LIMIT ?"
)


def _max_file_count(params: dict[str, Any], most: int) -> int:
    """A listing's ``maxFileCount``: 100 when absent or 0, else from 1 to ``most``."""
    max_count = params.get("maxFileCount")
    if max_count in (None, 0):
        return 100
    if not isinstance(max_count, int) or isinstance(max_count, bool) or not 1 <= max_count <= most:
        raise ApiError(400, "out_of_range", f"maxFileCount must be from 1 to {most}")
    return max_count


def _folder_of(name: bytes, prefix: bytes, delimiter: bytes | None) -> bytes | None:
    """The folder of ``name`` (up to the first delimiter after the prefix), if it has one.

    On UTF-8 bytes this is the same cut as on characters: a delimiter's bytes can only match
    at a character boundary.
    """
    if delimiter is None:
        return None
    index = name.find(delimiter, len(prefix))
    if index < 0:
        return None
    return name[: index + len(delimiter)]


class ListingMixin(Store):
    def _keys(
        self,
        bucket_id: str,
        start: tuple[bytes, int | None],
        end: bytes | None,
        *,
        versions: bool,
        limit: int,
    ) -> Generator[tuple[bytes, int], None, None]:
        """The (name, seq) of the listing from ``start`` (a name, and a pinned version's seq)
        up to ``end``, at most ``limit``; the caller holds the lock while it steps."""
        begin, pinned_seq = start
        upper, tail = ("", ()) if end is None else (" AND name < ?", (end,))
        lower = "name >= ?"
        if pinned_seq is not None:
            yield from self._step(
                _PINNED_KEYS.format(upper=upper), (bucket_id, begin, pinned_seq, *tail, limit)
            )
            lower = "name > ?"
        query = (_VERSION_KEYS if versions else _CURRENT_KEYS).format(lower=lower, upper=upper)
        yield from self._step(query, (bucket_id, begin, *tail, limit))

    def _step(self, query: str, args: tuple[Any, ...]) -> Generator[tuple[bytes, int], None, None]:
        cursor = self.db.execute(query, args)
        try:
            for name, seq in cursor:
                yield bytes(name), seq
        finally:
            cursor.close()

    def _versions_by_seq(self, seqs: list[int]) -> dict[int, FileVersion]:
        found: dict[int, FileVersion] = {}
        for first in range(0, len(seqs), FETCH_BATCH):
            batch = seqs[first : first + FETCH_BATCH]
            marks = ", ".join("?" * len(batch))
            for row in self.db.execute(
                f"SELECT {FILE_COLUMNS} FROM files WHERE seq IN ({marks})", batch
            ):
                found[row[3]] = file_from_row(row)
        return found

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
        if not isinstance(bucket_id, str) or not re.fullmatch(r"[A-Za-z0-9]{24}", bucket_id):
            raise ApiError(400, "invalid_bucket_id", f"invalid bucketId: {bucket_id!r}")
        bucket = self.get_bucket(bucket_id)
        require_bucket(key, bucket.bucket_id)
        max_count = _max_file_count(params, 10_000)
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
        end = name_successor(prefix_b) if prefix_b else None
        delimiter_b = None if delimiter is None else delimiter.encode()
        with self.lock:
            keys = self._page_keys(
                bucket.bucket_id, (begin, start_seq), end, (prefix_b, delimiter_b),
                versions=versions, wanted=max_count + 1,
            )  # fmt: skip
            found = self._versions_by_seq([k for k in keys if isinstance(k, int)])
        entries = [Folder(k.decode()) if isinstance(k, bytes) else found[k] for k in keys]
        following = entries.pop() if len(entries) > max_count else None
        return entries, following

    def _page_keys(
        self,
        bucket_id: str,
        start: tuple[bytes, int | None],
        end: bytes | None,
        folders: tuple[bytes, bytes | None],
        *,
        versions: bool,
        wanted: int,
    ) -> list[int | bytes]:
        """The entries of a page (and the one after it): a version's seq, or a folder's name.

        A folder ends the query that found it; the next one starts after the folder, so the
        names inside it are never read."""
        prefix, delimiter = folders
        entries: list[int | bytes] = []
        scan = self._keys(bucket_id, start, end, versions=versions, limit=wanted)
        try:
            while len(entries) < wanted:
                found = next(scan, None)
                if found is None:
                    break
                name, seq = found
                folder = _folder_of(name, prefix, delimiter)
                if folder is None:
                    entries.append(seq)
                    continue
                entries.append(folder)
                scan.close()
                scan = self._keys(
                    bucket_id, (name_successor(folder), None), end, versions=versions,
                    limit=wanted - len(entries),
                )  # fmt: skip
        finally:
            scan.close()
        return entries

    def list_unfinished(
        self, key: Key, params: dict[str, Any]
    ) -> tuple[list[FileVersion], str | None]:
        bucket = self._bucket_for_files(key, params.get("bucketId"), "listFiles")
        prefix = params.get("namePrefix") or ""
        if not isinstance(prefix, str):
            raise bad_request("namePrefix must be a string")
        require_list_prefix(key, prefix)
        max_count = _max_file_count(params, 100)
        start_seq = 0
        start_id = params.get("startFileId")
        if start_id is not None:
            pinned = self.get_file(start_id)
            if pinned is None or pinned.bucket_id != bucket.bucket_id:
                raise bad_request(f"invalid startFileId: {start_id}")
            start_seq = pinned.seq
        prefix_b = prefix.encode()
        # Without a prefix the oldest come first from ``files_by_action``; with one, the index
        # ``files_unfinished`` (of unfinished files only) finds those under it, then they are
        # put in order.
        query = _UNFINISHED_UNDER if prefix_b else _UNFINISHED
        names = (prefix_b, name_successor(prefix_b)) if prefix_b else ()
        with self.lock:
            rows = self.db.execute(
                query, (bucket.bucket_id, *names, start_seq, max_count + 1)
            ).fetchall()
        files = [file_from_row(r) for r in rows]
        following = files.pop().file_id if len(files) > max_count else None
        return files, following

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
                "SELECT file_id, part_number, content_length, content_sha1, upload_timestamp, blob "
                "FROM parts WHERE file_id = ? AND part_number >= ? "
                "ORDER BY part_number LIMIT ?",
                (version.file_id, first, count + 1),
            ).fetchall()
        parts = [Part(*row) for row in rows]
        following = parts.pop().part_number if len(parts) > count else None
        return parts, following
