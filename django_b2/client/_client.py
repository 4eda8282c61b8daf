"""``B2Client``: every B2 native API call with validation, retries and re-authorization.

The class is assembled from one mixin per group of calls, each subclassing the core:

- ``_core``: constructor, account authorization, the retried/re-authorizing JSON call path
- ``_buckets``, ``_files``, ``_large_files``, ``_keys``, ``_downloads``: the B2 calls
- ``_upload_urls`` (upload URL pools and send loops) and ``_body`` (upload request bodies)

Each JSON call goes *re-authorize once* -> *retry policy* -> *raw call*: transient failures
(transport errors, 408, 429, 5xx) are retried by :class:`~django_b2.client._retry.RetryPolicy`; an
expired or rejected account token (``401 expired_auth_token`` / ``bad_auth_token``) makes the client
re-authorize exactly once (serialized through the :class:`AuthStore` lock) and try again.

Uploads use per-bucket (and per-large-file) pools of upload URLs: a URL serves one upload at a time
and goes back to the pool only after a success; after a connection error, 408, 5xx or 401 it is
discarded and a fresh one is fetched (up to ``retry.attempts`` URLs).

The high-level ``upload``/``download`` live here and delegate to
:mod:`django_b2.client._upload` and :mod:`django_b2.client._download`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import TracebackType
from typing import IO, Any

from ._buckets import BucketCalls
from ._core import RangeArg
from ._download import download
from ._downloads import DownloadCalls
from ._files import FileCalls
from ._keys import KeyCalls
from ._large_files import LargeFileCalls
from ._progress import ProgressCallback
from ._upload import upload

__all__ = ["B2Client"]


class B2Client(FileCalls, LargeFileCalls, DownloadCalls, BucketCalls, KeyCalls):
    """A thread-safe client for the B2 native API (v3). No network traffic until the first call.

    See ``docs/DESIGN.md`` for the contract and README.md ("The B2 client") for examples.
    """

    def __enter__(self) -> B2Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- high level (client transfers) ---------------------------------------------------------

    def upload(
        self,
        bucket_id: str,
        file_name: str,
        source: Any,
        *,
        content_type: str = "b2/x-auto",
        file_info: Mapping[str, str] | None = None,
        content_length: int | None = None,
        large_file_threshold: int | None = None,
        part_size: int | None = None,
        max_workers: int = 4,
        resume: bool = True,
        cancel_on_failure: bool = True,
        progress: ProgressCallback | None = None,
        large_file_sha1: str | bool | None = None,
    ) -> dict[str, Any]:
        """Upload from bytes, a path, a file object or an iterable of bytes (small or large file);
        see :func:`django_b2.client._upload.upload`. ``large_file_sha1``: None (default, not
        set), True (computed with one extra read) or the file's SHA-1 hex."""
        result: dict[str, Any] = upload(
            self,
            bucket_id,
            file_name,
            source,
            content_type=content_type,
            file_info=file_info,
            content_length=content_length,
            large_file_threshold=large_file_threshold,
            part_size=part_size,
            max_workers=max_workers,
            resume=resume,
            cancel_on_failure=cancel_on_failure,
            progress=progress,
            large_file_sha1=large_file_sha1,
        )
        return result

    def download(
        self,
        *,
        bucket_name: str | None = None,
        file_name: str | None = None,
        file_id: str | None = None,
        destination: str | os.PathLike[str] | IO[bytes],
        range: RangeArg = None,
        progress: ProgressCallback | None = None,
        verify: bool = True,
    ) -> dict[str, Any]:
        """Download into a path or a writable binary file; see
        :func:`django_b2.client._download.download`."""
        return download(
            self,
            bucket_name=bucket_name,
            file_name=file_name,
            file_id=file_id,
            destination=destination,
            range=range,
            progress=progress,
            verify=verify,
        )
