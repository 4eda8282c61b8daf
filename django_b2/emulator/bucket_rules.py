"""A bucket's settings: name, type, info, CORS, lifecycle, replication, default retention."""

from __future__ import annotations

import re
from typing import Any

from .errors import bad_request
from .file_rules import MAX_FILE_INFO
from .protection_rules import RETENTION_MODES

SETTABLE_BUCKET_TYPES = ("allPublic", "allPrivate")
ALL_BUCKET_TYPES = ("allPublic", "allPrivate", "snapshot", "shared", "restricted")
DEFAULT_LISTED_BUCKET_TYPES = ("allPublic", "allPrivate", "snapshot")
#: CORS rules, and lifecycle rules, a bucket may have.
MAX_BUCKET_RULES = 100
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

_BUCKET_NAME = re.compile(r"[A-Za-z0-9-]{6,63}")
_CORS_NAME = re.compile(r"[A-Za-z0-9-]{6,50}")


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


def _rule_list(value: object, field: str, kind: str) -> list[Any]:
    """A bucket's list of rules: absent is empty, at most ``MAX_BUCKET_RULES``."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request(f"{field} must be a list")
    if len(value) > MAX_BUCKET_RULES:
        raise bad_request(f"at most {MAX_BUCKET_RULES} {kind} rules per bucket")
    return value


def check_cors_rules(value: object) -> list[dict[str, Any]]:
    names: set[str] = set()
    rules: list[dict[str, Any]] = []
    for rule in _rule_list(value, "corsRules", "CORS"):
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
    rules: list[dict[str, Any]] = []
    for rule in _rule_list(value, "lifecycleRules", "lifecycle"):
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
