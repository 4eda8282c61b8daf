"""Each fault knob produces its failure; counters count by endpoint and transaction class."""

from __future__ import annotations

import time

import pytest
import requests

from django_b2.emulator import EmulatorServer, FaultConfig
from tests.emulator.conftest import Wire, error_of


@pytest.fixture
def bucket_id(wire: Wire) -> str:
    return str(wire.create_bucket()["bucketId"])


def test_api_503_with_retry_after(wire: Wire, bucket_id: str) -> None:
    wire.server.set_faults(api_503_rate=1.0, retry_after=7)
    response = wire.call("b2_list_file_names", bucketId=bucket_id)
    assert error_of(response) == (503, "service_unavailable")
    assert response.headers["Retry-After"] == "7"
    assert wire.authorize().status_code == 200  # authorize is never faulted


def test_api_429_with_retry_after(wire: Wire, bucket_id: str) -> None:
    wire.server.set_faults(api_429_rate=1.0, retry_after=3)
    response = wire.call("b2_get_upload_url", bucketId=bucket_id)
    assert error_of(response) == (429, "too_many_requests")
    assert response.headers["Retry-After"] == "3"


def test_upload_503_kills_the_upload_url(wire: Wire, bucket_id: str) -> None:
    target = wire.ok("b2_get_upload_url", bucketId=bucket_id)
    wire.server.set_faults(upload_503_rate=1.0)
    failed = wire.upload(bucket_id, "f", b"data", upload=target)
    assert error_of(failed) == (503, "service_unavailable")
    assert failed.headers["Retry-After"] == "1"
    wire.server.set_faults()
    again = wire.upload(bucket_id, "f", b"data", upload=target)
    assert error_of(again) == (401, "bad_auth_token")
    assert wire.upload(bucket_id, "f", b"data").status_code == 200  # a fresh URL works
    assert wire.ok("b2_list_file_names", bucketId=bucket_id)["files"][0]["fileName"] == "f"


def test_upload_503_applies_to_parts(wire: Wire, bucket_id: str) -> None:
    started = wire.ok("b2_start_large_file", bucketId=bucket_id, fileName="big", contentType="a/b")
    target = wire.ok("b2_get_upload_part_url", fileId=started["fileId"])
    wire.server.set_faults(upload_503_rate=1.0)
    response = wire.session.post(
        target["uploadUrl"],
        headers={
            "Authorization": target["authorizationToken"],
            "X-Bz-Part-Number": "1",
            "X-Bz-Content-Sha1": "do_not_verify",
        },
        data=b"x" * 10,
    )
    assert error_of(response) == (503, "service_unavailable")


def test_rates_are_deterministic_under_a_seed(wire: Wire, bucket_id: str) -> None:
    def pattern(seed: int) -> list[int]:
        wire.server.set_faults(seed=seed, api_503_rate=0.5)
        return [wire.call("b2_list_file_names", bucketId=bucket_id).status_code for _ in range(30)]

    first = pattern(1)
    assert set(first) == {200, 503}
    assert pattern(1) == first
    assert pattern(2) != first


def test_expire_tokens_after_calls(wire: Wire, bucket_id: str) -> None:
    wire.server.set_faults(expire_tokens_after_calls=2)
    wire.authorize()
    assert wire.call("b2_list_file_names", bucketId=bucket_id).status_code == 200
    assert wire.call("b2_list_file_names", bucketId=bucket_id).status_code == 200
    third = wire.call("b2_list_file_names", bucketId=bucket_id)
    assert error_of(third) == (401, "expired_auth_token")
    wire.server.set_faults()
    assert error_of(wire.call("b2_list_file_names", bucketId=bucket_id))[1] == "expired_auth_token"
    wire.authorize()
    assert wire.call("b2_list_file_names", bucketId=bucket_id).status_code == 200


def test_drop_connection_on_upload(wire: Wire, bucket_id: str) -> None:
    target = wire.ok("b2_get_upload_url", bucketId=bucket_id)
    wire.server.set_faults(drop_connection_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        wire.upload(bucket_id, "dropped", b"x" * 200_000, upload=target)
    wire.server.set_faults()
    assert wire.ok("b2_list_file_versions", bucketId=bucket_id)["files"] == []
    assert error_of(wire.upload(bucket_id, "dropped", b"x", upload=target))[0] == 401


def test_drop_connection_on_download(wire: Wire, bucket_id: str) -> None:
    data = bytes(range(256)) * 1000
    wire.upload_ok(bucket_id, "file", data)
    wire.server.set_faults(drop_connection_rate=1.0)
    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        wire.session.get(
            f"{wire.server.url}/file/test-bucket/file", headers={"Authorization": wire.token}
        )
    wire.server.set_faults()
    fine = requests.get(
        f"{wire.server.url}/file/test-bucket/file", headers={"Authorization": wire.token}
    )
    assert fine.content == data


def test_latency(wire: Wire, bucket_id: str) -> None:
    wire.server.set_faults(latency_seconds=0.05)
    started = time.monotonic()
    assert wire.call("b2_list_file_names", bucketId=bucket_id).status_code == 200
    assert time.monotonic() - started >= 0.05


def test_test_mode_fail_some_uploads(wire: Wire, bucket_id: str) -> None:
    def pattern() -> list[int]:
        wire.server.set_faults(seed=5, fail_some_uploads_rate=0.5)
        codes = []
        for i in range(16):
            response = wire.upload(
                bucket_id, f"f{i}", b"x", headers={"X-Bz-Test-Mode": "fail_some_uploads"}
            )
            codes.append(response.status_code)
        return codes

    first = pattern()
    assert set(first) == {200, 503}
    assert pattern() == first
    plain = [wire.upload(bucket_id, "p", b"x").status_code for _ in range(5)]
    assert plain == [200] * 5


def test_test_mode_expire_tokens(wire: Wire, bucket_id: str) -> None:
    header = {"X-Bz-Test-Mode": "expire_some_account_authorization_tokens"}
    url = f"{wire.server.url}/b2api/v3/b2_list_file_names"
    codes = [
        requests.post(
            url, json={"bucketId": bucket_id}, headers={"Authorization": wire.token, **header}
        ).status_code
        for _ in range(3)
    ]
    assert codes == [200, 401, 401]
    expired = requests.post(
        url, json={"bucketId": bucket_id}, headers={"Authorization": wire.token}
    )
    assert error_of(expired) == (401, "expired_auth_token")


def test_test_mode_force_cap_exceeded(wire: Wire, bucket_id: str) -> None:
    wire.upload_ok(bucket_id, "f", b"x")
    header = {"X-Bz-Test-Mode": "force_cap_exceeded"}
    capped = requests.post(
        f"{wire.server.url}/b2api/v3/b2_get_upload_url",
        json={"bucketId": bucket_id},
        headers={"Authorization": wire.token, **header},
    )
    assert error_of(capped) == (403, "storage_cap_exceeded")
    upload = wire.upload(bucket_id, "g", b"x", headers=header)
    assert error_of(upload) == (403, "storage_cap_exceeded")
    download = requests.get(
        f"{wire.server.url}/file/test-bucket/f", headers={"Authorization": wire.token, **header}
    )
    assert error_of(download) == (403, "download_cap_exceeded")


def test_faults_over_http(wire: Wire, bucket_id: str) -> None:
    url = f"{wire.server.url}/_emulator/faults"
    admin = wire.server.admin_headers
    body = requests.post(url, json={"api_503_rate": 1.0, "retry_after": 2}, headers=admin).json()
    assert body["api_503_rate"] == 1.0 and body["retry_after"] == 2
    assert wire.server.faults.api_503_rate == 1.0
    assert wire.call("b2_list_file_names", bucketId=bucket_id).status_code == 503
    assert requests.get(url, headers=admin).json()["api_503_rate"] == 1.0
    refused = requests.post(url, json={"api_503_rate": 2}, headers=admin)
    assert error_of(refused) == (400, "bad_request")
    unknown = requests.post(url, json={"no_such_knob": 1}, headers=admin)
    assert error_of(unknown) == (400, "bad_request")
    requests.post(url, json={}, headers=admin)
    assert wire.call("b2_list_file_names", bucketId=bucket_id).status_code == 200


def test_fault_config_validation() -> None:
    with pytest.raises(ValueError, match="api_503_rate"):
        FaultConfig(api_503_rate=1.5)
    with pytest.raises(ValueError, match="expire_tokens_after_calls"):
        FaultConfig(expire_tokens_after_calls=0)
    with pytest.raises(ValueError, match="unknown fault field"):
        FaultConfig.from_dict({"api_503": 1})


def test_set_faults_accepts_a_config(wire: Wire, bucket_id: str) -> None:
    config = FaultConfig(api_429_rate=1.0)
    assert wire.server.set_faults(config) == config
    assert wire.call("b2_list_file_names", bucketId=bucket_id).status_code == 429
    tweaked = wire.server.set_faults(config, api_429_rate=0.0)
    assert tweaked.api_429_rate == 0.0


def test_counters(wire: Wire, bucket_id: str) -> None:
    wire.server.reset_counters()
    wire.upload_ok(bucket_id, "f", b"x")  # get_upload_url (A) + upload_file (A)
    wire.ok("b2_list_file_names", bucketId=bucket_id)  # C
    wire.session.get(f"{wire.server.url}/file/test-bucket/f", headers={"Authorization": wire.token})
    wire.session.head(
        f"{wire.server.url}/file/test-bucket/f", headers={"Authorization": wire.token}
    )
    counters = wire.server.counters()
    assert counters["by_endpoint"] == {
        "b2_download_file_by_name": 2,
        "b2_get_upload_url": 1,
        "b2_list_file_names": 1,
        "b2_upload_file": 1,
    }
    assert counters["by_class"] == {"A": 2, "B": 2, "C": 1}
    assert counters["total"] == 5
    admin = wire.server.admin_headers
    over_http = requests.get(f"{wire.server.url}/_emulator/counters", headers=admin).json()
    assert over_http == counters  # admin calls are not counted
    reset = requests.post(f"{wire.server.url}/_emulator/counters/reset", headers=admin).json()
    assert reset["total"] == 0
    assert wire.server.counters()["by_endpoint"] == {}


def test_reset_over_http(wire: Wire, bucket_id: str) -> None:
    wire.server.set_faults(api_503_rate=1.0)
    reset = requests.post(f"{wire.server.url}/_emulator/reset", headers=wire.server.admin_headers)
    assert reset.status_code == 200
    assert wire.server.faults == FaultConfig()
    wire.authorize()
    listed = wire.ok("b2_list_buckets", accountId=wire.server.account_id)
    assert listed["buckets"] == []


def test_start_up_faults_survive_reset() -> None:
    with EmulatorServer(faults=FaultConfig(api_429_rate=1.0)) as server:
        server.set_faults()
        server.reset()
        assert server.faults.api_429_rate == 1.0


def test_clock_over_http(wire: Wire, bucket_id: str) -> None:
    admin = wire.server.admin_headers
    clock = f"{wire.server.url}/_emulator/clock"
    response = requests.post(clock, json={"advance_seconds": 86_401}, headers=admin)
    assert response.json()["clock_offset_ms"] == 86_401_000
    expired = wire.call("b2_list_file_names", bucketId=bucket_id)
    assert error_of(expired) == (401, "expired_auth_token")
    bad = requests.post(clock, json={"advance_seconds": "soon"}, headers=admin)
    assert error_of(bad) == (400, "bad_request")
    unknown = requests.get(f"{wire.server.url}/_emulator/nothing", headers=admin)
    assert error_of(unknown) == (404, "not_found")
