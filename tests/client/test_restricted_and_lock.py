"""Restricted application keys; Object Lock (retention, legal hold) on a lock-enabled bucket."""

from __future__ import annotations

import time

import pytest

from django_b2.client import (
    B2BadRequest,
    B2Client,
    B2Forbidden,
    B2Unauthorized,
    B2ValidationError,
    Bucket,
)
from django_b2.emulator import EmulatorServer

from .conftest import SleepRecorder


def test_restricted_key(
    client: B2Client, b2_emulator: EmulatorServer, sleeps: SleepRecorder, bucket: Bucket
) -> None:
    client.create_bucket("another-bucket", "allPrivate")
    key = client.create_key(
        "restricted-1",
        ["listBuckets", "listFiles", "readFiles", "writeFiles", "deleteFiles", "shareFiles"],
        bucket_id=bucket["bucketId"],
        name_prefix="team/",
    )
    limited = B2Client(
        key["applicationKeyId"], key["applicationKey"], api_url=b2_emulator.url, retry=client.retry
    )
    auth = limited.authorization
    assert auth.bucket_id == bucket["bucketId"]
    assert auth.bucket_name == bucket["bucketName"]
    assert auth.name_prefix == "team/"
    assert "writeKeys" not in auth.capabilities

    # list_buckets with no filter names the allowed bucket by itself.
    assert [b["bucketName"] for b in limited.list_buckets()["buckets"]] == [bucket["bucketName"]]
    assert limited.get_bucket(bucket_name=bucket["bucketName"])["bucketId"] == bucket["bucketId"]
    with pytest.raises(B2Unauthorized):
        limited.list_buckets(bucket_name="another-bucket")

    version = limited.upload_file(bucket["bucketId"], "team/doc.txt", b"inside")
    assert version["fileName"] == "team/doc.txt"
    b2_emulator.reset_counters()
    with pytest.raises(B2Unauthorized):
        limited.upload_file(bucket["bucketId"], "other/doc.txt", b"outside")
    # A permission 401 on an upload gets one fresh URL, then gives up (no retry loop).
    assert b2_emulator.counters()["by_endpoint"].get("b2_upload_file", 0) <= 2
    assert b2_emulator.counters()["by_endpoint"].get("b2_authorize_account", 0) == 0

    listed = [f["fileName"] for f in limited.iter_file_names(bucket["bucketId"], prefix="team/")]
    assert listed == ["team/doc.txt"]
    with pytest.raises(B2Unauthorized):
        limited.list_file_names(bucket["bucketId"])
    with limited.download_file_by_name(bucket["bucketName"], "team/doc.txt") as downloaded:
        assert downloaded.read() == b"inside"
    with pytest.raises(B2Unauthorized):
        limited.list_keys()
    with pytest.raises(B2ValidationError):  # refused locally: restricted keys can't hold writeKeys
        limited.create_key("sub", ["writeKeys"], bucket_id=bucket["bucketId"])
    assert set(sleeps.waits) <= {0}  # the fresh URL after a 401 is fetched without backoff


def test_key_without_capability_is_unauthorized(
    client: B2Client, b2_emulator: EmulatorServer, bucket: Bucket
) -> None:
    key = client.create_key("list-only", ["listBuckets", "listFiles"])
    reader = B2Client(
        key["applicationKeyId"], key["applicationKey"], api_url=b2_emulator.url, retry=client.retry
    )
    assert reader.list_file_names(bucket["bucketId"])["files"] == []
    with pytest.raises(B2Unauthorized) as info:
        reader.get_upload_url(bucket["bucketId"])
    assert info.value.code == "unauthorized"


def test_deleted_key_cannot_authorize(
    client: B2Client, b2_emulator: EmulatorServer, sleeps: SleepRecorder
) -> None:
    key = client.create_key("short-lived", ["listBuckets"])
    client.delete_key(key["applicationKeyId"])
    gone = B2Client(
        key["applicationKeyId"], key["applicationKey"], api_url=b2_emulator.url, retry=client.retry
    )
    with pytest.raises(B2Unauthorized):
        gone.list_buckets()
    assert sleeps.waits == []


# --- Object Lock ---------------------------------------------------------------------------------


def future_ms(days: int = 1) -> int:
    return int(time.time() * 1000) + days * 86_400_000


def test_retention_and_legal_hold(client: B2Client) -> None:
    locked = client.create_bucket("locked-bucket", "allPrivate", file_lock_enabled=True)
    assert locked["fileLockConfiguration"]["value"]["isFileLockEnabled"] is True
    bid = locked["bucketId"]
    until = future_ms()
    version = client.upload_file(
        bid,
        "kept.txt",
        b"keep me",
        file_retention={"mode": "governance", "retainUntilTimestamp": until},
        legal_hold="on",
    )
    file_id = version["fileId"] or ""
    assert version["fileRetention"]["value"] == {
        "mode": "governance",
        "retainUntilTimestamp": until,
    }
    assert version["legalHold"]["value"] == "on"

    with pytest.raises(B2Forbidden):
        client.delete_file_version("kept.txt", file_id)
    released = client.update_file_legal_hold("kept.txt", file_id, "off")
    assert released["legalHold"] == "off"
    with pytest.raises(B2Forbidden):  # governance retention still holds it
        client.delete_file_version("kept.txt", file_id)

    later = future_ms(2)
    extended = client.update_file_retention(
        "kept.txt", file_id, {"mode": "governance", "retainUntilTimestamp": later}
    )
    assert extended["fileRetention"]["retainUntilTimestamp"] == later
    assert client.get_file_info(file_id)["fileRetention"]["value"]["retainUntilTimestamp"] == later
    client.delete_file_version("kept.txt", file_id, bypass_governance=True)
    assert client.list_file_versions(bid)["files"] == []


def test_compliance_cannot_be_bypassed(client: B2Client) -> None:
    locked = client.create_bucket("compliance-bucket", "allPrivate", file_lock_enabled=True)
    version = client.upload_file(
        locked["bucketId"],
        "c.txt",
        b"c",
        file_retention={"mode": "compliance", "retainUntilTimestamp": future_ms()},
    )
    with pytest.raises(B2Forbidden):
        client.delete_file_version("c.txt", version["fileId"] or "", bypass_governance=True)


def test_bucket_default_retention_and_copy_with_hold(client: B2Client) -> None:
    locked = client.create_bucket("default-ret-bucket", "allPrivate", file_lock_enabled=True)
    updated = client.update_bucket(
        locked["bucketId"],
        default_retention={"mode": "governance", "period": {"duration": 1, "unit": "days"}},
    )
    value = updated["fileLockConfiguration"]["value"]
    assert value["defaultRetention"]["mode"] == "governance"
    source = client.upload_file(locked["bucketId"], "s.txt", b"s")
    assert source["fileRetention"]["value"]["mode"] == "governance"
    copied = client.copy_file(source["fileId"] or "", "held.txt", legal_hold="on")
    assert copied["legalHold"]["value"] == "on"


def test_lock_calls_on_plain_bucket_fail(client: B2Client, bucket: Bucket) -> None:
    version = client.upload_file(bucket["bucketId"], "plain.txt", b"p")
    with pytest.raises(B2BadRequest) as info:
        client.update_file_legal_hold("plain.txt", version["fileId"] or "", "on")
    assert info.value.code == "bucket_missing_file_lock"
