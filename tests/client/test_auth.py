"""Authorization: caching, expiry, re-authorization, shared stores, keeping the key secret."""

from __future__ import annotations

import json
import logging
import pickle
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from django_b2.client import (
    AccountAuthorization,
    AuthStore,
    B2AuthTokenExpired,
    B2Client,
    B2Unauthorized,
    InMemoryAuthStore,
)
from django_b2.emulator import EmulatorServer
from tests.helpers import endpoint_calls

from .conftest import SleepRecorder, make_client
from .echo_server import EchoServer, Scripted


def test_token_is_cached_across_calls(client: B2Client, b2_emulator: EmulatorServer) -> None:
    for _ in range(5):
        client.list_buckets()
    assert endpoint_calls(b2_emulator, "b2_authorize_account") == 1


def test_expired_token_triggers_exactly_one_reauthorization(
    client: B2Client, b2_emulator: EmulatorServer, sleeps: SleepRecorder
) -> None:
    client.list_buckets()
    old = client.authorization.authorization_token
    b2_emulator.advance_clock(86_401)  # past the emulator's 24 h token lifetime
    client.list_buckets()
    assert endpoint_calls(b2_emulator, "b2_authorize_account") == 2
    assert client.authorization.authorization_token != old
    assert sleeps.waits == []  # a reauth is not a retry with backoff


def test_tokens_expiring_after_n_calls(client: B2Client, b2_emulator: EmulatorServer) -> None:
    b2_emulator.set_faults(expire_tokens_after_calls=3)
    bucket = client.create_bucket("expiry-bucket", "allPrivate")
    version = client.upload_file(bucket["bucketId"], "e", b"e")
    for _ in range(9):
        assert client.get_file_info(version["fileId"] or "")["fileName"] == "e"
    # 11 account-token calls with tokens good for 3 calls each: re-authorized 3 times.
    assert endpoint_calls(b2_emulator, "b2_authorize_account") == 4


def test_expire_some_tokens_test_mode(b2_emulator: EmulatorServer, sleeps: SleepRecorder) -> None:
    with make_client(
        b2_emulator, sleeps, test_mode="expire_some_account_authorization_tokens"
    ) as client:
        for _ in range(6):
            client.list_buckets()
        assert endpoint_calls(b2_emulator, "b2_authorize_account") >= 3


def test_many_threads_reauthorize_once(client: B2Client, b2_emulator: EmulatorServer) -> None:
    client.list_buckets()
    b2_emulator.advance_clock(86_401)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            client.list_buckets()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert endpoint_calls(b2_emulator, "b2_authorize_account") == 2


def test_clients_sharing_a_store_authorize_once(
    b2_emulator: EmulatorServer, sleeps: SleepRecorder
) -> None:
    store = InMemoryAuthStore()
    first = make_client(b2_emulator, sleeps, auth_store=store)
    second = make_client(b2_emulator, sleeps, auth_store=store)
    assert first.auth_cache_key == second.auth_cache_key
    first.list_buckets()
    second.list_buckets()
    assert endpoint_calls(b2_emulator, "b2_authorize_account") == 1
    # After expiry, whichever worker refreshes first stores the token the other one reuses.
    b2_emulator.advance_clock(86_401)
    first.list_buckets()
    second.list_buckets()
    assert endpoint_calls(b2_emulator, "b2_authorize_account") == 2
    assert first.authorization == second.authorization


def test_current_authorization_follows_the_shared_store(
    b2_emulator: EmulatorServer, sleeps: SleepRecorder
) -> None:
    store = InMemoryAuthStore()
    first = make_client(b2_emulator, sleeps, auth_store=store)
    second = make_client(b2_emulator, sleeps, auth_store=store)
    assert first.last_authorization is None  # nothing yet, and no request to find out
    assert endpoint_calls(b2_emulator, "b2_authorize_account") == 0
    old = first.current_authorization()
    assert (
        first.last_authorization == old and endpoint_calls(b2_emulator, "b2_authorize_account") == 1
    )
    new = second.authorize()  # another worker replaces the shared authorization
    assert first.last_authorization == old  # no I/O: still the one it used
    assert first.current_authorization().authorization_token == new["authorizationToken"]
    assert first.last_authorization != old  # adopted
    assert endpoint_calls(b2_emulator, "b2_authorize_account") == 2
    store.delete(first.auth_cache_key)  # nothing shared (evicted): this client's own, no request
    assert first.current_authorization() == first.last_authorization
    assert endpoint_calls(b2_emulator, "b2_authorize_account") == 2


class JsonStore:
    """An AuthStore that keeps only JSON text, as a shared cache would."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.ttls: list[float] = []
        self._lock = threading.Lock()

    def get(self, key: str) -> AccountAuthorization | None:
        text = self.data.get(key)
        return AccountAuthorization.from_dict(json.loads(text)) if text else None

    def set(self, key: str, value: AccountAuthorization, ttl: float) -> None:
        self.ttls.append(ttl)
        self.data[key] = json.dumps(value.to_dict())

    def delete(self, key: str) -> None:
        self.data.pop(key, None)

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        with self._lock:
            yield


def test_custom_json_store(b2_emulator: EmulatorServer, sleeps: SleepRecorder) -> None:
    store = JsonStore()
    assert isinstance(store, AuthStore)
    client = make_client(b2_emulator, sleeps, auth_store=store, auth_max_age=3600)
    client.list_buckets()
    assert list(store.data) == [client.auth_cache_key]
    assert b2_emulator.application_key not in next(iter(store.data.values()))
    assert 3500 < store.ttls[0] <= 3600
    fresh = make_client(b2_emulator, sleeps, auth_store=store)
    fresh.list_buckets()
    assert endpoint_calls(b2_emulator, "b2_authorize_account") == 1


def test_too_old_stored_authorization_is_replaced(
    client: B2Client, b2_emulator: EmulatorServer
) -> None:
    client.list_buckets()
    store = InMemoryAuthStore()
    old = client.authorization
    aged = AccountAuthorization.from_dict({**old.to_dict(), "obtained_at": time.time() - 7200})
    store.set("k", aged, 60)
    other = B2Client(
        b2_emulator.application_key_id,
        b2_emulator.application_key,
        api_url=b2_emulator.url,
        auth_store=store,
        auth_max_age=3600,
    )
    store.set(other.auth_cache_key, aged, 60)
    assert other.authorization.obtained_at > aged.obtained_at
    assert endpoint_calls(b2_emulator, "b2_authorize_account") == 2


def test_bad_credentials_fail_without_retry(
    b2_emulator: EmulatorServer, sleeps: SleepRecorder
) -> None:
    client = B2Client(
        b2_emulator.application_key_id,
        "definitely-not-the-key",
        api_url=b2_emulator.url,
        retry=make_client(b2_emulator, sleeps).retry,
    )
    with pytest.raises(B2Unauthorized) as info:
        client.list_buckets()
    assert not isinstance(info.value, B2AuthTokenExpired)
    assert "check application_key_id and application_key" in str(info.value)
    assert endpoint_calls(b2_emulator, "b2_authorize_account") == 1
    assert sleeps.waits == []


def test_reauth_per_rejected_token_then_propagate(echo: EchoServer) -> None:
    """Each rejected token is replaced by one newer token, a bounded number of times."""
    expired = json.dumps({"status": 401, "code": "expired_auth_token", "message": "old"}).encode()
    echo.script("/b2api/v3/b2_list_keys", *[Scripted(401, expired) for _ in range(5)])
    client = B2Client("kid", "secret", api_url=echo.url)
    with pytest.raises(B2AuthTokenExpired):
        client.list_keys()
    assert len(echo.requests_to("b2_authorize_account")) == 4
    assert [r.headers["Authorization"] for r in echo.requests_to("b2_list_keys")] == [
        "token-1",
        "token-2",
        "token-3",
        "token-4",
    ]


def test_a_fresh_token_rejected_again_gets_another(echo: EchoServer) -> None:
    """B2's expire_some_account_authorization_tokens test mode can expire a token minted a
    moment ago: the call authorizes again instead of surfacing the error."""
    expired = json.dumps({"status": 401, "code": "expired_auth_token", "message": "old"}).encode()
    echo.script("/b2api/v3/b2_list_keys", Scripted(401, expired), Scripted(401, expired))
    client = B2Client("kid", "secret", api_url=echo.url)
    client.list_keys()
    assert len(echo.requests_to("b2_authorize_account")) == 3
    assert [r.headers["Authorization"] for r in echo.requests_to("b2_list_keys")][-1] == "token-3"


def test_permission_401_is_not_reauthorized(echo: EchoServer) -> None:
    denied = json.dumps({"status": 401, "code": "unauthorized", "message": "no"}).encode()
    echo.script("/b2api/v3/b2_list_keys", Scripted(401, denied))
    client = B2Client("kid", "secret", api_url=echo.url)
    with pytest.raises(B2Unauthorized):
        client.list_keys()
    assert len(echo.requests_to("b2_authorize_account")) == 1


# --- the application key stays secret ------------------------------------------------------------


def test_key_never_shown(
    b2_emulator: EmulatorServer, sleeps: SleepRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = b2_emulator.application_key
    client = make_client(b2_emulator, sleeps)
    b2_emulator.set_faults(api_503_rate=1.0)
    with pytest.raises(Exception) as failure:
        client.list_buckets()
    b2_emulator.set_faults()
    client.list_buckets()
    wrong = B2Client(b2_emulator.application_key_id, key + "x", api_url=b2_emulator.url)
    with pytest.raises(B2Unauthorized) as denied:
        wrong.authorize()

    texts = [
        repr(client),
        str(client),
        repr(vars(client)),
        repr(client.authorization),
        json.dumps(client.authorization.to_dict()),
        client.auth_cache_key,
        str(failure.value),
        repr(failure.value),
        str(denied.value),
        repr(denied.value),
        repr(wrong),
    ]
    texts += [record.getMessage() for record in caplog.records]
    assert caplog.records  # the client did log (retries, authorization)
    for text in texts:
        assert key not in text
    assert client.application_key_id in repr(client)
    token = client.authorization.authorization_token
    assert token not in repr(client.authorization)
    with pytest.raises(TypeError):
        pickle.dumps(client._application_key)
