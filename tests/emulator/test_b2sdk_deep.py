"""b2sdk's less-travelled paths against the emulator: sync, streams, copies, concatenation,
parallel downloads, listings, unfinished large files, unhide, restricted keys, bucket revisions,
Object Lock, SSE and b2sdk's own retries under injected faults.

Anything b2sdk cannot do against the emulator is an emulator bug until shown otherwise.
"""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from b2sdk._internal.exception import FileNotHidden
from b2sdk.v2 import (
    SSE_B2_AES,
    B2Api,
    B2HttpApiConfig,
    Bucket,
    BucketRetentionSetting,
    CompareVersionMode,
    CopySource,
    EncryptionAlgorithm,
    EncryptionKey,
    EncryptionMode,
    EncryptionSetting,
    FileRetentionSetting,
    InMemoryAccountInfo,
    KeepOrDeleteMode,
    LegalHold,
    NewerFileSyncMode,
    RetentionMode,
    RetentionPeriod,
    ScanPoliciesManager,
    Synchronizer,
    SyncReport,
    UploadSourceBytes,
    WriteIntent,
    parse_folder,
)
from b2sdk.v2.exception import (
    AccessDenied,
    BucketIdNotFound,
    Conflict,
    FileNotPresent,
    RestrictedBucket,
    Unauthorized,
)

from django_b2.emulator import EmulatorServer

MIN_PART = 1000


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(absolute_minimum_part_size=MIN_PART, recommended_part_size=4000) as srv:
        yield srv


def make_api(server: EmulatorServer, **config: Any) -> B2Api:
    b2 = B2Api(
        InMemoryAccountInfo(),
        max_upload_workers=3,
        max_copy_workers=3,
        max_download_workers=3,
        **config,
    )
    b2.authorize_account(server.url, server.application_key_id, server.application_key)
    return b2


@pytest.fixture
def api(server: EmulatorServer) -> B2Api:
    server.reset()
    return make_api(server)


@pytest.fixture
def bucket(api: B2Api) -> Bucket:
    return api.create_bucket("deep-bucket", "allPrivate")


def read(bucket: Bucket, name: str, **kw: Any) -> bytes:
    out = io.BytesIO()
    bucket.download_file_by_name(name, **kw).save(out)
    return out.getvalue()


def quiet_report() -> SyncReport:
    return SyncReport(io.StringIO(), no_progress=True)


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


# --- sync -----------------------------------------------------------------------------------


def test_sync_local_to_bucket_and_back(api: B2Api, bucket: Bucket, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub" / "deeper").mkdir(parents=True)
    (src / "a.txt").write_bytes(b"alpha")
    (src / "sub" / "b.bin").write_bytes(os.urandom(5000))  # above the part size: a large file
    (src / "sub" / "deeper" / "c é.txt").write_bytes(b"unicode name")
    (src / "skip.tmp").write_bytes(b"excluded")
    policies = ScanPoliciesManager(exclude_file_regexes=[r".*\.tmp$"])
    synchronizer = Synchronizer(
        max_workers=3,
        policies_manager=policies,
        newer_file_mode=NewerFileSyncMode.REPLACE,
        keep_days_or_delete=KeepOrDeleteMode.DELETE,
        compare_version_mode=CompareVersionMode.MODTIME,
    )
    now = int(time.time() * 1000)
    up_src = parse_folder(str(src), api)
    up_dst = parse_folder("b2://deep-bucket/mirror", api)
    synchronizer.sync_folders(up_src, up_dst, now, quiet_report())
    listed = {v.file_name: v.size for v, _ in bucket.ls("mirror", recursive=True)}
    assert listed == {
        "mirror/a.txt": 5,
        "mirror/sub/b.bin": 5000,
        "mirror/sub/deeper/c é.txt": 12,
    }
    # b2sdk stores the local mtime and compares it on the next run: nothing to do
    info = bucket.get_file_info_by_name("mirror/a.txt")
    assert int(info.file_info["src_last_modified_millis"]) == int(
        (src / "a.txt").stat().st_mtime * 1000
    )
    # change one file, delete another, sync again: the bucket follows
    (src / "a.txt").write_bytes(b"alpha, second edition")
    os.utime(src / "a.txt", (time.time() + 10, time.time() + 10))
    (src / "sub" / "deeper" / "c é.txt").unlink()
    synchronizer.sync_folders(
        parse_folder(str(src), api),
        parse_folder("b2://deep-bucket/mirror", api),
        now + 20_000,
        quiet_report(),
    )
    assert read(bucket, "mirror/a.txt") == b"alpha, second edition"
    assert [v.file_name for v, _ in bucket.ls("mirror", recursive=True)] == [
        "mirror/a.txt",
        "mirror/sub/b.bin",
    ]
    # and back down into an empty directory
    back = tmp_path / "back"
    back.mkdir()
    down = Synchronizer(max_workers=3, newer_file_mode=NewerFileSyncMode.REPLACE)
    down.sync_folders(
        parse_folder("b2://deep-bucket/mirror", api),
        parse_folder(str(back), api),
        now,
        quiet_report(),
    )
    expected = tree(src)
    del expected["skip.tmp"]
    assert tree(back) == expected


# --- streams, copies and concatenation --------------------------------------------------------


def test_upload_unbound_stream(bucket: Bucket, server: EmulatorServer) -> None:
    data = os.urandom(9_500)
    server.reset_counters()
    version = bucket.upload_unbound_stream(
        io.BytesIO(data), "stream.bin", min_part_size=MIN_PART, buffer_size=2000
    )
    counts = server.counters()["by_endpoint"]
    assert counts["b2_upload_part"] == 5
    assert version.size == 9_500
    assert read(bucket, "stream.bin") == data
    # a stream shorter than one buffer becomes a simple upload
    small = bucket.upload_unbound_stream(io.BytesIO(b"tiny"), "tiny.bin", buffer_size=2000)
    assert small.size == 4
    assert read(bucket, "tiny.bin") == b"tiny"


def test_large_copy_uses_copy_parts(bucket: Bucket, server: EmulatorServer) -> None:
    data = os.urandom(11_000)
    source = bucket.upload_bytes(data, "copy-src.bin", file_info={"origin": "src"})
    server.reset_counters()
    # with the length given, b2sdk plans a large file of b2_copy_parts
    copied = bucket.copy(
        source.id_, "copy-dst.bin", length=11_000, max_part_size=3000, min_part_size=MIN_PART
    )
    counts = server.counters()["by_endpoint"]
    assert counts.get("b2_copy_part", 0) >= 4
    assert counts["b2_start_large_file"] == 1
    assert counts["b2_finish_large_file"] == 1
    assert copied.size == 11_000
    assert read(bucket, "copy-dst.bin") == data
    # a ranged large copy of the middle
    middle = bucket.copy(
        source.id_, "middle.bin", offset=1000, length=7000, max_part_size=3000, min_part_size=1000
    )
    assert middle.size == 7000
    assert read(bucket, "middle.bin") == data[1000:8000]


def test_create_file_mixing_upload_and_copy(bucket: Bucket) -> None:
    head = os.urandom(3000)
    tail = os.urandom(2500)
    remote = bucket.upload_bytes(head + tail, "remote.bin")
    fresh = os.urandom(2000)
    intents = [
        WriteIntent(CopySource(remote.id_, offset=0, length=3000), destination_offset=0),
        WriteIntent(UploadSourceBytes(fresh), destination_offset=3000),
        WriteIntent(CopySource(remote.id_, offset=3000, length=2500), destination_offset=5000),
    ]
    made = bucket.create_file(intents, "mixed.bin", min_part_size=MIN_PART, max_part_size=3000)
    assert made.size == 7500
    assert read(bucket, "mixed.bin") == head + fresh + tail
    joined = bucket.concatenate(
        [CopySource(remote.id_, offset=0, length=3000), UploadSourceBytes(b"-" * 1500)],
        "joined.bin",
        min_part_size=MIN_PART,
    )
    assert joined.size == 4500
    assert read(bucket, "joined.bin") == head + b"-" * 1500


# --- downloads --------------------------------------------------------------------------------


def test_parallel_range_download_with_sha1_check(
    api: B2Api, bucket: Bucket, server: EmulatorServer, tmp_path: Path
) -> None:
    data = os.urandom(7000)
    version = bucket.upload_bytes(data, "parallel.bin")  # a simple file: it has a SHA-1
    assert version.content_sha1 == hashlib.sha1(data).hexdigest()
    parallel = api.services.download_manager.strategies[0]
    parallel.min_part_size = 1000  # b2sdk's default is 100 MB
    server.reset_counters()
    target = tmp_path / "by-name.bin"
    downloaded = bucket.download_file_by_name("parallel.bin")
    downloaded.save_to(str(target))
    assert target.read_bytes() == data
    assert server.counters()["by_endpoint"]["b2_download_file_by_name"] > 1  # ranged streams
    assert downloaded.download_version.content_sha1 == hashlib.sha1(data).hexdigest()
    by_id = tmp_path / "by-id.bin"
    bucket.download_file_by_id(version.id_).save_to(str(by_id))
    assert by_id.read_bytes() == data


def test_download_of_large_file_checks_large_file_sha1(bucket: Bucket, tmp_path: Path) -> None:
    data = os.urandom(20_000)
    version = bucket.upload_bytes(data, "large-sha.bin")
    # B2 answers contentSha1 "none" for large files; b2sdk keeps the whole file's SHA-1 in
    # the large_file_sha1 file info and reads it back from there
    assert version.content_sha1 == "none"
    assert version.file_info["large_file_sha1"] == hashlib.sha1(data).hexdigest()
    downloaded = bucket.download_file_by_name("large-sha.bin")
    assert downloaded.download_version.content_sha1 == "none"
    assert downloaded.download_version.get_content_sha1() == hashlib.sha1(data).hexdigest()
    target = tmp_path / "out.bin"
    downloaded.save_to(str(target))
    assert target.read_bytes() == data


def test_get_file_info_by_name_headers(bucket: Bucket) -> None:
    bucket.upload_bytes(
        b"{}",
        "meta.json",
        content_type="application/json",
        file_info={"Owner": "me"},
        cache_control="max-age=60",
        content_disposition="attachment",
        content_language="en",
    )
    info = bucket.get_file_info_by_name("meta.json")
    assert info.content_type == "application/json"
    assert info.size == 2
    assert info.file_info["owner"] == "me"
    assert info.cache_control == "max-age=60"
    assert info.content_disposition == "attachment"
    assert info.content_language == "en"
    with pytest.raises(FileNotPresent):
        bucket.get_file_info_by_name("nope.json")


# --- listings ---------------------------------------------------------------------------------


def test_ls_folders_and_versions(bucket: Bucket) -> None:
    for name in ["a/1", "a/2", "b/c/3", "d", "e"]:
        bucket.upload_bytes(b"x", name)
    bucket.upload_bytes(b"y", "d")
    bucket.hide_file("e")
    top = [(v.file_name, folder) for v, folder in bucket.ls()]
    assert top == [("a/1", "a/"), ("b/c/3", "b/"), ("d", None)]
    inside_b = [(v.file_name, folder) for v, folder in bucket.ls("b")]
    assert inside_b == [("b/c/3", "b/c/")]
    everything = [(v.file_name, v.action) for v, _ in bucket.ls(latest_only=False, recursive=True)]
    assert everything == [
        ("a/1", "upload"),
        ("a/2", "upload"),
        ("b/c/3", "upload"),
        ("d", "upload"),
        ("d", "upload"),
        ("e", "hide"),
        ("e", "upload"),
    ]


def test_unfinished_large_files_and_cancel(api: B2Api, bucket: Bucket) -> None:
    started = [
        api.services.large_file.start_large_file(bucket.id_, name, "b2/x-auto", {})
        for name in ["u/one.bin", "u/two.bin", "v/three.bin"]
    ]
    unfinished = sorted(f.file_name for f in bucket.list_unfinished_large_files())
    assert unfinished == ["u/one.bin", "u/two.bin", "v/three.bin"]
    assert [f.file_name for f in bucket.list_unfinished_large_files(prefix="u/")] == [
        "u/one.bin",
        "u/two.bin",
    ]
    assert [f.file_name for f in bucket.list_unfinished_large_files(batch_size=1)] == unfinished
    cancelled = bucket.cancel_large_file(started[0].file_id)
    assert cancelled.file_name == "u/one.bin"
    assert sorted(f.file_name for f in bucket.list_unfinished_large_files()) == [
        "u/two.bin",
        "v/three.bin",
    ]


def test_hide_then_unhide(bucket: Bucket) -> None:
    bucket.upload_bytes(b"visible", "toggle.txt")
    bucket.hide_file("toggle.txt")
    with pytest.raises(FileNotPresent):
        bucket.get_file_info_by_name("toggle.txt")
    bucket.unhide_file("toggle.txt")
    assert read(bucket, "toggle.txt") == b"visible"
    with pytest.raises(FileNotHidden):
        bucket.unhide_file("toggle.txt")


# --- keys and buckets -------------------------------------------------------------------------


def test_bucket_restricted_key(api: B2Api, bucket: Bucket, server: EmulatorServer) -> None:
    other = api.create_bucket("other-bucket", "allPrivate")
    key = api.create_key(
        capabilities=["listBuckets", "listFiles", "readFiles", "writeFiles", "deleteFiles"],
        key_name="restricted",
        bucket_id=bucket.id_,
    )
    restricted = B2Api(InMemoryAccountInfo())
    restricted.authorize_account(server.url, key.id_, key.application_key)
    allowed = restricted.account_info.get_allowed()
    assert allowed["bucketId"] == bucket.id_
    assert allowed["bucketName"] == "deep-bucket"
    assert allowed["namePrefix"] is None
    # a restricted key must name its bucket in b2_list_buckets (b2sdk.v2 checks that first)
    listed = restricted.list_buckets(bucket_name="deep-bucket")
    assert [b.name for b in listed] == ["deep-bucket"]
    mine = restricted.get_bucket_by_name("deep-bucket")
    mine.upload_bytes(b"from restricted", "r.txt")
    assert read(bucket, "r.txt") == b"from restricted"
    with pytest.raises(RestrictedBucket):
        restricted.get_bucket_by_name("other-bucket")
    with pytest.raises((AccessDenied, RestrictedBucket, BucketIdNotFound)):
        other_as_restricted = restricted.get_bucket_by_id(other.id_)
        other_as_restricted.upload_bytes(b"no", "x")


def test_update_bucket_if_revision_is(bucket: Bucket) -> None:
    updated = bucket.update(bucket_info={"v": "1"}, if_revision_is=bucket.revision)
    assert updated.revision == bucket.revision + 1
    assert updated.bucket_info == {"v": "1"}
    with pytest.raises(Conflict):
        bucket.update(bucket_info={"v": "2"}, if_revision_is=bucket.revision)


# --- Object Lock --------------------------------------------------------------------------------


def test_file_lock_retention_and_legal_hold(api: B2Api, server: EmulatorServer) -> None:
    created = api.create_bucket("locked-bucket", "allPrivate", is_file_lock_enabled=True)
    locked = created.update(
        default_retention=BucketRetentionSetting(RetentionMode.GOVERNANCE, RetentionPeriod(days=1))
    )
    assert locked.is_file_lock_enabled is True
    assert locked.default_retention.mode == RetentionMode.GOVERNANCE
    version = locked.upload_bytes(b"keep me", "kept.txt")
    assert version.file_retention.mode == RetentionMode.GOVERNANCE
    until = int((time.time() + 7200) * 1000)
    retention = api.update_file_retention(
        version.id_,
        "kept.txt",
        FileRetentionSetting(RetentionMode.COMPLIANCE, until),
    )
    assert retention.mode == RetentionMode.COMPLIANCE
    assert retention.retain_until == until
    hold = api.update_file_legal_hold(version.id_, "kept.txt", LegalHold.ON)
    assert hold == LegalHold.ON
    info = locked.get_file_info_by_id(version.id_)
    assert info.legal_hold == LegalHold.ON
    assert info.file_retention.mode == RetentionMode.COMPLIANCE
    with pytest.raises(Unauthorized, match="Access Denied"):  # B2: 401 "Access Denied"
        locked.delete_file_version(version.id_, "kept.txt")
    downloaded = locked.download_file_by_name("kept.txt")
    assert downloaded.download_version.legal_hold == LegalHold.ON
    assert downloaded.download_version.file_retention.retain_until == until
    api.update_file_legal_hold(version.id_, "kept.txt", LegalHold.OFF)
    assert locked.get_file_info_by_id(version.id_).legal_hold == LegalHold.OFF
    # an upload can carry its own retention and hold
    own = locked.upload_bytes(
        b"mine",
        "own.txt",
        file_retention=FileRetentionSetting(RetentionMode.GOVERNANCE, until),
        legal_hold=LegalHold.ON,
    )
    assert own.legal_hold == LegalHold.ON
    assert own.file_retention.retain_until == until


# --- encryption ---------------------------------------------------------------------------------


def test_sse_b2_upload_download_and_bucket_default(api: B2Api, bucket: Bucket) -> None:
    version = bucket.upload_bytes(b"sse-b2", "sse.txt", encryption=SSE_B2_AES)
    assert version.server_side_encryption == SSE_B2_AES
    downloaded = bucket.download_file_by_name("sse.txt")
    assert downloaded.download_version.server_side_encryption == SSE_B2_AES
    out = io.BytesIO()
    downloaded.save(out)
    assert out.getvalue() == b"sse-b2"
    default = api.create_bucket(
        "default-sse", "allPrivate", default_server_side_encryption=SSE_B2_AES
    )
    assert default.default_server_side_encryption == SSE_B2_AES
    plain = default.upload_bytes(b"x", "x.txt")
    assert plain.server_side_encryption == SSE_B2_AES


def test_sse_c_large_file_and_copy(bucket: Bucket) -> None:
    key = EncryptionSetting(
        mode=EncryptionMode.SSE_C,
        algorithm=EncryptionAlgorithm.AES256,
        key=EncryptionKey(secret=os.urandom(32), key_id="deep-key"),
    )
    data = os.urandom(5000)
    version = bucket.upload_bytes(data, "sealed-large.bin", encryption=key)
    assert version.server_side_encryption.mode == EncryptionMode.SSE_C
    assert read(bucket, "sealed-large.bin", encryption=key) == data
    copy = bucket.copy(
        version.id_,
        "sealed-copy.bin",
        source_encryption=key,
        destination_encryption=key,
        source_file_info=version.file_info,
        source_content_type=version.content_type,
    )
    assert copy.server_side_encryption.mode == EncryptionMode.SSE_C
    assert read(bucket, "sealed-copy.bin", encryption=key) == data


# --- faults: b2sdk retries ---------------------------------------------------------------------


class FailSomeUploadsSession(requests.Session):
    """A requests session that sends B2's test-mode header with every request."""

    def __init__(self) -> None:
        super().__init__()
        self.headers["X-Bz-Test-Mode"] = "fail_some_uploads"


def test_fail_some_uploads_b2sdk_retries(server: EmulatorServer) -> None:
    server.reset()
    server.set_faults(fail_some_uploads_rate=0.4, seed=3)
    try:
        b2 = make_api(
            server, api_config=B2HttpApiConfig(http_session_factory=FailSomeUploadsSession)
        )
        # b2sdk sleeps between upload retries; the emulator's Retry-After is 1 s, b2sdk's
        # own backoff for 503 is short, so keep the number of uploads small
        bucket = b2.create_bucket("faulty", "allPrivate")
        server.reset_counters()
        payloads = {f"f{i}.bin": os.urandom(300 + i) for i in range(6)}
        for name, data in payloads.items():
            bucket.upload_bytes(data, name)
        for name, data in payloads.items():
            assert read(bucket, name) == data
        counts = server.counters()["by_endpoint"]
        assert counts["b2_upload_file"] > len(payloads)  # some failed and were retried
        assert counts["b2_get_upload_url"] > 1  # a failed upload URL is not reused
    finally:
        server.set_faults()


def test_client_reset_on_idle_connection_is_quiet(
    server: EmulatorServer, capfd: pytest.CaptureFixture[str]
) -> None:
    """b2sdk drops keep-alive connections it no longer wants (an abandoned ranged download);
    the emulator used to print socketserver's ConnectionResetError traceback for each."""
    import socket
    import struct
    import threading

    server.reset()
    host, port = server.url.removeprefix("http://").split(":")
    before = threading.active_count()
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(
            b"GET /_emulator/counters HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + f"X-Emulator-Admin-Token: {server.admin_token}\r\n\r\n".encode()
        )
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        # linger 0: close sends RST while the server waits for the next request line
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    deadline = time.monotonic() + 5
    while threading.active_count() >= before + 1 and time.monotonic() < deadline:
        time.sleep(0.01)  # the handler thread ends once it has seen the reset
    assert "Traceback" not in capfd.readouterr().err


def test_notification_rules(api: B2Api, bucket: Bucket, server: EmulatorServer) -> None:
    """b2sdk's get/set_notification_rules used to get 404 (FileNotPresent) from the emulator."""
    from b2sdk._internal.exception import EventTypeInvalidError, EventTypeOverlapError

    assert bucket.get_notification_rules() == []
    rule: dict[str, Any] = {
        "eventTypes": ["b2:ObjectCreated:*", "b2:HideMarkerCreated:Hide"],
        "isEnabled": True,
        "name": "uploads-hook",
        "objectNamePrefix": "in/",
        "targetConfiguration": {
            "targetType": "webhook",
            "url": "https://example.com/hook",
            "hmacSha256SigningSecret": "s" * 32,
            "customHeaders": [{"name": "X-Team", "value": "storage"}],
        },
    }
    other = {**rule, "name": "another-hook", "objectNamePrefix": "out/"}
    stored = bucket.set_notification_rules([rule, other])
    assert [r["name"] for r in stored] == ["another-hook", "uploads-hook"]  # by name
    assert all(r["isSuspended"] is False and r["suspensionReason"] == "" for r in stored)
    assert bucket.get_notification_rules() == stored
    assert stored[1]["targetConfiguration"] == rule["targetConfiguration"]
    overlapping = {**rule, "name": "deeper-hook", "objectNamePrefix": "in/deep/"}
    with pytest.raises(EventTypeOverlapError):
        bucket.set_notification_rules([rule, overlapping])
    with pytest.raises(EventTypeInvalidError):
        bucket.set_notification_rules([{**rule, "eventTypes": ["b2:ObjectRead:*"]}])
    assert bucket.get_notification_rules() == stored  # a refused set changes nothing
    assert bucket.set_notification_rules([]) == []
    key = api.create_key(["listBuckets", "readFiles"], "no-notify", bucket_id=bucket.id_)
    limited = B2Api(InMemoryAccountInfo())
    limited.authorize_account(server.url, key.id_, key.application_key)
    with pytest.raises(Unauthorized, match="unauthorized for application key"):
        limited.get_bucket_by_name("deep-bucket").get_notification_rules()


class ExpireTokensSession(requests.Session):
    """Sends B2's test mode that expires account tokens on their second use."""

    def __init__(self) -> None:
        super().__init__()
        self.headers["X-Bz-Test-Mode"] = "expire_some_account_authorization_tokens"


def test_b2sdk_reauthorizes_on_expired_tokens(server: EmulatorServer) -> None:
    server.reset()
    b2 = make_api(server, api_config=B2HttpApiConfig(http_session_factory=ExpireTokensSession))
    bucket = b2.create_bucket("expiring", "allPrivate")
    server.reset_counters()
    for i in range(4):
        bucket.upload_bytes(b"x", f"f{i}")
    assert [v.file_name for v, _ in bucket.ls()] == ["f0", "f1", "f2", "f3"]
    assert server.counters()["by_endpoint"]["b2_authorize_account"] >= 1  # b2sdk re-authorized


def _round_trip(server: EmulatorServer, bucket: Bucket, faults: dict[str, Any]) -> int:
    """Upload and read back small and large files under ``faults``; the number of calls made."""
    payloads = {f"small{i}": os.urandom(500) for i in range(4)}
    payloads["large"] = os.urandom(9000)  # parts of ~4000
    server.set_faults(seed=5, retry_after=0, **faults)
    try:
        server.reset_counters()
        for name, data in payloads.items():
            bucket.upload_bytes(data, name)
        for name, data in payloads.items():
            assert read(bucket, name) == data
        assert [v.file_name for v, _ in bucket.ls()] == sorted(payloads)
        made: int = server.counters()["total"]
    finally:
        server.set_faults()
    return made


@pytest.mark.parametrize(
    "faults",
    [
        {"api_503_rate": 0.3},
        {"api_429_rate": 0.3},
        {"upload_503_rate": 0.4},
        {"drop_connection_rate": 0.4},
        {"expire_tokens_after_calls": 3},
    ],
    ids=lambda f: next(iter(f)),
)
def test_b2sdk_rides_out_faults(server: EmulatorServer, faults: dict[str, Any]) -> None:
    server.reset()
    b2 = make_api(server)
    baseline = _round_trip(server, b2.create_bucket("calm-bucket", "allPrivate"), {})
    faulty = _round_trip(server, b2.create_bucket("faulty", "allPrivate"), faults)
    assert faulty > baseline  # some calls failed and b2sdk repeated them


def test_sync_keep_days_hides_then_deletes(api: B2Api, bucket: Bucket, tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"a")
    (tmp_path / "b").write_bytes(b"b")
    now = int(time.time() * 1000)
    synchronizer = Synchronizer(
        max_workers=2,
        newer_file_mode=NewerFileSyncMode.REPLACE,
        keep_days_or_delete=KeepOrDeleteMode.KEEP_BEFORE_DELETE,
        keep_days=1,
    )

    def run(at: int) -> list[tuple[str, str]]:
        src, dst = parse_folder(str(tmp_path), api), parse_folder("b2://deep-bucket", api)
        synchronizer.sync_folders(src, dst, at, quiet_report())
        return [(v.file_name, v.action) for v, _ in bucket.ls(recursive=True, latest_only=False)]

    assert run(now) == [("a", "upload"), ("b", "upload")]
    (tmp_path / "b").unlink()
    (tmp_path / "a").write_bytes(b"a, edited")
    os.utime(tmp_path / "a", (time.time() + 5, time.time() + 5))
    # b is hidden (kept), a gets a new version (the old one kept)
    assert run(now + 10_000) == [("a", "upload"), ("a", "upload"), ("b", "hide"), ("b", "upload")]
    # three days later the superseded versions and b's hide marker are deleted
    assert run(now + 3 * 86_400_000) == [("a", "upload")]
    assert read(bucket, "a") == b"a, edited"
