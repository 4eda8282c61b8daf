"""TypedDicts describing B2's JSON bodies (API v3), plus the list of key capabilities.

The client returns B2's decoded JSON unchanged; these types only describe it. Fields B2 may omit
or that depend on the caller's capabilities are marked ``NotRequired``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:  # annotations are strings at runtime, so Python 3.10 needs no backport
    from typing_extensions import NotRequired

__all__ = [
    "BUCKET_TYPES",
    "KEY_CAPABILITIES",
    "RESTRICTED_KEY_FORBIDDEN_CAPABILITIES",
    "ApplicationKey",
    "AuthorizeAccountResponse",
    "Bucket",
    "CancelLargeFileResponse",
    "CorsRule",
    "CreatedApplicationKey",
    "DeleteFileVersionResponse",
    "DownloadAuthorization",
    "ErrorBody",
    "FileInfoByName",
    "FileLegalHoldResponse",
    "FileRetention",
    "FileRetentionResponse",
    "FileVersion",
    "LifecycleRule",
    "ListBucketsResponse",
    "ListFileNamesResponse",
    "ListFileVersionsResponse",
    "ListKeysResponse",
    "ListPartsResponse",
    "ListUnfinishedLargeFilesResponse",
    "Part",
    "ServerSideEncryption",
    "StorageApiInfo",
    "UploadPartUrl",
    "UploadUrl",
]

#: Every capability an application key can hold (reference §6.6).
KEY_CAPABILITIES: tuple[str, ...] = (
    "listKeys",
    "writeKeys",
    "deleteKeys",
    "listBuckets",
    "listAllBucketNames",
    "readBuckets",
    "writeBuckets",
    "deleteBuckets",
    "readBucketEncryption",
    "writeBucketEncryption",
    "readBucketRetentions",
    "writeBucketRetentions",
    "readBucketReplications",
    "writeBucketReplications",
    "readBucketNotifications",
    "writeBucketNotifications",
    "readFileRetentions",
    "writeFileRetentions",
    "readFileLegalHolds",
    "writeFileLegalHolds",
    "bypassGovernance",
    "listFiles",
    "readFiles",
    "shareFiles",
    "writeFiles",
    "deleteFiles",
)

#: Capabilities a key restricted to one bucket may not hold.
RESTRICTED_KEY_FORBIDDEN_CAPABILITIES: frozenset[str] = frozenset(
    {
        "listKeys",
        "writeKeys",
        "deleteKeys",
        "writeBuckets",
        "deleteBuckets",
        "readBucketReplications",
        "writeBucketReplications",
    }
)

#: Bucket types a caller may set.
BUCKET_TYPES: tuple[str, ...] = ("allPublic", "allPrivate")


class ErrorBody(TypedDict):
    status: int
    code: str
    message: str


class StorageApiInfo(TypedDict):
    infoType: str
    apiUrl: str
    downloadUrl: str
    s3ApiUrl: NotRequired[str]
    recommendedPartSize: int
    absoluteMinimumPartSize: int
    capabilities: list[str]
    bucketId: str | None
    bucketName: str | None
    namePrefix: str | None


class AuthorizeAccountResponse(TypedDict):
    accountId: str
    authorizationToken: str
    applicationKeyExpirationTimestamp: NotRequired[int | None]
    apiInfo: dict[str, Any]


class ServerSideEncryption(TypedDict, total=False):
    mode: str | None
    algorithm: str | None
    customerKey: str
    customerKeyMd5: str


class FileRetention(TypedDict):
    mode: str | None
    retainUntilTimestamp: NotRequired[int | None]


class CorsRule(TypedDict):
    corsRuleName: str
    allowedOrigins: list[str]
    allowedOperations: list[str]
    allowedHeaders: NotRequired[list[str]]
    exposeHeaders: NotRequired[list[str]]
    maxAgeSeconds: int


class LifecycleRule(TypedDict):
    fileNamePrefix: str
    daysFromUploadingToHiding: NotRequired[int | None]
    daysFromHidingToDeleting: NotRequired[int | None]
    daysFromStartingToCancelingUnfinishedLargeFiles: NotRequired[int | None]


class Bucket(TypedDict):
    accountId: str
    bucketId: str
    bucketName: str
    bucketType: str
    bucketInfo: dict[str, str]
    corsRules: list[CorsRule]
    lifecycleRules: list[LifecycleRule]
    revision: int
    options: NotRequired[list[str]]
    defaultServerSideEncryption: NotRequired[dict[str, Any]]
    fileLockConfiguration: NotRequired[dict[str, Any]]
    replicationConfiguration: NotRequired[dict[str, Any]]


class ListBucketsResponse(TypedDict):
    buckets: list[Bucket]


class FileVersion(TypedDict):
    accountId: NotRequired[str]
    bucketId: NotRequired[str]
    fileId: str | None
    fileName: str
    action: str
    contentLength: int
    contentSha1: str | None
    contentMd5: NotRequired[str | None]
    contentType: str | None
    fileInfo: dict[str, str]
    uploadTimestamp: int
    serverSideEncryption: NotRequired[dict[str, Any]]
    fileRetention: NotRequired[dict[str, Any]]
    legalHold: NotRequired[dict[str, Any]]
    replicationStatus: NotRequired[str | None]


class FileInfoByName(TypedDict):
    """What ``get_file_info_by_name`` (a ``HEAD``) returns: file-version fields plus headers."""

    fileId: str | None
    fileName: str
    contentLength: int
    contentType: str | None
    contentSha1: str | None
    fileInfo: dict[str, str]
    uploadTimestamp: int | None
    headers: dict[str, str]


class ListFileNamesResponse(TypedDict):
    files: list[FileVersion]
    nextFileName: str | None


class ListFileVersionsResponse(TypedDict):
    files: list[FileVersion]
    nextFileName: str | None
    nextFileId: str | None


class ListUnfinishedLargeFilesResponse(TypedDict):
    files: list[FileVersion]
    nextFileId: str | None


class DeleteFileVersionResponse(TypedDict):
    fileId: str
    fileName: str


class CancelLargeFileResponse(TypedDict):
    fileId: str
    fileName: str
    accountId: NotRequired[str]
    bucketId: NotRequired[str]


class FileRetentionResponse(TypedDict):
    fileId: str
    fileName: str
    fileRetention: dict[str, Any]


class FileLegalHoldResponse(TypedDict):
    fileId: str
    fileName: str
    legalHold: str | None


class UploadUrl(TypedDict):
    bucketId: str
    uploadUrl: str
    authorizationToken: str


class UploadPartUrl(TypedDict):
    fileId: str
    uploadUrl: str
    authorizationToken: str


class Part(TypedDict):
    fileId: str
    partNumber: int
    contentLength: int
    contentSha1: str
    contentMd5: NotRequired[str | None]
    serverSideEncryption: NotRequired[dict[str, Any]]
    uploadTimestamp: int


class ListPartsResponse(TypedDict):
    parts: list[Part]
    nextPartNumber: int | None


class DownloadAuthorization(TypedDict):
    bucketId: str
    fileNamePrefix: str
    authorizationToken: str


class ApplicationKey(TypedDict):
    accountId: str
    applicationKeyId: str
    keyName: str
    capabilities: list[str]
    expirationTimestamp: int | None
    bucketId: NotRequired[str | None]
    namePrefix: str | None
    options: NotRequired[list[str]]


class CreatedApplicationKey(ApplicationKey):
    applicationKey: str


class ListKeysResponse(TypedDict):
    keys: list[ApplicationKey]
    nextApplicationKeyId: str | None
