"""The client never shows the application key: reprs, errors, logs, the auth store, pickles."""

from __future__ import annotations

import json
import logging
import pickle
import socket
from typing import Any

import pytest

from django_b2.client import (
    AccountAuthorization,
    B2Client,
    B2ConnectionError,
    B2Unauthorized,
    InMemoryAuthStore,
    RetryPolicy,
)
from django_b2.emulator import EmulatorServer
from tests.secrets_check import assert_hidden, error_text, log_text

WRONG_KEY = "K00wrong-secret-that-must-not-leak"


class RecordingStore(InMemoryAuthStore):
    """An ordinary in-memory store that also keeps everything it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.given: list[tuple[str, AccountAuthorization]] = []

    def set(self, key: str, value: AccountAuthorization, ttl: float) -> None:
        self.given.append((key, value))
        super().set(key, value, ttl)


def _client(srv: EmulatorServer, key: str, **kwargs: Any) -> B2Client:
    return B2Client(
        srv.application_key_id,
        key,
        api_url=kwargs.pop("api_url", srv.url),
        retry=kwargs.pop("retry", RetryPolicy(attempts=2, sleep=lambda _s: None)),
        **kwargs,
    )


def test_repr_vars_and_pickle_hide_the_key(b2_emulator: EmulatorServer) -> None:
    key = b2_emulator.application_key
    client = _client(b2_emulator, key)
    client.authorize()
    assert_hidden(key, repr(client), str(client), key_id=b2_emulator.application_key_id)
    for name, value in vars(client).items():
        assert_hidden(key, f"{name}={value!r}")
    assert_hidden(key, client.auth_cache_key, repr(client.authorization))
    with pytest.raises(TypeError):
        pickle.dumps(client)
    client.close()


def test_auth_store_gets_the_token_never_the_key(b2_emulator: EmulatorServer) -> None:
    key = b2_emulator.application_key
    store = RecordingStore()
    client = _client(b2_emulator, key, auth_store=store)
    client.list_buckets()
    assert len(store.given) == 1
    cache_key, value = store.given[0]
    assert value.authorization_token  # what the store is for
    stored = json.dumps(value.to_dict())
    assert_hidden(key, cache_key, repr(value), stored, repr(pickle.dumps(value)))
    client.close()


def test_logs_at_debug_during_authorize_upload_and_retries(
    b2_emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    key = b2_emulator.application_key
    caplog.set_level(logging.DEBUG)
    client = _client(b2_emulator, key, retry=RetryPolicy(attempts=10, sleep=lambda _s: None))
    bucket = client.create_bucket("secrecy-logs", "allPrivate")
    b2_emulator.set_faults(upload_503_rate=0.5, api_503_rate=0.3, seed=4)
    for n in range(4):
        client.upload_file(bucket["bucketId"], f"f{n}.txt", b"x" * 1200)
    b2_emulator.set_faults()
    client.upload(bucket["bucketId"], "large.bin", b"y" * 3500, part_size=1000)
    assert any(r.name == "django_b2.client" for r in caplog.records)  # retries were logged
    assert any(r.name.startswith("urllib3") for r in caplog.records)  # DEBUG really was on
    assert_hidden(key, log_text(caplog.records), key_id=b2_emulator.application_key_id)
    client.close()


def test_failed_authorize_shows_neither_key(
    b2_emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = _client(b2_emulator, WRONG_KEY)
    with pytest.raises(B2Unauthorized) as info:
        client.list_buckets()
    assert b2_emulator.application_key_id in str(info.value)  # says which key id failed
    shown = error_text(info.value) + log_text(caplog.records) + repr(client)
    assert_hidden(WRONG_KEY, shown, key_id=b2_emulator.application_key_id)
    assert_hidden(b2_emulator.application_key, shown)
    client.close()


def test_unreachable_server_error_hides_the_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # kept bound, never listening: refused, and nobody can take it
        port = sock.getsockname()[1]
        client = B2Client(
            "key-id-1",
            WRONG_KEY,
            api_url=f"http://127.0.0.1:{port}",
            retry=RetryPolicy(attempts=2, sleep=lambda _s: None),
        )
        with pytest.raises(B2ConnectionError) as info:
            client.authorize()
    assert_hidden(WRONG_KEY, error_text(info.value), log_text(caplog.records), key_id="key-id-1")
    # The requests/urllib3 error is not chained: its frames hold the request's headers.
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert "Connection refused" in str(info.value) or "refused" in str(info.value).lower()
    client.close()


def test_basic_header_is_built_when_sent_and_never_shown(b2_emulator: EmulatorServer) -> None:
    key, key_id = b2_emulator.application_key, b2_emulator.application_key_id
    client = _client(b2_emulator, key)
    auth = client._key_auth
    assert_hidden(key, repr(auth), key_id=key_id)
    assert key_id in repr(auth)
    with pytest.raises(TypeError):
        pickle.dumps(auth)
    client.authorize()  # the header the emulator checks is the one built at send time
    assert client.authorization.account_id == b2_emulator.account_id


@pytest.mark.parametrize("bad", ["", None, b"K00bytes-secret"])
def test_rejected_key_is_not_echoed(bad: Any) -> None:
    with pytest.raises(ValueError) as info:
        B2Client("key-id-1", bad)
    if isinstance(bad, bytes):
        assert_hidden(bad.decode(), error_text(info.value))
    assert "application_key" in str(info.value)
