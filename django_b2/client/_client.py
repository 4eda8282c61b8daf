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

from ._buckets import BucketCalls
from ._closing import Closing
from ._download_into import download
from ._downloads import DownloadCalls
from ._files import FileCalls
from ._keys import KeyCalls
from ._large_files import LargeFileCalls
from ._upload import upload

__all__ = ["B2Client"]


class B2Client(FileCalls, LargeFileCalls, DownloadCalls, BucketCalls, KeyCalls, Closing):
    """A thread-safe client for the B2 native API (v3). No network traffic until the first call.

    See ``docs/client.md`` for examples and ``docs/architecture.md`` for how it is built.
    """

    # --- high level (client transfers): the engines' entry points, bound as methods ---------

    #: Upload from bytes, a path, a file object or an iterable of bytes (small or large file).
    upload = upload
    #: Download into a path or a writable binary file.
    download = download
