"""How a file is protected: retention, legal hold and server-side encryption (SSE-B2, SSE-C)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from .errors import ApiError, bad_request

RETENTION_MODES = ("governance", "compliance")


def check_retention(value: object, *, now_ms: int) -> tuple[str | None, int | None]:
    """Validate a fileRetention object; returns (mode, retainUntilTimestamp)."""
    if not isinstance(value, dict):
        raise bad_request("fileRetention must be an object with mode and retainUntilTimestamp")
    mode = value.get("mode")
    until = value.get("retainUntilTimestamp")
    if mode is None:
        if until is not None:
            raise bad_request("retainUntilTimestamp must be null when mode is null")
        return None, None
    if mode not in RETENTION_MODES:
        raise bad_request("fileRetention mode must be governance, compliance or null")
    if not isinstance(until, int) or isinstance(until, bool):
        raise bad_request("retainUntilTimestamp must be an integer (ms)")
    if until <= now_ms:
        raise ApiError(
            400,
            "retain_until_timestamp_must_be_in_future",
            "The retainUntilTimestamp must be in future",
        )
    return str(mode), until


def check_legal_hold(value: object) -> str:
    if value not in ("on", "off"):
        raise bad_request("legalHold must be 'on' or 'off'")
    return str(value)


def check_sse(value: object, *, bucket_default: bool) -> dict[str, Any]:
    """Return ``{"mode", "algorithm"}`` (plus the SSE-C key fields) for a request object."""
    if value is None:
        return {"mode": None, "algorithm": None}
    if not isinstance(value, dict):
        raise bad_request("serverSideEncryption must be an object")
    mode = value.get("mode")
    if mode in (None, "none"):
        return {"mode": None, "algorithm": None}
    if value.get("algorithm") != "AES256":
        raise bad_request("serverSideEncryption algorithm must be AES256")
    if mode == "SSE-B2":
        return {"mode": "SSE-B2", "algorithm": "AES256"}
    if mode == "SSE-C" and not bucket_default:
        return {"mode": "SSE-C", "algorithm": "AES256", "customerKeyMd5": _customer_key_md5(value)}
    raise bad_request(
        "serverSideEncryption mode must be SSE-B2" + ("" if bucket_default else " or SSE-C")
    )


def _customer_key_md5(value: dict[str, Any]) -> str:
    """Check an SSE-C key (base64 of 32 bytes) against its MD5 (base64); return the MD5."""
    key, key_md5 = value.get("customerKey"), value.get("customerKeyMd5")
    if not isinstance(key, str) or not isinstance(key_md5, str):
        raise bad_request("SSE-C needs customerKey and customerKeyMd5")
    try:
        raw = base64.b64decode(key, validate=True)
    except ValueError as exc:
        raise bad_request("SSE-C customerKey must be base64") from exc
    if len(raw) != 32:
        raise bad_request("SSE-C customerKey must be 32 bytes (AES-256), base64-encoded")
    if base64.b64encode(hashlib.md5(raw).digest()).decode() != key_md5:
        raise bad_request("SSE-C customerKeyMd5 is not the MD5 of customerKey")
    return key_md5


SSE_KEY_MISSING = (
    "The object was stored using a form of Server Side Encryption. The correct parameters must "
    "be provided to retrieve the object."
)


def check_customer_key(stored: dict[str, Any], given: object) -> None:
    """An SSE-C version needs its key (download headers or a copy's source SSE object)."""
    if stored.get("mode") != "SSE-C":
        return
    if not isinstance(given, dict) or given.get("mode") != "SSE-C":
        raise bad_request(SSE_KEY_MISSING)
    if given.get("algorithm") != "AES256" or _customer_key_md5(given) != stored.get(
        "customerKeyMd5"
    ):
        raise ApiError(403, "access_denied", "wrong SSE-C key for this file")
