"""One function per B2 transfer call (v3): uploads, large files and downloads (see :mod:`._raw`).

No retries, no re-authorization, no validation: :class:`~django_b2.client._client.B2Client` adds
those. Optional arguments left as ``None`` are not sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

import requests

from ._raw import post
from ._signing import download_url_by_id, download_url_by_name, percent_decode
from ._signing import percent_encode as _enc
from ._transport import HttpOptions, Transport
from ._types import (
    CancelLargeFileResponse,
    FileInfoByName,
    FileVersion,
    ListPartsResponse,
    ListUnfinishedLargeFilesResponse,
    Part,
    UploadPartUrl,
    UploadUrl,
)

Body = bytes | IO[bytes]


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
    result: UploadUrl = post(t, api_url, token, "b2_get_upload_url", body, http, http_override)
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
    result: FileVersion = post(t, api_url, token, "b2_start_large_file", body, http, http_override)
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
    result: UploadPartUrl = post(
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
    result: Part = post(t, api_url, token, "b2_copy_part", body, http, http_override)
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
    result: FileVersion = post(t, api_url, token, "b2_finish_large_file", body, http, http_override)
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
    result: CancelLargeFileResponse = post(
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
    result: ListPartsResponse = post(t, api_url, token, "b2_list_parts", body, http, http_override)
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
    result: ListUnfinishedLargeFilesResponse = post(
        t, api_url, token, "b2_list_unfinished_large_files", body, http, http_override
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
