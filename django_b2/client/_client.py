"""``B2Client``: every B2 native API call with validation, retries and re-authorization.

The class is assembled from one mixin per group of calls, each subclassing the core:

- ``_core``: constructor, account authorization, the JSON call path (re-authorization, retry
  policy, one ``POST``) and the upload call path (upload URL pools)
- ``_buckets``, ``_files``, ``_large_files``, ``_keys``, ``_downloads``: the B2 calls, each a
  method that checks its arguments and builds its request

The high-level ``upload``/``download`` are the engines' entry points
(:mod:`django_b2.client._upload`, :mod:`django_b2.client._download_into`), bound as methods.
``docs/architecture.md`` describes the call path.
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


class B2Client(LargeFileCalls, FileCalls, DownloadCalls, BucketCalls, KeyCalls, Closing):
    """A thread-safe client for the B2 native API (v3). No network traffic until the first call.

    See ``docs/client.md`` for examples and ``docs/architecture.md`` for how it is built.
    """

    # --- high level (client transfers): the engines' entry points, bound as methods ---------

    #: Upload from bytes, a path, a file object or an iterable of bytes (small or large file).
    upload = upload
    #: Download into a path or a writable binary file.
    download = download
