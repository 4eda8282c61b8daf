"""Bucket event notification rules (``b2_set/get_bucket_notification_rules``), checked and kept.

Rules are validated and stored; no webhook is ever called.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import ApiError, bad_request
from .permissions import require, require_bucket
from .records import Key
from .store import Store

MAX_RULES = 25
EVENT_TYPES = {
    "b2:ObjectCreated": ("Upload", "MultipartUpload", "Copy", "Replica", "MultipartReplica"),
    "b2:ObjectDeleted": ("Delete", "LifecycleRule"),
    "b2:HideMarkerCreated": ("Hide", "LifecycleRule"),
}
_RULE_NAME = re.compile(r"[A-Za-z0-9-]{6,63}")
_SECRET = re.compile(r"[A-Za-z0-9]{32}")
_RULE_FIELDS = {
    "eventTypes",
    "isEnabled",
    "name",
    "objectNamePrefix",
    "targetConfiguration",
    "maxEventsPerBatch",
    "isSuspended",  # ignored on set, as B2 documents
    "suspensionReason",
}


def _expand(event_type: object) -> set[str]:
    """The concrete event types ``event_type`` covers (a ``*`` covers its whole category)."""
    if not isinstance(event_type, str) or event_type.count(":") != 2:
        raise ApiError(400, "event_type_invalid", f"unknown event type {event_type!r}")
    category, _, kind = event_type.rpartition(":")
    kinds = EVENT_TYPES.get(category)
    if kinds is None or (kind != "*" and kind not in kinds):
        raise ApiError(400, "event_type_invalid", f"unknown event type {event_type!r}")
    return {f"{category}:{k}" for k in kinds} if kind == "*" else {event_type}


def _check_target(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request("targetConfiguration must be an object")
    if value.get("targetType") != "webhook":
        raise bad_request('targetConfiguration.targetType must be "webhook"')
    url = value.get("url")
    if not isinstance(url, str) or not url.startswith("https://") or len(url) <= len("https://"):
        raise bad_request("targetConfiguration.url must be an https:// URL")
    # B2 echoes both optional fields, as null when unset
    target: dict[str, Any] = {
        "targetType": "webhook",
        "url": url,
        "customHeaders": None,
        "hmacSha256SigningSecret": None,
    }
    secret = value.get("hmacSha256SigningSecret")
    if secret is not None:
        if not isinstance(secret, str) or not _SECRET.fullmatch(secret):
            raise bad_request("hmacSha256SigningSecret must be 32 letters or digits")
        target["hmacSha256SigningSecret"] = secret
    headers = value.get("customHeaders")
    if headers is not None:
        if not isinstance(headers, list) or not all(
            isinstance(h, dict)
            and set(h) == {"name", "value"}
            and isinstance(h["name"], str)
            and h["name"]
            and isinstance(h["value"], str)
            for h in headers
        ):
            raise bad_request('customHeaders must be a list of {"name", "value"} strings')
        if any(h["name"].lower().startswith("x-bz-") for h in headers):
            raise bad_request("customHeaders names must not start with X-Bz-")
        target["customHeaders"] = [{"name": h["name"], "value": h["value"]} for h in headers]
    return target


def check_notification_rules(value: object) -> list[dict[str, Any]]:
    """B2's rules for ``eventNotificationRules``; returns them as stored (sorted by name)."""
    if not isinstance(value, list):
        raise bad_request("eventNotificationRules must be a list")
    if len(value) > MAX_RULES:
        raise bad_request(f"at most {MAX_RULES} event notification rules per bucket")
    rules: list[dict[str, Any]] = []
    covered: list[tuple[str, str, set[str]]] = []  # (name, prefix, concrete event types)
    for raw in value:
        if not isinstance(raw, dict):
            raise bad_request("each event notification rule must be an object")
        unknown = set(raw) - _RULE_FIELDS
        if unknown:
            raise bad_request(f"unknown event notification rule fields: {sorted(unknown)}")
        name = raw.get("name")
        if not isinstance(name, str) or not _RULE_NAME.fullmatch(name) or name.startswith("b2-"):
            raise bad_request(
                f"rule name must be 6-63 letters, digits or '-', not starting 'b2-': {name!r}"
            )
        if any(name == other for other, _, _ in covered):
            raise bad_request(f"duplicate event notification rule name {name!r}")
        types = raw.get("eventTypes")
        if not isinstance(types, list) or not types:
            raise ApiError(400, "event_types_empty", f"rule {name!r} needs at least one event type")
        concrete: set[str] = set()
        for event_type in types:
            concrete |= _expand(event_type)
        enabled = raw.get("isEnabled")
        if not isinstance(enabled, bool):
            raise bad_request(f"rule {name!r}: isEnabled must be true or false")
        prefix = raw.get("objectNamePrefix", "")
        if not isinstance(prefix, str):
            raise bad_request(f"rule {name!r}: objectNamePrefix must be a string")
        for other, other_prefix, other_types in covered:
            if (prefix.startswith(other_prefix) or other_prefix.startswith(prefix)) and (
                concrete & other_types
            ):
                raise ApiError(
                    400,
                    "event_type_overlap",
                    f"rules {other!r} and {name!r} overlap: the same event type on "
                    f"prefixes {other_prefix!r} and {prefix!r}",
                )
        covered.append((name, prefix, concrete))
        rule: dict[str, Any] = {
            "eventTypes": list(types),
            "isEnabled": enabled,
            "name": name,
            "objectNamePrefix": prefix,
            "targetConfiguration": _check_target(raw.get("targetConfiguration")),
            "isSuspended": False,
            "suspensionReason": "",
        }
        batch = raw.get("maxEventsPerBatch")
        if batch is not None:
            if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= 50:
                raise bad_request(f"rule {name!r}: maxEventsPerBatch must be 1-50")
            rule["maxEventsPerBatch"] = batch
        rules.append(rule)
    return sorted(rules, key=lambda r: str(r["name"]))


class NotificationsMixin(Store):
    def set_notification_rules(
        self, key: Key, bucket_id: object, rules: object
    ) -> list[dict[str, Any]]:
        require(key, "writeBucketNotifications")
        checked = check_notification_rules(rules)
        with self.lock:
            bucket = self.get_bucket(bucket_id)
            require_bucket(key, bucket.bucket_id)
            self.db.execute(
                "REPLACE INTO notification_rules VALUES (?, ?)",
                (bucket.bucket_id, json.dumps(checked)),
            )
        return checked

    def get_notification_rules(self, key: Key, bucket_id: object) -> list[dict[str, Any]]:
        require(key, "readBucketNotifications")
        with self.lock:
            bucket = self.get_bucket(bucket_id)
            require_bucket(key, bucket.bucket_id)
            row = self.db.execute(
                "SELECT rules FROM notification_rules WHERE bucket_id = ?", (bucket.bucket_id,)
            ).fetchone()
        rules: list[dict[str, Any]] = [] if row is None else json.loads(row[0])
        for rule in rules:  # stored before the null echoes existed
            target = rule.get("targetConfiguration") or {}
            target.setdefault("customHeaders", None)
            target.setdefault("hmacSha256SigningSecret", None)
        return rules
