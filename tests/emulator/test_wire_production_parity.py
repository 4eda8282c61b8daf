"""Answers B2 gives in production (reference section 11): status, code and message."""

from __future__ import annotations

import hashlib
import os
import re
import time
from typing import Any

import pytest

from tests.emulator.conftest import Wire, error_of, sse_c_headers

SSE_MESSAGE = (
    "The object was stored using a form of Server Side Encryption. The correct parameters must "
    "be provided to retrieve the object."
)
FILE_ID = re.compile(
    r"4_z(?P<bucket>[0-9a-f]{24})_f(?P<kind>[1-4])[0-9a-f]{15}_d(?P<date>\d{8})_m(?P<time>\d{6})"
    r"_c\d{3}_v\d{7}_t\d{4}"
)


def answer(response: Any) -> tuple[int, str, str]:
    body = response.json()
    assert body["status"] == response.status_code
    return response.status_code, body["code"], body["message"]


def future(seconds: int = 3600) -> int:
    return int((time.time() + seconds) * 1000)


def keyed(wire: Wire, capabilities: list[str], name: str = "limited") -> Wire:
    created = wire.ok(
        "b2_create_key",
        accountId=wire.server.account_id,
        capabilities=capabilities,
        keyName=name,
    )
    other = Wire(wire.server, wire.session)
    assert other.authorize(created["applicationKeyId"], created["applicationKey"]).ok
    return other


# ------------------------------------------------------------------ 1. SSE-C without its key


def test_sse_c_read_without_key_is_400_with_b2s_message(wire: Wire) -> None:
    bucket = wire.create_bucket("sse-bucket")
    secret = os.urandom(32)
    stored = wire.upload_ok(bucket["bucketId"], "sealed", b"data", headers=sse_c_headers(secret))
    auth = {"Authorization": wire.token}
    by_name = wire.session.get(f"{wire.server.url}/file/sse-bucket/sealed", headers=auth)
    assert answer(by_name) == (400, "bad_request", SSE_MESSAGE)
    by_id = wire.session.get(
        f"{wire.server.url}/b2api/v3/b2_download_file_by_id",
        params={"fileId": stored["fileId"]},
        headers=auth,
    )
    assert answer(by_id) == (400, "bad_request", SSE_MESSAGE)
    copied = wire.call("b2_copy_file", sourceFileId=stored["fileId"], fileName="copy")
    assert answer(copied) == (400, "bad_request", SSE_MESSAGE)
    # a wrong key stays 403 access_denied
    wrong = wire.session.get(
        f"{wire.server.url}/file/sse-bucket/sealed",
        headers={**auth, **sse_c_headers(os.urandom(32))},
    )
    assert error_of(wrong) == (403, "access_denied")


# ------------------------------------------------------------------ 2. Object Lock


@pytest.fixture
def locked(wire: Wire) -> dict[str, Any]:
    bucket = wire.create_bucket("lock-bucket", fileLockEnabled=True)
    return wire.upload_ok(
        bucket["bucketId"],
        "gov",
        b"x",
        headers={
            "X-Bz-File-Retention-Mode": "governance",
            "X-Bz-File-Retention-Retain-Until-Timestamp": str(future()),
        },
    )


def test_delete_of_governed_version_without_bypass_is_401_access_denied(
    wire: Wire, locked: dict[str, Any]
) -> None:
    refused = wire.call("b2_delete_file_version", fileName="gov", fileId=locked["fileId"])
    assert answer(refused) == (401, "access_denied", "Access Denied")


def test_bypass_by_key_without_capability_is_terse_401_unauthorized(
    wire: Wire, locked: dict[str, Any]
) -> None:
    weak = keyed(wire, ["listBuckets", "listFiles", "readFiles", "deleteFiles"])
    refused = weak.call(
        "b2_delete_file_version", fileName="gov", fileId=locked["fileId"], bypassGovernance=True
    )
    assert answer(refused) == (401, "unauthorized", "")
    wire.ok(
        "b2_delete_file_version", fileName="gov", fileId=locked["fileId"], bypassGovernance=True
    )


@pytest.mark.parametrize(
    ("endpoint", "field", "value"),
    [
        ("b2_update_file_retention", "fileRetention", {"mode": "governance"}),
        ("b2_update_file_legal_hold", "legalHold", "on"),
    ],
)
def test_lock_updates_without_capability_are_403_before_the_bucket_check(
    wire: Wire, endpoint: str, field: str, value: Any
) -> None:
    plain = wire.create_bucket("plain-bucket")
    stored = wire.upload_ok(plain["bucketId"], "f", b"x")
    if field == "fileRetention":
        value = {**value, "retainUntilTimestamp": future()}
    weak = keyed(wire, ["listBuckets", "listFiles", "readFiles", "writeFiles"])
    refused = weak.call(endpoint, fileName="f", fileId=stored["fileId"], **{field: value})
    assert error_of(refused) == (403, "access_denied")
    # with the capability, the unlocked bucket is what B2 complains about
    allowed = wire.call(endpoint, fileName="f", fileId=stored["fileId"], **{field: value})
    assert answer(allowed) == (
        400,
        "bucket_missing_file_lock",
        "The bucket is not file lock enabled",
    )


def test_default_retention_needs_file_lock(wire: Wire) -> None:
    plain = wire.create_bucket("plain-bucket")
    refused = wire.call(
        "b2_update_bucket",
        bucketId=plain["bucketId"],
        defaultRetention={"mode": "governance", "period": {"duration": 1, "unit": "days"}},
    )
    assert answer(refused) == (
        400,
        "bucket_missing_file_lock",
        "The bucket is not file lock enabled",
    )


def test_retain_until_in_the_past(wire: Wire, locked: dict[str, Any]) -> None:
    past = int((time.time() - 3600) * 1000)
    update = wire.call(
        "b2_update_file_retention",
        fileName="gov",
        fileId=locked["fileId"],
        fileRetention={"mode": "governance", "retainUntilTimestamp": past},
    )
    expected = (
        400,
        "retain_until_timestamp_must_be_in_future",
        "The retainUntilTimestamp must be in future",
    )
    assert answer(update) == expected
    upload = wire.upload(
        locked["bucketId"],
        "late",
        b"x",
        headers={
            "X-Bz-File-Retention-Mode": "governance",
            "X-Bz-File-Retention-Retain-Until-Timestamp": str(past),
        },
    )
    assert answer(upload) == expected


def test_upload_with_lock_settings_into_unlocked_bucket(wire: Wire) -> None:
    plain = wire.create_bucket("plain-bucket")
    for headers in (
        {
            "X-Bz-File-Retention-Mode": "governance",
            "X-Bz-File-Retention-Retain-Until-Timestamp": str(future()),
        },
        {"X-Bz-File-Legal-Hold": "on"},
    ):
        refused = wire.upload(plain["bucketId"], "f", b"x", headers=headers)
        assert answer(refused) == (
            400,
            "bucket_missing_file_lock",
            "The bucket is not file lock enabled",
        )
    # a key that may not write retentions hears about its capability first
    weak = keyed(wire, ["listBuckets", "writeFiles"])
    refused = weak.upload(plain["bucketId"], "f", b"x", headers={"X-Bz-File-Legal-Hold": "on"})
    assert answer(refused) == (401, "unauthorized", "")


# ------------------------------------------------------------------ 5. missing capabilities


def test_missing_capability_is_terse_and_explained_in_the_log(
    wire: Wire, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = wire.create_bucket("cap-bucket")
    reader = keyed(wire, ["listBuckets", "readFiles"])
    refused = reader.call("b2_get_upload_url", bucketId=bucket["bucketId"])
    assert answer(refused) == (401, "unauthorized", "")
    assert "lacks the writeFiles capability" in capsys.readouterr().err


# ------------------------------------------------------------------ 6. finish_large_file


def test_finish_checks_part_count_first(wire: Wire) -> None:
    bucket = wire.create_bucket("large-bucket")
    started = wire.ok(
        "b2_start_large_file",
        bucketId=bucket["bucketId"],
        fileName="big",
        contentType="application/octet-stream",
    )
    target = wire.ok("b2_get_upload_part_url", fileId=started["fileId"])
    sha1s = []
    for number in (1, 2):
        data = os.urandom(1000)
        sha1s.append(hashlib.sha1(data).hexdigest())
        sent = wire.upload_part(target, number, data, sha1s[-1])
        assert sent.status_code == 200, sent.text
    refused = wire.call("b2_finish_large_file", fileId=started["fileId"], partSha1Array=sha1s[:1])
    assert answer(refused) == (400, "bad_request", "large files must have at least 2 parts")


# ------------------------------------------------------------------ 4. notification rules


def test_notification_rule_echoes_unset_fields_as_null(wire: Wire) -> None:
    bucket = wire.create_bucket("notify-bucket")
    rule = {
        "eventTypes": ["b2:ObjectCreated:*"],
        "isEnabled": True,
        "name": "plain-hook",
        "objectNamePrefix": "",
        "targetConfiguration": {"targetType": "webhook", "url": "https://example.com/h"},
    }
    stored = wire.ok(
        "b2_set_bucket_notification_rules",
        bucketId=bucket["bucketId"],
        eventNotificationRules=[rule],
    )
    got = wire.ok("b2_get_bucket_notification_rules", bucketId=bucket["bucketId"])
    for body in (stored, got):
        target = body["eventNotificationRules"][0]["targetConfiguration"]
        assert target == {
            "targetType": "webhook",
            "url": "https://example.com/h",
            "customHeaders": None,
            "hmacSha256SigningSecret": None,
        }


# ------------------------------------------------------------------ 3. file ids


def test_file_ids_are_b2_shaped_for_every_kind(wire: Wire) -> None:
    bucket = wire.create_bucket("id-bucket")
    bucket_id = bucket["bucketId"]
    today = time.strftime("%Y%m%d", time.gmtime())
    small = wire.upload_ok(bucket_id, "small", b"x")["fileId"]
    hidden = wire.ok("b2_hide_file", bucketId=bucket_id, fileName="small")["fileId"]
    copied = wire.ok("b2_copy_file", sourceFileId=small, fileName="copy")["fileId"]
    large = wire.ok(
        "b2_start_large_file",
        bucketId=bucket_id,
        fileName="large",
        contentType="application/octet-stream",
    )["fileId"]
    kinds = {}
    for name, file_id in (("small", small), ("hide", hidden), ("copy", copied), ("large", large)):
        assert len(file_id) == 83, file_id
        match = FILE_ID.fullmatch(file_id)
        assert match is not None, file_id
        assert match["bucket"] == bucket_id
        assert match["date"] in (today, time.strftime("%Y%m%d", time.gmtime()))
        kinds[name] = match["kind"]
    assert kinds == {"small": "1", "hide": "1", "copy": "1", "large": "2"}
    assert len({small, hidden, copied, large}) == 4
