"""Late answers: B2 carries a call out but its answer is lost or arrives after the client gave up.

The emulator's ``late_answer_*`` fault knob does exactly that, over real HTTP. Before calls were
classified, each of these made a duplicate: one ``create_key`` made several keys (the caller saw
an error and never a secret), ``copy_file`` several copies, ``start_large_file`` several
unfinished large files; ``create_bucket`` and ``finish_large_file`` raised on the resend.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest

from django_b2.client import (
    B2BadRequest,
    B2Client,
    B2Conflict,
    B2ConnectionError,
    B2ServiceError,
    B2TimeoutError,
    Bucket,
    RetryPolicy,
)
from django_b2.emulator import EmulatorServer
from tests.helpers import endpoint_calls

from .conftest import SleepRecorder, make_client

#: Read timeout of the clients here, and the emulator's delay of a late answer (well above it).
READ_TIMEOUT = 0.5
LATE = 1.5


@pytest.fixture
def client(b2_emulator: EmulatorServer, sleeps: SleepRecorder) -> Iterator[B2Client]:
    with B2Client(
        b2_emulator.application_key_id,
        b2_emulator.application_key,
        api_url=b2_emulator.url,
        retry=RetryPolicy(sleep=sleeps, jitter=0),
        timeout=(5.0, READ_TIMEOUT),
    ) as c:
        c.authorize()
        yield c


@pytest.fixture
def bucket(client: B2Client) -> Bucket:
    return client.create_bucket("late-answers", "allPrivate")


def late(srv: EmulatorServer, endpoint: str, *, delay: float | None = None, times: int = 1) -> None:
    """The next ``times`` successful ``endpoint`` calls are carried out, then answered late
    (``delay`` seconds) or never (``None``: the connection is closed)."""
    srv.set_faults(
        late_answer_rate=1.0,
        late_answer_delay=delay,
        late_answer_endpoints=[endpoint],
        late_answer_limit=times,
    )


def versions(client: B2Client, bucket: Bucket, name: str) -> list[dict[str, Any]]:
    listed = client.list_file_versions(bucket["bucketId"], prefix=name, max_file_count=100)
    return [dict(v) for v in listed["files"] if v["fileName"] == name]


@pytest.mark.parametrize("delay", [None, LATE], ids=["answer-dropped", "answer-late"])
def test_create_key_is_not_resent_and_says_how_to_find_the_key(
    client: B2Client, b2_emulator: EmulatorServer, delay: float | None
) -> None:
    late(b2_emulator, "b2_create_key", delay=delay)
    b2_emulator.reset_counters()
    with pytest.raises((B2ConnectionError, B2TimeoutError)) as info:
        client.create_key("late-key", ["listBuckets"])
    message = str(info.value)
    assert "may have created key 'late-key'" in message
    assert "manage.py b2_keys list" in message and "list_keys" in message
    assert endpoint_calls(b2_emulator, "b2_create_key") == 1
    b2_emulator.set_faults()
    keys = [k for k in client.list_keys()["keys"] if k["keyName"] == "late-key"]
    assert len(keys) == 1  # B2 made it once; the client did not make another


def test_create_key_refused_connection_is_resent(
    client: B2Client, b2_emulator: EmulatorServer
) -> None:
    # Nothing sent, nothing made: the ordinary retry applies (here it meets an answer).
    b2_emulator.set_faults(api_503_rate=1.0, retry_after=0)
    b2_emulator.reset_counters()
    with pytest.raises(Exception, match="503"):
        client.create_key("busy-key", ["listBuckets"])
    assert endpoint_calls(b2_emulator, "b2_create_key") == 5  # an error answer: B2 did not act


@pytest.mark.parametrize("delay", [None, LATE], ids=["answer-dropped", "answer-late"])
def test_copy_file_leaves_exactly_one_copy(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer, delay: float | None
) -> None:
    source = client.upload_file(bucket["bucketId"], "source.txt", b"copy me")
    late(b2_emulator, "b2_copy_file", delay=delay)
    b2_emulator.reset_counters()
    copied = client.copy_file(source["fileId"], "copy.txt")
    assert endpoint_calls(b2_emulator, "b2_copy_file") == 2  # resent after the lost answer
    left = versions(client, bucket, "copy.txt")
    assert [v["fileId"] for v in left] == [copied["fileId"]]


def test_start_large_file_leaves_exactly_one_unfinished_file(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer
) -> None:
    late(b2_emulator, "b2_start_large_file", delay=LATE)
    started = client.start_large_file(bucket["bucketId"], "big.bin", file_info={"k": "v"})
    unfinished = client.list_unfinished_large_files(bucket["bucketId"])["files"]
    assert [f["fileId"] for f in unfinished] == [started["fileId"]]


def test_start_large_file_keeps_other_uploads_of_the_name(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer
) -> None:
    # Another upload of the same name, with other file info, started before: not a duplicate.
    other = client.start_large_file(bucket["bucketId"], "big.bin", file_info={"who": "other"})
    late(b2_emulator, "b2_start_large_file")
    started = client.start_large_file(bucket["bucketId"], "big.bin")
    unfinished = client.list_unfinished_large_files(bucket["bucketId"])["files"]
    assert sorted(f["fileId"] for f in unfinished) == sorted([other["fileId"], started["fileId"]])


def test_create_bucket_resend_returns_the_bucket_made(
    client: B2Client, b2_emulator: EmulatorServer
) -> None:
    late(b2_emulator, "b2_create_bucket")
    bucket = client.create_bucket("late-bucket", "allPrivate")
    b2_emulator.set_faults()
    listed = client.list_buckets(bucket_name="late-bucket")["buckets"]
    assert [b["bucketId"] for b in listed] == [bucket["bucketId"]]


def test_create_bucket_taken_without_a_lost_answer_still_raises(
    client: B2Client, bucket: Bucket
) -> None:
    with pytest.raises(Exception, match="duplicate_bucket_name"):
        client.create_bucket(bucket["bucketName"], "allPrivate")


def test_upload_file_leaves_exactly_one_version(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer
) -> None:
    late(b2_emulator, "b2_upload_file")
    b2_emulator.reset_counters()
    version = client.upload_file(bucket["bucketId"], "once.txt", b"only once")
    assert endpoint_calls(b2_emulator, "b2_upload_file") == 2  # B2's rule: resent to a fresh URL
    assert [v["fileId"] for v in versions(client, bucket, "once.txt")] == [version["fileId"]]


def test_upload_file_keeps_an_earlier_identical_version(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer
) -> None:
    first = client.upload_file(bucket["bucketId"], "twice.txt", b"same bytes")
    client.retry = RetryPolicy(sleep=lambda _s: None, jitter=0)
    import time

    time.sleep(1.2)  # the earlier version predates this call's window
    late(b2_emulator, "b2_upload_file")
    second = client.upload_file(bucket["bucketId"], "twice.txt", b"same bytes")
    left = [v["fileId"] for v in versions(client, bucket, "twice.txt")]
    assert left == [second["fileId"], first["fileId"]]


def test_finish_large_file_resend_returns_the_finished_file(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer
) -> None:
    started = client.start_large_file(bucket["bucketId"], "parts.bin")
    parts = [b"a" * 5_000_000, b"b" * 10]
    for number, part in enumerate(parts, 1):
        client.upload_part(started["fileId"], number, part)
    late(b2_emulator, "b2_finish_large_file")
    finished = client.finish_large_file(
        started["fileId"], [hashlib.sha1(p).hexdigest() for p in parts]
    )
    assert finished["fileId"] == started["fileId"] and finished["action"] == "upload"
    assert client.list_unfinished_large_files(bucket["bucketId"])["files"] == []


def test_hide_file_resend_returns_the_hide_marker_made(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer
) -> None:
    client.upload_file(bucket["bucketId"], "hide-me.txt", b"x")
    late(b2_emulator, "b2_hide_file")
    marker = client.hide_file(bucket["bucketId"], "hide-me.txt")  # resend: already_hidden
    left = versions(client, bucket, "hide-me.txt")
    assert [v["action"] for v in left] == ["hide", "upload"]
    assert marker["fileId"] == left[0]["fileId"]


def test_delete_file_version_resend_is_not_an_error(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer
) -> None:
    version = client.upload_file(bucket["bucketId"], "gone.txt", b"x")
    late(b2_emulator, "b2_delete_file_version")
    client.delete_file_version("gone.txt", version["fileId"])
    assert versions(client, bucket, "gone.txt") == []


def test_large_upload_with_late_answers_everywhere_leaves_one_file(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer, sleeps: SleepRecorder
) -> None:
    body = bytes(range(256)) * 50_000  # 12.8 MB: three parts of 5 MB
    b2_emulator.set_faults(late_answer_rate=0.5, seed=4)
    # Parts go up on several threads, so which call draws which fault varies from run to run:
    # with the default 5 tries a call fails outright once in 32 (every answer lost). This test
    # is about what resends leave behind, so each call gets tries enough never to run out.
    with B2Client(
        b2_emulator.application_key_id,
        b2_emulator.application_key,
        api_url=b2_emulator.url,
        retry=RetryPolicy(sleep=sleeps, jitter=0, attempts=30),
        timeout=(5.0, READ_TIMEOUT),
    ) as patient:
        result = patient.upload(
            bucket["bucketId"],
            "whole.bin",
            body,
            part_size=5_000_000,
            large_file_threshold=10_000_000,
        )
    b2_emulator.set_faults()
    assert [v["fileId"] for v in versions(client, bucket, "whole.bin")] == [result["fileId"]]
    assert client.list_unfinished_large_files(bucket["bucketId"])["files"] == []
    with client.download_file_by_id(result["fileId"]) as downloaded:
        assert downloaded.read() == body


# --- calls that remove a thing: the resend hears "not found" for work the lost attempt did ---


@pytest.mark.parametrize("delay", [None, LATE], ids=["answer-dropped", "answer-late"])
def test_delete_bucket_resend_returns_the_deleted_bucket(
    client: B2Client, b2_emulator: EmulatorServer, delay: float | None
) -> None:
    target = client.create_bucket("late-delete-me", "allPrivate", bucket_info={"k": "v"})
    other = client.create_bucket("late-keep-me", "allPublic")
    late(b2_emulator, "b2_delete_bucket", delay=delay)
    b2_emulator.reset_counters()
    deleted = client.delete_bucket(target["bucketId"])  # the resend hears bad_bucket_id
    assert endpoint_calls(b2_emulator, "b2_delete_bucket") == 2
    assert deleted == target  # what B2 answers: the deleted bucket, as it was
    b2_emulator.set_faults()
    left = client.list_buckets(bucket_types=["all"])["buckets"]
    assert [b["bucketId"] for b in left] == [other["bucketId"]]
    assert left[0] == other  # nothing else touched


@pytest.mark.parametrize("delay", [None, LATE], ids=["answer-dropped", "answer-late"])
def test_delete_key_resend_returns_the_deleted_key(
    client: B2Client, b2_emulator: EmulatorServer, delay: float | None
) -> None:
    target = client.create_key("late-delete-me", ["listBuckets", "readFiles"])
    other = client.create_key("late-keep-me", ["listBuckets"])
    listed_before = {k["applicationKeyId"]: k for k in client.list_keys()["keys"]}
    late(b2_emulator, "b2_delete_key", delay=delay)
    b2_emulator.reset_counters()
    deleted = client.delete_key(target["applicationKeyId"])  # the resend hears bad_request
    assert endpoint_calls(b2_emulator, "b2_delete_key") == 2
    assert deleted == listed_before[target["applicationKeyId"]]  # B2's answer: no secret
    assert "applicationKey" not in deleted
    b2_emulator.set_faults()
    left = client.list_keys()["keys"]
    assert [k["applicationKeyId"] for k in left] == [other["applicationKeyId"]]
    assert left[0] == listed_before[other["applicationKeyId"]]


@pytest.mark.parametrize("delay", [None, LATE], ids=["answer-dropped", "answer-late"])
def test_cancel_large_file_resend_returns_the_cancelled_file(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer, delay: float | None
) -> None:
    target = client.start_large_file(bucket["bucketId"], "cancel-me.bin")
    other = client.start_large_file(bucket["bucketId"], "keep-me.bin")
    client.upload_part(other["fileId"], 1, b"k" * 1000)
    late(b2_emulator, "b2_cancel_large_file", delay=delay)
    b2_emulator.reset_counters()
    cancelled = client.cancel_large_file(target["fileId"])  # the resend hears bad_request
    assert endpoint_calls(b2_emulator, "b2_cancel_large_file") == 2
    assert cancelled == {
        "fileId": target["fileId"],
        "accountId": client.account_id,
        "bucketId": bucket["bucketId"],
        "fileName": "cancel-me.bin",
    }
    b2_emulator.set_faults()
    unfinished = client.list_unfinished_large_files(bucket["bucketId"])["files"]
    assert [f["fileId"] for f in unfinished] == [other["fileId"]]
    assert [p["partNumber"] for p in client.list_parts(other["fileId"])["parts"]] == [1]


def removed(client: B2Client, bucket: Bucket, what: str) -> Callable[[], object]:
    """Make a ``what``, remove it, and return the call that removes it (again)."""
    if what == "bucket":
        remove: Callable[[], object] = partial(
            client.delete_bucket, client.create_bucket("late-gone", "allPrivate")["bucketId"]
        )
    elif what == "key":
        made = client.create_key("late-gone", ["listBuckets"])
        remove = partial(client.delete_key, made["applicationKeyId"])
    else:
        started = client.start_large_file(bucket["bucketId"], "gone.bin")
        remove = partial(client.cancel_large_file, started["fileId"])
    remove()
    return remove


@pytest.mark.parametrize(
    ("what", "code"),
    [("bucket", "bad_bucket_id"), ("key", "bad_request"), ("large file", "bad_request")],
)
def test_removing_what_is_gone_still_raises(
    client: B2Client, bucket: Bucket, what: str, code: str
) -> None:
    # Control: no lost answer, so B2's not-found reaches the caller as before.
    again = removed(client, bucket, what)
    with pytest.raises(B2BadRequest) as info:
        again()
    assert (info.value.status, info.value.code) == (400, code)


UPDATES: dict[str, dict[str, Any]] = {
    "settings": {
        "bucket_type": "allPublic",
        "bucket_info": {"Cache-Control": "max-age=60"},
        "lifecycle_rules": [{"fileNamePrefix": "tmp/", "daysFromHidingToDeleting": 1}],
        "cors_rules": [
            {
                "corsRuleName": "downloads",
                "allowedOrigins": ["https://example.com"],
                "allowedOperations": ["b2_download_file_by_name"],
                "maxAgeSeconds": 3600,
            }
        ],
    },
    "lock": {
        "file_lock_enabled": True,
        "default_retention": {"mode": "governance", "period": {"duration": 7, "unit": "days"}},
        "default_server_side_encryption": {"mode": "SSE-B2", "algorithm": "AES256"},
    },
}


@pytest.mark.parametrize("update", sorted(UPDATES))
@pytest.mark.parametrize("delay", [None, LATE], ids=["answer-dropped", "answer-late"])
def test_update_bucket_if_revision_is_resend_returns_the_updated_bucket(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer, delay: float | None, update: str
) -> None:
    late(b2_emulator, "b2_update_bucket", delay=delay)
    b2_emulator.reset_counters()
    updated = client.update_bucket(
        bucket["bucketId"], if_revision_is=bucket["revision"], **UPDATES[update]
    )  # the resend hears 409 conflict: the lost attempt moved the revision on
    assert endpoint_calls(b2_emulator, "b2_update_bucket") == 2
    assert updated["revision"] == bucket["revision"] + 1  # updated once
    b2_emulator.set_faults()
    assert client.get_bucket(bucket_id=bucket["bucketId"]) == updated


def test_update_bucket_conflict_with_another_update_still_raises(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer
) -> None:
    # Someone else updated the bucket after the lost attempt: the revision moved twice, so
    # the conflict is real and reaches the caller.
    late(b2_emulator, "b2_update_bucket", delay=LATE)
    other = make_client(b2_emulator, SleepRecorder())

    def interfere(_seconds: float) -> None:
        other.update_bucket(bucket["bucketId"], bucket_info={"by": "other"})

    client.retry = RetryPolicy(sleep=interfere, jitter=0)
    with other, pytest.raises(B2Conflict):
        client.update_bucket(
            bucket["bucketId"], if_revision_is=bucket["revision"], bucket_info={"by": "me"}
        )
    assert client.get_bucket(bucket_id=bucket["bucketId"])["bucketInfo"] == {"by": "other"}


def test_update_bucket_stale_revision_still_raises(client: B2Client, bucket: Bucket) -> None:
    # Control: no lost answer, so B2's conflict reaches the caller as before.
    client.update_bucket(bucket["bucketId"], bucket_info={"first": "1"})
    with pytest.raises(B2Conflict):
        client.update_bucket(
            bucket["bucketId"], if_revision_is=bucket["revision"], bucket_info={"second": "2"}
        )


def test_delete_key_without_the_right_to_list_keys_raises_as_before(
    client: B2Client, b2_emulator: EmulatorServer, sleeps: SleepRecorder
) -> None:
    # A key that may delete keys but not list them cannot read the key first: after a lost
    # answer the resend's not-found is raised, as before (documented), and nothing else breaks.
    admin = client.create_key("deleter", ["deleteKeys"])
    target = client.create_key("late-delete-me", ["listBuckets"])
    with B2Client(
        admin["applicationKeyId"],
        admin["applicationKey"],
        api_url=b2_emulator.url,
        retry=RetryPolicy(sleep=sleeps, jitter=0),
        timeout=(5.0, READ_TIMEOUT),
    ) as deleter:
        late(b2_emulator, "b2_delete_key")
        with pytest.raises(B2BadRequest) as info:
            deleter.delete_key(target["applicationKeyId"])
    assert (info.value.status, info.value.code) == (400, "bad_request")
    b2_emulator.set_faults()
    left = [k["applicationKeyId"] for k in client.list_keys()["keys"]]
    assert left == [admin["applicationKeyId"]]


def test_a_busy_b2_fails_the_read_before_anything_is_removed(
    client: B2Client, b2_emulator: EmulatorServer
) -> None:
    # The read goes first; when B2 is busy past the retries its error is raised and the
    # delete is never sent (the call does not wait twice as long as before).
    key = client.create_key("late-busy", ["listBuckets"])
    b2_emulator.set_faults(api_503_rate=1.0, retry_after=0)
    b2_emulator.reset_counters()
    with pytest.raises(B2ServiceError):
        client.delete_key(key["applicationKeyId"])
    assert endpoint_calls(b2_emulator, "b2_list_keys") == 5
    assert endpoint_calls(b2_emulator, "b2_delete_key") == 0
    b2_emulator.set_faults()
    assert [k["applicationKeyId"] for k in client.list_keys()["keys"]] == [key["applicationKeyId"]]
