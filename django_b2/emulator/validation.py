"""B2's input rules: names, file info, rules, capabilities. Pure functions raising ApiError."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import mimetypes
import re
import urllib.parse
from typing import Any

from .errors import ApiError, bad_request

MAX_FILE_INFO = 10
HEADER_BUDGET = 7000
HEADER_BUDGET_RESTRICTED = 2048
MAX_SIMPLE_FILE_SIZE = 5_000_000_000
MAX_PART_SIZE = 5_000_000_000
MAX_PART_NUMBER = 10_000
MAX_LARGE_FILE_SIZE = 10_000_000_000_000
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
SETTABLE_BUCKET_TYPES = ("allPublic", "allPrivate")
ALL_BUCKET_TYPES = ("allPublic", "allPrivate", "snapshot", "shared", "restricted")
DEFAULT_LISTED_BUCKET_TYPES = ("allPublic", "allPrivate", "snapshot")
CORS_OPERATIONS = (
    "b2_download_file_by_name",
    "b2_download_file_by_id",
    "b2_upload_file",
    "b2_upload_part",
    "s3_delete",
    "s3_get",
    "s3_head",
    "s3_post",
    "s3_put",
)
B2_INFO_KEYS = (
    "b2-content-disposition",
    "b2-content-language",
    "b2-expires",
    "b2-cache-control",
    "b2-content-encoding",
)
RETENTION_MODES = ("governance", "compliance")

_BUCKET_NAME = re.compile(r"[A-Za-z0-9-]{6,63}")
_KEY_NAME = re.compile(r"[A-Za-z0-9-]{1,100}")
_INFO_KEY = re.compile(r"[A-Za-z0-9\-_.`~!#$%^&*'|+]{1,50}")
_CORS_NAME = re.compile(r"[A-Za-z0-9-]{6,50}")
_HEX40 = re.compile(r"[0-9a-fA-F]{40}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Characters B2 leaves unencoded in X-Bz-File-Name / X-Bz-Info-* / URLs.
SAFE_CHARS = "-._~/!$'()*;=:@"


def percent_encode(value: str) -> str:
    return urllib.parse.quote(value, safe=SAFE_CHARS)


def percent_decode(value: str, *, what: str) -> str:
    try:
        return urllib.parse.unquote_plus(value, errors="strict")
    except UnicodeDecodeError as exc:
        raise bad_request(f"{what} is not valid percent-encoded UTF-8") from exc


def check_bucket_name(name: object) -> str:
    if not isinstance(name, str) or not _BUCKET_NAME.fullmatch(name):
        raise bad_request("bucketName must be 6 to 63 characters of letters, digits and '-'")
    if name.lower().startswith("b2-"):
        raise bad_request("bucketName must not start with 'b2-'")
    return name


def check_bucket_type(value: object) -> str:
    if value not in SETTABLE_BUCKET_TYPES:
        raise bad_request(f"bucketType must be one of {', '.join(SETTABLE_BUCKET_TYPES)}")
    return str(value)


def check_file_name(name: object, field: str = "fileName") -> str:
    if not isinstance(name, str) or name == "":
        raise bad_request("File names must contain at least one character")
    encoded = name.encode("utf-8", errors="surrogatepass")
    if len(encoded) > 1024:
        raise bad_request(f"{field} is longer than 1024 bytes of UTF-8")
    if _CONTROL.search(name):
        raise bad_request(f"{field} must not contain characters below 32 or DEL (127)")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise bad_request(f"{field} is not valid UTF-8") from exc
    return name


def check_content_type(value: object, file_name: str) -> str:
    if value is None or value == "":
        raise bad_request("contentType is required")
    if not isinstance(value, str) or _CONTROL.search(value) or len(value) > 255:
        raise bad_request("contentType must be a MIME type such as text/plain")
    if value == "b2/x-auto":
        guessed, _ = mimetypes.guess_type(file_name, strict=False)
        return guessed or "application/octet-stream"
    if "/" not in value:
        raise bad_request(f"contentType {value!r} is not a MIME type (type/subtype)")
    return value


def check_sha1_header(value: str | None) -> str:
    """Return the lowercase hex digest, ``hex_digits_at_end`` or ``do_not_verify``."""
    if value is None:
        raise bad_request("X-Bz-Content-Sha1 header is required")
    if value in ("hex_digits_at_end", "do_not_verify"):
        return value
    if value.startswith("unverified:") and _HEX40.fullmatch(value[len("unverified:") :]):
        return "do_not_verify"
    if not _HEX40.fullmatch(value):
        raise bad_request(
            "X-Bz-Content-Sha1 must be 40 hex digits, hex_digits_at_end or do_not_verify"
        )
    return value.lower()


def is_hex40(value: object) -> bool:
    return isinstance(value, str) and _HEX40.fullmatch(value) is not None


def check_file_info(info: object) -> dict[str, str]:
    """Validate a fileInfo map; keys are lowercased."""
    if info is None:
        return {}
    if not isinstance(info, dict):
        raise bad_request("fileInfo must be an object of string values")
    if len(info) > MAX_FILE_INFO:
        raise bad_request(f"fileInfo has {len(info)} entries; at most {MAX_FILE_INFO} allowed")
    result: dict[str, str] = {}
    for raw_key, value in info.items():
        if not isinstance(raw_key, str) or not _INFO_KEY.fullmatch(raw_key):
            raise bad_request(
                f"file info key {raw_key!r} must be 1-50 letters, digits or -_.`~!#$%^&*'|+"
            )
        if not isinstance(value, str):
            raise bad_request(f"file info value for {raw_key!r} must be a string")
        key = raw_key.lower()
        if key.startswith("b2-"):
            _check_b2_info(key, value)
        result[key] = value
    return result


def _check_b2_info(key: str, value: str) -> None:
    if key not in B2_INFO_KEYS:
        raise bad_request(f"file info key {key!r} is reserved: only {', '.join(B2_INFO_KEYS)}")
    if value == "" or _CONTROL.search(value):
        raise bad_request(f"file info {key!r} must be a non-empty string without control chars")
    if key == "b2-expires":
        try:
            email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError) as exc:
            raise bad_request("b2-expires must be an RFC 2616 date") from exc


def header_size(file_name: str, info: dict[str, str]) -> int:
    size = len("X-Bz-File-Name: \r\n") + len(percent_encode(file_name))
    for key, value in info.items():
        size += len(f"X-Bz-Info-{key}: \r\n") + len(percent_encode(value))
    return size


def check_header_budget(file_name: str, info: dict[str, str], *, restricted: bool) -> None:
    budget = HEADER_BUDGET_RESTRICTED if restricted else HEADER_BUDGET
    size = header_size(file_name, info)
    if size > budget:
        raise bad_request(
            f"file name and file info take {size} bytes of headers; the limit is {budget}"
        )


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


def check_bucket_info(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise bad_request("bucketInfo must be an object of string values")
    if len(value) > MAX_FILE_INFO:
        raise bad_request(f"bucketInfo has {len(value)} entries; at most {MAX_FILE_INFO}")
    return dict(value)


def _cors_rule_size(rule: dict[str, Any]) -> int:
    total = 0
    for value in rule.values():
        if isinstance(value, str):
            total += len(value.encode())
        elif isinstance(value, list):
            total += sum(len(str(v).encode()) for v in value)
    return total


def check_cors_rules(value: object) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request("corsRules must be a list")
    if len(value) > 100:
        raise bad_request("at most 100 CORS rules per bucket")
    names: set[str] = set()
    rules: list[dict[str, Any]] = []
    for rule in value:
        if not isinstance(rule, dict):
            raise bad_request("each CORS rule must be an object")
        name = rule.get("corsRuleName")
        if not isinstance(name, str) or not _CORS_NAME.fullmatch(name) or name.startswith("b2-"):
            raise bad_request("corsRuleName must be 6-50 letters, digits or '-', not 'b2-...'")
        if name in names:
            raise bad_request(f"duplicate corsRuleName {name!r}")
        names.add(name)
        origins = rule.get("allowedOrigins")
        if (
            not isinstance(origins, list)
            or not origins
            or not all(isinstance(o, str) and o.count("*") <= 1 for o in origins)
        ):
            raise bad_request("allowedOrigins must be a non-empty list of origins (one '*' max)")
        operations = rule.get("allowedOperations")
        if (
            not isinstance(operations, list)
            or not operations
            or not all(o in CORS_OPERATIONS for o in operations)
        ):
            raise bad_request(f"allowedOperations must be a non-empty subset of {CORS_OPERATIONS}")
        for field in ("allowedHeaders", "exposeHeaders"):
            items = rule.get(field)
            if items is not None and (
                not isinstance(items, list) or not all(isinstance(h, str) for h in items)
            ):
                raise bad_request(f"{field} must be a list of header names")
        max_age = rule.get("maxAgeSeconds")
        if not isinstance(max_age, int) or isinstance(max_age, bool) or not 0 <= max_age <= 86400:
            raise bad_request("maxAgeSeconds must be an integer from 0 to 86400")
        if _cors_rule_size(rule) >= 1000:
            raise bad_request(f"CORS rule {name!r} is 1000 bytes or more")
        clean = {
            "corsRuleName": name,
            "allowedOrigins": list(origins),
            "allowedOperations": list(operations),
            "allowedHeaders": list(rule.get("allowedHeaders") or []),
            "exposeHeaders": list(rule.get("exposeHeaders") or []),
            "maxAgeSeconds": max_age,
        }
        rules.append(clean)
    return rules


_LIFECYCLE_DAYS = (
    "daysFromUploadingToHiding",
    "daysFromHidingToDeleting",
    "daysFromStartingToCancelingUnfinishedLargeFiles",
)


def check_lifecycle_rules(value: object) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request("lifecycleRules must be a list")
    if len(value) > 100:
        raise bad_request("at most 100 lifecycle rules per bucket")
    rules: list[dict[str, Any]] = []
    for rule in value:
        if not isinstance(rule, dict) or not isinstance(rule.get("fileNamePrefix"), str):
            raise bad_request("each lifecycle rule needs a string fileNamePrefix")
        clean: dict[str, Any] = {"fileNamePrefix": rule["fileNamePrefix"]}
        any_set = False
        for field in _LIFECYCLE_DAYS:
            days = rule.get(field)
            if days is not None:
                if not isinstance(days, int) or isinstance(days, bool) or days <= 0:
                    raise bad_request(f"{field} must be a positive integer or null")
                any_set = True
            clean[field] = days
        if not any_set:
            raise bad_request("a lifecycle rule needs at least one non-null days field")
        rules.append(clean)
    prefixes = [r["fileNamePrefix"] for r in rules]
    for i, first in enumerate(prefixes):
        for j, second in enumerate(prefixes):
            if i != j and second.startswith(first):
                raise bad_request(
                    f"lifecycle rules overlap: prefix {second!r} is covered by {first!r}"
                )
    return rules


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


_RULE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_REPLICATION_RULES = 10
MAX_PRIORITY = 2**31 - 1


def _check_replication_rule(rule: object) -> dict[str, Any]:
    if not isinstance(rule, dict):
        raise bad_request("each replication rule must be an object")
    name = rule.get("replicationRuleName")
    if not isinstance(name, str) or not _RULE_NAME.fullmatch(name):
        raise bad_request("replicationRuleName must be 1-64 letters, digits, '-' or '_'")
    destination = rule.get("destinationBucketId")
    if not isinstance(destination, str) or not destination:
        raise bad_request(f"replication rule {name!r} needs a destinationBucketId")
    priority = rule.get("priority")
    if (
        not isinstance(priority, int)
        or isinstance(priority, bool)
        or not (1 <= priority <= MAX_PRIORITY)
    ):
        raise bad_request(f"replication rule {name!r}: priority must be from 1 to {MAX_PRIORITY}")
    prefix = rule.get("fileNamePrefix", "")
    if not isinstance(prefix, str):
        raise bad_request(f"replication rule {name!r}: fileNamePrefix must be a string")
    flags = {}
    for flag in ("isEnabled", "includeExistingFiles"):
        value = rule.get(flag, flag == "isEnabled")
        if not isinstance(value, bool):
            raise bad_request(f"replication rule {name!r}: {flag} must be true or false")
        flags[flag] = value
    return {
        "destinationBucketId": destination,
        "fileNamePrefix": prefix,
        "includeExistingFiles": flags["includeExistingFiles"],
        "isEnabled": flags["isEnabled"],
        "priority": priority,
        "replicationRuleName": name,
    }


def check_replication(value: object) -> dict[str, Any]:
    """A ``replicationConfiguration``: ``{asReplicationSource, asReplicationDestination}``, each
    optional (``{}`` removes both)."""
    if not isinstance(value, dict):
        raise bad_request("replicationConfiguration must be an object")
    unknown = set(value) - {"asReplicationSource", "asReplicationDestination"}
    if unknown:
        raise bad_request(f"unknown replicationConfiguration fields: {sorted(unknown)}")
    result: dict[str, Any] = {"asReplicationSource": None, "asReplicationDestination": None}
    source = value.get("asReplicationSource")
    if source is not None:
        if not isinstance(source, dict):
            raise bad_request("asReplicationSource must be an object")
        rules = source.get("replicationRules")
        if not isinstance(rules, list) or not 1 <= len(rules) <= MAX_REPLICATION_RULES:
            raise bad_request(f"replicationRules must list 1 to {MAX_REPLICATION_RULES} rules")
        checked = [_check_replication_rule(rule) for rule in rules]
        names = [rule["replicationRuleName"] for rule in checked]
        if len(set(names)) != len(names):
            raise bad_request("replicationRuleName values must be unique")
        key_id = source.get("sourceApplicationKeyId")
        if not isinstance(key_id, str) or not key_id:
            raise bad_request("asReplicationSource needs a sourceApplicationKeyId")
        result["asReplicationSource"] = {
            "replicationRules": checked,
            "sourceApplicationKeyId": key_id,
        }
    destination = value.get("asReplicationDestination")
    if destination is not None:
        mapping = (
            destination.get("sourceToDestinationKeyMapping")
            if isinstance(destination, dict)
            else None
        )
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
        ):
            raise bad_request(
                "asReplicationDestination needs sourceToDestinationKeyMapping: {keyId: keyId}"
            )
        result["asReplicationDestination"] = {"sourceToDestinationKeyMapping": dict(mapping)}
    return result


def check_default_retention(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request("defaultRetention must be an object")
    mode = value.get("mode")
    if mode is None:
        return {"mode": None, "period": None}
    if mode not in RETENTION_MODES:
        raise bad_request("defaultRetention mode must be governance, compliance or null")
    period = value.get("period")
    if (
        not isinstance(period, dict)
        or period.get("unit") not in ("days", "years")
        or not isinstance(period.get("duration"), int)
        or period["duration"] <= 0
    ):
        raise bad_request(
            "defaultRetention period must be {duration: positive int, unit: days|years}"
        )
    return {"mode": mode, "period": {"duration": period["duration"], "unit": period["unit"]}}


def parse_byte_range(value: object, size: int) -> tuple[int, int]:
    """Parse ``bytes=a-b`` (inclusive) for copy calls; returns (start, end_inclusive)."""
    if not isinstance(value, str):
        raise bad_request("range must be a string like bytes=0-99")
    match = re.fullmatch(r"bytes=(\d+)-(\d+)", value.strip())
    if not match:
        raise bad_request("range must look like bytes=START-END")
    start, end = int(match.group(1)), int(match.group(2))
    if start > end:
        raise bad_request("range start is after its end")
    if start >= size:
        raise ApiError(416, "range_not_satisfiable", f"range {value} is outside 0-{size - 1}")
    return start, min(end, size - 1)


def name_successor(name: bytes) -> bytes:
    """The smallest byte string greater than every string starting with ``name``."""
    # UTF-8 never contains 0xff, so incrementing the last byte is always possible.
    return name[:-1] + bytes([name[-1] + 1])
