"""HTTP options over real HTTP to a local echo server: headers, per-call options, sessions,
proxies, transport error mapping, error bodies and the body-less HEAD 401."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest
import requests

from django_b2 import __version__
from django_b2.client import (
    B2Client,
    B2ConnectionError,
    B2NotFound,
    B2ServiceError,
    B2TimeoutError,
    B2Unauthorized,
    RetryPolicy,
)

from .conftest import SleepRecorder
from .echo_server import EchoServer, Scripted


def make(echo: EchoServer, sleeps: SleepRecorder | None = None, **kwargs: object) -> B2Client:
    retry = RetryPolicy(sleep=sleeps if sleeps is not None else (lambda s: None))
    return B2Client("key-id", "the-secret-key", api_url=echo.url, retry=retry, **kwargs)  # type: ignore[arg-type]


def echoed(response: object) -> dict[str, str]:
    assert isinstance(response, dict)
    headers: dict[str, str] = response["headers"]
    return headers


def test_user_agent_and_test_mode(echo: EchoServer) -> None:
    client = make(echo, user_agent="my-app/2.0", test_mode="fail_some_uploads")
    headers = echoed(client.list_buckets())
    agent = f"django-b2-native/{__version__} python-requests/{requests.__version__} my-app/2.0"
    assert headers["User-Agent"] == agent
    assert headers["X-Bz-Test-Mode"] == "fail_some_uploads"
    assert echo.requests_to("b2_authorize_account")[0].headers["User-Agent"] == agent


def test_client_headers_and_per_call_http_merge_key_by_key(echo: EchoServer) -> None:
    client = make(echo, headers={"X-Client": "c"}, http_options={"headers": {"X-Opt": "o"}})
    headers = echoed(client.list_buckets(http={"headers": {"X-Call": "1", "X-Opt": "call"}}))
    assert headers["X-Client"] == "c"
    assert headers["X-Call"] == "1"
    assert headers["X-Opt"] == "call"  # the call's value wins over the client's
    assert headers["Authorization"] == "token-1"  # the client's own headers survive the merge
    # Nothing of the call leaks into the next call.
    headers = echoed(client.list_buckets())
    assert "X-Call" not in headers
    assert headers["X-Opt"] == "o"


def test_http_override_replaces_whole_keys(echo: EchoServer) -> None:
    client = make(echo, headers={"X-Client": "c"})
    headers = echoed(client.list_buckets(http_override={"headers": {"Authorization": "mine"}}))
    assert headers["Authorization"] == "mine"
    assert "X-Client" not in headers
    assert "X-Client" in echoed(client.list_buckets())


def test_no_leak_between_two_clients(echo: EchoServer) -> None:
    first = make(echo, headers={"X-Who": "first"}, test_mode="force_cap_exceeded")
    second = make(echo, headers={"X-Other": "second"})
    first.list_buckets(http={"headers": {"X-Once": "1"}})
    headers = echoed(second.list_buckets())
    assert headers.get("X-Other") == "second"
    assert "X-Who" not in headers
    assert "X-Once" not in headers
    assert "X-Bz-Test-Mode" not in headers


def test_caller_session_is_used_and_left_open(echo: EchoServer) -> None:
    session = requests.Session()
    session.headers["X-From-Session"] = "yes"
    seen: list[str] = []
    session.hooks["response"].append(lambda r, *a, **k: seen.append(r.url))
    client = make(echo, session=session)
    assert echoed(client.list_buckets())["X-From-Session"] == "yes"
    assert any(url.endswith("b2_list_buckets") for url in seen)
    client.close()
    assert echoed(client.list_buckets())["X-From-Session"] == "yes"  # still usable


def test_one_session_per_thread_with_pool_size(echo: EchoServer) -> None:
    client = make(echo, pool_size=3)
    sessions: list[requests.Session] = []

    def grab() -> None:
        client.list_buckets()
        sessions.append(client._transport.session())

    threads = [threading.Thread(target=grab) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(s) for s in sessions}) == 3
    adapter = sessions[0].get_adapter(echo.url)
    assert adapter._pool_maxsize == 3  # type: ignore[attr-defined]


def test_proxies_option(echo: EchoServer) -> None:
    client = B2Client(
        "key-id",
        "the-secret-key",
        api_url="http://b2-api.invalid",
        proxies={"http": echo.url},
        retry=RetryPolicy(attempts=1),
    )
    client.authorize()
    assert echo.requests_to("b2_authorize_account")[0].path == (
        "http://b2-api.invalid/b2api/v3/b2_authorize_account"
    )


def test_connection_refused_maps_to_b2_connection_error(sleeps: SleepRecorder) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # kept bound, never listening: refused, and nobody can take it
        port = sock.getsockname()[1]
        client = B2Client(
            "k", "s", api_url=f"http://127.0.0.1:{port}", retry=RetryPolicy(sleep=sleeps)
        )
        with pytest.raises(B2ConnectionError) as info:
            client.authorize()
        with pytest.raises(B2ConnectionError) as other:
            client._transport.request("GET", f"http://127.0.0.1:{port}/b2api/v3/b2_list_buckets")
    # An authorize request carries the application key: its requests error is not chained
    # (its frames hold the headers); any other call's error keeps it as the cause.
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert "refused" in str(info.value)
    assert isinstance(other.value.__cause__, requests.ConnectionError)
    assert len(sleeps.waits) == 4  # retried: 5 attempts in all


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def test_read_timeout_maps_to_b2_timeout_error(silent_port: int) -> None:
    client = B2Client(
        "k", "s", api_url=f"http://127.0.0.1:{silent_port}", retry=RetryPolicy(attempts=1)
    )
    with pytest.raises(B2TimeoutError) as info:
        client.authorize(http={"timeout": 0.2})
    assert info.value.__cause__ is None  # authorize: not chained (see above)
    with pytest.raises(B2TimeoutError) as other:
        client._transport.request("GET", f"http://127.0.0.1:{silent_port}/", timeout=0.2)
    assert isinstance(other.value.__cause__, requests.Timeout)


def test_empty_error_body_is_tolerated(echo: EchoServer, sleeps: SleepRecorder) -> None:
    client = make(echo, sleeps)
    echo.script("/b2api/v3/b2_list_buckets", *[Scripted(503) for _ in range(5)])
    with pytest.raises(B2ServiceError) as info:
        client.list_buckets()
    assert info.value.status == 503
    assert info.value.code == ""
    assert len(sleeps.waits) == 4


def test_bad_credentials_raise_unauthorized_without_retry(
    echo: EchoServer, sleeps: SleepRecorder
) -> None:
    body = json.dumps({"status": 401, "code": "bad_auth_token", "message": ""}).encode()
    echo.script("/b2api/v3/b2_authorize_account", Scripted(401, body))
    client = make(echo, sleeps)
    with pytest.raises(B2Unauthorized) as info:
        client.list_buckets()
    assert type(info.value) is B2Unauthorized  # not "expired": never re-authorize on authorize
    assert "check application_key_id and application_key" in str(info.value)
    assert "the-secret-key" not in str(info.value)
    assert len(echo.requests_to("b2_authorize_account")) == 1
    assert sleeps.waits == []


def test_bodyless_head_401_reauthorizes_once(echo: EchoServer) -> None:
    client = make(echo)
    ok_headers = {
        "X-Bz-File-Id": "id-1",
        "X-Bz-File-Name": "dir/a%20b.txt",
        "X-Bz-Content-Sha1": "a" * 40,
        "X-Bz-Upload-Timestamp": "1700000000000",
        "X-Bz-Info-Author": "me%21",
        "Content-Type": "text/plain",
    }
    echo.script("/file/my-bucket/dir/a%20b.txt", Scripted(401), Scripted(200, b"", ok_headers))
    info = client.get_file_info_by_name("my-bucket", "dir/a b.txt")
    heads = echo.requests_to("/file/my-bucket/dir/a%20b.txt")
    assert [r.method for r in heads] == ["HEAD", "HEAD"]
    assert [r.headers["Authorization"] for r in heads] == ["token-1", "token-2"]
    assert info["fileId"] == "id-1"
    assert info["fileName"] == "dir/a b.txt"
    assert info["fileInfo"] == {"author": "me!"}
    assert info["uploadTimestamp"] == 1700000000000
    assert info["contentType"] == "text/plain"
    assert info["headers"]["X-Bz-File-Id"] == "id-1"


def test_head_401_twice_gives_up_after_one_reauthorization(echo: EchoServer) -> None:
    client = make(echo)
    echo.script("/file/my-bucket/x", Scripted(401), Scripted(401))
    with pytest.raises(B2Unauthorized):
        client.get_file_info_by_name("my-bucket", "x")
    assert len(echo.requests_to("b2_authorize_account")) == 2
    assert len(echo.requests_to("/file/my-bucket/x")) == 2


def test_head_404_is_not_found(echo: EchoServer) -> None:
    echo.script("/file/my-bucket/gone", Scripted(404))
    with pytest.raises(B2NotFound):
        make(echo).get_file_info_by_name("my-bucket", "gone")
