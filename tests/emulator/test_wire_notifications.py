"""Bucket event notification rules over the wire: validation, storage, capabilities, cleanup."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.conftest import Wire, error_of

RULE: dict[str, Any] = {
    "eventTypes": ["b2:ObjectCreated:Upload"],
    "isEnabled": True,
    "name": "upload-hook",
    "objectNamePrefix": "",
    "targetConfiguration": {"targetType": "webhook", "url": "https://example.com/h"},
}


def test_set_get_round_trip_on_every_version(wire: Wire) -> None:
    bucket_id = wire.create_bucket("notify-bucket")["bucketId"]
    for version in (2, 3, 4):
        wire.version = version
        answer = wire.ok(
            "b2_set_bucket_notification_rules", bucketId=bucket_id, eventNotificationRules=[RULE]
        )
        assert answer["bucketId"] == bucket_id
        target = {**RULE["targetConfiguration"], "customHeaders": None}
        target["hmacSha256SigningSecret"] = None  # B2 echoes unset fields as null
        assert answer["eventNotificationRules"] == [
            {**RULE, "targetConfiguration": target, "isSuspended": False, "suspensionReason": ""}
        ]
        got = wire.call("b2_get_bucket_notification_rules", method="GET", bucketId=bucket_id)
        assert got.status_code == 200, got.text
        assert got.json() == answer


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"name": "short"}, "bad_request"),
        ({"name": "b2-reserved-name"}, "bad_request"),
        ({"name": "under_score"}, "bad_request"),
        ({"eventTypes": []}, "event_types_empty"),
        ({"eventTypes": ["b2:ObjectCreated:Nope"]}, "event_type_invalid"),
        ({"eventTypes": "b2:ObjectCreated:*"}, "event_types_empty"),
        ({"isEnabled": "yes"}, "bad_request"),
        ({"targetConfiguration": {"targetType": "webhook", "url": "http://plain"}}, "bad_request"),
        ({"targetConfiguration": {"targetType": "sqs", "url": "https://x"}}, "bad_request"),
        (
            {
                "targetConfiguration": {
                    "targetType": "webhook",
                    "url": "https://x.example",
                    "hmacSha256SigningSecret": "short",
                }
            },
            "bad_request",
        ),
        ({"maxEventsPerBatch": 51}, "bad_request"),
        ({"surprise": 1}, "bad_request"),
    ],
)
def test_bad_rules_are_refused(wire: Wire, change: dict[str, Any], code: str) -> None:
    bucket_id = wire.create_bucket("notify-bucket")["bucketId"]
    response = wire.call(
        "b2_set_bucket_notification_rules",
        bucketId=bucket_id,
        eventNotificationRules=[{**RULE, **change}],
    )
    assert error_of(response) == (400, code)
    assert (
        wire.ok("b2_get_bucket_notification_rules", bucketId=bucket_id)["eventNotificationRules"]
        == []
    )


def test_overlap_duplicates_and_limit(wire: Wire) -> None:
    bucket_id = wire.create_bucket("notify-bucket")["bucketId"]
    star = {
        **RULE,
        "name": "all-created",
        "eventTypes": ["b2:ObjectCreated:*"],
        "objectNamePrefix": "a/",
    }
    nested = {**RULE, "objectNamePrefix": "a/b/"}
    response = wire.call(
        "b2_set_bucket_notification_rules",
        bucketId=bucket_id,
        eventNotificationRules=[star, nested],
    )
    assert error_of(response) == (400, "event_type_overlap")
    # the same prefixes with different events, or disjoint prefixes, are fine
    deletes = {**nested, "eventTypes": ["b2:ObjectDeleted:*"]}
    elsewhere = {**RULE, "name": "elsewhere-hook", "objectNamePrefix": "z/"}
    ok = wire.ok(
        "b2_set_bucket_notification_rules",
        bucketId=bucket_id,
        eventNotificationRules=[star, deletes, elsewhere],
    )
    assert [r["name"] for r in ok["eventNotificationRules"]] == [
        "all-created",
        "elsewhere-hook",
        "upload-hook",
    ]
    twice = wire.call(
        "b2_set_bucket_notification_rules", bucketId=bucket_id, eventNotificationRules=[RULE, RULE]
    )
    assert error_of(twice) == (400, "bad_request")
    many = [{**RULE, "name": f"hook-number-{i}", "objectNamePrefix": f"{i}/"} for i in range(26)]
    too_many = wire.call(
        "b2_set_bucket_notification_rules", bucketId=bucket_id, eventNotificationRules=many
    )
    assert error_of(too_many) == (400, "bad_request")


def test_capabilities_bucket_and_cleanup(wire: Wire) -> None:
    bucket_id = wire.create_bucket("notify-bucket")["bucketId"]
    other_id = wire.create_bucket("other-bucket")["bucketId"]
    missing = wire.call("b2_get_bucket_notification_rules", bucketId="0" * 24)
    assert error_of(missing) == (400, "bad_bucket_id")
    key = wire.ok(
        "b2_create_key",
        accountId=wire.server.account_id,
        capabilities=["readBucketNotifications", "writeBucketNotifications"],
        keyName="notify-key",
        bucketId=bucket_id,
    )
    reader = Wire(wire.server, wire.session)
    assert reader.authorize(key["applicationKeyId"], key["applicationKey"]).status_code == 200
    reader.ok("b2_set_bucket_notification_rules", bucketId=bucket_id, eventNotificationRules=[RULE])
    elsewhere = reader.call("b2_get_bucket_notification_rules", bucketId=other_id)
    assert error_of(elsewhere) == (401, "unauthorized")
    listing_only = wire.ok(
        "b2_create_key",
        accountId=wire.server.account_id,
        capabilities=["listBuckets"],
        keyName="list-key",
    )
    lister = Wire(wire.server, wire.session)
    lister.authorize(listing_only["applicationKeyId"], listing_only["applicationKey"])
    denied = lister.call("b2_get_bucket_notification_rules", bucketId=bucket_id)
    assert error_of(denied) == (401, "unauthorized")
    assert denied.json()["message"] == ""  # B2's terse answer; the reason is in the log
    # deleting and re-creating a bucket does not resurrect its rules
    wire.ok("b2_delete_bucket", accountId=wire.server.account_id, bucketId=bucket_id)
    again = wire.create_bucket("notify-bucket")["bucketId"]
    assert (
        wire.ok("b2_get_bucket_notification_rules", bucketId=again)["eventNotificationRules"] == []
    )
