"""Uploads and downloads under the emulator's injected faults.

503 storms, dropped connections, tokens expiring in the middle of a transfer: every transfer must
still produce exactly the right bytes, with retries visible in the emulator's counters.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from django_b2.client import B2Client, RetryPolicy
from tests.client.conftest import no_sleep
from tests.helpers import endpoint_calls, fetch, pattern

PART = 1000
THRESHOLD = 3000


def _large(client: B2Client, bucket: dict[str, Any], name: str, data: Any, **kw: Any) -> Any:
    options: dict[str, Any] = {"large_file_threshold": THRESHOLD, "part_size": PART}
    options.update(kw)
    return client.upload(bucket["bucketId"], name, data, **options)


def test_503_storm_on_uploads_and_parts(
    client: B2Client, bucket: dict[str, Any], b2_emulator: Any
) -> None:
    b2_emulator.set_faults(seed=7, upload_503_rate=0.35)
    small = pattern(1500, seed=1)
    large = pattern(12_000, seed=2)
    client.upload(bucket["bucketId"], "storm-small.bin", small)
    progress: list[int] = []
    _large(
        client,
        bucket,
        "storm-large.bin",
        large,
        max_workers=3,
        progress=lambda done, total: progress.append(done),
    )
    counters = b2_emulator.counters()["by_endpoint"]
    assert counters["b2_upload_part"] > 12  # some parts needed a second (or third) URL
    assert counters["b2_get_upload_part_url"] > 3  # a fresh URL after each 503
    assert progress == sorted(progress) and progress[-1] == len(large)
    b2_emulator.set_faults(upload_503_rate=0.0)
    assert fetch(client, bucket, "storm-small.bin") == small
    assert fetch(client, bucket, "storm-large.bin") == large


def test_api_503_and_429_during_a_large_upload(
    client: B2Client, bucket: dict[str, Any], b2_emulator: Any
) -> None:
    b2_emulator.set_faults(seed=3, api_503_rate=0.25, api_429_rate=0.15, retry_after=0)
    data = pattern(6000, seed=3)
    _large(client, bucket, "api-storm.bin", data, max_workers=2)
    b2_emulator.set_faults(api_503_rate=0.0, api_429_rate=0.0)
    assert fetch(client, bucket, "api-storm.bin") == data


def test_connection_dropped_mid_upload(
    client: B2Client, bucket: dict[str, Any], b2_emulator: Any
) -> None:
    small = pattern(2500, seed=4)
    large = pattern(9000, seed=5)
    b2_emulator.set_faults(seed=11, drop_connection_rate=0.3)
    client.upload(bucket["bucketId"], "drop-small.bin", small)
    _large(client, bucket, "drop-large.bin", large, max_workers=2)
    uploads = endpoint_calls(b2_emulator, "b2_upload_part") + endpoint_calls(
        b2_emulator, "b2_upload_file"
    )
    assert uploads > 1 + 9  # at least one body was cut off and sent again
    b2_emulator.set_faults(drop_connection_rate=0.0)
    assert fetch(client, bucket, "drop-small.bin") == small
    assert fetch(client, bucket, "drop-large.bin") == large


def test_token_expiry_in_the_middle_of_a_multipart_upload(
    client: B2Client, bucket: dict[str, Any], b2_emulator: Any
) -> None:
    data = pattern(10_000, seed=6)
    b2_emulator.reset_counters()
    b2_emulator.set_faults(expire_tokens_after_calls=4)
    result = _large(client, bucket, "expiring.bin", data, max_workers=2)
    assert result["contentLength"] == len(data)
    assert endpoint_calls(b2_emulator, "b2_authorize_account") >= 1  # re-authorized mid-upload
    b2_emulator.set_faults(expire_tokens_after_calls=None)
    assert fetch(client, bucket, "expiring.bin") == data


def test_broken_download_stream_is_resumed(
    client: B2Client, bucket: dict[str, Any], b2_emulator: Any
) -> None:
    data = pattern(300_000, seed=7)
    client.upload(bucket["bucketId"], "flaky.bin", data)
    b2_emulator.set_faults(seed=5, drop_connection_rate=0.5)
    resumes = 0
    for _ in range(4):
        with client.download_file_by_name(bucket["bucketName"], "flaky.bin") as f:
            assert f.read() == data
            resumes += f.resumes
    assert resumes >= 1
    # A ranged download resumes inside its range.
    with client.download_file_by_name(
        bucket["bucketName"], "flaky.bin", range=(1000, 200_999)
    ) as f:
        assert f.read() == data[1000:201_000]


def test_download_survives_token_expiry_and_broken_streams(
    client: B2Client, bucket: dict[str, Any], b2_emulator: Any
) -> None:
    data = pattern(200_000, seed=8)
    client.upload(bucket["bucketId"], "expiry-dl.bin", data)
    b2_emulator.reset_counters()
    b2_emulator.set_faults(seed=2, expire_tokens_after_calls=2, drop_connection_rate=0.4)
    for _ in range(3):
        with client.download_file_by_name(bucket["bucketName"], "expiry-dl.bin") as f:
            assert f.read() == data
    assert endpoint_calls(b2_emulator, "b2_authorize_account") >= 1  # re-authorized mid-download


def test_large_file_download_with_drops_checks_large_file_sha1(
    client: B2Client, bucket: dict[str, Any], b2_emulator: Any, tmp_path: Any
) -> None:
    data = pattern(150_000, seed=9)
    _large(
        client,
        bucket,
        "large-dl.bin",
        data,
        part_size=50_000,
        large_file_threshold=100_000,
        large_file_sha1=True,
    )
    b2_emulator.set_faults(seed=9, drop_connection_rate=0.5)
    target = tmp_path / "large-dl.bin"
    result = client.download(
        bucket_name=bucket["bucketName"], file_name="large-dl.bin", destination=target
    )
    assert target.read_bytes() == data
    assert result["fileInfo"]["large_file_sha1"] == hashlib.sha1(data).hexdigest()


@pytest.mark.parametrize("mode", ["fail_some_uploads", "expire_some_account_authorization_tokens"])
def test_b2_test_modes_during_transfers(
    b2_emulator: Any, bucket: dict[str, Any], mode: str
) -> None:
    """The X-Bz-Test-Mode values B2 offers for exercising retry and re-authorization paths."""
    testing = B2Client(
        b2_emulator.application_key_id,
        b2_emulator.application_key,
        api_url=b2_emulator.url,
        retry=RetryPolicy(sleep=no_sleep, attempts=8),
        test_mode=mode,
    )
    small = pattern(1200, seed=20)
    large = pattern(8000, seed=21)
    b2_emulator.reset_counters()
    testing.upload(bucket["bucketId"], "mode-small.bin", small)
    _large(testing, bucket, "mode-large.bin", large, max_workers=2)
    with testing.download_file_by_name(bucket["bucketName"], "mode-large.bin") as f:
        assert f.read() == large
    with testing.download_file_by_name(bucket["bucketName"], "mode-small.bin") as f:
        assert f.read() == small
    counters = b2_emulator.counters()["by_endpoint"]
    if mode == "fail_some_uploads":
        assert counters["b2_upload_part"] + counters["b2_upload_file"] > 1 + 8
    else:
        assert counters["b2_authorize_account"] >= 2
