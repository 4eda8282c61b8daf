"""The late-answer fault: a call is carried out, then answered late or not at all."""

from __future__ import annotations

import time

import pytest
import requests

from django_b2.emulator import EmulatorServer, FaultConfig
from tests.emulator.conftest import Wire


@pytest.fixture
def bucket_id(wire: Wire) -> str:
    wire.authorize()
    return str(wire.create_bucket()["bucketId"])


def key_names(wire: Wire) -> list[str]:
    keys = wire.ok("b2_list_keys", accountId=wire.server.account_id)["keys"]
    return [k["keyName"] for k in keys]


def test_dropped_answer_after_the_call_was_carried_out(
    wire: Wire, bucket_id: str, b2_emulator: EmulatorServer
) -> None:
    b2_emulator.set_faults(late_answer_rate=1.0, late_answer_endpoints=["b2_create_key"])
    with pytest.raises(requests.ConnectionError):
        wire.call(
            "b2_create_key",
            accountId=b2_emulator.account_id,
            keyName="made-anyway",
            capabilities=["listBuckets"],
        )
    assert "made-anyway" in key_names(wire)  # other calls answer on time


def test_late_answer_arrives_after_the_delay(wire: Wire, bucket_id: str) -> None:
    # 1 s: a loaded machine can take a few tenths of a second for an upload answered on time.
    wire.server.set_faults(late_answer_rate=1.0, late_answer_delay=1.0, late_answer_limit=1)
    start = time.monotonic()
    wire.upload_ok(bucket_id, "late.txt", b"late")  # get_upload_url is the late one
    assert time.monotonic() - start >= 1.0
    start = time.monotonic()
    wire.upload_ok(bucket_id, "on-time.txt", b"on time")  # the limit was reached
    assert time.monotonic() - start < 1.0


def test_dropped_upload_answer_keeps_the_file(wire: Wire, bucket_id: str) -> None:
    target = wire.ok("b2_get_upload_url", bucketId=bucket_id)
    wire.server.set_faults(late_answer_rate=1.0, late_answer_endpoints=["b2_upload_file"])
    with pytest.raises(requests.ConnectionError):
        wire.upload(bucket_id, "kept.txt", b"kept", upload=target)
    wire.server.set_faults()
    names = wire.ok("b2_list_file_names", bucketId=bucket_id)["files"]
    assert [f["fileName"] for f in names] == ["kept.txt"]


def test_errors_are_answered_on_time(wire: Wire, bucket_id: str) -> None:
    wire.server.set_faults(late_answer_rate=1.0)
    response = wire.call(
        "b2_get_file_info", fileId="4_zbad_f000000000000000_d00000000_m000000_c000_v0000000_t0000"
    )
    assert response.status_code in (400, 404)


def test_config_over_http_and_validation(b2_emulator: EmulatorServer) -> None:
    sent = {"late_answer_rate": 0.5, "late_answer_endpoints": ["b2_copy_file"]}
    answer = requests.post(
        f"{b2_emulator.url}/_emulator/faults",
        json=sent,
        headers=b2_emulator.admin_headers,
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.json()["late_answer_endpoints"] == ["b2_copy_file"]
    assert b2_emulator.faults.late_answer_endpoints == ("b2_copy_file",)
    for bad in (
        {"late_answer_rate": 2},
        {"late_answer_delay": -1},
        {"late_answer_endpoints": "b2_copy_file"},
        {"late_answer_limit": 0},
    ):
        with pytest.raises(ValueError, match="late_answer"):
            FaultConfig.from_dict(bad)
