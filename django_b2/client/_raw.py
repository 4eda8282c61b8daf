"""One function per B2 native API call (v3): URL + token in, decoded JSON out. Account, buckets,
listings and file operations, keys; the transfer calls are in :mod:`._raw_transfers`.

No retries, no re-authorization, no validation: :class:`~django_b2.client._client.B2Client` adds
those. Optional arguments left as ``None`` are not sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

import requests

from ._signing import API_VERSION
from ._transport import HttpOptions, Transport
from ._types import (
    ApplicationKey,
    AuthorizeAccountResponse,
    Bucket,
    CreatedApplicationKey,
    DeleteFileVersionResponse,
    DownloadAuthorization,
    FileLegalHoldResponse,
    FileRetentionResponse,
    FileVersion,
    ListBucketsResponse,
    ListFileNamesResponse,
    ListFileVersionsResponse,
    ListKeysResponse,
)

Body = bytes | IO[bytes]


def api_url_for(api_url: str, name: str) -> str:
    return f"{api_url.rstrip('/')}/b2api/{API_VERSION}/{name}"


def post(
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
        api_url_for(api_url, name),
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
    (:class:`~django_b2.client._auth.ApplicationKeyAuth`), so no frame here holds the key."""
    result: AuthorizeAccountResponse = t.request_json(
        "GET",
        api_url_for(api_url, "b2_authorize_account"),
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
    result: Bucket = post(t, api_url, token, "b2_create_bucket", body, http, http_override)
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
    result: Bucket = post(t, api_url, token, "b2_delete_bucket", body, http, http_override)
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
    result: ListBucketsResponse = post(
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
    result: Bucket = post(t, api_url, token, "b2_update_bucket", body, http, http_override)
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
    result: ListFileNamesResponse = post(
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
    result: ListFileVersionsResponse = post(
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
    result: FileVersion = post(t, api_url, token, "b2_hide_file", body, http, http_override)
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
    result: FileVersion = post(t, api_url, token, "b2_get_file_info", body, http, http_override)
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
    result: DeleteFileVersionResponse = post(
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
    result: FileVersion = post(t, api_url, token, "b2_copy_file", body, http, http_override)
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
    result: FileRetentionResponse = post(
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
    result: FileLegalHoldResponse = post(
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
    result: DownloadAuthorization = post(
        t, api_url, token, "b2_get_download_authorization", body, http, http_override
    )
    return result


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
    result: CreatedApplicationKey = post(
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
    result: ApplicationKey = post(t, api_url, token, "b2_delete_key", body, http, http_override)
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
    result: ListKeysResponse = post(t, api_url, token, "b2_list_keys", body, http, http_override)
    return result
