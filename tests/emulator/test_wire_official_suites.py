"""Answers that Backblaze's own integration suites (run against production B2) check on the wire."""

from __future__ import annotations

from typing import Any

from tests.emulator.conftest import Wire, sse_c_headers

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


def test_sse_c_files_in_a_replication_source_get_no_replication_status(wire: Wire) -> None:
    """B2 does not replicate SSE-C files and marks them with no status (the b2 CLI suite's
    test_replication_monitoring, run against production, expects none); others are pending."""
    destination = wire.create_bucket("replica-bucket")
    source = wire.create_bucket("source-bucket")
    key = wire.ok(
        "b2_create_key",
        accountId=wire.server.account_id,
        keyName="source-key",
        capabilities=["readFiles", "writeFiles", "listBuckets"],
    )["applicationKeyId"]
    rule = {
        "destinationBucketId": destination["bucketId"],
        "fileNamePrefix": "",
        "includeExistingFiles": False,
        "isEnabled": True,
        "priority": 1,
        "replicationRuleName": "all",
    }
    wire.ok(
        "b2_update_bucket",
        bucketId=destination["bucketId"],
        replicationConfiguration={
            "asReplicationDestination": {"sourceToDestinationKeyMapping": {key: key}}
        },
    )
    wire.ok(
        "b2_update_bucket",
        bucketId=source["bucketId"],
        replicationConfiguration={
            "asReplicationSource": {"replicationRules": [rule], "sourceApplicationKeyId": key}
        },
    )
    secret = bytes(range(32))
    sse_c = sse_c_headers(secret)
    encrypted = wire.upload_ok(source["bucketId"], "secret.txt", b"customer key", headers=sse_c)
    assert "replicationStatus" not in encrypted
    wire.server.set_faults(replication_delay=60)  # keep the plain one pending while we look
    plain = wire.upload_ok(source["bucketId"], "plain.txt", b"anyone")
    assert plain["replicationStatus"] == "pending"
    listed = wire.ok("b2_list_file_versions", bucketId=source["bucketId"])["files"]
    statuses = {f["fileName"]: f.get("replicationStatus") for f in listed}
    assert statuses == {"plain.txt": "pending", "secret.txt": None}
