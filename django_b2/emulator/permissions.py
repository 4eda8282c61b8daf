"""Who may do what: a key's capabilities, buckets and name prefix, checked before a call acts."""

from __future__ import annotations

from .errors import ApiError, denied
from .records import Key


def require(key: Key, capability: str) -> None:
    if capability not in key.capabilities:
        raise denied(f"the application key lacks the {capability} capability")


def require_bucket(key: Key, bucket_id: str) -> None:
    if not key.allows_bucket(bucket_id):
        raise denied(f"the application key is not allowed to use bucket {bucket_id}")


def require_name(key: Key, name: str) -> None:
    if not key.allows_name(name):
        raise denied(f"the application key only allows names starting {key.name_prefix!r}")


def require_list_prefix(key: Key, prefix: str) -> None:
    if key.name_prefix is not None and not prefix.startswith(key.name_prefix):
        raise denied(
            f"the application key only allows listing with a prefix starting {key.name_prefix!r}"
        )


def require_lock_write(key: Key, capability: str) -> None:
    """Retention and legal-hold updates: a key without the capability gets ``403
    access_denied``, checked before the bucket's file-lock state (as B2 does)."""
    if capability not in key.capabilities:
        raise ApiError(403, "access_denied", "Access Denied", detail=f"the key lacks {capability}")
