"""JSON shapes of B2's objects, per API version, and the download response headers."""

from __future__ import annotations

from typing import Any

from .file_rules import INFO_HEADERS, percent_encode
from .records import Bucket, DownloadToken, FileVersion, Folder, Key, Part, UploadToken

OVERRIDE_HEADERS = {
    "b2ContentDisposition": "Content-Disposition",
    "b2ContentLanguage": "Content-Language",
    "b2Expires": "Expires",
    "b2CacheControl": "Cache-Control",
    "b2ContentEncoding": "Content-Encoding",
    "b2ContentType": "Content-Type",
}


def authorize(
    version: int,
    key: Key,
    *,
    account_id: str,
    token: str,
    url: str,
    recommended_part_size: int,
    absolute_minimum_part_size: int,
    bucket_names: dict[str, str | None],
) -> dict[str, Any]:
    single = key.bucket_ids[0] if key.bucket_ids and len(key.bucket_ids) == 1 else None
    if version == 2:
        return {
            "accountId": account_id,
            "authorizationToken": token,
            "apiUrl": url,
            "downloadUrl": url,
            "s3ApiUrl": url,
            "recommendedPartSize": recommended_part_size,
            "absoluteMinimumPartSize": absolute_minimum_part_size,
            "allowed": {
                "bucketId": single,
                "bucketName": bucket_names.get(single) if single else None,
                "capabilities": list(key.capabilities),
                "namePrefix": key.name_prefix,
            },
        }
    storage: dict[str, Any] = {
        "apiUrl": url,
        "downloadUrl": url,
        "s3ApiUrl": url,
        "recommendedPartSize": recommended_part_size,
        "absoluteMinimumPartSize": absolute_minimum_part_size,
    }
    if version == 3:
        storage.update(
            infoType="storageApi",
            capabilities=list(key.capabilities),
            bucketId=single,
            bucketName=bucket_names.get(single) if single else None,
            namePrefix=key.name_prefix,
        )
    else:
        storage["allowed"] = {
            "buckets": None
            if key.bucket_ids is None
            else [{"id": b, "name": bucket_names.get(b)} for b in key.bucket_ids],
            "capabilities": list(key.capabilities),
            "namePrefix": key.name_prefix,
        }
    return {
        "accountId": account_id,
        "authorizationToken": token,
        "applicationKeyExpirationTimestamp": key.expiration,
        "apiInfo": {"storageApi": storage},
    }


def key(version: int, value: Key, account_id: str, *, with_secret: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "accountId": account_id,
        "applicationKeyId": value.key_id,
        "keyName": value.name,
        "capabilities": list(value.capabilities),
        "expirationTimestamp": value.expiration,
        "namePrefix": value.name_prefix,
        "options": ["s3"],
    }
    if version >= 4:
        body["bucketIds"] = value.bucket_ids
    else:
        body["bucketId"] = (
            value.bucket_ids[0] if value.bucket_ids and len(value.bucket_ids) == 1 else None
        )
    if with_secret:
        body["applicationKey"] = value.secret
    return body


def _if_readable(allowed: bool, value: Any) -> dict[str, Any]:
    """B2's wrapper of a setting some keys may not read: the value only for those that may."""
    return {"isClientAuthorizedToRead": allowed, "value": value if allowed else None}


def _replication(stored: dict[str, Any]) -> dict[str, Any] | None:
    """A bucket's replication roles; null when it has neither (as B2 answers once cleared)."""
    roles = {
        "asReplicationSource": stored.get("asReplicationSource"),
        "asReplicationDestination": stored.get("asReplicationDestination"),
    }
    return roles if any(roles.values()) else None


def bucket(value: Bucket, account_id: str, caller: Key) -> dict[str, Any]:
    caps = caller.capabilities
    return {
        "accountId": account_id,
        "bucketId": value.bucket_id,
        "bucketName": value.name,
        "bucketType": value.type,
        "bucketInfo": dict(value.info),
        "corsRules": list(value.cors_rules),
        "lifecycleRules": list(value.lifecycle_rules),
        "defaultServerSideEncryption": _if_readable(
            "readBucketEncryption" in caps,
            {
                "mode": value.default_sse.get("mode"),
                "algorithm": value.default_sse.get("algorithm"),
            },
        ),
        "fileLockConfiguration": _if_readable(
            "readBucketRetentions" in caps,
            {
                "isFileLockEnabled": value.lock_enabled,
                "defaultRetention": dict(value.default_retention),
            },
        ),
        "replicationConfiguration": _if_readable(
            "readBucketReplications" in caps, _replication(value.replication)
        ),
        "options": ["s3"],
        "revision": value.revision,
    }


def _sse(value: dict[str, Any]) -> dict[str, Any]:
    result = {"mode": value.get("mode"), "algorithm": value.get("algorithm")}
    if value.get("customerKeyMd5"):
        result["customerKeyMd5"] = value["customerKeyMd5"]
    return result


def file(
    value: FileVersion | Folder, account_id: str, caller: Key | None, *, action: str | None = None
) -> dict[str, Any]:
    if isinstance(value, Folder):
        return {
            "accountId": account_id,
            "action": "folder",
            "bucketId": None,
            "contentLength": 0,
            "contentMd5": None,
            "contentSha1": None,
            "contentType": None,
            "fileId": None,
            "fileInfo": {},
            "fileName": value.name,
            "serverSideEncryption": {"mode": None, "algorithm": None},
            "uploadTimestamp": 0,
        }
    body: dict[str, Any] = {
        "accountId": account_id,
        "action": action or value.action,
        "bucketId": value.bucket_id,
        "contentLength": value.content_length,
        "contentMd5": None,
        "contentSha1": value.content_sha1,
        "contentType": value.content_type,
        "fileId": value.file_id,
        "fileInfo": dict(value.info),
        "fileName": value.name,
        "serverSideEncryption": _sse(value.sse),
        "uploadTimestamp": value.upload_timestamp,
    }
    if value.replication_status is not None:
        body["replicationStatus"] = value.replication_status
    if value.action != "hide":
        caps = caller.capabilities if caller is not None else ()
        body["fileRetention"] = _if_readable(
            "readFileRetentions" in caps,
            {"mode": value.retention_mode, "retainUntilTimestamp": value.retention_until},
        )
        body["legalHold"] = _if_readable("readFileLegalHolds" in caps, value.legal_hold)
    return body


def part(value: Part) -> dict[str, Any]:
    return {
        "fileId": value.file_id,
        "partNumber": value.part_number,
        "contentLength": value.content_length,
        "contentSha1": value.content_sha1,
        "contentMd5": None,
        "serverSideEncryption": {"mode": None, "algorithm": None},
        "uploadTimestamp": value.upload_timestamp,
    }


def upload_url(url: str, token: UploadToken, *, version: int) -> dict[str, Any]:
    if token.large_file_id is not None:
        return {
            "fileId": token.large_file_id,
            "uploadUrl": f"{url}/b2api/v{version}/b2_upload_part/{token.large_file_id}/0001",
            "authorizationToken": token.token,
        }
    return {
        "bucketId": token.bucket_id,
        "uploadUrl": f"{url}/b2api/v{version}/b2_upload_file/{token.bucket_id}/c001_v0001",
        "authorizationToken": token.token,
    }


def download_authorization(token: DownloadToken) -> dict[str, Any]:
    return {
        "bucketId": token.bucket_id,
        "fileNamePrefix": token.prefix,
        "authorizationToken": token.token,
    }


def download_headers(
    value: FileVersion, bucket_value: Bucket, caller: Key | None, overrides: dict[str, str]
) -> dict[str, str]:
    """Headers of a download/HEAD response, except Content-Length/Content-Range."""
    headers: dict[str, str] = {
        "Content-Type": value.content_type or "application/octet-stream",
        "X-Bz-File-Id": value.file_id,
        "X-Bz-File-Name": percent_encode(value.name),
        "X-Bz-Content-Sha1": value.content_sha1 or "none",
        "X-Bz-Upload-Timestamp": str(value.upload_timestamp),
        "Accept-Ranges": "bytes",
    }
    cache_control = bucket_value.info.get("Cache-Control")
    if cache_control:
        headers["Cache-Control"] = cache_control
    for info_key, info_value in value.info.items():
        standard = INFO_HEADERS.get(info_key)
        if standard is not None:
            headers[standard] = info_value
        else:
            headers[f"X-Bz-Info-{info_key}"] = percent_encode(info_value)
    for param, header in OVERRIDE_HEADERS.items():
        if param in overrides:
            headers[header] = overrides[param]
    if value.replication_status is not None:
        headers["X-Bz-Replication-Status"] = value.replication_status
    if value.sse.get("mode") == "SSE-B2":
        headers["X-Bz-Server-Side-Encryption"] = "AES256"
    elif value.sse.get("mode") == "SSE-C":
        headers["X-Bz-Server-Side-Encryption-Customer-Algorithm"] = "AES256"
        headers["X-Bz-Server-Side-Encryption-Customer-Key-Md5"] = value.sse.get(
            "customerKeyMd5", ""
        )
    if bucket_value.lock_enabled:
        caps = caller.capabilities if caller is not None else ()
        withheld = []
        if "readFileRetentions" in caps:
            if value.retention_mode:
                headers["X-Bz-File-Retention-Mode"] = value.retention_mode
                headers["X-Bz-File-Retention-Retain-Until-Timestamp"] = str(value.retention_until)
        else:
            withheld += ["X-Bz-File-Retention-Mode", "X-Bz-File-Retention-Retain-Until-Timestamp"]
        if "readFileLegalHolds" in caps:
            if value.legal_hold:
                headers["X-Bz-File-Legal-Hold"] = value.legal_hold
        else:
            withheld.append("X-Bz-File-Legal-Hold")
        if withheld:
            headers["X-Bz-Client-Unauthorized-To-Read"] = ",".join(withheld)
    return headers
