"""Smaller wire rules: key shapes per version, transfer encodings, wildcard CORS, v2 paths."""

from __future__ import annotations

import hashlib
import os

import requests

from tests.emulator.conftest import Wire, error_of, sse_c_headers


def test_key_shape_per_version(wire: Wire) -> None:
    bucket = wire.create_bucket()
    created = wire.ok(
        "b2_create_key",
        accountId=wire.server.account_id,
        keyName="shape",
        capabilities=["listFiles"],
        bucketId=bucket["bucketId"],
        namePrefix="p/",
    )
    assert created["bucketId"] == bucket["bucketId"]
    assert "bucketIds" not in created
    assert created["namePrefix"] == "p/"
    assert created["options"] == ["s3"]
    assert isinstance(created["applicationKey"], str)
    wire.version = 4
    listed = wire.ok("b2_list_keys", accountId=wire.server.account_id)["keys"]
    assert listed[0]["bucketIds"] == [bucket["bucketId"]]
    assert "bucketId" not in listed[0]


def test_v2_paths_work(wire: Wire) -> None:
    wire.version = 2
    body = wire.authorize(version=2).json()
    wire.token = body["authorizationToken"]
    bucket = wire.create_bucket("v2-bucket")
    upload = wire.ok("b2_get_upload_url", bucketId=bucket["bucketId"])
    assert "/b2api/v2/b2_upload_file/" in upload["uploadUrl"]
    wire.upload_ok(bucket["bucketId"], "x", b"x", upload=upload)
    assert len(wire.ok("b2_list_file_names", bucketId=bucket["bucketId"])["files"]) == 1
    old = requests.get(f"{wire.server.url}/b2api/v1/b2_list_buckets")
    assert error_of(old) == (404, "not_found")


def test_chunked_upload_is_refused(wire: Wire) -> None:
    bucket = wire.create_bucket()
    target = wire.ok("b2_get_upload_url", bucketId=bucket["bucketId"])
    response = requests.post(
        target["uploadUrl"],
        headers={
            "Authorization": target["authorizationToken"],
            "X-Bz-File-Name": "chunked",
            "Content-Type": "text/plain",
            "X-Bz-Content-Sha1": hashlib.sha1(b"abc").hexdigest(),
        },
        data=iter([b"a", b"bc"]),  # a generator body makes requests send it chunked
    )
    assert error_of(response) == (400, "bad_request")
    assert "Content-Length" in response.json()["message"]


def test_head_on_a_json_call_has_no_body(wire: Wire) -> None:
    response = requests.head(f"{wire.server.url}/b2api/v3/b2_list_buckets")
    assert response.status_code == 405
    assert response.content == b""


def test_wildcard_cors_origin(wire: Wire) -> None:
    rule = {
        "corsRuleName": "everyone",
        "allowedOrigins": ["*"],
        "allowedOperations": ["b2_download_file_by_id", "b2_download_file_by_name"],
        "maxAgeSeconds": 0,
    }
    bucket = wire.create_bucket("open-bucket", "allPublic", corsRules=[rule])
    stored = wire.upload_ok(bucket["bucketId"], "f", b"data")
    response = requests.get(
        f"{wire.server.url}/b2api/v3/b2_download_file_by_id",
        params={"fileId": stored["fileId"]},
        headers={"Origin": "http://anything.test"},
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Expose-Headers" not in response.headers
    preflight = requests.options(
        f"{wire.server.url}/b2api/v3/b2_download_file_by_id?fileId={stored['fileId']}",
        headers={"Origin": "http://anything.test", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Max-Age"] == "0"


def test_invalid_json_body(wire: Wire) -> None:
    response = wire.session.post(
        f"{wire.server.url}/b2api/v3/b2_list_buckets",
        headers={"Authorization": wire.token},
        data=b"{not json",
    )
    assert error_of(response) == (400, "bad_request")
    array = wire.session.post(
        f"{wire.server.url}/b2api/v3/b2_list_buckets",
        headers={"Authorization": wire.token},
        data=b"[1, 2]",
    )
    assert error_of(array) == (400, "bad_request")


def test_keep_alive_survives_errors(wire: Wire) -> None:
    """One connection serves errors and successes in turn (exact Content-Length everywhere)."""
    session = requests.Session()
    bucket = wire.create_bucket()
    url = f"{wire.server.url}/b2api/v3/b2_list_file_names"
    for _ in range(3):
        assert (
            session.post(
                url, json={"bucketId": "nope"}, headers={"Authorization": wire.token}
            ).status_code
            == 400
        )
        ok = session.post(
            url, json={"bucketId": bucket["bucketId"]}, headers={"Authorization": wire.token}
        )
        assert ok.status_code == 200
    target = wire.ok("b2_get_upload_url", bucketId=bucket["bucketId"])
    bad = session.post(
        target["uploadUrl"],
        headers={
            "Authorization": target["authorizationToken"],
            "X-Bz-File-Name": "bad%01name",  # refused before the body is read
            "Content-Type": "text/plain",
            "X-Bz-Content-Sha1": "0" * 40,
        },
        data=b"x" * 50_000,
    )
    assert bad.status_code == 400
    again = session.post(
        url, json={"bucketId": bucket["bucketId"]}, headers={"Authorization": wire.token}
    )
    assert again.status_code == 200


def test_get_query_strings_stay_strings(wire: Wire) -> None:
    bucket = wire.create_bucket()
    wire.upload_ok(bucket["bucketId"], "[odd]{name}", b"x")
    response = wire.call(
        "b2_list_file_names", method="GET", bucketId=bucket["bucketId"], prefix="[odd]"
    )
    assert response.status_code == 200
    assert [f["fileName"] for f in response.json()["files"]] == ["[odd]{name}"]
    keyed = wire.call(
        "b2_create_key",
        method="GET",
        accountId=wire.server.account_id,
        keyName="from-get",
        capabilities="listFiles,readFiles",
    )
    assert keyed.status_code == 200
    assert keyed.json()["capabilities"] == ["listFiles", "readFiles"]


def test_encryption_settings_are_stored_and_echoed(wire: Wire) -> None:
    bucket = wire.create_bucket(
        defaultServerSideEncryption={"mode": "SSE-B2", "algorithm": "AES256"}
    )
    by_default = wire.upload_ok(bucket["bucketId"], "default", b"x")
    assert by_default["serverSideEncryption"] == {"mode": "SSE-B2", "algorithm": "AES256"}
    head = wire.session.head(
        f"{wire.server.url}/file/test-bucket/default", headers={"Authorization": wire.token}
    )
    assert head.headers["X-Bz-Server-Side-Encryption"] == "AES256"
    plain = wire.create_bucket("plain-bucket")
    secret = os.urandom(32)
    sse_c = sse_c_headers(secret)
    customer = wire.upload_ok(plain["bucketId"], "sse-c", b"secret data", headers=sse_c)
    assert customer["serverSideEncryption"] == {
        "mode": "SSE-C",
        "algorithm": "AES256",
        "customerKeyMd5": sse_c["X-Bz-Server-Side-Encryption-Customer-Key-Md5"],
    }
    url = f"{wire.server.url}/file/plain-bucket/sse-c"
    auth = {"Authorization": wire.token}
    assert error_of(wire.session.get(url, headers=auth)) == (400, "bad_request")
    other = os.urandom(32)
    wrong = sse_c_headers(other)
    assert error_of(wire.session.get(url, headers={**auth, **wrong})) == (403, "access_denied")
    right = wire.session.get(url, headers={**auth, **sse_c})
    assert right.content == b"secret data"
    assert right.headers["X-Bz-Server-Side-Encryption-Customer-Algorithm"] == "AES256"
    no_key = wire.call("b2_copy_file", sourceFileId=customer["fileId"], fileName="copy")
    assert error_of(no_key) == (400, "bad_request")
    source_sse = {
        "mode": "SSE-C",
        "algorithm": "AES256",
        "customerKey": sse_c["X-Bz-Server-Side-Encryption-Customer-Key"],
        "customerKeyMd5": sse_c["X-Bz-Server-Side-Encryption-Customer-Key-Md5"],
    }
    copied = wire.ok(
        "b2_copy_file",
        sourceFileId=customer["fileId"],
        fileName="copy",
        sourceServerSideEncryption=source_sse,
    )
    assert copied["serverSideEncryption"] == {"mode": None, "algorithm": None}
    mismatched = wire.upload(
        plain["bucketId"],
        "bad-md5",
        b"x",
        headers={**sse_c, "X-Bz-Server-Side-Encryption-Customer-Key-Md5": "AAAA"},
    )
    assert error_of(mismatched) == (400, "bad_request")
    bad = wire.upload(
        plain["bucketId"], "bad", b"x", headers={"X-Bz-Server-Side-Encryption": "DES"}
    )
    assert error_of(bad) == (400, "bad_request")


def test_custom_upload_timestamp(wire: Wire) -> None:
    bucket = wire.create_bucket()
    stored = wire.upload_ok(
        bucket["bucketId"], "old", b"x", headers={"X-Bz-Custom-Upload-Timestamp": "1000000000000"}
    )
    assert stored["uploadTimestamp"] == 1_000_000_000_000
    bad = wire.upload(
        bucket["bucketId"], "bad", b"x", headers={"X-Bz-Custom-Upload-Timestamp": "yesterday"}
    )
    assert error_of(bad) == (400, "bad_request")
