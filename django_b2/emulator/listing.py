"""Listings: file names, file versions, unfinished large files, parts."""

from __future__ import annotations

import re
from collections.abc import Iterator
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

#: Rows read from SQLite at a time while a listing scans.
LIST_BATCH = 500


def _max_file_count(params: dict[str, Any], most: int) -> int:
    """A listing's ``maxFileCount``: 100 when absent or 0, else from 1 to ``most``."""
    max_count = params.get("maxFileCount")
    if max_count in (None, 0):
        return 100
    if not isinstance(max_count, int) or isinstance(max_count, bool) or not 1 <= max_count <= most:
        raise ApiError(400, "out_of_range", f"maxFileCount must be from 1 to {most}")
    return max_count


class ListingMixin(Store):
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
                    f"SELECT {FILE_COLUMNS} FROM files WHERE bucket_id = ? AND {where}{upper} "
                    "ORDER BY name, seq DESC LIMIT ?",
                    (bucket_id, *args, *tail, LIST_BATCH),
                ).fetchall()
            for row in rows:
                yield file_from_row(row)
            if len(rows) < LIST_BATCH:
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
                scan = self._scan(bucket.bucket_id, name_successor(folder.encode()), None, end)
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
        max_count = _max_file_count(params, 100)
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
                f"SELECT {FILE_COLUMNS} FROM files WHERE bucket_id = ? AND action = 'start' "
                "AND seq >= ? AND substr(name, 1, ?) = ? ORDER BY seq LIMIT ?",
                (bucket.bucket_id, start_seq, len(prefix_b), prefix_b, max_count + 1),
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
