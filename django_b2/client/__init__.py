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

from ._auth import (
    AccountAuthorization,
    AuthStore,
    InMemoryAuthStore,
)
from ._client import (
    B2Client,
)
from ._download import (
    DownloadedFile,
)
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
from ._transport import (
    HttpOptions,
)
from ._types import (
    BUCKET_TYPES,
    KEY_CAPABILITIES,
    RESTRICTED_KEY_FORBIDDEN_CAPABILITIES,
    ApplicationKey,
    AuthorizeAccountResponse,
    Bucket,
    CancelLargeFileResponse,
    CorsRule,
    CreatedApplicationKey,
    DeleteFileVersionResponse,
    DownloadAuthorization,
    ErrorBody,
    FileInfoByName,
    FileLegalHoldResponse,
    FileRetention,
    FileRetentionResponse,
    FileVersion,
    LifecycleRule,
    ListBucketsResponse,
    ListFileNamesResponse,
    ListFileVersionsResponse,
    ListKeysResponse,
    ListPartsResponse,
    ListUnfinishedLargeFilesResponse,
    Part,
    ServerSideEncryption,
    StorageApiInfo,
    UploadPartUrl,
    UploadUrl,
)
from ._validation import RangeArg
from .errors import (
    B2APIError,
    B2AuthTokenExpired,
    B2BadRequest,
    B2CapExceeded,
    B2Conflict,
    B2ConnectionError,
    B2Error,
    B2Forbidden,
    B2IntegrityError,
    B2NotFound,
    B2RangeNotSatisfiable,
    B2ServiceError,
    B2TimeoutError,
    B2TooManyRequests,
    B2TransportError,
    B2Unauthorized,
    B2ValidationError,
    error_from_response,
)

__all__ = [
    "BUCKET_TYPES",
    "KEY_CAPABILITIES",
    "RESTRICTED_KEY_FORBIDDEN_CAPABILITIES",
    "AccountAuthorization",
    "ApplicationKey",
    "AuthStore",
    "AuthorizeAccountResponse",
    "B2APIError",
    "B2AuthTokenExpired",
    "B2BadRequest",
    "B2CapExceeded",
    "B2Client",
    "B2Conflict",
    "B2ConnectionError",
    "B2Error",
    "B2Forbidden",
    "B2IntegrityError",
    "B2NotFound",
    "B2RangeNotSatisfiable",
    "B2ServiceError",
    "B2TimeoutError",
    "B2TooManyRequests",
    "B2TransportError",
    "B2Unauthorized",
    "B2ValidationError",
    "Bucket",
    "CancelLargeFileResponse",
    "CorsRule",
    "CreatedApplicationKey",
    "DeleteFileVersionResponse",
    "DownloadAuthorization",
    "DownloadedFile",
    "ErrorBody",
    "FileInfoByName",
    "FileLegalHoldResponse",
    "FileRetention",
    "FileRetentionResponse",
    "FileVersion",
    "HttpOptions",
    "InMemoryAuthStore",
    "LifecycleRule",
    "ListBucketsResponse",
    "ListFileNamesResponse",
    "ListFileVersionsResponse",
    "ListKeysResponse",
    "ListPartsResponse",
    "ListUnfinishedLargeFilesResponse",
    "LoggingProgress",
    "Part",
    "ProgressCallback",
    "RangeArg",
    "RetryPolicy",
    "ServerSideEncryption",
    "StorageApiInfo",
    "TqdmProgress",
    "UploadPartUrl",
    "UploadUrl",
    "combine",
    "default_progress",
    "download_url_by_id",
    "download_url_by_name",
    "error_from_response",
    "expected_sha1",
    "is_retryable",
    "percent_decode",
    "percent_encode",
    "throttle",
    "tqdm_available",
]
