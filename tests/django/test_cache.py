"""DjangoCacheAuthStore: shared authorization through a Django cache alias."""

from __future__ import annotations

import pickle
import threading
import time

from django.core.cache import caches

from django_b2.cache import KEY_PREFIX, MAX_TTL, DjangoCacheAuthStore
from django_b2.client import AccountAuthorization, AuthStore, B2Client

from .conftest import B2Env


def sample(token: str = "tok") -> AccountAuthorization:
    return AccountAuthorization(
        account_id="acct",
        authorization_token=token,
        api_url="http://api",
        download_url="http://dl",
        recommended_part_size=100,
        absolute_minimum_part_size=10,
        capabilities=("readFiles",),
        bucket_id=None,
        bucket_name=None,
        name_prefix=None,
        obtained_at=time.time(),
    )


def test_is_an_auth_store(fresh_cache: None) -> None:
    assert isinstance(DjangoCacheAuthStore("default"), AuthStore)


def test_roundtrip_versioned_key_and_ttl_cap(fresh_cache: None) -> None:
    store = DjangoCacheAuthStore("default")
    assert store.get("k") is None
    store.set("k", sample(), ttl=86_400)
    value = sample()
    store.set("k", value, ttl=86_400)
    assert store.get("k") == value
    cache = caches["default"]
    assert cache.get(KEY_PREFIX + "k") is not None
    # LocMem keeps the expiry per key: capped at MAX_TTL, well inside 24 hours.
    expires = cache._expire_info[cache.make_and_validate_key(KEY_PREFIX + "k")]  # type: ignore[attr-defined]
    assert MAX_TTL - 5 <= expires - time.time() <= MAX_TTL


def test_delete_touches_only_its_key(fresh_cache: None) -> None:
    cache = caches["default"]
    cache.set("unrelated", "keep")
    store = DjangoCacheAuthStore("default")
    store.set("k", sample(), ttl=60)
    store.delete("k")
    assert store.get("k") is None
    assert cache.get("unrelated") == "keep"


def test_garbage_in_cache_is_ignored(fresh_cache: None) -> None:
    caches["default"].set(KEY_PREFIX + "k", {"unexpected": 1})
    assert DjangoCacheAuthStore("default").get("k") is None


def test_lock_is_exclusive_across_stores(fresh_cache: None) -> None:
    first = DjangoCacheAuthStore("default", poll_interval=0.001)
    second = DjangoCacheAuthStore("default", poll_interval=0.001)
    events: list[str] = []
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with first.lock("k"):
            events.append("first in")
            holding.set()
            release.wait(5)
            events.append("first out")

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait(5)

    def waiter() -> None:
        with second.lock("k"):
            events.append("second in")

    other = threading.Thread(target=waiter)
    other.start()
    time.sleep(0.05)
    assert events == ["first in"]
    release.set()
    thread.join(5)
    other.join(5)
    assert events == ["first in", "first out", "second in"]
    assert caches["default"].get(DjangoCacheAuthStore.lock_key("k")) is None


def test_lock_gives_up_waiting_after_lock_wait(fresh_cache: None) -> None:
    now = [0.0]
    sleeps: list[float] = []

    def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    caches["default"].add(DjangoCacheAuthStore.lock_key("k"), "someone else", timeout=60)
    store = DjangoCacheAuthStore(
        "default", lock_wait=1.0, poll_interval=0.25, sleep=fake_sleep, clock=lambda: now[0]
    )
    with store.lock("k"):
        pass
    assert sleeps == [0.25, 0.25, 0.25, 0.25]
    # The other holder's lock was not released by us.
    assert caches["default"].get(DjangoCacheAuthStore.lock_key("k")) == "someone else"


def test_client_caches_authorization_but_never_the_key(b2: B2Env) -> None:
    server = b2.server
    store = DjangoCacheAuthStore("default")
    client = B2Client(
        server.application_key_id, server.application_key, api_url=server.url, auth_store=store
    )
    client.list_buckets()
    cache = caches["default"]
    stored = [pickle.loads(value) for value in cache._cache.values()]  # type: ignore[attr-defined]
    assert any(isinstance(v, dict) and "authorization_token" in v for v in stored)
    assert server.application_key not in repr(stored)
    # A second client (another worker) does not authorize again.
    server.reset_counters()
    other = B2Client(
        server.application_key_id,
        server.application_key,
        api_url=server.url,
        auth_store=DjangoCacheAuthStore("default"),
    )
    other.list_buckets()
    assert b2.counts() == {"b2_list_buckets": 1}
    client.close()
    other.close()


def test_repr_names_alias_only() -> None:
    assert repr(DjangoCacheAuthStore("shared")) == "DjangoCacheAuthStore(alias='shared')"
