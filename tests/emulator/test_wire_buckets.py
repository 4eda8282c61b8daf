"""Bucket calls over the wire: create, list (bucketTypes), update (revision), delete, rules."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.conftest import Wire, error_of

CORS_RULE = {
    "corsRuleName": "downloadFromAnyOrigin",
    "allowedOrigins": ["https://example.com"],
    "allowedOperations": ["b2_download_file_by_name"],
    "allowedHeaders": ["range"],
    "exposeHeaders": ["x-bz-content-sha1"],
    "maxAgeSeconds": 3600,
}


def test_create_bucket_shape(wire: Wire) -> None:
    bucket = wire.create_bucket("shape-bucket", bucketInfo={"Cache-Control": "max-age=60"})
    assert bucket["accountId"] == wire.server.account_id
    assert bucket["bucketName"] == "shape-bucket"
    assert bucket["bucketType"] == "allPrivate"
    assert bucket["bucketInfo"] == {"Cache-Control": "max-age=60"}
    assert bucket["corsRules"] == [] and bucket["lifecycleRules"] == []
    assert bucket["defaultServerSideEncryption"] == {
        "isClientAuthorizedToRead": True,
        "value": {"mode": None, "algorithm": None},
    }
    lock = bucket["fileLockConfiguration"]["value"]
    assert lock["isFileLockEnabled"] is False
    assert isinstance(bucket["revision"], int)
    assert len(bucket["bucketId"]) == 24


@pytest.mark.parametrize(
    "name", ["short", "x" * 64, "under_score", "dot.name", "b2-reserved", "ünïcode-name"]
)
def test_bad_bucket_names(wire: Wire, name: str) -> None:
    response = wire.call(
        "b2_create_bucket",
        accountId=wire.server.account_id,
        bucketName=name,
        bucketType="allPrivate",
    )
    assert error_of(response) == (400, "bad_request")


def test_bucket_type_must_be_settable(wire: Wire) -> None:
    response = wire.call(
        "b2_create_bucket",
        accountId=wire.server.account_id,
        bucketName="snap-bucket",
        bucketType="snapshot",
    )
    assert error_of(response) == (400, "bad_request")


def test_duplicate_name_is_case_insensitive(wire: Wire) -> None:
    wire.create_bucket("Same-Bucket")
    response = wire.call(
        "b2_create_bucket",
        accountId=wire.server.account_id,
        bucketName="same-bucket",
        bucketType="allPrivate",
    )
    assert error_of(response) == (400, "duplicate_bucket_name")


def test_too_many_buckets(wire: Wire) -> None:
    for i in range(100):
        wire.create_bucket(f"bucket-{i:03d}")
    response = wire.call(
        "b2_create_bucket",
        accountId=wire.server.account_id,
        bucketName="bucket-100",
        bucketType="allPrivate",
    )
    assert error_of(response) == (400, "too_many_buckets")


def test_list_buckets_filters_and_sorts(wire: Wire) -> None:
    wire.create_bucket("zeta-bucket", "allPublic")
    alpha = wire.create_bucket("alpha-bucket")
    account = wire.server.account_id
    names = [b["bucketName"] for b in wire.ok("b2_list_buckets", accountId=account)["buckets"]]
    assert names == ["alpha-bucket", "zeta-bucket"]
    public = wire.ok("b2_list_buckets", accountId=account, bucketTypes=["allPublic"])
    assert [b["bucketName"] for b in public["buckets"]] == ["zeta-bucket"]
    by_id = wire.ok("b2_list_buckets", accountId=account, bucketId=alpha["bucketId"])
    assert [b["bucketName"] for b in by_id["buckets"]] == ["alpha-bucket"]
    by_name = wire.ok("b2_list_buckets", accountId=account, bucketName="zeta-bucket")
    assert [b["bucketName"] for b in by_name["buckets"]] == ["zeta-bucket"]
    none = wire.ok("b2_list_buckets", accountId=account, bucketName="missing-bucket")
    assert none["buckets"] == []
    everything = wire.ok("b2_list_buckets", accountId=account, bucketTypes=["all"])
    assert len(everything["buckets"]) == 2


@pytest.mark.parametrize("types", [[], ["all", "allPublic"], ["bogus"], "allPublic"])
def test_list_buckets_bad_types(wire: Wire, types: Any) -> None:
    response = wire.call("b2_list_buckets", accountId=wire.server.account_id, bucketTypes=types)
    assert error_of(response) == (400, "bad_request")


def test_update_bucket_replaces_fields_and_bumps_revision(wire: Wire) -> None:
    bucket = wire.create_bucket(bucketInfo={"a": "1"}, corsRules=[CORS_RULE])
    updated = wire.ok(
        "b2_update_bucket",
        accountId=wire.server.account_id,
        bucketId=bucket["bucketId"],
        bucketType="allPublic",
        bucketInfo={"b": "2"},
        ifRevisionIs=bucket["revision"],
    )
    assert updated["revision"] == bucket["revision"] + 1
    assert updated["bucketType"] == "allPublic"
    assert updated["bucketInfo"] == {"b": "2"}
    assert updated["corsRules"] == [CORS_RULE]  # absent field: unchanged
    stale = wire.call(
        "b2_update_bucket",
        accountId=wire.server.account_id,
        bucketId=bucket["bucketId"],
        bucketInfo={"c": "3"},
        ifRevisionIs=bucket["revision"],
    )
    assert error_of(stale) == (409, "conflict")
    cleared = wire.ok("b2_update_bucket", bucketId=bucket["bucketId"], corsRules=[])
    assert cleared["corsRules"] == []
    assert cleared["revision"] == updated["revision"] + 1


def test_update_unknown_bucket(wire: Wire) -> None:
    response = wire.call("b2_update_bucket", bucketId="0" * 24, bucketType="allPublic")
    assert error_of(response) == (400, "bad_bucket_id")


def test_delete_bucket(wire: Wire) -> None:
    bucket = wire.create_bucket()
    wire.upload_ok(bucket["bucketId"], "file", b"x")
    account = wire.server.account_id
    busy = wire.call("b2_delete_bucket", accountId=account, bucketId=bucket["bucketId"])
    assert error_of(busy) == (400, "cannot_delete_non_empty_bucket")
    versions = wire.ok("b2_list_file_versions", bucketId=bucket["bucketId"])["files"]
    for version in versions:
        wire.ok("b2_delete_file_version", fileName=version["fileName"], fileId=version["fileId"])
    # an unfinished large file also keeps the bucket non-empty
    wire.ok(
        "b2_start_large_file", bucketId=bucket["bucketId"], fileName="big", contentType="b2/x-auto"
    )
    busy = wire.call("b2_delete_bucket", accountId=account, bucketId=bucket["bucketId"])
    assert error_of(busy) == (400, "cannot_delete_non_empty_bucket")
    for version in wire.ok("b2_list_file_versions", bucketId=bucket["bucketId"])["files"]:
        wire.ok("b2_delete_file_version", fileName=version["fileName"], fileId=version["fileId"])
    deleted = wire.ok("b2_delete_bucket", accountId=account, bucketId=bucket["bucketId"])
    assert deleted["bucketId"] == bucket["bucketId"]
    gone = wire.call("b2_delete_bucket", accountId=account, bucketId=bucket["bucketId"])
    assert error_of(gone) == (400, "bad_bucket_id")


def _rule(**changes: Any) -> dict[str, Any]:
    rule = dict(CORS_RULE)
    rule.update(changes)
    return rule


@pytest.mark.parametrize(
    "rules",
    [
        [_rule(corsRuleName="bad name")],
        [_rule(corsRuleName="b2-reserved")],
        [_rule(allowedOrigins=[])],
        [_rule(allowedOperations=["b2_fly"])],
        [_rule(maxAgeSeconds=86_401)],
        [_rule(exposeHeaders=["x" * 990])],
        [CORS_RULE, CORS_RULE],
        [_rule(corsRuleName=f"rule-number-{i}") for i in range(101)],
    ],
)
def test_cors_rule_validation(wire: Wire, rules: list[dict[str, Any]]) -> None:
    response = wire.call(
        "b2_create_bucket",
        accountId=wire.server.account_id,
        bucketName="cors-bucket",
        bucketType="allPrivate",
        corsRules=rules,
    )
    assert error_of(response) == (400, "bad_request")


def test_lifecycle_rules(wire: Wire) -> None:
    good = [
        {"fileNamePrefix": "logs/", "daysFromUploadingToHiding": 7, "daysFromHidingToDeleting": 1},
        {"fileNamePrefix": "tmp/", "daysFromStartingToCancelingUnfinishedLargeFiles": 2},
    ]
    bucket = wire.create_bucket(lifecycleRules=good)
    assert bucket["lifecycleRules"][0]["daysFromUploadingToHiding"] == 7
    assert bucket["lifecycleRules"][1]["daysFromHidingToDeleting"] is None


@pytest.mark.parametrize(
    "rules",
    [
        [{"fileNamePrefix": "a/"}],
        [{"fileNamePrefix": "a/", "daysFromHidingToDeleting": 0}],
        [{"daysFromHidingToDeleting": 1}],
        [
            {"fileNamePrefix": "a/", "daysFromHidingToDeleting": 1},
            {"fileNamePrefix": "a/b/", "daysFromHidingToDeleting": 1},
        ],
        [
            {"fileNamePrefix": "", "daysFromHidingToDeleting": 1},
            {"fileNamePrefix": "x", "daysFromHidingToDeleting": 1},
        ],
    ],
)
def test_lifecycle_rule_validation(wire: Wire, rules: list[dict[str, Any]]) -> None:
    response = wire.call(
        "b2_create_bucket",
        accountId=wire.server.account_id,
        bucketName="life-bucket",
        bucketType="allPrivate",
        lifecycleRules=rules,
    )
    assert error_of(response) == (400, "bad_request")


def test_bucket_info_limits(wire: Wire) -> None:
    response = wire.call(
        "b2_create_bucket",
        accountId=wire.server.account_id,
        bucketName="info-bucket",
        bucketType="allPrivate",
        bucketInfo={f"k{i}": "v" for i in range(11)},
    )
    assert error_of(response) == (400, "bad_request")


def test_default_encryption_and_lock(wire: Wire) -> None:
    bucket = wire.create_bucket(
        defaultServerSideEncryption={"mode": "SSE-B2", "algorithm": "AES256"},
        fileLockEnabled=True,
    )
    assert bucket["defaultServerSideEncryption"]["value"]["mode"] == "SSE-B2"
    assert bucket["fileLockConfiguration"]["value"]["isFileLockEnabled"] is True
    off = wire.call("b2_update_bucket", bucketId=bucket["bucketId"], fileLockEnabled=False)
    assert error_of(off) == (400, "file_lock_conflict")
    retention = {"mode": "governance", "period": {"duration": 1, "unit": "days"}}
    updated = wire.ok("b2_update_bucket", bucketId=bucket["bucketId"], defaultRetention=retention)
    assert updated["fileLockConfiguration"]["value"]["defaultRetention"] == retention
    plain = wire.create_bucket("plain-bucket")
    refused = wire.call("b2_update_bucket", bucketId=plain["bucketId"], defaultRetention=retention)
    assert error_of(refused) == (400, "bucket_missing_file_lock")
    assert refused.json()["message"] == "The bucket is not file lock enabled"
    sse_c = wire.call(
        "b2_update_bucket",
        bucketId=plain["bucketId"],
        defaultServerSideEncryption={"mode": "SSE-C", "algorithm": "AES256"},
    )
    assert error_of(sse_c) == (400, "bad_request")
