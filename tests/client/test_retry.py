"""Retries against the emulator's fault knobs: 503 storms, 429 + Retry-After, failing uploads."""

from __future__ import annotations

import io
from typing import Any

import pytest

from django_b2.client import (
    B2Client,
    B2ConnectionError,
    B2ServiceError,
    B2TooManyRequests,
    Bucket,
    RetryPolicy,
)
from django_b2.emulator import EmulatorServer

from .conftest import SleepRecorder, make_client


def calls(srv: EmulatorServer, endpoint: str) -> int:
    by_endpoint: dict[str, int] = srv.counters()["by_endpoint"]
    return by_endpoint.get(endpoint, 0)


def test_503_storm_exhausts_attempts_and_reraises(
    client: B2Client, b2_emulator: EmulatorServer, sleeps: SleepRecorder
) -> None:
    client.authorize()
    b2_emulator.set_faults(api_503_rate=1.0, retry_after=2)
    b2_emulator.reset_counters()
    with pytest.raises(B2ServiceError) as info:
        client.list_buckets()
    assert info.value.status == 503
    assert info.value.retry_after == 2
    assert calls(b2_emulator, "b2_list_buckets") == 5
    assert sleeps.waits == [2, 2, 2, 2]  # Retry-After honoured each time


def test_partial_503_storm_is_ridden_out(
    client: B2Client, b2_emulator: EmulatorServer, sleeps: SleepRecorder
) -> None:
    bucket = client.create_bucket("storm-bucket", "allPrivate")
    b2_emulator.set_faults(api_503_rate=0.3, seed=0, retry_after=1)
    b2_emulator.reset_counters()
    for _ in range(20):
        assert client.get_bucket(bucket_id=bucket["bucketId"])["bucketName"] == "storm-bucket"
    failures = calls(b2_emulator, "b2_list_buckets") - 20
    assert failures > 0
    assert len(sleeps.waits) == failures


def test_429_waits_retry_after(
    client: B2Client, b2_emulator: EmulatorServer, sleeps: SleepRecorder
) -> None:
    client.authorize()
    b2_emulator.set_faults(api_429_rate=1.0, retry_after=7)
    with pytest.raises(B2TooManyRequests) as info:
        client.list_keys()
    assert info.value.retry_after == 7
    assert sleeps.waits == [7, 7, 7, 7]


def test_retry_after_longer_than_policy_allows_ends_the_call(
    b2_emulator: EmulatorServer, sleeps: SleepRecorder
) -> None:
    client = B2Client(
        b2_emulator.application_key_id,
        b2_emulator.application_key,
        api_url=b2_emulator.url,
        retry=RetryPolicy(attempts=3, max_retry_after=1.5, sleep=sleeps),
    )
    client.authorize()
    b2_emulator.set_faults(api_429_rate=1.0, retry_after=600)
    b2_emulator.reset_counters()
    with pytest.raises(B2TooManyRequests) as info:
        client.list_buckets()
    assert info.value.retry_after == 600  # the caller learns when B2 wants to be asked again
    assert sleeps.waits == []
    assert calls(b2_emulator, "b2_list_buckets") == 1


def test_backoff_without_retry_after(
    client: B2Client, b2_emulator: EmulatorServer, sleeps: SleepRecorder
) -> None:
    client.authorize()
    b2_emulator.set_faults(api_503_rate=1.0, retry_after=0)
    with pytest.raises(B2ServiceError):
        client.list_buckets()
    # Retry-After: 0 is honoured as "no wait"; nothing doubles after an explicit Retry-After.
    assert sleeps.waits == [0, 0, 0, 0]


def test_upload_503_gets_a_new_url_each_time(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer, sleeps: SleepRecorder
) -> None:
    b2_emulator.set_faults(upload_503_rate=1.0)
    b2_emulator.reset_counters()
    with pytest.raises(B2ServiceError):
        client.upload_file(bucket["bucketId"], "never.txt", b"data")
    assert calls(b2_emulator, "b2_upload_file") == 5
    assert calls(b2_emulator, "b2_get_upload_url") == 5
    assert len(sleeps.waits) == 4


def test_upload_url_reused_after_success_and_replaced_after_failure(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer
) -> None:
    b2_emulator.set_faults(upload_503_rate=0.3, seed=3)
    b2_emulator.reset_counters()
    for index in range(15):
        payload = f"file {index}".encode() * 50
        version = client.upload_file(bucket["bucketId"], f"f{index}", io.BytesIO(payload))
        assert version["contentLength"] == len(payload)
    failures = calls(b2_emulator, "b2_upload_file") - 15
    assert failures > 0
    # One URL to start with, then exactly one new URL per failed upload: a good URL is reused.
    assert calls(b2_emulator, "b2_get_upload_url") == 1 + failures


def test_upload_part_503_gets_new_part_url(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer
) -> None:
    started = client.start_large_file(bucket["bucketId"], "parts")
    file_id = started["fileId"] or ""
    b2_emulator.set_faults(upload_503_rate=0.5, seed=1)
    b2_emulator.reset_counters()
    sha1s = [client.upload_part(file_id, n, bytes([n]) * 1000)["contentSha1"] for n in (1, 2, 3)]
    failures = calls(b2_emulator, "b2_upload_part") - 3
    assert failures > 0
    assert calls(b2_emulator, "b2_get_upload_part_url") == 1 + failures
    b2_emulator.set_faults()
    assert client.finish_large_file(file_id, sha1s)["contentLength"] == 3000


def test_dropped_upload_connection_is_retried_with_rewound_body(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer
) -> None:
    data = bytes(range(256)) * 40
    b2_emulator.set_faults(drop_connection_rate=0.5, seed=2)
    b2_emulator.reset_counters()
    for index in range(4):
        version = client.upload_file(bucket["bucketId"], f"drop{index}", io.BytesIO(data))
        assert version["contentLength"] == len(data)
    assert calls(b2_emulator, "b2_upload_file") > 4
    b2_emulator.set_faults()
    with client.download_file_by_name(bucket["bucketName"], "drop3") as downloaded:
        assert downloaded.read() == data


def test_all_upload_connections_dropped(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer
) -> None:
    b2_emulator.set_faults(drop_connection_rate=1.0)
    with pytest.raises(B2ConnectionError) as info:
        client.upload_file(bucket["bucketId"], "x", b"y" * 5000)
    assert info.value.__cause__ is not None


class OneShotStream(io.RawIOBase):
    """A readable stream that cannot seek."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._inner.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_unrewindable_stream_is_not_resent(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer, sleeps: SleepRecorder
) -> None:
    b2_emulator.set_faults(upload_503_rate=1.0)
    b2_emulator.reset_counters()
    with pytest.raises(B2ServiceError):
        client.upload_file(
            bucket["bucketId"], "once", OneShotStream(b"z" * 100), content_length=100
        )
    assert calls(b2_emulator, "b2_upload_file") == 1
    assert sleeps.waits == []


def test_unrewindable_stream_uploads_with_trailing_sha1(client: B2Client, bucket: Bucket) -> None:
    data = b"streamed" * 100
    version = client.upload_file(
        bucket["bucketId"], "streamed", OneShotStream(data), content_length=len(data)
    )
    assert version["contentLength"] == len(data)
    import hashlib

    assert version["contentSha1"] == hashlib.sha1(data).hexdigest()


def test_fail_some_uploads_test_mode(b2_emulator: EmulatorServer, sleeps: SleepRecorder) -> None:
    with make_client(b2_emulator, sleeps, test_mode="fail_some_uploads") as client:
        bucket = client.create_bucket("test-mode-bucket", "allPrivate")
        b2_emulator.reset_counters()
        for index in range(6):
            client.upload_file(bucket["bucketId"], f"t{index}", b"t" * 10)
        assert calls(b2_emulator, "b2_upload_file") > 6
        names = [f["fileName"] for f in client.iter_file_names(bucket["bucketId"])]
        assert names == [f"t{i}" for i in range(6)]
