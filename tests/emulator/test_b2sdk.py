"""The official b2sdk (``b2sdk.v2``) against the emulator: it must not notice the difference."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from b2sdk.v2 import B2Api, Bucket, InMemoryAccountInfo
from b2sdk.v2.exception import (
    FileNotPresent,
    MaxRetriesExceeded,
    NonExistentBucket,
    RestrictedBucket,
    Unauthorized,
)

from django_b2.emulator import EmulatorServer


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    # small parts so b2sdk splits a 50 kB upload into many parts
    with EmulatorServer(absolute_minimum_part_size=1000, recommended_part_size=5000) as srv:
        yield srv


@pytest.fixture
def api(server: EmulatorServer) -> B2Api:
    server.reset()
    b2 = B2Api(InMemoryAccountInfo(), max_upload_workers=4, max_copy_workers=2)
    b2.authorize_account(server.url, server.application_key_id, server.application_key)
    return b2


@pytest.fixture
def bucket(api: B2Api) -> Bucket:
    return api.create_bucket("sdk-bucket", "allPrivate")


def read(bucket: Bucket, name: str, **kw: object) -> bytes:
    out = io.BytesIO()
    bucket.download_file_by_name(name, **kw).save(out)
    return out.getvalue()


def test_authorize_and_account(api: B2Api, server: EmulatorServer) -> None:
    info = api.account_info
    assert info.get_account_id() == server.account_id
    assert info.get_api_url() == server.url
    assert info.get_absolute_minimum_part_size() == 1000
    assert info.get_recommended_part_size() == 5000


def test_bucket_calls(api: B2Api) -> None:
    bucket = api.create_bucket(
        "sdk-bucket", "allPrivate", bucket_info={"team": "a"}, cors_rules=[], lifecycle_rules=[]
    )
    assert api.get_bucket_by_name("sdk-bucket").id_ == bucket.id_
    assert [b.name for b in api.list_buckets()] == ["sdk-bucket"]
    updated = bucket.update(bucket_type="allPublic", bucket_info={"team": "b"})
    assert updated.type_ == "allPublic"
    assert updated.bucket_info == {"team": "b"}
    assert updated.revision == bucket.revision + 1
    api.delete_bucket(api.get_bucket_by_name("sdk-bucket"))
    with pytest.raises(NonExistentBucket):
        api.get_bucket_by_name("sdk-bucket")


def test_small_upload_and_info(bucket: Bucket) -> None:
    version = bucket.upload_bytes(b"hello", "greeting.txt", file_info={"lang": "en"})
    assert version.size == 5
    assert version.content_sha1 == hashlib.sha1(b"hello").hexdigest()
    info = bucket.get_file_info_by_id(version.id_)
    assert info.file_info == {"lang": "en"}
    assert info.content_type == "text/plain"
    assert read(bucket, "greeting.txt") == b"hello"
    head = bucket.get_file_info_by_name("greeting.txt")
    assert head.id_ == version.id_


def test_multipart_upload_on_threads(
    bucket: Bucket, server: EmulatorServer, tmp_path: Path
) -> None:
    server.reset_counters()
    data = os.urandom(50_000)
    version = bucket.upload_bytes(data, "big.bin")
    counters = server.counters()["by_endpoint"]
    assert counters["b2_start_large_file"] == 1
    assert counters["b2_upload_part"] >= 10
    assert counters["b2_get_upload_part_url"] > 1  # several threads, one URL each
    assert version.size == 50_000
    assert read(bucket, "big.bin") == data
    path = tmp_path / "local.bin"
    path.write_bytes(data[:23_456])
    local = bucket.upload_local_file(str(path), "local.bin", min_part_size=1000)
    assert local.size == 23_456
    assert read(bucket, "local.bin") == data[:23_456]


def test_listing_across_pages(bucket: Bucket) -> None:
    names = [f"dir{i % 3}/file{i:02d}" for i in range(12)] + ["top.txt"]
    for name in names:
        bucket.upload_bytes(name.encode(), name)
    bucket.upload_bytes(b"v2", "top.txt")
    listed = [v.file_name for v, _ in bucket.ls(recursive=True, fetch_count=5)]
    assert listed == sorted(names)
    top = [(v.file_name, folder) for v, folder in bucket.ls(fetch_count=2)]
    assert [folder for _, folder in top] == ["dir0/", "dir1/", "dir2/", None]
    inside = [v.file_name for v, _ in bucket.ls("dir1", fetch_count=2)]
    assert inside == sorted(n for n in names if n.startswith("dir1/"))
    versions = list(bucket.list_file_versions("top.txt", fetch_count=1))
    assert len(versions) == 2
    assert versions[0].upload_timestamp >= versions[1].upload_timestamp
    all_versions = [v.file_name for v, _ in bucket.ls(recursive=True, latest_only=False)]
    assert all_versions.count("top.txt") == 2


def test_ranged_downloads(bucket: Bucket) -> None:
    data = bytes(range(256)) * 40
    bucket.upload_bytes(data, "ranged.bin")
    assert read(bucket, "ranged.bin", range_=(100, 355)) == data[100:356]
    version = bucket.get_file_info_by_name("ranged.bin")
    out = io.BytesIO()
    bucket.download_file_by_id(version.id_, range_=(0, 9)).save(out)
    assert out.getvalue() == data[:10]


def test_hide_and_delete(bucket: Bucket) -> None:
    first = bucket.upload_bytes(b"one", "doc.txt")
    bucket.hide_file("doc.txt")
    assert [v.file_name for v, _ in bucket.ls()] == []
    with pytest.raises(FileNotPresent):
        read(bucket, "doc.txt")
    versions = list(bucket.list_file_versions("doc.txt"))
    assert [v.action for v in versions] == ["hide", "upload"]
    for version in versions:
        bucket.delete_file_version(version.id_, version.file_name)
    assert list(bucket.list_file_versions("doc.txt")) == []
    with pytest.raises(FileNotPresent):
        bucket.delete_file_version(first.id_, "doc.txt")


def test_copy(bucket: Bucket) -> None:
    source = bucket.upload_bytes(b"0123456789", "src.txt", file_info={"a": "b"})
    copied = bucket.copy(source.id_, "copy.txt")
    assert read(bucket, "copy.txt") == b"0123456789"
    assert bucket.get_file_info_by_id(copied.id_).file_info == {"a": "b"}
    part = bucket.copy(source.id_, "part.txt", offset=2, length=3, content_type="text/csv")
    assert read(bucket, "part.txt") == b"234"
    assert bucket.get_file_info_by_id(part.id_).content_type == "text/csv"
    big = bucket.upload_bytes(os.urandom(12_000), "big-src.bin")
    large_copy = bucket.copy(big.id_, "big-copy.bin", min_part_size=1000, max_part_size=5000)
    assert large_copy.size == 12_000
    assert read(bucket, "big-copy.bin") == read(bucket, "big-src.bin")


def test_download_authorization(api: B2Api, bucket: Bucket) -> None:
    bucket.upload_bytes(b"shared", "share/me.txt")
    bucket.upload_bytes(b"private", "other.txt")
    token = bucket.get_download_authorization("share/", 60)
    url = api.get_download_url_for_file_name("sdk-bucket", "share/me.txt")
    assert requests.get(url, params={"Authorization": token}).content == b"shared"
    other = api.get_download_url_for_file_name("sdk-bucket", "other.txt")
    assert requests.get(other, params={"Authorization": token}).status_code == 401
    assert requests.get(url).status_code == 401


def test_keys(api: B2Api, bucket: Bucket, server: EmulatorServer) -> None:
    key = api.create_key(
        capabilities=["listBuckets", "listFiles", "readFiles"],
        key_name="sdk-key",
        bucket_id=bucket.id_,
        name_prefix="pub/",
    )
    assert key.key_name == "sdk-key"
    listed = [k.id_ for k in api.list_keys()]
    assert listed == [key.id_]
    restricted = B2Api(InMemoryAccountInfo())
    restricted.authorize_account(server.url, key.id_, key.application_key)
    allowed = restricted.account_info.get_allowed()
    assert allowed["namePrefix"] == "pub/"
    # b2sdk.v2 folds v4's allowed.buckets back into bucketId/bucketName
    assert (allowed["bucketId"], allowed["bucketName"]) == (bucket.id_, "sdk-bucket")
    with pytest.raises(RestrictedBucket):
        restricted.get_bucket_by_name("another-bucket")
    mine = restricted.get_bucket_by_name("sdk-bucket")
    bucket.upload_bytes(b"p", "pub/x")
    assert [v.file_name for v, _ in mine.ls("pub", recursive=True)] == ["pub/x"]
    # B2's 401 is terse; b2sdk adds the key's capabilities to it
    with pytest.raises(
        (Unauthorized, MaxRetriesExceeded), match="unauthorized for application key"
    ):
        mine.upload_bytes(b"no", "pub/y")
    api.delete_key_by_id(key.id_)
    assert list(api.list_keys()) == []


def test_sse_c_round_trip(bucket: Bucket) -> None:
    from b2sdk.v2 import EncryptionAlgorithm, EncryptionKey, EncryptionMode, EncryptionSetting
    from b2sdk.v2.exception import BadRequest

    key = EncryptionSetting(
        mode=EncryptionMode.SSE_C,
        algorithm=EncryptionAlgorithm.AES256,
        key=EncryptionKey(secret=os.urandom(32), key_id="k1"),
    )
    bucket.upload_bytes(b"for your eyes", "sealed.txt", encryption=key)
    assert read(bucket, "sealed.txt", encryption=key) == b"for your eyes"
    with pytest.raises(BadRequest, match="stored using a form of Server Side Encryption"):
        read(bucket, "sealed.txt")


def test_file_kind_in_ids(bucket: Bucket) -> None:
    """b2sdk reads the kind of a file from its id (``FileVersion._type``)."""
    small = bucket.upload_bytes(b"s", "small.bin")
    large = bucket.upload_bytes(os.urandom(12_000), "large.bin")  # parts of 5000 bytes
    assert (small._type(), large._type()) == ("small", "large")
    assert len(small.id_) == len(large.id_) == 83
