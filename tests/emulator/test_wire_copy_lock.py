"""Copies (file and part) and Object Lock (retention, legal hold) over the wire."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import pytest
import requests

from django_b2.emulator import EmulatorServer
from tests.emulator.conftest import Wire, error_of

DATA = b"0123456789" * 100


@pytest.fixture
def source(wire: Wire) -> dict[str, Any]:
    bucket = wire.create_bucket()
    return wire.upload_ok(
        bucket["bucketId"], "src.txt", DATA, headers={"X-Bz-Info-Origin": "upload"}
    )


def fetch(wire: Wire, file_id: str) -> bytes:
    response = wire.session.get(
        f"{wire.server.url}/b2api/v3/b2_download_file_by_id",
        params={"fileId": file_id},
        headers={"Authorization": wire.token},
    )
    assert response.status_code == 200, response.text
    return response.content


def test_copy_keeps_metadata(wire: Wire, source: dict[str, Any]) -> None:
    copied = wire.ok("b2_copy_file", sourceFileId=source["fileId"], fileName="copy.txt")
    assert copied["action"] == "copy"
    assert copied["fileId"] != source["fileId"]
    assert copied["contentType"] == "text/plain"
    assert copied["fileInfo"] == {"origin": "upload"}
    assert copied["contentSha1"] == source["contentSha1"]
    assert fetch(wire, copied["fileId"]) == DATA
    listed = wire.ok("b2_list_file_names", bucketId=source["bucketId"])["files"]
    assert [f["action"] for f in listed] == ["upload", "upload"]
    # the copy survives the source
    wire.ok("b2_delete_file_version", fileName="src.txt", fileId=source["fileId"])
    assert fetch(wire, copied["fileId"]) == DATA


def test_copy_replace_and_range(wire: Wire, source: dict[str, Any]) -> None:
    copied = wire.ok(
        "b2_copy_file",
        sourceFileId=source["fileId"],
        fileName="part.csv",
        range="bytes=10-19",
        metadataDirective="REPLACE",
        contentType="text/csv",
        fileInfo={"new": "yes"},
    )
    assert copied["contentLength"] == 10
    assert copied["contentType"] == "text/csv"
    assert copied["fileInfo"] == {"new": "yes"}
    assert copied["contentSha1"] == hashlib.sha1(DATA[10:20]).hexdigest()
    assert fetch(wire, copied["fileId"]) == DATA[10:20]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"metadataDirective": "COPY", "contentType": "text/csv"}, 400, "bad_request"),
        ({"metadataDirective": "REPLACE"}, 400, "bad_request"),
        ({"metadataDirective": "MOVE"}, 400, "bad_request"),
        ({"range": "bytes=5000-6000"}, 416, "range_not_satisfiable"),
        ({"range": "10-20"}, 400, "bad_request"),
        ({"destinationBucketId": "0" * 24}, 400, "bad_bucket_id"),
        ({"fileName": ""}, 400, "bad_request"),
    ],
)
def test_copy_errors(
    wire: Wire, source: dict[str, Any], params: dict[str, Any], status: int, code: str
) -> None:
    body = {"sourceFileId": source["fileId"], "fileName": "dest", **params}
    assert error_of(wire.call("b2_copy_file", **body)) == (status, code)


def test_copy_to_another_bucket(wire: Wire, source: dict[str, Any]) -> None:
    other = wire.create_bucket("other-bucket")
    copied = wire.ok(
        "b2_copy_file",
        sourceFileId=source["fileId"],
        fileName="moved",
        destinationBucketId=other["bucketId"],
    )
    assert copied["bucketId"] == other["bucketId"]
    assert fetch(wire, copied["fileId"]) == DATA


def test_copy_source_too_large() -> None:
    with EmulatorServer(absolute_minimum_part_size=100, max_simple_file_size=500) as server:
        wire = Wire(server, requests.Session())
        wire.authorize()
        bucket = wire.create_bucket()
        source = wire.upload_ok(bucket["bucketId"], "s", b"x" * 400)
        started = wire.ok(
            "b2_start_large_file", bucketId=bucket["bucketId"], fileName="l", contentType="a/b"
        )
        for number in (1, 2):
            wire.ok(
                "b2_copy_part",
                sourceFileId=source["fileId"],
                largeFileId=started["fileId"],
                partNumber=number,
            )
        sha = hashlib.sha1(b"x" * 400).hexdigest()
        large = wire.ok("b2_finish_large_file", fileId=started["fileId"], partSha1Array=[sha, sha])
        assert large["contentLength"] == 800
        response = wire.call("b2_copy_file", sourceFileId=large["fileId"], fileName="c")
        assert error_of(response) == (400, "source_too_large")
        ranged = wire.ok(
            "b2_copy_file", sourceFileId=large["fileId"], fileName="c", range="bytes=300-599"
        )
        assert fetch(wire, ranged["fileId"]) == b"x" * 300
        too_big = wire.upload(bucket["bucketId"], "big", b"y" * 501)
        assert error_of(too_big) == (400, "bad_request")


def test_copy_part(wire: Wire, source: dict[str, Any]) -> None:
    started = wire.ok(
        "b2_start_large_file", bucketId=source["bucketId"], fileName="joined", contentType="a/b"
    )
    first = wire.ok(
        "b2_copy_part", sourceFileId=source["fileId"], largeFileId=started["fileId"], partNumber=1
    )
    assert first["contentLength"] == 1000 and first["partNumber"] == 1
    second = wire.ok(
        "b2_copy_part",
        sourceFileId=source["fileId"],
        largeFileId=started["fileId"],
        partNumber=2,
        range="bytes=0-4",
    )
    assert second["contentSha1"] == hashlib.sha1(DATA[:5]).hexdigest()
    done = wire.ok(
        "b2_finish_large_file",
        fileId=started["fileId"],
        partSha1Array=[first["contentSha1"], second["contentSha1"]],
    )
    assert fetch(wire, done["fileId"]) == DATA + DATA[:5]
    bad = wire.call("b2_copy_part", sourceFileId=source["fileId"], largeFileId="nope", partNumber=1)
    assert error_of(bad) == (400, "bad_request")
    missing = wire.call(
        "b2_copy_part", sourceFileId="nope", largeFileId=started["fileId"], partNumber=1
    )
    assert error_of(missing) == (400, "bad_request")


def _future(seconds: int = 3600) -> int:
    return int(time.time() * 1000) + seconds * 1000


def test_lock_calls_need_a_lock_enabled_bucket(wire: Wire, source: dict[str, Any]) -> None:
    retention = wire.call(
        "b2_update_file_retention",
        fileName="src.txt",
        fileId=source["fileId"],
        fileRetention={"mode": "governance", "retainUntilTimestamp": _future()},
    )
    assert error_of(retention) == (400, "bucket_missing_file_lock")
    hold = wire.call(
        "b2_update_file_legal_hold", fileName="src.txt", fileId=source["fileId"], legalHold="on"
    )
    assert error_of(hold) == (400, "bucket_missing_file_lock")


def test_legal_hold_blocks_delete(wire: Wire) -> None:
    bucket = wire.create_bucket("lock-bucket", fileLockEnabled=True)
    stored = wire.upload_ok(
        bucket["bucketId"], "held", b"x", headers={"X-Bz-File-Legal-Hold": "on"}
    )
    assert stored["legalHold"]["value"] == "on"
    blocked = wire.call("b2_delete_file_version", fileName="held", fileId=stored["fileId"])
    assert error_of(blocked) == (401, "access_denied")
    released = wire.ok(
        "b2_update_file_legal_hold", fileName="held", fileId=stored["fileId"], legalHold="off"
    )
    assert released == {"fileId": stored["fileId"], "fileName": "held", "legalHold": "off"}
    bad = wire.call(
        "b2_update_file_legal_hold", fileName="held", fileId=stored["fileId"], legalHold="maybe"
    )
    assert error_of(bad) == (400, "bad_request")
    wire.ok("b2_delete_file_version", fileName="held", fileId=stored["fileId"])


def test_governance_retention(wire: Wire) -> None:
    bucket = wire.create_bucket("lock-bucket", fileLockEnabled=True)
    until = _future()
    stored = wire.upload_ok(
        bucket["bucketId"],
        "gov",
        b"x",
        headers={
            "X-Bz-File-Retention-Mode": "governance",
            "X-Bz-File-Retention-Retain-Until-Timestamp": str(until),
        },
    )
    assert stored["fileRetention"]["value"] == {"mode": "governance", "retainUntilTimestamp": until}
    head = wire.session.head(
        f"{wire.server.url}/file/lock-bucket/gov", headers={"Authorization": wire.token}
    )
    assert head.headers["X-Bz-File-Retention-Mode"] == "governance"
    assert head.headers["X-Bz-File-Retention-Retain-Until-Timestamp"] == str(until)
    blocked = wire.call("b2_delete_file_version", fileName="gov", fileId=stored["fileId"])
    assert error_of(blocked) == (401, "access_denied")
    shorten = wire.call(
        "b2_update_file_retention",
        fileName="gov",
        fileId=stored["fileId"],
        fileRetention={"mode": "governance", "retainUntilTimestamp": until - 1000},
    )
    assert error_of(shorten) == (403, "access_denied")
    extended = wire.ok(
        "b2_update_file_retention",
        fileName="gov",
        fileId=stored["fileId"],
        fileRetention={"mode": "governance", "retainUntilTimestamp": until + 1000},
    )
    assert extended["fileRetention"] == {"mode": "governance", "retainUntilTimestamp": until + 1000}
    wire.ok(
        "b2_delete_file_version", fileName="gov", fileId=stored["fileId"], bypassGovernance=True
    )


def test_compliance_retention_and_clock(wire: Wire) -> None:
    bucket = wire.create_bucket("lock-bucket", fileLockEnabled=True)
    stored = wire.upload_ok(bucket["bucketId"], "comp", b"x")
    until = _future(60)
    wire.ok(
        "b2_update_file_retention",
        fileName="comp",
        fileId=stored["fileId"],
        fileRetention={"mode": "compliance", "retainUntilTimestamp": until},
    )
    bypass = wire.call(
        "b2_delete_file_version", fileName="comp", fileId=stored["fileId"], bypassGovernance=True
    )
    assert error_of(bypass) == (401, "access_denied")
    remove = wire.call(
        "b2_update_file_retention",
        fileName="comp",
        fileId=stored["fileId"],
        fileRetention={"mode": None},
        bypassGovernance=True,
    )
    assert error_of(remove) == (403, "access_denied")
    wire.server.advance_clock(120)
    wire.authorize()
    wire.ok("b2_delete_file_version", fileName="comp", fileId=stored["fileId"])


def test_bucket_default_retention_applies(wire: Wire) -> None:
    bucket = wire.create_bucket("lock-bucket", fileLockEnabled=True)
    wire.ok(
        "b2_update_bucket",
        bucketId=bucket["bucketId"],
        defaultRetention={"mode": "governance", "period": {"duration": 1, "unit": "days"}},
    )
    stored = wire.upload_ok(bucket["bucketId"], "auto", b"x")
    value = stored["fileRetention"]["value"]
    assert value["mode"] == "governance"
    assert value["retainUntilTimestamp"] > _future(86_000)


def test_retention_is_masked_without_read_capability(wire: Wire) -> None:
    bucket = wire.create_bucket("lock-bucket", fileLockEnabled=True)
    key = wire.ok(
        "b2_create_key",
        accountId=wire.server.account_id,
        keyName="writer",
        capabilities=["writeFiles", "readFiles"],
    )
    writer = Wire(wire.server, requests.Session())
    writer.authorize(key["applicationKeyId"], key["applicationKey"])
    stored = writer.upload_ok(bucket["bucketId"], "masked", b"x")
    assert stored["fileRetention"] == {"isClientAuthorizedToRead": False, "value": None}
    assert stored["legalHold"] == {"isClientAuthorizedToRead": False, "value": None}
    head = writer.session.head(
        f"{wire.server.url}/file/lock-bucket/masked", headers={"Authorization": writer.token}
    )
    assert "X-Bz-File-Legal-Hold" in head.headers["X-Bz-Client-Unauthorized-To-Read"]
    denied = writer.upload(bucket["bucketId"], "held", b"x", headers={"X-Bz-File-Legal-Hold": "on"})
    assert error_of(denied) == (401, "unauthorized")
