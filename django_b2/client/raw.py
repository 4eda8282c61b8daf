"""One function per B2 native API call (v3): URL + token in, decoded JSON out.

No retries, no re-authorization, no validation: :class:`~django_b2.client.client.B2Client` adds
those. Optional arguments left as ``None`` are not sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

import requests

from ._transport import HttpOptions, Transport
from .signing import API_VERSION, download_url_by_id, download_url_by_name, percent_decode
from .signing import percent_encode as _enc
from .types import (
    ApplicationKey,
    AuthorizeAccountResponse,
    Bucket,
    CancelLargeFileResponse,
    CreatedApplicationKey,
    DeleteFileVersionResponse,
    DownloadAuthorization,
    FileInfoByName,
    FileLegalHoldResponse,
    FileRetentionResponse,
    FileVersion,
    ListBucketsResponse,
    ListFileNamesResponse,
    ListFileVersionsResponse,
    ListKeysResponse,
    ListPartsResponse,
    ListUnfinishedLargeFilesResponse,
    Part,
    UploadPartUrl,
    UploadUrl,
)

Body = bytes | IO[bytes]


def _url(api_url: str, name: str) -> str:
    return f"{api_url.rstrip('/')}/b2api/{API_VERSION}/{name}"


def _post(
    t: Transport,
    api_url: str,
    token: str,
    name: str,
    body: Mapping[str, Any],
    http: HttpOptions | None,
    http_override: HttpOptions | None,
) -> Any:
    payload = {key: value for key, value in body.items() if value is not None}
    return t.request_json(
        "POST",
        _url(api_url, name),
        headers={"Authorization": token},
        json=payload,
        http=http,
        http_override=http_override,
    )


# --- account -----------------------------------------------------------------------------------


def authorize_account(
    t: Transport,
    api_url: str,
    credentials: requests.auth.AuthBase,
    *,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> AuthorizeAccountResponse:
    """``credentials`` adds the Basic ``Authorization`` header when the request is sent
    (:class:`~django_b2.client.auth.ApplicationKeyAuth`), so no frame here holds the key."""
    result: AuthorizeAccountResponse = t.request_json(
        "GET",
        _url(api_url, "b2_authorize_account"),
        auth=credentials,
        secret_headers=True,
        http=http,
        http_override=http_override,
    )
    return result


# --- buckets -----------------------------------------------------------------------------------


def create_bucket(
    t: Transport,
    api_url: str,
    token: str,
    *,
    account_id: str,
    bucket_name: str,
    bucket_type: str,
    bucket_info: Mapping[str, str] | None = None,
    cors_rules: list[Any] | None = None,
    lifecycle_rules: list[Any] | None = None,
    file_lock_enabled: bool | None = None,
    default_server_side_encryption: Mapping[str, Any] | None = None,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> Bucket:
    body = {
        "accountId": account_id,
        "bucketName": bucket_name,
        "bucketType": bucket_type,
        "bucketInfo": bucket_info,
        "corsRules": cors_rules,
        "lifecycleRules": lifecycle_rules,
        "fileLockEnabled": file_lock_enabled,
        "defaultServerSideEncryption": default_server_side_encryption,
    }
    result: Bucket = _post(t, api_url, token, "b2_create_bucket", body, http, http_override)
    return result


def delete_bucket(
    t: Transport,
    api_url: str,
    token: str,
    *,
    account_id: str,
    bucket_id: str,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> Bucket:
    body = {"accountId": account_id, "bucketId": bucket_id}
    result: Bucket = _post(t, api_url, token, "b2_delete_bucket", body, http, http_override)
    return result


def list_buckets(
    t: Transport,
    api_url: str,
    token: str,
    *,
    account_id: str,
    bucket_id: str | None = None,
    bucket_name: str | None = None,
    bucket_types: list[str] | None = None,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> ListBucketsResponse:
    body = {
        "accountId": account_id,
        "bucketId": bucket_id,
        "bucketName": bucket_name,
        "bucketTypes": bucket_types,
    }
    result: ListBucketsResponse = _post(
        t, api_url, token, "b2_list_buckets", body, http, http_override
    )
    return result


def update_bucket(
    t: Transport,
    api_url: str,
    token: str,
    *,
    account_id: str,
    bucket_id: str,
    bucket_type: str | None = None,
    bucket_info: Mapping[str, str] | None = None,
    cors_rules: list[Any] | None = None,
    lifecycle_rules: list[Any] | None = None,
    default_retention: Mapping[str, Any] | None = None,
    default_server_side_encryption: Mapping[str, Any] | None = None,
    file_lock_enabled: bool | None = None,
    if_revision_is: int | None = None,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> Bucket:
    body = {
        "accountId": account_id,
        "bucketId": bucket_id,
        "bucketType": bucket_type,
        "bucketInfo": bucket_info,
        "corsRules": cors_rules,
        "lifecycleRules": lifecycle_rules,
        "defaultRetention": default_retention,
        "defaultServerSideEncryption": default_server_side_encryption,
        "fileLockEnabled": file_lock_enabled,
        "ifRevisionIs": if_revision_is,
    }
    result: Bucket = _post(t, api_url, token, "b2_update_bucket", body, http, http_override)
    return result


# --- uploads -----------------------------------------------------------------------------------


def get_upload_url(
    t: Transport,
    api_url: str,
    token: str,
    *,
    bucket_id: str,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> UploadUrl:
    body = {"bucketId": bucket_id}
    result: UploadUrl = _post(t, api_url, token, "b2_get_upload_url", body, http, http_override)
    return result


def sse_headers(sse: Mapping[str, Any] | None) -> dict[str, str]:
    """Upload/download headers for a ``serverSideEncryption`` object (reference §3.7)."""
    if not sse or not sse.get("mode") or sse.get("mode") == "none":
        return {}
    algorithm = str(sse.get("algorithm") or "AES256")
    if sse["mode"] == "SSE-B2":
        return {"X-Bz-Server-Side-Encryption": algorithm}
    prefix = "X-Bz-Server-Side-Encryption-Customer-"
    return {
        prefix + "Algorithm": algorithm,
        prefix + "Key": str(sse.get("customerKey", "")),
        prefix + "Key-Md5": str(sse.get("customerKeyMd5", "")),
    }


def upload_headers(
    *,
    file_name: str,
    content_type: str,
    content_length: int,
    content_sha1: str,
    file_info: Mapping[str, str] | None = None,
    server_side_encryption: Mapping[str, Any] | None = None,
    file_retention: Mapping[str, Any] | None = None,
    legal_hold: str | None = None,
) -> dict[str, str]:
    """The ``b2_upload_file`` headers (without ``Authorization``)."""
    headers = {
        "X-Bz-File-Name": _enc(file_name),
        "Content-Type": content_type,
        "Content-Length": str(content_length),
        "X-Bz-Content-Sha1": content_sha1,
    }
    for key, value in (file_info or {}).items():
        headers[f"X-Bz-Info-{key}"] = _enc(value)
    if file_retention and file_retention.get("mode"):
        headers["X-Bz-File-Retention-Mode"] = str(file_retention["mode"])
        headers["X-Bz-File-Retention-Retain-Until-Timestamp"] = str(
            file_retention["retainUntilTimestamp"]
        )
    if legal_hold is not None:
        headers["X-Bz-File-Legal-Hold"] = legal_hold
    headers.update(sse_headers(server_side_encryption))
    return headers


def upload_file(
    t: Transport,
    upload_url: str,
    upload_token: str,
    *,
    headers: Mapping[str, str],
    body: Body,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> FileVersion:
    """``POST`` ``body`` to an upload URL; ``headers`` come from :func:`upload_headers`."""
    result: FileVersion = t.request_json(
        "POST",
        upload_url,
        headers={"Authorization": upload_token, **headers},
        data=body,
        http=http,
        http_override=http_override,
    )
    return result


# --- large files -------------------------------------------------------------------------------


def start_large_file(
    t: Transport,
    api_url: str,
    token: str,
    *,
    bucket_id: str,
    file_name: str,
    content_type: str,
    file_info: Mapping[str, str] | None = None,
    file_retention: Mapping[str, Any] | None = None,
    legal_hold: str | None = None,
    server_side_encryption: Mapping[str, Any] | None = None,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> FileVersion:
    body = {
        "bucketId": bucket_id,
        "fileName": file_name,
        "contentType": content_type,
        "fileInfo": file_info,
        "fileRetention": file_retention,
        "legalHold": legal_hold,
        "serverSideEncryption": server_side_encryption,
    }
    result: FileVersion = _post(t, api_url, token, "b2_start_large_file", body, http, http_override)
    return result


def get_upload_part_url(
    t: Transport,
    api_url: str,
    token: str,
    *,
    file_id: str,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> UploadPartUrl:
    body = {"fileId": file_id}
    result: UploadPartUrl = _post(
        t, api_url, token, "b2_get_upload_part_url", body, http, http_override
    )
    return result


def upload_part(
    t: Transport,
    upload_url: str,
    upload_token: str,
    *,
    part_number: int,
    content_length: int,
    content_sha1: str,
    body: Body,
    server_side_encryption: Mapping[str, Any] | None = None,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> Part:
    headers = {
        "Authorization": upload_token,
        "X-Bz-Part-Number": str(part_number),
        "Content-Length": str(content_length),
        "X-Bz-Content-Sha1": content_sha1,
        **sse_headers(server_side_encryption),
    }
    result: Part = t.request_json(
        "POST", upload_url, headers=headers, data=body, http=http, http_override=http_override
    )
    return result


def copy_part(
    t: Transport,
    api_url: str,
    token: str,
    *,
    source_file_id: str,
    large_file_id: str,
    part_number: int,
    range: str | None = None,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> Part:
    body = {
        "sourceFileId": source_file_id,
        "largeFileId": large_file_id,
        "partNumber": part_number,
        "range": range,
    }
    result: Part = _post(t, api_url, token, "b2_copy_part", body, http, http_override)
    return result


def finish_large_file(
    t: Transport,
    api_url: str,
    token: str,
    *,
    file_id: str,
    part_sha1_array: list[str],
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> FileVersion:
    body = {"fileId": file_id, "partSha1Array": part_sha1_array}
    result: FileVersion = _post(
        t, api_url, token, "b2_finish_large_file", body, http, http_override
    )
    return result


def cancel_large_file(
    t: Transport,
    api_url: str,
    token: str,
    *,
    file_id: str,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> CancelLargeFileResponse:
    body = {"fileId": file_id}
    result: CancelLargeFileResponse = _post(
        t, api_url, token, "b2_cancel_large_file", body, http, http_override
    )
    return result


def list_parts(
    t: Transport,
    api_url: str,
    token: str,
    *,
    file_id: str,
    start_part_number: int | None = None,
    max_part_count: int | None = None,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> ListPartsResponse:
    body = {"fileId": file_id, "startPartNumber": start_part_number, "maxPartCount": max_part_count}
    result: ListPartsResponse = _post(t, api_url, token, "b2_list_parts", body, http, http_override)
    return result


def list_unfinished_large_files(
    t: Transport,
    api_url: str,
    token: str,
    *,
    bucket_id: str,
    name_prefix: str | None = None,
    start_file_id: str | None = None,
    max_file_count: int | None = None,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> ListUnfinishedLargeFilesResponse:
    body = {
        "bucketId": bucket_id,
        "namePrefix": name_prefix,
        "startFileId": start_file_id,
        "maxFileCount": max_file_count,
    }
    result: ListUnfinishedLargeFilesResponse = _post(
        t, api_url, token, "b2_list_unfinished_large_files", body, http, http_override
    )
    return result


# --- listing and file operations ---------------------------------------------------------------


def list_file_names(
    t: Transport,
    api_url: str,
    token: str,
    *,
    bucket_id: str,
    start_file_name: str | None = None,
    max_file_count: int | None = None,
    prefix: str | None = None,
    delimiter: str | None = None,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> ListFileNamesResponse:
    body = {
        "bucketId": bucket_id,
        "startFileName": start_file_name,
        "maxFileCount": max_file_count,
        "prefix": prefix,
        "delimiter": delimiter,
    }
    result: ListFileNamesResponse = _post(
        t, api_url, token, "b2_list_file_names", body, http, http_override
    )
    return result


def list_file_versions(
    t: Transport,
    api_url: str,
    token: str,
    *,
    bucket_id: str,
    start_file_name: str | None = None,
    start_file_id: str | None = None,
    max_file_count: int | None = None,
    prefix: str | None = None,
    delimiter: str | None = None,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> ListFileVersionsResponse:
    body = {
        "bucketId": bucket_id,
        "startFileName": start_file_name,
        "startFileId": start_file_id,
        "maxFileCount": max_file_count,
        "prefix": prefix,
        "delimiter": delimiter,
    }
    result: ListFileVersionsResponse = _post(
        t, api_url, token, "b2_list_file_versions", body, http, http_override
    )
    return result


def hide_file(
    t: Transport,
    api_url: str,
    token: str,
    *,
    bucket_id: str,
    file_name: str,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> FileVersion:
    body = {"bucketId": bucket_id, "fileName": file_name}
    result: FileVersion = _post(t, api_url, token, "b2_hide_file", body, http, http_override)
    return result


def get_file_info(
    t: Transport,
    api_url: str,
    token: str,
    *,
    file_id: str,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> FileVersion:
    body = {"fileId": file_id}
    result: FileVersion = _post(t, api_url, token, "b2_get_file_info", body, http, http_override)
    return result


def delete_file_version(
    t: Transport,
    api_url: str,
    token: str,
    *,
    file_name: str,
    file_id: str,
    bypass_governance: bool = False,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> DeleteFileVersionResponse:
    body: dict[str, Any] = {"fileName": file_name, "fileId": file_id}
    if bypass_governance:
        body["bypassGovernance"] = True
    result: DeleteFileVersionResponse = _post(
        t, api_url, token, "b2_delete_file_version", body, http, http_override
    )
    return result


def copy_file(
    t: Transport,
    api_url: str,
    token: str,
    *,
    source_file_id: str,
    file_name: str,
    destination_bucket_id: str | None = None,
    range: str | None = None,
    metadata_directive: str | None = None,
    content_type: str | None = None,
    file_info: Mapping[str, str] | None = None,
    file_retention: Mapping[str, Any] | None = None,
    legal_hold: str | None = None,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> FileVersion:
    body = {
        "sourceFileId": source_file_id,
        "fileName": file_name,
        "destinationBucketId": destination_bucket_id,
        "range": range,
        "metadataDirective": metadata_directive,
        "contentType": content_type,
        "fileInfo": file_info,
        "fileRetention": file_retention,
        "legalHold": legal_hold,
    }
    result: FileVersion = _post(t, api_url, token, "b2_copy_file", body, http, http_override)
    return result


def update_file_retention(
    t: Transport,
    api_url: str,
    token: str,
    *,
    file_name: str,
    file_id: str,
    file_retention: Mapping[str, Any],
    bypass_governance: bool = False,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> FileRetentionResponse:
    body: dict[str, Any] = {
        "fileName": file_name,
        "fileId": file_id,
        "fileRetention": dict(file_retention),
    }
    if bypass_governance:
        body["bypassGovernance"] = True
    result: FileRetentionResponse = _post(
        t, api_url, token, "b2_update_file_retention", body, http, http_override
    )
    return result


def update_file_legal_hold(
    t: Transport,
    api_url: str,
    token: str,
    *,
    file_name: str,
    file_id: str,
    legal_hold: str,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> FileLegalHoldResponse:
    body = {"fileName": file_name, "fileId": file_id, "legalHold": legal_hold}
    result: FileLegalHoldResponse = _post(
        t, api_url, token, "b2_update_file_legal_hold", body, http, http_override
    )
    return result


def get_download_authorization(
    t: Transport,
    api_url: str,
    token: str,
    *,
    bucket_id: str,
    file_name_prefix: str,
    valid_duration_in_seconds: int,
    overrides: Mapping[str, str] | None = None,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> DownloadAuthorization:
    """``overrides`` maps B2's parameter names (``b2ContentDisposition``, ...) to values."""
    body: dict[str, Any] = {
        "bucketId": bucket_id,
        "fileNamePrefix": file_name_prefix,
        "validDurationInSeconds": valid_duration_in_seconds,
        **(overrides or {}),
    }
    result: DownloadAuthorization = _post(
        t, api_url, token, "b2_get_download_authorization", body, http, http_override
    )
    return result


# --- downloads ---------------------------------------------------------------------------------


def _download(
    t: Transport,
    method: str,
    url: str,
    token: str | None,
    range_header: str | None,
    stream: bool,
    http: HttpOptions | None,
    http_override: HttpOptions | None,
) -> requests.Response:
    headers: dict[str, str] = {}
    if token is not None:
        headers["Authorization"] = token
    if range_header is not None:
        headers["Range"] = range_header
    return t.request(
        method, url, headers=headers, stream=stream, http=http, http_override=http_override
    )


def download_file_by_name(
    t: Transport,
    download_url: str,
    token: str | None,
    *,
    bucket_name: str,
    file_name: str,
    range_header: str | None = None,
    overrides: Mapping[str, str] | None = None,
    method: str = "GET",
    stream: bool = True,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> requests.Response:
    """``GET``/``HEAD`` ``/file/<bucket>/<name>``; the response is returned unread."""
    url = download_url_by_name(download_url, bucket_name, file_name, **(overrides or {}))
    return _download(t, method, url, token, range_header, stream, http, http_override)


def download_file_by_id(
    t: Transport,
    download_url: str,
    token: str | None,
    *,
    file_id: str,
    range_header: str | None = None,
    overrides: Mapping[str, str] | None = None,
    method: str = "GET",
    stream: bool = True,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> requests.Response:
    """``GET``/``HEAD`` ``b2_download_file_by_id``; the response is returned unread."""
    url = download_url_by_id(download_url, file_id, **(overrides or {}))
    return _download(t, method, url, token, range_header, stream, http, http_override)


def file_info_from_headers(headers: Mapping[str, str]) -> FileInfoByName:
    """The file-version fields carried by download/``HEAD`` response headers."""
    lowered = {key.lower(): value for key, value in headers.items()}
    info = {
        key[len("x-bz-info-") :]: percent_decode(value)
        for key, value in lowered.items()
        if key.startswith("x-bz-info-")
    }
    timestamp = lowered.get("x-bz-upload-timestamp")
    file_name = lowered.get("x-bz-file-name")
    return {
        "fileId": lowered.get("x-bz-file-id"),
        "fileName": percent_decode(file_name) if file_name is not None else "",
        "contentLength": int(lowered.get("content-length") or 0),
        "contentType": lowered.get("content-type"),
        "contentSha1": lowered.get("x-bz-content-sha1"),
        "fileInfo": info,
        "uploadTimestamp": int(timestamp) if timestamp else None,
        "headers": dict(headers),
    }


# --- keys --------------------------------------------------------------------------------------


def create_key(
    t: Transport,
    api_url: str,
    token: str,
    *,
    account_id: str,
    key_name: str,
    capabilities: list[str],
    valid_duration_in_seconds: int | None = None,
    bucket_id: str | None = None,
    name_prefix: str | None = None,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> CreatedApplicationKey:
    body = {
        "accountId": account_id,
        "keyName": key_name,
        "capabilities": capabilities,
        "validDurationInSeconds": valid_duration_in_seconds,
        "bucketId": bucket_id,
        "namePrefix": name_prefix,
    }
    result: CreatedApplicationKey = _post(
        t, api_url, token, "b2_create_key", body, http, http_override
    )
    return result


def delete_key(
    t: Transport,
    api_url: str,
    token: str,
    *,
    application_key_id: str,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> ApplicationKey:
    body = {"applicationKeyId": application_key_id}
    result: ApplicationKey = _post(t, api_url, token, "b2_delete_key", body, http, http_override)
    return result


def list_keys(
    t: Transport,
    api_url: str,
    token: str,
    *,
    account_id: str,
    max_key_count: int | None = None,
    start_application_key_id: str | None = None,
    http: HttpOptions | None = None,
    http_override: HttpOptions | None = None,
) -> ListKeysResponse:
    body = {
        "accountId": account_id,
        "maxKeyCount": max_key_count,
        "startApplicationKeyId": start_application_key_id,
    }
    result: ListKeysResponse = _post(t, api_url, token, "b2_list_keys", body, http, http_override)
    return result
