"""Large files over the wire: start, parts, finish rules, cancel, listings, token limits."""

from __future__ import annotations

import hashlib
import os
import socket
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.emulator.conftest import Wire, error_of


@pytest.fixture
def bucket_id(wire: Wire) -> str:
    return str(wire.create_bucket()["bucketId"])


def start(wire: Wire, bucket_id: str, name: str = "big.bin", **kw: Any) -> dict[str, Any]:
    return wire.ok(
        "b2_start_large_file",
        bucketId=bucket_id,
        fileName=name,
        contentType="application/octet-stream",
        **kw,
    )


def test_large_file_round_trip(wire: Wire, bucket_id: str) -> None:
    started = start(wire, bucket_id, fileInfo={"large_file_sha1": "a" * 40})
    assert started["action"] == "start"
    assert started["contentSha1"] == "none"
    assert started["contentLength"] == 0
    target = wire.ok("b2_get_upload_part_url", fileId=started["fileId"])
    assert target["fileId"] == started["fileId"]
    parts = [os.urandom(1000), os.urandom(1000), os.urandom(10)]
    for number, data in enumerate(parts, start=1):
        response = wire.upload_part(target, number, data)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["partNumber"] == number
        assert body["contentLength"] == len(data)
    listed = wire.ok("b2_list_parts", fileId=started["fileId"], maxPartCount=2)
    assert [p["partNumber"] for p in listed["parts"]] == [1, 2]
    assert listed["nextPartNumber"] == 3
    rest = wire.ok("b2_list_parts", fileId=started["fileId"], startPartNumber=3)
    assert [p["partNumber"] for p in rest["parts"]] == [3] and rest["nextPartNumber"] is None
    unfinished = wire.ok("b2_list_unfinished_large_files", bucketId=bucket_id)
    assert [f["fileId"] for f in unfinished["files"]] == [started["fileId"]]
    # start versions are in list_file_versions but not list_file_names
    assert wire.ok("b2_list_file_names", bucketId=bucket_id)["files"] == []
    versions = wire.ok("b2_list_file_versions", bucketId=bucket_id)["files"]
    assert [v["action"] for v in versions] == ["start"]
    finished = wire.ok(
        "b2_finish_large_file",
        fileId=started["fileId"],
        partSha1Array=[hashlib.sha1(p).hexdigest() for p in parts],
    )
    assert finished["action"] == "upload"
    assert finished["contentLength"] == 2010
    assert finished["contentSha1"] == "none"
    assert finished["uploadTimestamp"] == started["uploadTimestamp"]
    assert finished["fileInfo"] == {"large_file_sha1": "a" * 40}
    download = wire.session.get(
        f"{wire.server.url}/file/test-bucket/big.bin", headers={"Authorization": wire.token}
    )
    assert download.content == b"".join(parts)
    assert download.headers["X-Bz-Content-Sha1"] == "none"
    ranged = wire.session.get(
        f"{wire.server.url}/file/test-bucket/big.bin",
        headers={"Authorization": wire.token, "Range": "bytes=990-2005"},
    )
    assert ranged.status_code == 206
    assert ranged.content == b"".join(parts)[990:2006]
    again = wire.call(
        "b2_finish_large_file", fileId=started["fileId"], partSha1Array=["0" * 40, "0" * 40]
    )
    assert error_of(again) == (400, "bad_request")


def test_finish_rules(wire: Wire, bucket_id: str) -> None:
    started = start(wire, bucket_id)
    file_id = started["fileId"]
    target = wire.ok("b2_get_upload_part_url", fileId=file_id)
    one, two, three = os.urandom(1000), os.urandom(999), os.urandom(5)
    sha = [hashlib.sha1(p).hexdigest() for p in (one, two, three)]
    assert wire.upload_part(target, 1, one).status_code == 200
    only_one = wire.call("b2_finish_large_file", fileId=file_id, partSha1Array=sha[:1])
    assert error_of(only_one) == (400, "bad_request")
    missing = wire.call("b2_finish_large_file", fileId=file_id, partSha1Array=sha[:2])
    assert error_of(missing) == (400, "missing_part")
    assert wire.upload_part(target, 2, two).status_code == 200
    assert wire.upload_part(target, 3, three).status_code == 200
    mismatch = wire.call(
        "b2_finish_large_file", fileId=file_id, partSha1Array=[sha[0], "0" * 40, sha[2]]
    )
    assert error_of(mismatch) == (400, "part_sha1_mismatch")
    short = wire.call("b2_finish_large_file", fileId=file_id, partSha1Array=sha[:2])
    assert error_of(short) == (400, "bad_request")  # part 3 exists beyond the array
    too_small = wire.call("b2_finish_large_file", fileId=file_id, partSha1Array=sha)
    assert error_of(too_small) == (400, "bad_request")  # part 2 < 1000 bytes, not last
    # re-uploading a part number replaces it
    bigger = os.urandom(1500)
    assert wire.upload_part(target, 2, bigger).status_code == 200
    sha[1] = hashlib.sha1(bigger).hexdigest()
    finished = wire.ok("b2_finish_large_file", fileId=file_id, partSha1Array=sha)
    assert finished["contentLength"] == 1000 + 1500 + 5


def test_part_errors(wire: Wire, bucket_id: str) -> None:
    started = start(wire, bucket_id)
    target = wire.ok("b2_get_upload_part_url", fileId=started["fileId"])
    assert error_of(wire.upload_part(target, 0, b"x")) == (400, "bad_request")
    assert error_of(wire.upload_part(target, 10_001, b"x")) == (400, "bad_request")
    assert error_of(wire.upload_part(target, 1, b"x", sha1="1" * 40)) == (400, "bad_request")
    assert error_of(wire.upload_part(target, 1, b"")) == (400, "bad_request")
    trailer = b"abc" + hashlib.sha1(b"abc").hexdigest().encode()
    ok = wire.upload_part(target, 1, trailer, sha1="hex_digits_at_end")
    assert ok.status_code == 200 and ok.json()["contentLength"] == 3
    not_large = wire.call("b2_get_upload_part_url", fileId="4_znope")
    assert error_of(not_large) == (400, "bad_request")
    simple = wire.upload_ok(bucket_id, "small", b"x")
    assert error_of(wire.call("b2_get_upload_part_url", fileId=simple["fileId"]))[0] == 400
    # a part URL only works for its own file
    other = start(wire, bucket_id, "other")
    bad_target = {
        **target,
        "uploadUrl": target["uploadUrl"].replace(target["fileId"], other["fileId"]),
    }
    assert error_of(wire.upload_part(bad_target, 1, b"x")) == (401, "bad_auth_token")


def test_cancel_and_delete_start_version(wire: Wire, bucket_id: str) -> None:
    first = start(wire, bucket_id, "one")
    second = start(wire, bucket_id, "two")
    target = wire.ok("b2_get_upload_part_url", fileId=first["fileId"])
    assert wire.upload_part(target, 1, b"x" * 1000).status_code == 200
    cancelled = wire.ok("b2_cancel_large_file", fileId=first["fileId"])
    assert cancelled == {
        "fileId": first["fileId"],
        "accountId": wire.server.account_id,
        "bucketId": bucket_id,
        "fileName": "one",
    }
    assert error_of(wire.call("b2_cancel_large_file", fileId=first["fileId"])) == (
        400,
        "bad_request",
    )
    assert error_of(wire.call("b2_list_parts", fileId=first["fileId"]))[0] == 400
    wire.ok("b2_delete_file_version", fileName="two", fileId=second["fileId"])
    assert wire.ok("b2_list_unfinished_large_files", bucketId=bucket_id)["files"] == []
    assert wire.ok("b2_list_file_versions", bucketId=bucket_id)["files"] == []


def test_list_unfinished_pages_and_prefix(wire: Wire, bucket_id: str) -> None:
    made = [start(wire, bucket_id, f"dir/{i}") for i in range(3)]
    start(wire, bucket_id, "elsewhere")
    page = wire.ok(
        "b2_list_unfinished_large_files", bucketId=bucket_id, namePrefix="dir/", maxFileCount=2
    )
    assert [f["fileId"] for f in page["files"]] == [m["fileId"] for m in made[:2]]
    assert page["nextFileId"] == made[2]["fileId"]
    rest = wire.ok(
        "b2_list_unfinished_large_files",
        bucketId=bucket_id,
        namePrefix="dir/",
        startFileId=page["nextFileId"],
    )
    assert [f["fileId"] for f in rest["files"]] == [made[2]["fileId"]]
    assert rest["nextFileId"] is None
    too_many = wire.call("b2_list_unfinished_large_files", bucketId=bucket_id, maxFileCount=101)
    assert error_of(too_many) == (400, "out_of_range")


def test_start_large_file_validation(wire: Wire, bucket_id: str) -> None:
    bad_info = wire.call(
        "b2_start_large_file",
        bucketId=bucket_id,
        fileName="x",
        contentType="text/plain",
        fileInfo={"b2-nope": "1"},
    )
    assert error_of(bad_info) == (400, "bad_request")
    no_type = wire.call("b2_start_large_file", bucketId=bucket_id, fileName="x")
    assert error_of(no_type) == (400, "bad_request")
    no_bucket = wire.call(
        "b2_start_large_file", bucketId="0" * 24, fileName="x", contentType="text/plain"
    )
    assert error_of(no_bucket) == (400, "bad_bucket_id")


def _raw_upload_start(wire: Wire, url: str, headers: dict[str, str], length: int) -> socket.socket:
    """Send an upload's headers and half its body, then leave the request open."""
    endpoint = "b2_upload_part" if "b2_upload_part" in url else "b2_upload_file"
    before = wire.server.counters()["by_endpoint"].get(endpoint, 0)
    parts = urllib.parse.urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port))
    lines = [f"POST {parts.path} HTTP/1.1", f"Host: {parts.netloc}", f"Content-Length: {length}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + b"x" * (length // 2))
    # do not race the raw request: wait until the server has picked it up
    deadline = time.monotonic() + 10
    while wire.server.counters()["by_endpoint"].get(endpoint, 0) == before:
        assert time.monotonic() < deadline, "the server never read the raw request"
        time.sleep(0.005)
    return sock


def _until_refused(attempt: Callable[[], requests.Response]) -> requests.Response:
    """Retry until the server (busy claiming the token for the raw request) refuses."""
    deadline = time.monotonic() + 10
    while True:
        response = attempt()
        if response.status_code != 200 or time.monotonic() > deadline:
            return response
        time.sleep(0.01)


def test_upload_token_is_one_upload_at_a_time(wire: Wire, bucket_id: str) -> None:
    target = wire.ok("b2_get_upload_url", bucketId=bucket_id)
    data = b"x" * 100
    headers = {
        "Authorization": target["authorizationToken"],
        "X-Bz-File-Name": "first",
        "Content-Type": "text/plain",
        "X-Bz-Content-Sha1": hashlib.sha1(data).hexdigest(),
    }
    sock = _raw_upload_start(wire, target["uploadUrl"], headers, len(data))
    try:
        # the server has claimed the token once it starts reading the body; poll until so
        second = _until_refused(lambda: wire.upload(bucket_id, "second", b"y", upload=target))
        assert error_of(second) == (400, "auth_token_limit")
        sock.sendall(b"x" * (len(data) - len(data) // 2))
        reply = sock.recv(65536)
        assert reply.startswith(b"HTTP/1.1 200")
    finally:
        sock.close()
    # once the first upload finished the token is free again
    assert wire.upload(bucket_id, "third", b"z", upload=target).status_code == 200
    # the same holds for part upload URLs
    started = start(wire, bucket_id)
    part_target = wire.ok("b2_get_upload_part_url", fileId=started["fileId"])
    part_headers = {
        "Authorization": part_target["authorizationToken"],
        "X-Bz-Part-Number": "1",
        "X-Bz-Content-Sha1": hashlib.sha1(data).hexdigest(),
    }
    sock = _raw_upload_start(wire, part_target["uploadUrl"], part_headers, len(data))
    try:
        second = _until_refused(lambda: wire.upload_part(part_target, 2, b"y"))
        assert error_of(second) == (400, "auth_token_limit")
    finally:
        sock.close()
