"""Answers that Backblaze's own integration suites (run against production B2) check on the wire."""

from __future__ import annotations

from typing import Any

from tests.emulator.conftest import Wire

NO_REPLICATION = {"isClientAuthorizedToRead": True, "value": None}


def test_a_bucket_without_replication_answers_value_null(wire: Wire) -> None:
    created = wire.create_bucket("plain-bucket")
    assert created["replicationConfiguration"] == NO_REPLICATION
    listed = wire.ok("b2_list_buckets", accountId=wire.server.account_id, bucketName="plain-bucket")
    assert listed["buckets"][0]["replicationConfiguration"] == NO_REPLICATION


def test_clearing_both_roles_answers_value_null(wire: Wire) -> None:
    """b2sdk clears replication by sending both roles as null; b2sdk's test_raw_api expects null."""
    bucket = wire.create_bucket("replica-bucket")
    key = wire.ok(
        "b2_create_key",
        accountId=wire.server.account_id,
        keyName="source-key",
        capabilities=["readFiles", "listBuckets"],
    )["applicationKeyId"]
    mapping: dict[str, Any] = {"sourceToDestinationKeyMapping": {key: key}}
    configured = wire.ok(
        "b2_update_bucket",
        bucketId=bucket["bucketId"],
        replicationConfiguration={"asReplicationDestination": mapping},
    )
    assert configured["replicationConfiguration"]["value"] == {
        "asReplicationSource": None,
        "asReplicationDestination": mapping,
    }
    cleared = wire.ok(
        "b2_update_bucket",
        bucketId=bucket["bucketId"],
        replicationConfiguration={"asReplicationSource": None, "asReplicationDestination": None},
    )
    assert cleared["replicationConfiguration"] == NO_REPLICATION
    listed = wire.ok(
        "b2_list_buckets", accountId=wire.server.account_id, bucketId=bucket["bucketId"]
    )
    assert listed["buckets"][0]["replicationConfiguration"] == NO_REPLICATION
