"""Replication between buckets of one emulator: rules stored and echoed, uploads copied."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from django_b2.emulator import EmulatorServer
from tests.emulator.conftest import Wire, error_of


def wait_for_status(wire: Wire, bucket_id: str, name: str, wanted: str) -> dict[str, Any]:
    """The newest version of ``name`` once its replicationStatus is ``wanted`` (5 s at most)."""
    deadline = time.monotonic() + 5
    while True:
        files = wire.ok("b2_list_file_versions", bucketId=bucket_id, prefix=name)["files"]
        if files and files[0].get("replicationStatus") == wanted:
            return dict(files[0])
        assert time.monotonic() < deadline, f"{name} is {files[0].get('replicationStatus')}"
        time.sleep(0.02)


def make_key(wire: Wire, name: str, capabilities: list[str], bucket_id: str) -> str:
    created = wire.ok(
        "b2_create_key",
        accountId=wire.server.account_id,
        keyName=name,
        capabilities=capabilities,
        bucketIds=[bucket_id],
    )
    return str(created["applicationKeyId"])


@pytest.fixture
def pair(wire: Wire) -> dict[str, Any]:
    destination = wire.create_bucket("replica-bucket")
    source = wire.create_bucket("source-bucket")
    reader = make_key(wire, "source-key", ["readFiles", "listBuckets"], source["bucketId"])
    writer = make_key(wire, "dest-key", ["writeFiles", "listBuckets"], destination["bucketId"])
    as_destination = {"sourceToDestinationKeyMapping": {reader: writer}}
    as_source = {
        "replicationRules": [
            {
                "destinationBucketId": destination["bucketId"],
                "fileNamePrefix": "docs/",
                "includeExistingFiles": False,
                "isEnabled": True,
                "priority": 1,
                "replicationRuleName": "docs-to-replica",
            }
        ],
        "sourceApplicationKeyId": reader,
    }
    updated_destination = wire.ok(
        "b2_update_bucket",
        bucketId=destination["bucketId"],
        replicationConfiguration={"asReplicationDestination": as_destination},
    )
    updated_source = wire.ok(
        "b2_update_bucket",
        bucketId=source["bucketId"],
        replicationConfiguration={"asReplicationSource": as_source},
    )
    return {
        "source": updated_source,
        "destination": updated_destination,
        "as_source": as_source,
        "as_destination": as_destination,
        "reader": reader,
        "writer": writer,
    }


def test_rules_are_stored_and_echoed(wire: Wire, pair: dict[str, Any]) -> None:
    assert pair["source"]["replicationConfiguration"] == {
        "isClientAuthorizedToRead": True,
        "value": {"asReplicationSource": pair["as_source"], "asReplicationDestination": None},
    }
    assert pair["destination"]["replicationConfiguration"]["value"] == {
        "asReplicationSource": None,
        "asReplicationDestination": pair["as_destination"],
    }
    listed = wire.ok(
        "b2_list_buckets", accountId=wire.server.account_id, bucketName="source-bucket"
    )
    assert (
        listed["buckets"][0]["replicationConfiguration"]
        == pair["source"]["replicationConfiguration"]
    )
    # {} removes both roles; a bucket with neither answers value null, as B2 does
    cleared = wire.ok(
        "b2_update_bucket", bucketId=pair["source"]["bucketId"], replicationConfiguration={}
    )
    assert cleared["replicationConfiguration"] == {"isClientAuthorizedToRead": True, "value": None}


def test_a_source_bucket_cannot_turn_on_file_lock(wire: Wire, pair: dict[str, Any]) -> None:
    refused = wire.call(
        "b2_update_bucket", bucketId=pair["source"]["bucketId"], fileLockEnabled=True
    )
    assert error_of(refused) == (400, "source_replication_conflict")


def test_bad_rules_are_refused(wire: Wire, pair: dict[str, Any]) -> None:
    rule = dict(pair["as_source"]["replicationRules"][0])
    for broken in ({**rule, "priority": 0}, {**rule, "replicationRuleName": "bad name!"}):
        refused = wire.call(
            "b2_update_bucket",
            bucketId=pair["source"]["bucketId"],
            replicationConfiguration={
                "asReplicationSource": {**pair["as_source"], "replicationRules": [broken]}
            },
        )
        assert error_of(refused) == (400, "bad_request")
    lister = Wire(wire.server, wire.session)
    created = wire.ok(
        "b2_create_key",
        accountId=wire.server.account_id,
        keyName="no-replication",
        capabilities=["listBuckets", "writeBuckets"],
    )
    lister.authorize(created["applicationKeyId"], created["applicationKey"])
    denied = lister.call(
        "b2_update_bucket",
        bucketId=pair["source"]["bucketId"],
        replicationConfiguration={},
    )
    assert error_of(denied) == (401, "unauthorized")


def test_uploads_matching_a_rule_are_replicated(wire: Wire, pair: dict[str, Any]) -> None:
    source_id = pair["source"]["bucketId"]
    destination_id = pair["destination"]["bucketId"]
    stored = wire.upload_ok(source_id, "docs/a.txt", b"replicate me")
    assert stored["replicationStatus"] == "pending"
    done = wait_for_status(wire, source_id, "docs/a.txt", "completed")
    assert done["fileId"] == stored["fileId"]
    replica = wait_for_status(wire, destination_id, "docs/a.txt", "replica")
    assert replica["contentSha1"] == stored["contentSha1"]
    assert replica["fileId"] != stored["fileId"]
    got = wire.session.get(
        f"{wire.server.url}/file/replica-bucket/docs/a.txt", headers={"Authorization": wire.token}
    )
    assert got.content == b"replicate me"
    assert got.headers["X-Bz-Replication-Status"] == "replica"
    # a name outside the rule's prefix is not replicated
    other = wire.upload_ok(source_id, "other.txt", b"stay")
    assert "replicationStatus" not in other
    names = [f["fileName"] for f in wire.ok("b2_list_file_names", bucketId=destination_id)["files"]]
    assert names == ["docs/a.txt"]


def test_a_copy_that_cannot_be_made_is_failed(wire: Wire, pair: dict[str, Any]) -> None:
    wire.ok("b2_delete_key", applicationKeyId=pair["writer"])  # the destination's key is gone
    stored = wire.upload_ok(pair["source"]["bucketId"], "docs/b.txt", b"lost")
    assert stored["replicationStatus"] == "pending"
    wait_for_status(wire, pair["source"]["bucketId"], "docs/b.txt", "failed")
    listed = wire.ok("b2_list_file_names", bucketId=pair["destination"]["bucketId"])
    assert listed["files"] == []


def test_b2sdk_replication_api() -> None:
    from b2sdk.v2 import B2Api, InMemoryAccountInfo, ReplicationSetupHelper, ReplicationStatus

    with EmulatorServer() as server:
        api = B2Api(InMemoryAccountInfo())
        api.authorize_account(server.url, server.application_key_id, server.application_key)
        source = api.create_bucket("sdk-source", "allPrivate")
        destination = api.create_bucket("sdk-destination", "allPrivate")
        source, destination = ReplicationSetupHelper().setup_both(
            source, destination, name="sdk-rule", prefix="logs/"
        )
        assert source.replication is not None and destination.replication is not None
        rule = source.replication.rules[0]
        assert (rule.name, rule.file_name_prefix) == ("sdk-rule", "logs/")
        assert rule.destination_bucket_id == destination.id_
        fetched = api.get_bucket_by_name("sdk-source")
        assert fetched.replication == source.replication
        version = source.upload_bytes(b"log line", "logs/1.txt")
        assert version.replication_status == ReplicationStatus.PENDING
        deadline = time.monotonic() + 5
        while source.get_file_info_by_id(version.id_).replication_status != (
            ReplicationStatus.COMPLETED
        ):
            assert time.monotonic() < deadline, "replication did not complete"
            time.sleep(0.02)
        copies = [v for v, _ in destination.ls("logs")]
        assert [c.file_name for c in copies] == ["logs/1.txt"]
        assert copies[0].replication_status == ReplicationStatus.REPLICA
        assert requests.get(f"{server.url}/file/sdk-destination/logs/1.txt").status_code == 401


def test_replication_delay_keeps_versions_pending(wire: Wire, pair: dict[str, Any]) -> None:
    """The ``replication_delay`` knob: B2 replicates after a while; tests can see ``pending``."""
    wire.server.set_faults(replication_delay=0.8)
    source_id = pair["source"]["bucketId"]
    destination_id = pair["destination"]["bucketId"]
    started = time.monotonic()
    stored = wire.upload_ok(source_id, "docs/slow.txt", b"later")
    time.sleep(0.2)
    listed = wire.ok("b2_list_file_versions", bucketId=source_id, prefix="docs/slow.txt")
    assert listed["files"][0]["replicationStatus"] == "pending"
    assert wire.ok("b2_list_file_names", bucketId=destination_id)["files"] == []
    done = wait_for_status(wire, source_id, "docs/slow.txt", "completed")
    assert done["fileId"] == stored["fileId"]
    assert time.monotonic() - started >= 0.8
    wait_for_status(wire, destination_id, "docs/slow.txt", "replica")


def test_replication_delay_is_bounded(wire: Wire) -> None:
    for bad in (-1, 3601, "soon"):
        refused = wire.session.post(
            f"{wire.server.url}/_emulator/faults",
            json={"replication_delay": bad},
            headers=wire.server.admin_headers,
        )
        assert refused.status_code == 400, bad
        assert "replication_delay" in refused.text
    accepted = wire.session.post(
        f"{wire.server.url}/_emulator/faults",
        json={"replication_delay": 3600},
        headers=wire.server.admin_headers,
    )
    assert accepted.status_code == 200, accepted.text
