"""Percent-encoding the way B2 wants it, and download URL builders.

B2 (reference §6.3) percent-encodes file names and info values as UTF-8 bytes; only
``A-Z a-z 0-9 - . _ ~ /`` are left as they are. When decoding, ``+`` means a space.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from urllib.parse import quote, unquote_plus, urlencode

from .errors import B2ValidationError

__all__ = [
    "API_VERSION",
    "B2_OVERRIDE_PARAMS",
    "download_url_by_id",
    "download_url_by_name",
    "override_params",
    "percent_decode",
    "percent_encode",
]

API_VERSION = "v3"

#: snake_case keyword -> B2's query parameter for the download override parameters.
B2_OVERRIDE_PARAMS: dict[str, str] = {
    "b2_content_disposition": "b2ContentDisposition",
    "b2_content_language": "b2ContentLanguage",
    "b2_expires": "b2Expires",
    "b2_cache_control": "b2CacheControl",
    "b2_content_encoding": "b2ContentEncoding",
    "b2_content_type": "b2ContentType",
}
_CAMEL_PARAMS = frozenset(B2_OVERRIDE_PARAMS.values())


def percent_encode(text: str) -> str:
    """Encode ``text`` as B2 expects in paths, ``X-Bz-File-Name`` and ``X-Bz-Info-*`` values."""
    return quote(text.encode("utf-8"), safe="/")


#: Path segments that HTTP clients (urllib3) would resolve away; sent percent-encoded instead.
_DOT_SEGMENTS = {".": "%2E", "..": "%2E%2E"}


def _encode_path(file_name: str) -> str:
    """A file name as URL path: percent-encoded, with ``.``/``..`` segments kept as names."""
    encoded = percent_encode(file_name)
    if "." in encoded:
        segments = encoded.split("/")
        if any(segment in _DOT_SEGMENTS for segment in segments):
            encoded = "/".join(_DOT_SEGMENTS.get(segment, segment) for segment in segments)
    return encoded


@functools.lru_cache(maxsize=64)
def _encode_bucket(bucket_name: str) -> str:
    return percent_encode(bucket_name)


def percent_decode(text: str) -> str:
    """Decode a percent-encoded value B2 sent (``+`` is a space)."""
    return unquote_plus(text, encoding="utf-8", errors="strict")


def override_params(overrides: Mapping[str, str | None]) -> dict[str, str]:
    """Map ``b2_content_disposition=...`` (or ``b2ContentDisposition=...``) to query parameters.

    ``None`` values are dropped; unknown names raise :class:`B2ValidationError`.
    """
    params: dict[str, str] = {}
    for name, value in overrides.items():
        param = B2_OVERRIDE_PARAMS.get(name) or (name if name in _CAMEL_PARAMS else None)
        if param is None:
            known = ", ".join(sorted(B2_OVERRIDE_PARAMS))
            raise B2ValidationError(f"Unknown download override {name!r}; use one of: {known}")
        if value is None:
            continue
        if not isinstance(value, str):
            raise B2ValidationError(
                f"Download override {name} must be a string, not {type(value).__name__}"
            )
        params[param] = value
    return params


def _with_query(url: str, authorization: str | None, overrides: Mapping[str, str | None]) -> str:
    params: dict[str, str] = {}
    if authorization is not None:
        params["Authorization"] = authorization
    params.update(override_params(overrides))
    if not params:
        return url
    separator = "&" if "?" in url else "?"
    if len(params) == 1 and authorization is not None:  # the usual signed URL: skip urlencode
        return f"{url}{separator}Authorization={quote(authorization, safe='/')}"
    return url + separator + urlencode(params, quote_via=quote, safe="/")


def download_url_by_name(
    download_url: str,
    bucket_name: str,
    file_name: str,
    *,
    authorization: str | None = None,
    **b2_overrides: str | None,
) -> str:
    """``<download_url>/file/<bucket>/<name>`` (name encoded, ``/`` kept) plus query parameters.

    ``authorization`` (an account or download-authorization token) goes into the
    ``Authorization`` query parameter; ``b2_overrides`` are e.g. ``b2_content_disposition=...``.
    """
    url = f"{download_url.rstrip('/')}/file/{_encode_bucket(bucket_name)}/{_encode_path(file_name)}"
    return _with_query(url, authorization, b2_overrides)


def download_url_by_id(
    download_url: str,
    file_id: str,
    *,
    authorization: str | None = None,
    **b2_overrides: str | None,
) -> str:
    """``<download_url>/b2api/v3/b2_download_file_by_id?fileId=<id>`` plus query parameters."""
    url = (
        f"{download_url.rstrip('/')}/b2api/{API_VERSION}/b2_download_file_by_id"
        f"?fileId={quote(file_id, safe='')}"
    )
    return _with_query(url, authorization, b2_overrides)
