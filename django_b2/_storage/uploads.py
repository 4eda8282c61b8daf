"""``Uploads``: sending content to B2 with its content type and file info.

The content (a Django ``File`` or a binary file object) is streamed, never read into memory: a
seekable one is sent from its start with its length, so that large files go up in parallel
parts; text content is sent as UTF-8.
"""

from __future__ import annotations

import mimetypes
import posixpath
from collections.abc import Mapping
from typing import Any, Final

from django_b2.client._streams import length_from, rereadable, seek_position

from .reads import Reads

__all__ = ["Uploads"]

_ENCODING_TYPES: Final[Mapping[str, str]] = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "br": "application/x-brotli",
    "compress": "application/x-compress",
}


class Uploads(Reads):
    """How :class:`~django_b2.storage.B2Storage` sends bytes: :meth:`upload` and its metadata."""

    def guess_content_type(self, name: str, content: Any = None) -> str:
        content_type, encoding = mimetypes.guess_type(posixpath.basename(name))
        if encoding:
            return _ENCODING_TYPES.get(encoding, "application/octet-stream")
        if content_type:
            return content_type
        declared = getattr(content, "content_type", None)
        if isinstance(declared, str) and "/" in declared:
            return declared
        return "application/octet-stream"

    def file_info_for(self, name: str) -> dict[str, str]:
        """The ``fileInfo`` stored with ``name``: ``file_info`` + cache-control + disposition."""
        cfg = self.config
        info: dict[str, str] = {}
        raw = cfg.file_info(name) if callable(cfg.file_info) else cfg.file_info
        if raw:
            info.update(raw)
        for option, key in (
            (cfg.cache_control, "b2-cache-control"),
            (cfg.content_disposition, "b2-content-disposition"),
        ):
            value = option(name) if callable(option) else option
            if value:
                info[key] = value
        return info

    def upload(
        self,
        name: str,
        key: str,
        content: Any,
        *,
        content_length: int | None = None,
        sha1: str | None = None,
    ) -> dict[str, Any]:
        """Stream ``content`` (a Django File or binary file object) to B2 under ``key``.

        ``sha1``: the content's SHA-1 (hex) when the caller knows it; a large file records it as
        ``large_file_sha1``.
        """
        source, length = _upload_source(content)
        if content_length is not None:
            length = content_length
        self._forget(key)
        try:
            return self.client.upload(
                self.bucket_id,
                key,
                source,
                content_type=self.guess_content_type(name, content),
                file_info=self.file_info_for(name) or None,
                content_length=length,
                **self.config.upload_tuning,
                large_file_sha1=sha1 or self._large_file_sha1(source),
            )
        finally:
            self._forget(key)

    def _large_file_sha1(self, source: Any) -> bool | None:
        # A whole-file SHA-1 costs one more read of the file: only when asked and possible.
        return True if self.config.large_file_sha1 and rereadable(source) else None


def _upload_source(content: Any) -> tuple[Any, int | None]:
    """What to hand to ``client.upload``: the file object itself (streamed) and its length."""
    seekable = seek_position(content) is not None
    if seekable:
        content.seek(0)
    probe = content.read(0)
    if isinstance(probe, str):
        # Text content (e.g. ContentFile("...")) is in memory already; upload it as UTF-8.
        data = content.read().encode("utf-8")
        return data, len(data)
    length: int | None = None
    if seekable:
        try:
            length = int(content.size) if hasattr(content, "size") else None
        except (AttributeError, OSError, TypeError, ValueError):
            length = None
        if length is None:
            length = length_from(content, content.tell())
        return content, length
    return content, _size_or_none(content)


def _size_or_none(content: Any) -> int | None:
    try:
        size = getattr(content, "size", None)
    except (AttributeError, OSError, TypeError, ValueError):
        return None
    return int(size) if isinstance(size, int) else None
