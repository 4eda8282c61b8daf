"""Every B2Client method over real HTTP against the emulator."""

from __future__ import annotations

import hashlib
import io
import threading

import pytest
import requests

from django_b2.client import (
    B2BadRequest,
    B2Client,
    B2Conflict,
    B2NotFound,
    B2RangeNotSatisfiable,
    B2Unauthorized,
    Bucket,
)
from django_b2.emulator import EmulatorServer

# --- account -------------------------------------------------------------------------------------


def test_authorize_and_account(client: B2Client, b2_emulator: EmulatorServer) -> None:
    body = client.authorize()
    assert body["accountId"] == b2_emulator.account_id
    auth = client.authorization
    assert auth.account_id == b2_emulator.account_id == client.account_id
    assert auth.api_url == b2_emulator.url
    assert auth.absolute_minimum_part_size == 1000
    assert "writeFiles" in auth.capabilities
    assert auth.bucket_id is None
    assert auth.authorization_token == body["authorizationToken"]


def test_no_network_until_first_call(b2_emulator: EmulatorServer) -> None:
    b2_emulator.reset_counters()
    client = B2Client(
        b2_emulator.application_key_id, b2_emulator.application_key, api_url=b2_emulator.url
    )
    assert b2_emulator.counters()["total"] == 0
    client.list_buckets()
    assert b2_emulator.counters()["by_endpoint"]["b2_authorize_account"] == 1


# --- buckets -------------------------------------------------------------------------------------


def test_bucket_lifecycle(client: B2Client) -> None:
    created = client.create_bucket(
        "bucket-life",
        "allPublic",
        bucket_info={"Cache-Control": "max-age=60"},
        lifecycle_rules=[{"fileNamePrefix": "tmp/", "daysFromHidingToDeleting": 1}],
    )
    assert created["bucketName"] == "bucket-life"
    assert created["bucketType"] == "allPublic"
    assert created["bucketInfo"] == {"Cache-Control": "max-age=60"}
    names = [b["bucketName"] for b in client.list_buckets()["buckets"]]
    assert "bucket-life" in names
    assert client.get_bucket(bucket_id=created["bucketId"])["bucketName"] == "bucket-life"

    updated = client.update_bucket(
        created["bucketId"], bucket_type="allPrivate", if_revision_is=created["revision"]
    )
    assert updated["bucketType"] == "allPrivate"
    assert updated["revision"] > created["revision"]
    with pytest.raises(B2Conflict):
        client.update_bucket(
            created["bucketId"], bucket_info={}, if_revision_is=created["revision"]
        )

    deleted = client.delete_bucket(created["bucketId"])
    assert deleted["bucketId"] == created["bucketId"]
    with pytest.raises(B2NotFound):
        client.get_bucket(bucket_name="bucket-life")


def test_list_buckets_filters(client: B2Client, bucket: Bucket) -> None:
    client.create_bucket("other-bucket", "allPublic")
    only = client.list_buckets(bucket_name="other-bucket")["buckets"]
    assert [b["bucketName"] for b in only] == ["other-bucket"]
    public = client.list_buckets(bucket_types=["allPublic"])["buckets"]
    assert [b["bucketName"] for b in public] == ["other-bucket"]


def test_duplicate_bucket_is_bad_request(client: B2Client, bucket: Bucket) -> None:
    with pytest.raises(B2BadRequest) as info:
        client.create_bucket(bucket["bucketName"], "allPrivate")
    assert info.value.code == "duplicate_bucket_name"


# --- uploads, file info, hide/delete -------------------------------------------------------------


def test_upload_bytes_and_read_back(client: B2Client, bucket: Bucket) -> None:
    data = b"hello, b2"
    version = client.upload_file(
        bucket["bucketId"],
        "docs/h\u00e9llo world+.txt",
        data,
        content_type="text/plain",
        file_info={"author": "me & you", "b2-cache-control": "max-age=5"},
    )
    assert version["contentSha1"] == hashlib.sha1(data).hexdigest()
    assert version["contentLength"] == len(data)
    assert version["fileName"] == "docs/h\u00e9llo world+.txt"
    assert version["fileInfo"]["author"] == "me & you"

    info = client.get_file_info(version["fileId"] or "")
    assert info["fileInfo"] == version["fileInfo"]
    head = client.get_file_info_by_name(bucket["bucketName"], "docs/h\u00e9llo world+.txt")
    assert head["fileId"] == version["fileId"]
    assert head["fileName"] == "docs/h\u00e9llo world+.txt"
    assert head["contentLength"] == len(data)
    assert head["contentType"] == "text/plain"
    assert head["fileInfo"]["author"] == "me & you"
    assert head["headers"]["Cache-Control"] == "max-age=5"


def test_upload_file_object_from_current_position(client: B2Client, bucket: Bucket) -> None:
    stream = io.BytesIO(b"SKIP" + b"payload")
    stream.seek(4)
    version = client.upload_file(bucket["bucketId"], "f.bin", stream)
    assert version["contentLength"] == 7
    assert version["contentSha1"] == hashlib.sha1(b"payload").hexdigest()


def test_upload_with_explicit_url_and_zero_bytes(client: B2Client, bucket: Bucket) -> None:
    url = client.get_upload_url(bucket["bucketId"])
    assert url["bucketId"] == bucket["bucketId"]
    version = client.upload_file(
        bucket["bucketId"],
        "empty",
        b"",
        upload_url=url["uploadUrl"],
        authorization_token=url["authorizationToken"],
    )
    assert version["contentLength"] == 0


def test_upload_progress_is_reported(client: B2Client, bucket: Bucket) -> None:
    seen: list[tuple[int, int | None]] = []
    client.upload_file(
        bucket["bucketId"], "p", b"x" * 3000, progress=lambda d, t: seen.append((d, t))
    )
    assert seen[-1] == (3000, 3000)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_wrong_sha1_is_rejected(client: B2Client, bucket: Bucket) -> None:
    with pytest.raises(B2BadRequest):
        client.upload_file(bucket["bucketId"], "bad", b"abc", content_sha1="0" * 40)


def test_hide_and_delete_versions(client: B2Client, bucket: Bucket) -> None:
    bid = bucket["bucketId"]
    first = client.upload_file(bid, "a.txt", b"1")
    second = client.upload_file(bid, "a.txt", b"22")
    hidden = client.hide_file(bid, "a.txt")
    assert hidden["action"] == "hide"
    assert [f["fileName"] for f in client.list_file_names(bid)["files"]] == []
    with pytest.raises(B2NotFound):
        client.get_file_info_by_name(bucket["bucketName"], "a.txt")
    versions = client.list_file_versions(bid)["files"]
    assert [v["action"] for v in versions] == ["hide", "upload", "upload"]
    for version in versions:
        gone = client.delete_file_version(version["fileName"], version["fileId"] or "")
        assert gone["fileId"] == version["fileId"]
    assert client.list_file_versions(bid)["files"] == []
    with pytest.raises(B2NotFound):  # 400 file_not_present maps to not-found
        client.delete_file_version("a.txt", first["fileId"] or "")
    with pytest.raises(B2NotFound):  # 400 no_such_file
        client.hide_file(bid, "a.txt")
    assert second["fileId"] != first["fileId"]


# --- listing -------------------------------------------------------------------------------------


def test_listing_pages_prefix_and_delimiter(client: B2Client, bucket: Bucket) -> None:
    bid = bucket["bucketId"]
    names = ["photos/a.jpg", "photos/cats/x.jpg", "photos/cats/y.jpg", "photos/m.jpg", "z.txt"]
    for name in names:
        client.upload_file(bid, name, name.encode())
    client.upload_file(bid, "z.txt", b"second version")

    page = client.list_file_names(bid, max_file_count=2)
    assert [f["fileName"] for f in page["files"]] == names[:2]
    assert page["nextFileName"] is not None
    assert [f["fileName"] for f in client.iter_file_names(bid, page_size=2)] == names
    folders = client.list_file_names(bid, prefix="photos/", delimiter="/")["files"]
    assert [(f["fileName"], f["action"]) for f in folders] == [
        ("photos/a.jpg", "upload"),
        ("photos/cats/", "folder"),
        ("photos/m.jpg", "upload"),
    ]
    assert [f["fileName"] for f in client.iter_file_names(bid, prefix="photos/cats/")] == names[1:3]

    versions = list(client.iter_file_versions(bid, page_size=1))
    assert [v["fileName"] for v in versions] == [*names, "z.txt"]
    assert versions[-2]["contentLength"] == len(b"second version")  # newest first
    page = client.list_file_versions(
        bid, start_file_name="z.txt", start_file_id=versions[-1]["fileId"]
    )
    assert [v["fileId"] for v in page["files"]] == [versions[-1]["fileId"]]


# --- copy ----------------------------------------------------------------------------------------


def test_copy_file(client: B2Client, bucket: Bucket) -> None:
    bid = bucket["bucketId"]
    source = client.upload_file(
        bid, "src.txt", b"0123456789", content_type="text/plain", file_info={"k": "v"}
    )
    copied = client.copy_file(source["fileId"] or "", "copy.txt")
    assert copied["fileInfo"] == {"k": "v"}
    assert copied["contentType"] == "text/plain"
    part = client.copy_file(source["fileId"] or "", "part.txt", range=(2, 4))
    assert part["contentLength"] == 3
    other = client.create_bucket("copy-target", "allPrivate")
    replaced = client.copy_file(
        source["fileId"] or "",
        "replaced.bin",
        destination_bucket_id=other["bucketId"],
        metadata_directive="REPLACE",
        content_type="application/x-test",
        file_info={"new": "1"},
    )
    assert replaced["bucketId"] == other["bucketId"]
    assert replaced["contentType"] == "application/x-test"
    assert replaced["fileInfo"] == {"new": "1"}
    with client.download_file_by_id(part["fileId"] or "") as downloaded:
        assert downloaded.read() == b"234"


# --- large files ---------------------------------------------------------------------------------


def test_large_file_flow(client: B2Client, bucket: Bucket) -> None:
    bid = bucket["bucketId"]
    started = client.start_large_file(
        bid, "big.bin", content_type="application/x-big", file_info={"large_file_sha1": "x" * 40}
    )
    file_id = started["fileId"] or ""
    assert started["action"] == "start"
    unfinished = client.list_unfinished_large_files(bid)["files"]
    assert [f["fileId"] for f in unfinished] == [file_id]

    parts_data = [b"a" * 1000, b"b" * 1000, b"c" * 10]
    sha1s = []
    for number, data in enumerate(parts_data, start=1):
        part = client.upload_part(file_id, number, data)
        assert part["partNumber"] == number
        sha1s.append(part["contentSha1"])
    assert sha1s[0] == hashlib.sha1(parts_data[0]).hexdigest()
    listed = client.list_parts(file_id, max_part_count=2)
    assert [p["partNumber"] for p in listed["parts"]] == [1, 2]
    assert listed["nextPartNumber"] == 3
    assert [p["partNumber"] for p in client.list_parts(file_id, start_part_number=3)["parts"]] == [
        3
    ]

    url = client.get_upload_part_url(file_id)
    assert url["fileId"] == file_id
    finished = client.finish_large_file(file_id, sha1s)
    assert finished["action"] == "upload"
    assert finished["contentLength"] == 2010
    assert client.list_unfinished_large_files(bid)["files"] == []
    with client.download_file_by_name(bucket["bucketName"], "big.bin") as downloaded:
        assert downloaded.read() == b"".join(parts_data)


def test_copy_part_and_cancel(client: B2Client, bucket: Bucket) -> None:
    bid = bucket["bucketId"]
    source = client.upload_file(bid, "source", bytes(range(256)) * 8)
    started = client.start_large_file(bid, "assembled")
    file_id = started["fileId"] or ""
    part = client.copy_part(source["fileId"] or "", file_id, 1, range=(0, 999))
    assert part["contentLength"] == 1000
    cancelled = client.cancel_large_file(file_id)
    assert cancelled["fileId"] == file_id
    assert client.list_unfinished_large_files(bid)["files"] == []


def test_finish_with_wrong_sha1_fails(client: B2Client, bucket: Bucket) -> None:
    started = client.start_large_file(bucket["bucketId"], "bad-big")
    file_id = started["fileId"] or ""
    client.upload_part(file_id, 1, b"a" * 1000)
    client.upload_part(file_id, 2, b"b")
    with pytest.raises(B2BadRequest):
        client.finish_large_file(file_id, ["0" * 40, "1" * 40])


# --- downloads and signed URLs -------------------------------------------------------------------


def test_download_by_name_and_id_with_range(client: B2Client, bucket: Bucket) -> None:
    data = bytes(range(200))
    version = client.upload_file(bucket["bucketId"], "d/r.bin", data)
    with client.download_file_by_name(bucket["bucketName"], "d/r.bin") as full:
        assert full.read() == data
        assert full.file_id == version["fileId"]
        assert full.status_code == 200
    with client.download_file_by_id(version["fileId"] or "", range=(10, 19)) as part:
        assert part.read() == data[10:20]
        assert part.status_code == 206
    with client.download_file_by_name(bucket["bucketName"], "d/r.bin", range=(190, None)) as tail:
        assert tail.read() == data[190:]
    with client.download_file_by_name(bucket["bucketName"], "d/r.bin", range="bytes=-5") as last:
        assert last.read() == data[-5:]
    with pytest.raises(B2RangeNotSatisfiable):
        client.download_file_by_id(version["fileId"] or "", range=(500, 600))
    with pytest.raises(B2NotFound):
        client.download_file_by_name(bucket["bucketName"], "missing")


def test_download_overrides(client: B2Client, bucket: Bucket) -> None:
    client.upload_file(bucket["bucketId"], "o.txt", b"o")
    with client.download_file_by_name(
        bucket["bucketName"], "o.txt", b2_content_disposition="attachment; filename=o.txt"
    ) as downloaded:
        assert downloaded.headers["Content-Disposition"] == "attachment; filename=o.txt"
        assert downloaded.read() == b"o"


def test_download_authorization_token(client: B2Client, bucket: Bucket) -> None:
    client.upload_file(bucket["bucketId"], "shared/a.txt", b"A")
    client.upload_file(bucket["bucketId"], "private/b.txt", b"B")
    grant = client.get_download_authorization(bucket["bucketId"], "shared/", 60)
    assert grant["fileNamePrefix"] == "shared/"
    token = grant["authorizationToken"]
    with client.download_file_by_name(
        bucket["bucketName"], "shared/a.txt", authorization=token
    ) as f:
        assert f.read() == b"A"
    with pytest.raises(B2Unauthorized):
        client.download_file_by_name(bucket["bucketName"], "private/b.txt", authorization=token)


def test_signed_download_url(client: B2Client, bucket: Bucket) -> None:
    client.upload_file(bucket["bucketId"], "signed dir/\u00e9.txt", b"signed")
    url = client.signed_download_url(
        bucket["bucketName"],
        "signed dir/\u00e9.txt",
        valid_duration_in_seconds=300,
        b2_content_disposition="attachment",
    )
    assert "/file/client-tests/signed%20dir/%C3%A9.txt?Authorization=" in url
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == b"signed"
    assert response.headers["Content-Disposition"] == "attachment"
    # The token covers exactly this name, not its siblings.
    client.upload_file(bucket["bucketId"], "signed dir/\u00e9.txt2", b"other")
    sibling = url.replace(".txt?", ".txt2?")
    assert requests.get(sibling, timeout=10).status_code == 200  # B2 tokens are prefixes
    no_token = url.split("?")[0]
    assert requests.get(no_token, timeout=10).status_code == 401


def test_signed_url_with_known_bucket_id_makes_one_call(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer
) -> None:
    client.authorize()
    b2_emulator.reset_counters()
    client.signed_download_url(
        bucket["bucketName"], "x", bucket_id=bucket["bucketId"], valid_duration_in_seconds=5
    )
    assert b2_emulator.counters()["by_endpoint"] == {"b2_get_download_authorization": 1}


# --- keys ----------------------------------------------------------------------------------------


def test_keys(client: B2Client, bucket: Bucket) -> None:
    created = client.create_key(
        "reader-1",
        ["listFiles", "readFiles"],
        bucket_id=bucket["bucketId"],
        name_prefix="pub/",
        valid_duration_in_seconds=3600,
    )
    assert created["applicationKey"]
    assert created["capabilities"] == ["listFiles", "readFiles"]
    assert created["expirationTimestamp"] is not None
    client.create_key("writer-2", ["writeFiles"])
    page = client.list_keys(max_key_count=1)
    assert len(page["keys"]) == 1
    assert page["nextApplicationKeyId"] is not None
    rest = client.list_keys(start_application_key_id=page["nextApplicationKeyId"])
    all_ids = {k["applicationKeyId"] for k in page["keys"] + rest["keys"]}
    assert created["applicationKeyId"] in all_ids
    assert all("applicationKey" not in k for k in rest["keys"])
    deleted = client.delete_key(created["applicationKeyId"])
    assert deleted["applicationKeyId"] == created["applicationKeyId"]
    remaining = {k["applicationKeyId"] for k in client.list_keys()["keys"]}
    assert created["applicationKeyId"] not in remaining


# --- high level delegation -----------------------------------------------------------------------


def test_upload_and_download_delegate_to_transfer_engine(
    client: B2Client, bucket: Bucket, tmp_path: object
) -> None:
    import pathlib

    assert isinstance(tmp_path, pathlib.Path)
    data = b"0123456789" * 500  # above 2 * 1000-byte minimum part size: a large file
    version = client.upload(
        bucket["bucketId"], "hl.bin", data, large_file_threshold=2000, part_size=1000
    )
    assert version["contentLength"] == len(data)
    target = tmp_path / "out.bin"
    client.download(bucket_name=bucket["bucketName"], file_name="hl.bin", destination=str(target))
    assert target.read_bytes() == data


def test_concurrent_uploads_never_share_a_url(
    client: B2Client, bucket: Bucket, b2_emulator: EmulatorServer
) -> None:
    b2_emulator.reset_counters()
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for index in range(5):
                client.upload_file(bucket["bucketId"], f"w{worker}/{index}", b"x" * 2000)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    by_endpoint = b2_emulator.counters()["by_endpoint"]
    assert by_endpoint["b2_upload_file"] == 30  # no upload was refused for a busy URL
    assert by_endpoint["b2_get_upload_url"] <= 6  # at most one URL per concurrent upload
    assert len(list(client.iter_file_names(bucket["bucketId"]))) == 30
