"""Simple uploads, listings, versions, hide and delete over the wire."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pytest
import requests

from tests.emulator.conftest import Wire, error_of


@pytest.fixture
def bucket_id(wire: Wire) -> str:
    return str(wire.create_bucket()["bucketId"])


def names(files: list[dict[str, Any]]) -> list[str]:
    return [f["fileName"] for f in files]


def test_upload_response(wire: Wire, bucket_id: str) -> None:
    body = wire.upload_ok(
        bucket_id,
        "notes/ünï côdé.txt",
        b"hello",
        headers={"X-Bz-Info-Author": "J%C3%BCrgen", "X-Bz-Info-src_last_modified_millis": "1"},
    )
    assert body["action"] == "upload"
    assert body["fileName"] == "notes/ünï côdé.txt"
    assert body["contentSha1"] == hashlib.sha1(b"hello").hexdigest()
    assert body["contentType"] == "text/plain"
    assert body["fileInfo"] == {"author": "Jürgen", "src_last_modified_millis": "1"}
    assert body["bucketId"] == bucket_id
    assert body["accountId"] == wire.server.account_id
    assert body["fileRetention"]["isClientAuthorizedToRead"] is True
    assert body["legalHold"] == {"isClientAuthorizedToRead": True, "value": None}
    info = wire.ok("b2_get_file_info", fileId=body["fileId"])
    assert info == body


def test_zero_byte_upload_and_auto_content_type(wire: Wire, bucket_id: str) -> None:
    body = wire.upload_ok(bucket_id, "empty.json", b"", headers={"Content-Type": "b2/x-auto"})
    assert body["contentLength"] == 0
    assert body["contentType"] == "application/json"
    unknown = wire.upload_ok(
        bucket_id, "blob.zzzunknown", b"x", headers={"Content-Type": "b2/x-auto"}
    )
    assert unknown["contentType"] == "application/octet-stream"


def test_sha1_mismatch_stores_nothing(wire: Wire, bucket_id: str) -> None:
    response = wire.upload(bucket_id, "f", b"data", headers={"X-Bz-Content-Sha1": "0" * 40})
    assert error_of(response) == (400, "bad_request")
    assert wire.ok("b2_list_file_versions", bucketId=bucket_id)["files"] == []


def test_hex_digits_at_end(wire: Wire, bucket_id: str) -> None:
    data = os.urandom(3000)
    body = data + hashlib.sha1(data).hexdigest().encode()
    stored = wire.upload_ok(
        bucket_id, "trailer", body, headers={"X-Bz-Content-Sha1": "hex_digits_at_end"}
    )
    assert stored["contentLength"] == 3000
    assert stored["contentSha1"] == hashlib.sha1(data).hexdigest()
    wrong = data + b"0" * 40
    response = wire.upload(
        bucket_id, "trailer2", wrong, headers={"X-Bz-Content-Sha1": "hex_digits_at_end"}
    )
    assert error_of(response) == (400, "bad_request")


def test_do_not_verify(wire: Wire, bucket_id: str) -> None:
    stored = wire.upload_ok(bucket_id, "nv", b"abc", headers={"X-Bz-Content-Sha1": "do_not_verify"})
    assert stored["contentSha1"] == "unverified:" + hashlib.sha1(b"abc").hexdigest()


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Bz-Content-Sha1", "not-a-sha1"),
        ("X-Bz-File-Name", ""),
        ("X-Bz-File-Name", "a%01b"),
        ("X-Bz-File-Name", "del%7F"),
        ("X-Bz-File-Name", "x" * 1025),
        ("X-Bz-File-Name", "%C3%28"),
        ("Content-Type", "notamimetype"),
        ("X-Bz-Info-b2-unknown", "x"),
        ("X-Bz-Info-b2-expires", "not a date"),
        ("X-Bz-Info-bad(key)", "x"),
        ("X-Bz-Info-big", "v" * 7000),
        ("Content-Disposition", "inline"),
        ("X-Bz-File-Legal-Hold", "on"),
        ("X-Bz-File-Retention-Mode", "governance"),
    ],
)
def test_upload_header_rules(wire: Wire, bucket_id: str, header: str, value: str) -> None:
    response = wire.upload(bucket_id, "name", b"data", headers={header: value})
    code = "bucket_missing_file_lock" if header == "X-Bz-File-Legal-Hold" else "bad_request"
    assert error_of(response) == (400, code)


def test_file_info_count_and_b2_keys(wire: Wire, bucket_id: str) -> None:
    many = {f"X-Bz-Info-k{i}": "v" for i in range(11)}
    assert error_of(wire.upload(bucket_id, "n", b"x", headers=many)) == (400, "bad_request")
    ten = {f"X-Bz-Info-k{i}": "v" for i in range(10)}
    assert wire.upload(bucket_id, "n", b"x", headers=ten).status_code == 200
    b2 = {
        "X-Bz-Info-b2-content-disposition": "attachment%3B%20filename%3D%22a.txt%22",
        "X-Bz-Info-b2-expires": "Thu,%2001%20Dec%202044%2016:00:00%20GMT",
    }
    stored = wire.upload_ok(bucket_id, "b2keys", b"x", headers=b2)
    assert stored["fileInfo"]["b2-content-disposition"] == 'attachment; filename="a.txt"'


def test_upload_to_deleted_bucket_and_bad_tokens(wire: Wire, bucket_id: str) -> None:
    upload = wire.ok("b2_get_upload_url", bucketId=bucket_id)
    assert upload["uploadUrl"].startswith(wire.server.url + "/b2api/v3/b2_upload_file/")
    response = wire.upload(bucket_id, "n", b"x", upload={**upload, "authorizationToken": "junk"})
    assert error_of(response) == (401, "bad_auth_token")
    response = wire.upload(bucket_id, "n", b"x", upload={**upload, "authorizationToken": ""})
    assert error_of(response) == (401, "missing_auth_token")
    account = wire.upload(bucket_id, "n", b"x", upload={**upload, "authorizationToken": wire.token})
    assert error_of(account) == (401, "bad_auth_token")
    wire.server.advance_clock(86_401)
    expired = wire.upload(bucket_id, "n", b"x", upload=upload)
    assert error_of(expired) == (401, "expired_auth_token")
    assert error_of(wire.call("b2_get_upload_url", bucketId="0" * 24))[0] == 401


def test_upload_url_is_reusable_sequentially(wire: Wire, bucket_id: str) -> None:
    upload = wire.ok("b2_get_upload_url", bucketId=bucket_id)
    for i in range(3):
        wire.upload_ok(bucket_id, f"seq{i}", b"x", upload=upload)
    assert len(wire.ok("b2_list_file_names", bucketId=bucket_id)["files"]) == 3


def test_unknown_bucket_for_upload_url(wire: Wire) -> None:
    assert error_of(wire.call("b2_get_upload_url", bucketId="0" * 24)) == (400, "bad_bucket_id")


def test_list_file_names_pages(wire: Wire, bucket_id: str) -> None:
    for name in ["c", "a", "e", "b", "d"]:
        wire.upload_ok(bucket_id, name, b"x")
    first = wire.ok("b2_list_file_names", bucketId=bucket_id, maxFileCount=2)
    assert names(first["files"]) == ["a", "b"]
    assert first["nextFileName"] == "c"
    second = wire.ok("b2_list_file_names", bucketId=bucket_id, maxFileCount=2, startFileName="c")
    assert names(second["files"]) == ["c", "d"]
    last = wire.ok("b2_list_file_names", bucketId=bucket_id, startFileName="e")
    assert names(last["files"]) == ["e"]
    assert last["nextFileName"] is None
    between = wire.ok("b2_list_file_names", bucketId=bucket_id, startFileName="bb")
    assert names(between["files"]) == ["c", "d", "e"]


def test_max_file_count_bounds(wire: Wire, bucket_id: str) -> None:
    for i in range(101):
        wire.upload_ok(bucket_id, f"n{i:03d}", b"")
    default = wire.ok("b2_list_file_names", bucketId=bucket_id, maxFileCount=0)
    assert len(default["files"]) == 100
    assert default["nextFileName"] == "n100"
    full = wire.ok("b2_list_file_names", bucketId=bucket_id, maxFileCount=10_000)
    assert len(full["files"]) == 101
    for call in ("b2_list_file_names", "b2_list_file_versions"):
        for bad in (10_001, -1):
            response = wire.call(call, bucketId=bucket_id, maxFileCount=bad)
            assert error_of(response) == (400, "out_of_range")


def test_list_needs_a_known_bucket(wire: Wire) -> None:
    assert error_of(wire.call("b2_list_file_names")) == (400, "invalid_bucket_id")
    malformed = wire.call("b2_list_file_versions", bucketId="not a bucket id")
    assert error_of(malformed) == (400, "invalid_bucket_id")
    assert error_of(wire.call("b2_list_file_names", bucketId="0" * 24)) == (400, "bad_bucket_id")


def test_utf8_byte_order(wire: Wire, bucket_id: str) -> None:
    # UTF-16 would put the emoji (a surrogate pair) before U+FFEE; UTF-8 bytes put it after.
    mixed = ["😀", "\uffee", "é", "Z", "a", "a b", "a/b", "ab"]
    for name in mixed:
        wire.upload_ok(bucket_id, name, b"x")
    listed = names(wire.ok("b2_list_file_names", bucketId=bucket_id)["files"])
    assert listed == sorted(mixed, key=lambda n: n.encode("utf-8"))
    assert listed.index("\uffee") < listed.index("😀")
    paged: list[str] = []
    start = None
    while True:
        params: dict[str, Any] = {"bucketId": bucket_id, "maxFileCount": 3}
        if start is not None:
            params["startFileName"] = start
        page = wire.ok("b2_list_file_names", **params)
        paged += names(page["files"])
        start = page["nextFileName"]
        if start is None:
            break
    assert paged == listed


PHOTOS = [
    "photos/a.jpg",
    "photos/cats/x.jpg",
    "photos/cats/y.jpg",
    "photos/dogs/z.jpg",
    "photos/m.jpg",
]


@pytest.mark.parametrize(
    ("prefix", "delimiter", "expected"),
    [
        ("", None, PHOTOS),
        ("photos/c", None, ["photos/cats/x.jpg", "photos/cats/y.jpg"]),
        ("", "/", ["photos/"]),
        ("photos/", "/", ["photos/a.jpg", "photos/cats/", "photos/dogs/", "photos/m.jpg"]),
    ],
)
def test_prefix_and_delimiter(
    wire: Wire, bucket_id: str, prefix: str, delimiter: str | None, expected: list[str]
) -> None:
    for name in PHOTOS:
        wire.upload_ok(bucket_id, name, b"x")
    for call in ("b2_list_file_names", "b2_list_file_versions"):
        params: dict[str, Any] = {"bucketId": bucket_id, "prefix": prefix}
        if delimiter:
            params["delimiter"] = delimiter
        files = wire.ok(call, **params)["files"]
        assert names(files) == expected
        for entry in files:
            if entry["fileName"].endswith("/"):
                assert entry["action"] == "folder"
                assert entry["fileId"] is None and entry["contentLength"] == 0


def test_folder_pages_do_not_reenter(wire: Wire, bucket_id: str) -> None:
    for name in PHOTOS:
        wire.upload_ok(bucket_id, name, b"x")
    seen: list[str] = []
    start = None
    while True:
        params: dict[str, Any] = {
            "bucketId": bucket_id,
            "prefix": "photos/",
            "delimiter": "/",
            "maxFileCount": 1,
        }
        if start is not None:
            params["startFileName"] = start
        page = wire.ok("b2_list_file_names", **params)
        seen += names(page["files"])
        start = page["nextFileName"]
        if start is None:
            break
    assert seen == ["photos/a.jpg", "photos/cats/", "photos/dogs/", "photos/m.jpg"]


def test_folder_of_only_hidden_files_is_not_listed(wire: Wire, bucket_id: str) -> None:
    wire.upload_ok(bucket_id, "gone/a", b"x")
    wire.upload_ok(bucket_id, "kept", b"x")
    wire.ok("b2_hide_file", bucketId=bucket_id, fileName="gone/a")
    listed = wire.ok("b2_list_file_names", bucketId=bucket_id, delimiter="/")
    assert names(listed["files"]) == ["kept"]
    versions = wire.ok("b2_list_file_versions", bucketId=bucket_id, delimiter="/")
    assert names(versions["files"]) == ["gone/", "kept"]


def test_versions_hide_and_current_version(wire: Wire, bucket_id: str) -> None:
    old = wire.upload_ok(bucket_id, "doc", b"v1")
    new = wire.upload_ok(bucket_id, "doc", b"v2")
    versions = wire.ok("b2_list_file_versions", bucketId=bucket_id)["files"]
    assert [v["fileId"] for v in versions] == [new["fileId"], old["fileId"]]
    hidden = wire.ok("b2_hide_file", bucketId=bucket_id, fileName="doc")
    assert hidden["action"] == "hide"
    assert hidden["contentType"] == "application/x-bz-hide-marker"
    assert hidden["contentLength"] == 0
    assert "fileRetention" not in hidden
    assert wire.ok("b2_list_file_names", bucketId=bucket_id)["files"] == []
    again = wire.call("b2_hide_file", bucketId=bucket_id, fileName="doc")
    assert error_of(again) == (400, "already_hidden")
    url = f"{wire.server.url}/file/test-bucket/doc"
    assert error_of(requests.get(url, headers={"Authorization": wire.token})) == (404, "not_found")
    by_id = requests.get(
        f"{wire.server.url}/b2api/v3/b2_download_file_by_id",
        params={"fileId": old["fileId"]},
        headers={"Authorization": wire.token},
    )
    assert by_id.content == b"v1"
    # deleting the hide marker un-hides
    wire.ok("b2_delete_file_version", fileName="doc", fileId=hidden["fileId"])
    assert requests.get(url, headers={"Authorization": wire.token}).content == b"v2"
    # deleting the newest version promotes the older one
    wire.ok("b2_delete_file_version", fileName="doc", fileId=new["fileId"])
    assert requests.get(url, headers={"Authorization": wire.token}).content == b"v1"
    # a new upload after a hide makes the name visible again
    wire.ok("b2_hide_file", bucketId=bucket_id, fileName="doc")
    wire.upload_ok(bucket_id, "doc", b"v3")
    assert names(wire.ok("b2_list_file_names", bucketId=bucket_id)["files"]) == ["doc"]


def test_hide_errors(wire: Wire, bucket_id: str) -> None:
    response = wire.call("b2_hide_file", bucketId=bucket_id, fileName="never")
    assert error_of(response) == (400, "no_such_file")
    unknown = wire.call("b2_hide_file", bucketId="0" * 24, fileName="x")
    assert error_of(unknown) == (400, "bad_bucket_id")
    bad_name = wire.call("b2_hide_file", bucketId=bucket_id, fileName="")
    assert error_of(bad_name) == (400, "bad_request")


def test_start_file_id_pins_a_version(wire: Wire, bucket_id: str) -> None:
    made = [wire.upload_ok(bucket_id, "same", f"{i}".encode()) for i in range(4)]
    wire.upload_ok(bucket_id, "tail", b"t")
    newest_first = [m["fileId"] for m in reversed(made)]
    page = wire.ok("b2_list_file_versions", bucketId=bucket_id, maxFileCount=2)
    assert [f["fileId"] for f in page["files"]] == newest_first[:2]
    assert page["nextFileName"] == "same"
    assert page["nextFileId"] == newest_first[2]
    rest = wire.ok(
        "b2_list_file_versions",
        bucketId=bucket_id,
        startFileName=page["nextFileName"],
        startFileId=page["nextFileId"],
    )
    assert [f["fileId"] for f in rest["files"]] == [*newest_first[2:], rest["files"][-1]["fileId"]]
    assert rest["files"][-1]["fileName"] == "tail"
    assert rest["nextFileName"] is None and rest["nextFileId"] is None
    bad = wire.call(
        "b2_list_file_versions", bucketId=bucket_id, startFileName="tail", startFileId="nope"
    )
    assert error_of(bad) == (400, "invalid_file_id")


def test_get_file_info_errors(wire: Wire, bucket_id: str) -> None:
    assert error_of(wire.call("b2_get_file_info", fileId="4_zmissing")) == (404, "not_found")
    assert error_of(wire.call("b2_get_file_info")) == (400, "bad_request")


def test_delete_file_version_errors(wire: Wire, bucket_id: str) -> None:
    stored = wire.upload_ok(bucket_id, "victim", b"x")
    wrong_name = wire.call("b2_delete_file_version", fileName="other", fileId=stored["fileId"])
    assert error_of(wrong_name) == (400, "file_not_present")
    missing = wire.call("b2_delete_file_version", fileName="victim", fileId="4_znope")
    assert error_of(missing) == (400, "file_not_present")
    deleted = wire.ok("b2_delete_file_version", fileName="victim", fileId=stored["fileId"])
    assert deleted == {"fileId": stored["fileId"], "fileName": "victim"}
    twice = wire.call("b2_delete_file_version", fileName="victim", fileId=stored["fileId"])
    assert error_of(twice) == (400, "file_not_present")
