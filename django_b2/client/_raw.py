"""The HTTP requests of B2's native API (v3), one attempt each.

The ``POST`` every JSON call makes, ``b2_authorize_account``, and the streaming upload and
download requests with their headers.

No retries, no re-authorization, no validation: :class:`~django_b2.client._core.ClientCore` adds
those. Each JSON call's parameters are declared once, in its ``B2Client`` method, which builds the
body; entries left as ``None`` are not sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import requests

from ._signing import API_VERSION
from ._signing import percent_encode as _enc
from ._transport import HttpOptions, Transport
from ._types import AuthorizeAccountResponse


class Body(Protocol):
    """What an upload request streams (:meth:`~django_b2.client._body.Payload.open`)."""

    def read(self, size: int = -1, /) -> bytes: ...

    def __len__(self) -> int: ...


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
    """``POST`` the JSON ``body`` to the call ``name``; the decoded JSON answer."""
    payload = {key: value for key, value in body.items() if value is not None}
    return t.request_json(
        "POST",
        api_url_for(api_url, name),
        headers={"Authorization": token},
        json=payload,
        http=http,
        http_override=http_override,
    )


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


# --- uploads -----------------------------------------------------------------------------------


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


def part_headers(
    part_number: int,
    content_length: int,
    content_sha1: str,
    server_side_encryption: Mapping[str, Any] | None,
) -> dict[str, str]:
    """The ``b2_upload_part`` headers (without ``Authorization``)."""
    return {
        "X-Bz-Part-Number": str(part_number),
        "Content-Length": str(content_length),
        "X-Bz-Content-Sha1": content_sha1,
        **sse_headers(server_side_encryption),
    }


def upload(
    t: Transport,
    upload_url: str,
    upload_token: str,
    headers: Mapping[str, str],
    body: Body,
    http: HttpOptions | None,
    http_override: HttpOptions | None,
) -> Any:
    """``POST`` ``body`` to an upload URL (``b2_upload_file`` or ``b2_upload_part``, as the URL
    says); ``headers`` come from :func:`upload_headers` or :func:`part_headers`."""
    return t.request_json(
        "POST",
        upload_url,
        headers={"Authorization": upload_token, **headers},
        data=body,
        http=http,
        http_override=http_override,
    )


# --- downloads ---------------------------------------------------------------------------------


def download(
    t: Transport,
    method: str,
    url: str,
    token: str | None,
    range_header: str | None,
    stream: bool,
    http: HttpOptions | None,
    http_override: HttpOptions | None,
) -> requests.Response:
    """``GET``/``HEAD`` a download URL (by name or by id); the response is returned unread."""
    headers: dict[str, str] = {}
    if token is not None:
        headers["Authorization"] = token
    if range_header is not None:
        headers["Range"] = range_header
    return t.request(
        method, url, headers=headers, stream=stream, http=http, http_override=http_override
    )
