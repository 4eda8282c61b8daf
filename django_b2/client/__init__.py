"""A client for the Backblaze B2 native API (v3). Imports no Django.

Everything a user handles is imported from here; the ``_``-prefixed modules are the
implementation and may change without notice.

>>> from django_b2.client import B2Client, RetryPolicy
>>> client = B2Client(key_id, key)                                  # doctest: +SKIP
>>> bucket = client.get_bucket(bucket_name="my-bucket")             # doctest: +SKIP
>>> client.upload_file(bucket["bucketId"], "hello.txt", b"hello")   # doctest: +SKIP

README.md ("The B2 client") has an example for every group of calls.
"""

from __future__ import annotations

from . import _types, errors
from ._auth import (
    AccountAuthorization,
    AuthStore,
    InMemoryAuthStore,
)
from ._client import B2Client
from ._download import DownloadedFile
from ._download_headers import expected_sha1
from ._progress import (
    LoggingProgress,
    ProgressCallback,
    TqdmProgress,
    combine,
    default_progress,
    throttle,
    tqdm_available,
)
from ._retry import (
    RetryPolicy,
    is_retryable,
)
from ._signing import (
    download_url_by_id,
    download_url_by_name,
    percent_decode,
    percent_encode,
)
from ._transport import HttpOptions
from ._types import *  # noqa: F403 (the TypedDicts and tables B2 answers with)
from ._validation import RangeArg
from .errors import *  # noqa: F403 (the error tree)

__all__ = [
    "AccountAuthorization",
    "AuthStore",
    "B2Client",
    "DownloadedFile",
    "HttpOptions",
    "InMemoryAuthStore",
    "LoggingProgress",
    "ProgressCallback",
    "RangeArg",
    "RetryPolicy",
    "TqdmProgress",
    "combine",
    "default_progress",
    "download_url_by_id",
    "download_url_by_name",
    "expected_sha1",
    "is_retryable",
    "percent_decode",
    "percent_encode",
    "throttle",
    "tqdm_available",
]
# Every error and every TypedDict is public: their modules' __all__ lists them once.
__all__ += errors.__all__
__all__ += _types.__all__
