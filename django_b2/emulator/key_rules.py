"""Application keys: the capability table (the emulator's own copy, on purpose) and key checks."""

from __future__ import annotations

import re

from .errors import bad_request

MAX_DOWNLOAD_AUTH_SECONDS = 604_800
MAX_KEY_SECONDS = 86_400_000

ALL_CAPABILITIES = (
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
NOT_FOR_BUCKET_KEYS = frozenset(
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

_KEY_NAME = re.compile(r"[A-Za-z0-9-]{1,100}")


def check_capabilities(value: object, *, bucket_restricted: bool) -> list[str]:
    if not isinstance(value, list) or not value:
        raise bad_request("capabilities must be a non-empty list")
    for cap in value:
        if cap not in ALL_CAPABILITIES:
            raise bad_request(f"unknown capability {cap!r}")
        if bucket_restricted and cap in NOT_FOR_BUCKET_KEYS:
            raise bad_request(f"capability {cap!r} is not allowed on a bucket-restricted key")
    return list(dict.fromkeys(value))


def check_key_name(value: object) -> str:
    if not isinstance(value, str) or not _KEY_NAME.fullmatch(value):
        raise bad_request("keyName must be 1 to 100 characters of letters, digits and '-'")
    return value
