"""What a download's response headers say: file info, the byte range, the SHA-1 to check."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

from ._limits import SHA1_HEX
from ._signing import percent_decode
from ._types import FileInfoByName

__all__ = [
    "expected_sha1",
    "file_info_by_name",
    "file_info_from",
    "int_or_none",
    "parse_content_range",
]

_CONTENT_RANGE_RE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)
_INFO_PREFIX = "x-bz-info-"


def file_info_from(headers: Mapping[str, str]) -> dict[str, str]:
    """The ``X-Bz-Info-*`` headers as file info: lower-case keys, percent-decoded values."""
    return {
        key[len(_INFO_PREFIX) :].lower(): unquote_plus(value)
        for key, value in headers.items()
        if key.lower().startswith(_INFO_PREFIX)
    }


def int_or_none(value: str | None) -> int | None:
    """A header's integer value, or None when it is missing or not a number."""
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def parse_content_range(value: str | None) -> tuple[int, int, int | None] | None:
    """``Content-Range: bytes first-last/total`` as ``(first, last, total or None)``."""
    if not value:
        return None
    match = _CONTENT_RANGE_RE.match(value)
    if match is None:
        return None
    total = None if match.group(3) == "*" else int(match.group(3))
    return int(match.group(1)), int(match.group(2)), total


def expected_sha1(content_sha1: object, file_info: Mapping[str, Any] | None = None) -> str | None:
    """The hex SHA-1 B2 gives for a file version: ``contentSha1`` (an ``unverified:`` prefix
    dropped), else the ``large_file_sha1`` file info of a large file; ``None`` when B2 has
    neither (what a full download is checked against, and what listings are compared with)."""
    value = str(content_sha1 or "").strip().lower().removeprefix("unverified:")
    if SHA1_HEX.fullmatch(value):
        return value
    whole = str((file_info or {}).get("large_file_sha1") or "").strip().lower()
    return whole if SHA1_HEX.fullmatch(whole) else None


def file_info_by_name(headers: Mapping[str, str]) -> FileInfoByName:
    """The file-version fields carried by download/``HEAD`` response headers
    (:meth:`B2Client.get_file_info_by_name`)."""
    lowered = {key.lower(): value for key, value in headers.items()}
    timestamp = lowered.get("x-bz-upload-timestamp")
    file_name = lowered.get("x-bz-file-name")
    return {
        "fileId": lowered.get("x-bz-file-id"),
        "fileName": percent_decode(file_name) if file_name is not None else "",
        "contentLength": int(lowered.get("content-length") or 0),
        "contentType": lowered.get("content-type"),
        "contentSha1": lowered.get("x-bz-content-sha1"),
        "fileInfo": file_info_from(headers),
        "uploadTimestamp": int(timestamp) if timestamp else None,
        "headers": dict(headers),
    }
