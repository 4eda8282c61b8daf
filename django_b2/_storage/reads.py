"""``Reads``: what a storage tells about its files, listings, URLs, and opening files.

What it tells costs one HEAD per name and second (see :mod:`django_b2.head_memo`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Final, cast

from django.core.exceptions import SuspiciousFileOperation

from django_b2 import conf
from django_b2._pages import versions_of
from django_b2.client import download_url_by_name
from django_b2.client.errors import B2NotFound
from django_b2.files import B2File
from django_b2.head_memo import HeadMemo
from django_b2.signed_urls import signed_url
from django_b2.unique_names import quote_name

from .names import Names

if TYPE_CHECKING:
    from django_b2.storage import B2Storage

__all__ = ["LISTING_PAGE_SIZE", "Reads", "datetime_from_millis"]

#: Names per listing call (B2's largest page; a listing is one class C transaction per call).
LISTING_PAGE_SIZE: Final = 10_000


class Reads(Names):
    """The read side of :class:`~django_b2.storage.B2Storage`."""

    # Set by B2Storage.__init__ (a new, empty one when a pickle is loaded).
    _heads: HeadMemo

    def _whole(self) -> B2Storage:
        """This part as the :class:`B2Storage` it always is part of (what files and URLs take)."""
        return cast("B2Storage", self)

    def _open(self, name: str, mode: str = "rb") -> B2File:
        key = self.b2_name(name)
        b2file = B2File(name, mode, self._whole(), key)
        if b2file.readable_mode:
            b2file.prefetch()  # FileNotFoundError now, not at the first read
        return b2file

    def _versions(self, key: str, page_size: int = 100) -> Iterator[Mapping[str, Any]]:
        """Every version (uploads, hide markers, unfinished large files) of exactly ``key``,
        newest first."""
        return versions_of(self.client, self.bucket_id, key, page_size=page_size)

    # -- one HEAD per name and second ------------------------------------------------------

    def _forget(self, key: str) -> None:
        """Drop what the HEAD memo knows of ``key`` (this storage writes or deletes it)."""
        self._heads.forget(key)

    def _memo_says_exists(self, name: str) -> bool:
        try:
            known, info = self._heads.get(self.b2_name(name))
        except (ValueError, SuspiciousFileOperation):
            return False
        return known and info is not None

    def missing(self, name: str, exc: BaseException | None = None) -> FileNotFoundError:
        """The error for a 404 on ``name``.

        B2 answers 404 for a missing bucket as for a missing file: the bucket is checked (once
        per storage: its id is remembered) and a missing one raises
        :class:`~django_b2.conf.B2ConfigurationError` here instead.
        """
        self.bucket_id  # noqa: B018 - raises B2ConfigurationError if the bucket does not exist
        error = FileNotFoundError(
            f"{quote_name(name)} does not exist in B2 bucket {self.bucket_name!r}"
        )
        if exc is not None:
            error.__cause__ = exc
        return error

    def file_info(self, name: str) -> dict[str, Any]:
        """B2's metadata of the current version of ``name`` (one HEAD request, remembered for
        at most :data:`~django_b2.head_memo.HEAD_MEMO_SECONDS`)."""
        key = self.b2_name(name)
        known, info = self._heads.get(key)
        if not known:
            try:
                info = dict(self.client.get_file_info_by_name(self.bucket_name, key))
            except B2NotFound as exc:
                missing = self.missing(name, exc)
                self._heads.put(key, None)
                raise missing from exc
            self._heads.put(key, info)
        if info is None:
            raise self.missing(name)
        return dict(info)

    def exists(self, name: str) -> bool:
        """Whether file ``name`` exists (one HEAD, shared with :meth:`size` and the times)."""
        if name.replace("\\", "/").strip("/") in ("", "."):
            return True
        try:
            self.file_info(name)
        except FileNotFoundError:
            return False
        return True

    def size(self, name: str) -> int:
        return int(self.file_info(name)["contentLength"])

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        prefix = self._dir_prefix(path)
        directories: list[str] = []
        files: list[str] = []
        entries = self.client.iter_file_names(
            self.bucket_id, prefix=prefix, delimiter="/", page_size=LISTING_PAGE_SIZE
        )
        for entry in entries:
            relative = str(entry["fileName"])[len(prefix) :]
            if entry.get("action") == "folder":
                if relative.rstrip("/"):
                    directories.append(relative.rstrip("/"))
            elif relative:
                files.append(relative)
        return directories, files

    def url(
        self,
        name: str | None,
        expire: int | None = None,
        content_disposition: str | None = None,
    ) -> str:
        """A URL for ``name``: plain for public storages, else signed (see :mod:`signed_urls`)."""
        if name is None:
            raise ValueError("url() needs a file name; this FieldFile has no file.")
        if self.config.public and expire is None and content_disposition is None:
            key = self.b2_name(name)
            base = self.config.custom_domain or self.download_url
            return download_url_by_name(base, self.bucket_name, key)
        return signed_url(
            self._whole(), name, expire=expire, content_disposition=content_disposition
        )

    def get_modified_time(self, name: str) -> datetime:
        """When the file was last modified: ``src_last_modified_millis`` if set, else upload."""
        info = self.file_info(name)
        millis = (info.get("fileInfo") or {}).get("src_last_modified_millis")
        if millis is None or not str(millis).isdigit():
            millis = info.get("uploadTimestamp")
        return datetime_from_millis(int(millis or 0))

    def get_created_time(self, name: str) -> datetime:
        """When the current version was uploaded (B2 versions are immutable)."""
        return datetime_from_millis(int(self.file_info(name).get("uploadTimestamp") or 0))

    def get_accessed_time(self, name: str) -> datetime:
        raise NotImplementedError(
            "B2 does not record access times; use get_modified_time() or get_created_time()."
        )

    def path(self, name: str) -> str:
        raise NotImplementedError(
            "Files on B2 have no local path; use storage.open(name) to read them."
        )


def datetime_from_millis(millis: int) -> datetime:
    """B2's milliseconds since the epoch as Django wants them (aware UTC when ``USE_TZ``)."""
    moment = datetime.fromtimestamp(millis / 1000, tz=timezone.utc)
    if conf.use_tz():
        return moment
    return moment.astimezone().replace(tzinfo=None)
