"""Upload-URL handling seen from the wire (local echo server scripted per URL): which URL each
attempt uses, when a fresh one is fetched, and how long the client waits in between."""

from __future__ import annotations

import io
import json

import pytest

from django_b2.client import (
    B2BadRequest,
    B2Client,
    B2ServiceError,
    B2Unauthorized,
    B2ValidationError,
    RetryPolicy,
)

from .conftest import SleepRecorder
from .echo_server import EchoServer, Scripted

GET_URL = "/b2api/v3/b2_get_upload_url"
FILE = {
    "fileId": "f1",
    "fileName": "a.txt",
    "action": "upload",
    "contentLength": 3,
    "contentSha1": "a9993e364706816aba3e25717850c26c9cd0d89d",
    "contentType": "text/plain",
    "fileInfo": {},
    "uploadTimestamp": 1,
}


def js(payload: object) -> bytes:
    return json.dumps(payload).encode()


def error(status: int, code: str) -> bytes:
    return js({"status": status, "code": code, "message": code})


def url_answers(echo: EchoServer, *names: str) -> None:
    echo.script(
        GET_URL,
        *[
            Scripted(
                200,
                js({"bucketId": "b1", "uploadUrl": f"{echo.url}/up/{n}", "authorizationToken": n}),
            )
            for n in names
        ],
    )


def client_for(echo: EchoServer, sleeps: SleepRecorder) -> B2Client:
    return B2Client("kid", "secret", api_url=echo.url, retry=RetryPolicy(sleep=sleeps, jitter=0))


def uploads(echo: EchoServer) -> list[str]:
    return [r.path for r in echo.requests if r.path.startswith("/up/")]


def test_busy_url_is_replaced_at_once(echo: EchoServer, sleeps: SleepRecorder) -> None:
    url_answers(echo, "u1", "u2")
    echo.script("/up/u1", Scripted(400, error(400, "auth_token_limit")))
    echo.script("/up/u2", Scripted(200, js(FILE)))
    assert client_for(echo, sleeps).upload_file("b1", "a.txt", b"abc")["fileId"] == "f1"
    assert uploads(echo) == ["/up/u1", "/up/u2"]
    assert set(sleeps.waits) <= {0}


def test_good_url_is_reused_and_failed_one_is_not(echo: EchoServer, sleeps: SleepRecorder) -> None:
    url_answers(echo, "u1", "u2")
    echo.script("/up/u1", Scripted(200, js(FILE)), Scripted(500, error(500, "internal_error")))
    echo.script("/up/u2", Scripted(200, js(FILE)), Scripted(200, js(FILE)))
    client = client_for(echo, sleeps)
    for _ in range(3):
        client.upload_file("b1", "a.txt", b"abc")
    assert uploads(echo) == ["/up/u1", "/up/u1", "/up/u2", "/up/u2"]
    assert len(echo.requests_to("b2_get_upload_url")) == 2
    assert sleeps.waits == [1]


def test_429_keeps_the_url_and_waits_retry_after(echo: EchoServer, sleeps: SleepRecorder) -> None:
    url_answers(echo, "u1")
    echo.script(
        "/up/u1",
        Scripted(429, error(429, "too_many_requests"), {"Retry-After": "9"}),
        Scripted(200, js(FILE)),
    )
    client_for(echo, sleeps).upload_file("b1", "a.txt", b"abc")
    assert uploads(echo) == ["/up/u1", "/up/u1"]
    assert sleeps.waits == [9]


def test_permission_401_gets_one_fresh_url(echo: EchoServer, sleeps: SleepRecorder) -> None:
    url_answers(echo, "u1", "u2", "u3")
    denied = Scripted(401, error(401, "unauthorized"))
    echo.script("/up/u1", denied)
    echo.script("/up/u2", denied)
    with pytest.raises(B2Unauthorized):
        client_for(echo, sleeps).upload_file("b1", "a.txt", b"abc")
    assert uploads(echo) == ["/up/u1", "/up/u2"]


def test_expired_upload_token_gets_fresh_urls(echo: EchoServer, sleeps: SleepRecorder) -> None:
    url_answers(echo, "u1", "u2", "u3")
    expired = Scripted(401, error(401, "expired_auth_token"))
    echo.script("/up/u1", expired)
    echo.script("/up/u2", expired)
    echo.script("/up/u3", Scripted(200, js(FILE)))
    client_for(echo, sleeps).upload_file("b1", "a.txt", b"abc")
    assert uploads(echo) == ["/up/u1", "/up/u2", "/up/u3"]


def test_other_400_is_not_retried(echo: EchoServer, sleeps: SleepRecorder) -> None:
    url_answers(echo, "u1")
    echo.script("/up/u1", Scripted(400, error(400, "bad_request")))
    with pytest.raises(B2BadRequest):
        client_for(echo, sleeps).upload_file("b1", "a.txt", b"abc")
    assert uploads(echo) == ["/up/u1"]


def test_explicit_url_is_used_as_given(echo: EchoServer, sleeps: SleepRecorder) -> None:
    echo.script("/up/mine", Scripted(503, error(503, "service_unavailable")))
    client = client_for(echo, sleeps)
    with pytest.raises(B2ServiceError):
        client.upload_file(
            "b1", "a.txt", b"abc", upload_url=f"{echo.url}/up/mine", authorization_token="t"
        )
    assert uploads(echo) == ["/up/mine"]
    assert echo.requests_to("b2_get_upload_url") == []
    sent = echo.requests[-1]
    assert sent.headers["Authorization"] == "t"
    assert sent.headers["X-Bz-File-Name"] == "a.txt"
    assert sent.headers["X-Bz-Content-Sha1"] == FILE["contentSha1"]
    assert sent.body == b"abc"


def test_resent_body_is_complete_and_progress_never_goes_back(
    echo: EchoServer, sleeps: SleepRecorder
) -> None:
    url_answers(echo, "u1", "u2")
    echo.script("/up/u1", Scripted(503, error(503, "service_unavailable")))
    echo.script("/up/u2", Scripted(200, js(FILE)))
    seen: list[int] = []
    data = bytes(range(256)) * 300
    client_for(echo, sleeps).upload_file("b1", "a.txt", data, progress=lambda d, t: seen.append(d))
    bodies = [r.body for r in echo.requests if r.path.startswith("/up/")]
    assert bodies == [data, data]
    assert seen == sorted(seen)
    assert seen[-1] == len(data)


def test_source_shorter_than_content_length_fails_fast(
    echo: EchoServer, sleeps: SleepRecorder
) -> None:
    url_answers(echo, "u1")
    with pytest.raises(B2ValidationError, match="ended after 3 of 10 bytes"):
        client_for(echo, sleeps).upload_file("b1", "a.txt", io.BytesIO(b"abc"), content_length=10)
    assert sleeps.waits == []
