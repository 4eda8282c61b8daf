"""Downloads over the wire: by name/id, HEAD, Range, headers, tokens, public buckets, CORS."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import requests

from tests.emulator.conftest import Wire, error_of

DATA = bytes(range(256)) * 4  # 1024 bytes


@pytest.fixture
def stored(wire: Wire) -> dict[str, Any]:
    bucket = wire.create_bucket(bucketInfo={"Cache-Control": "max-age=100"})
    return wire.upload_ok(
        bucket["bucketId"],
        "dir/ä b+c.bin",
        DATA,
        headers={
            "Content-Type": "application/x-test",
            "X-Bz-Info-Color": "bl%C3%BC%20e",
            "X-Bz-Info-b2-content-disposition": "attachment",
        },
    )


def by_name(wire: Wire, name: str = "dir/%C3%A4%20b%2Bc.bin", **kw: Any) -> requests.Response:
    headers = {"Authorization": wire.token, **kw.pop("headers", {})}
    method = kw.pop("method", "GET")
    return wire.session.request(
        method, f"{wire.server.url}/file/test-bucket/{name}", headers=headers, **kw
    )


def test_download_by_name_headers(wire: Wire, stored: dict[str, Any]) -> None:
    response = by_name(wire)
    assert response.status_code == 200
    assert response.content == DATA
    h = response.headers
    assert h["Content-Length"] == "1024"
    assert h["Content-Type"] == "application/x-test"
    assert h["X-Bz-File-Id"] == stored["fileId"]
    assert h["X-Bz-File-Name"] == "dir/%C3%A4%20b%2Bc.bin"
    assert h["X-Bz-Content-Sha1"] == hashlib.sha1(DATA).hexdigest()
    assert h["X-Bz-Upload-Timestamp"] == str(stored["uploadTimestamp"])
    assert h["X-Bz-Info-color"] == "bl%C3%BC%20e"
    assert "X-Bz-Info-b2-content-disposition" not in h
    assert h["Content-Disposition"] == "attachment"
    assert h["Cache-Control"] == "max-age=100"
    assert h["Accept-Ranges"] == "bytes"
    assert "Date" in h


def test_plus_in_a_path_means_space(wire: Wire) -> None:
    bucket = wire.create_bucket()
    wire.upload_ok(bucket["bucketId"], "a b", b"spaced")
    assert by_name(wire, "a+b").content == b"spaced"


def test_head_and_by_id(wire: Wire, stored: dict[str, Any]) -> None:
    head = by_name(wire, method="HEAD")
    assert head.status_code == 200
    assert head.headers["Content-Length"] == "1024"
    assert head.content == b""
    url = f"{wire.server.url}/b2api/v3/b2_download_file_by_id"
    auth = {"Authorization": wire.token}
    got = requests.get(url, params={"fileId": stored["fileId"]}, headers=auth)
    assert got.content == DATA
    posted = requests.post(url, json={"fileId": stored["fileId"]}, headers=auth)
    assert posted.content == DATA
    headed = requests.head(url, params={"fileId": stored["fileId"]}, headers=auth)
    assert headed.status_code == 200 and headed.headers["X-Bz-File-Id"] == stored["fileId"]
    missing = requests.get(url, params={"fileId": "4_znope"}, headers=auth)
    assert error_of(missing) == (404, "not_found")
    assert error_of(requests.get(url, headers=auth)) == (400, "bad_request")


def test_head_errors_have_no_body(wire: Wire, stored: dict[str, Any]) -> None:
    response = by_name(wire, "nothing-here", method="HEAD")
    assert response.status_code == 404
    assert response.content == b""
    unauthorized = by_name(wire, method="HEAD", headers={"Authorization": "junk"})
    assert unauthorized.status_code == 401 and unauthorized.content == b""


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=1000-", 1000, 1023),
        ("bytes=-24", 1000, 1023),
        ("bytes=1000-5000", 1000, 1023),
        ("bytes=-5000", 0, 1023),
        ("bytes=1023-1023", 1023, 1023),
    ],
)
def test_ranges(wire: Wire, stored: dict[str, Any], header: str, start: int, end: int) -> None:
    response = by_name(wire, headers={"Range": header})
    assert response.status_code == 206
    assert response.content == DATA[start : end + 1]
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/1024"
    assert response.headers["Content-Length"] == str(end - start + 1)


@pytest.mark.parametrize("header", ["bytes=1024-", "bytes=5000-6000", "bytes=-0"])
def test_unsatisfiable_ranges(wire: Wire, stored: dict[str, Any], header: str) -> None:
    response = by_name(wire, headers={"Range": header})
    assert error_of(response) == (416, "range_not_satisfiable")
    assert response.headers["Content-Range"] == "bytes */1024"


@pytest.mark.parametrize("header", ["bytes=5-1", "items=0-1", "bytes=0-1,5-6"])
def test_ranges_we_do_not_understand_are_ignored(
    wire: Wire, stored: dict[str, Any], header: str
) -> None:
    response = by_name(wire, headers={"Range": header})
    assert response.status_code == 200 and response.content == DATA


def test_query_authorization_and_overrides(wire: Wire, stored: dict[str, Any]) -> None:
    response = wire.session.get(
        f"{wire.server.url}/file/test-bucket/dir/%C3%A4%20b%2Bc.bin",
        params={
            "Authorization": wire.token,
            "b2ContentDisposition": "inline",
            "b2CacheControl": "no-cache",
            "b2ContentType": "text/csv",
            "b2ContentLanguage": "de",
            "b2Expires": "Thu, 01 Dec 2044 16:00:00 GMT",
            "b2ContentEncoding": "identity",
        },
    )
    assert response.status_code == 200
    h = response.headers
    assert h["Content-Disposition"] == "inline"
    assert h["Cache-Control"] == "no-cache"
    assert h["Content-Type"] == "text/csv"
    assert h["Content-Language"] == "de"
    assert h["Expires"] == "Thu, 01 Dec 2044 16:00:00 GMT"
    assert h["Content-Encoding"] == "identity"


def test_private_and_public_buckets(wire: Wire, stored: dict[str, Any]) -> None:
    url = f"{wire.server.url}/file/test-bucket/dir/%C3%A4%20b%2Bc.bin"
    assert error_of(requests.get(url)) == (401, "missing_auth_token")
    assert error_of(requests.get(url, headers={"Authorization": "junk"})) == (
        401,
        "bad_auth_token",
    )
    wire.ok("b2_update_bucket", bucketId=stored["bucketId"], bucketType="allPublic")
    assert requests.get(url).content == DATA
    with_override = requests.get(url, params={"b2ContentType": "text/plain"})
    assert with_override.status_code == 401
    by_id = requests.get(
        f"{wire.server.url}/b2api/v3/b2_download_file_by_id", params={"fileId": stored["fileId"]}
    )
    assert by_id.content == DATA
    assert error_of(requests.get(f"{wire.server.url}/file/no-such-bucket/x")) == (404, "not_found")


def test_download_needs_read_files(wire: Wire, stored: dict[str, Any]) -> None:
    key = wire.ok(
        "b2_create_key",
        accountId=wire.server.account_id,
        keyName="lister",
        capabilities=["listFiles"],
    )
    lister = Wire(wire.server, requests.Session())
    lister.authorize(key["applicationKeyId"], key["applicationKey"])
    assert error_of(by_name(lister)) == (401, "unauthorized")


def test_download_authorization(wire: Wire, stored: dict[str, Any]) -> None:
    grant = wire.ok(
        "b2_get_download_authorization",
        bucketId=stored["bucketId"],
        fileNamePrefix="dir/",
        validDurationInSeconds=60,
    )
    assert grant["bucketId"] == stored["bucketId"] and grant["fileNamePrefix"] == "dir/"
    token = grant["authorizationToken"]
    url = f"{wire.server.url}/file/test-bucket/dir/%C3%A4%20b%2Bc.bin"
    assert requests.get(url, params={"Authorization": token}).content == DATA
    assert requests.get(url, headers={"Authorization": token}).content == DATA
    wire.upload_ok(stored["bucketId"], "other/x", b"x")
    outside = requests.get(
        f"{wire.server.url}/file/test-bucket/other/x", params={"Authorization": token}
    )
    assert error_of(outside) == (401, "unauthorized")
    by_id = requests.get(
        f"{wire.server.url}/b2api/v3/b2_download_file_by_id",
        params={"fileId": stored["fileId"], "Authorization": token},
    )
    assert error_of(by_id) == (401, "unauthorized")
    as_api_token = wire.call("b2_list_buckets", token=token, accountId=wire.server.account_id)
    assert error_of(as_api_token) == (401, "bad_auth_token")
    wire.server.advance_clock(61)
    expired = requests.get(url, params={"Authorization": token})
    assert error_of(expired) == (401, "expired_auth_token")


def test_download_authorization_with_overrides(wire: Wire, stored: dict[str, Any]) -> None:
    grant = wire.ok(
        "b2_get_download_authorization",
        bucketId=stored["bucketId"],
        fileNamePrefix="",
        validDurationInSeconds=60,
        b2ContentDisposition="attachment; filename=x.bin",
    )
    url = f"{wire.server.url}/file/test-bucket/dir/%C3%A4%20b%2Bc.bin"
    token = grant["authorizationToken"]
    without = requests.get(url, params={"Authorization": token})
    assert error_of(without) == (401, "unauthorized")
    with_it = requests.get(
        url, params={"Authorization": token, "b2ContentDisposition": "attachment; filename=x.bin"}
    )
    assert with_it.status_code == 200
    assert with_it.headers["Content-Disposition"] == "attachment; filename=x.bin"


@pytest.mark.parametrize("duration", [0, 604_801, None])
def test_download_authorization_duration(
    wire: Wire, stored: dict[str, Any], duration: int | None
) -> None:
    response = wire.call(
        "b2_get_download_authorization",
        bucketId=stored["bucketId"],
        fileNamePrefix="",
        validDurationInSeconds=duration,
    )
    assert error_of(response) == (400, "bad_request")


CORS = {
    "corsRuleName": "siteRule",
    "allowedOrigins": ["https://*.example.com"],
    "allowedOperations": ["b2_download_file_by_name", "b2_upload_file", "b2_upload_part"],
    "allowedHeaders": ["authorization", "x-bz-*", "content-type", "range"],
    "exposeHeaders": ["x-bz-content-sha1", "x-bz-file-id"],
    "maxAgeSeconds": 600,
}


def test_cors_downloads(wire: Wire) -> None:
    bucket = wire.create_bucket("cors-bucket", corsRules=[CORS])
    wire.upload_ok(bucket["bucketId"], "pic.png", b"png")
    url = f"{wire.server.url}/file/cors-bucket/pic.png"
    origin = "https://www.example.com"
    preflight = requests.options(
        url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Authorization, Range",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == origin
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == "Authorization, Range"
    assert preflight.headers["Access-Control-Max-Age"] == "600"
    actual = requests.get(url, headers={"Origin": origin, "Authorization": wire.token})
    assert actual.headers["Access-Control-Allow-Origin"] == origin
    assert actual.headers["Access-Control-Expose-Headers"] == "x-bz-content-sha1, x-bz-file-id"
    foreign = requests.get(
        url, headers={"Origin": "https://evil.test", "Authorization": wire.token}
    )
    assert "Access-Control-Allow-Origin" not in foreign.headers
    denied = requests.options(
        url, headers={"Origin": "https://evil.test", "Access-Control-Request-Method": "GET"}
    )
    assert denied.status_code == 403
    bad_header = requests.options(
        url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-custom",
        },
    )
    assert bad_header.status_code == 403
    by_id = requests.options(
        f"{wire.server.url}/b2api/v3/b2_download_file_by_id?fileId=x",
        headers={"Origin": origin, "Access-Control-Request-Method": "GET"},
    )
    assert by_id.status_code == 403  # by-id is not in the rule's operations


def test_cors_uploads(wire: Wire) -> None:
    bucket = wire.create_bucket("cors-bucket", corsRules=[CORS])
    target = wire.ok("b2_get_upload_url", bucketId=bucket["bucketId"])
    origin = "https://app.example.com"
    preflight = requests.options(
        target["uploadUrl"],
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": (
                "authorization,x-bz-file-name,x-bz-content-sha1,content-type"
            ),
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Methods"] == "POST"
    response = wire.upload(
        bucket["bucketId"], "from-browser", b"hi", upload=target, headers={"Origin": origin}
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == origin
    failed = wire.upload(
        bucket["bucketId"],
        "bad",
        b"hi",
        upload=target,
        headers={"Origin": origin, "X-Bz-Content-Sha1": "0" * 40},
    )
    assert failed.status_code == 400
    assert failed.headers["Access-Control-Allow-Origin"] == origin
    started = wire.ok(
        "b2_start_large_file", bucketId=bucket["bucketId"], fileName="big", contentType="b2/x-auto"
    )
    part_target = wire.ok("b2_get_upload_part_url", fileId=started["fileId"])
    part_preflight = requests.options(
        part_target["uploadUrl"],
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    assert part_preflight.status_code == 200
