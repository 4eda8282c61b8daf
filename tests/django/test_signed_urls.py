"""Signed and public URLs, fetched with requests from the emulator."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
import requests
from django.core.files.base import ContentFile

from django_b2 import signed_urls
from django_b2.signed_urls import signed_url

from .conftest import PUBLIC_BUCKET, B2Env


def fetch(url: str) -> requests.Response:
    return requests.get(url, timeout=10)


def swap_name(url: str, old: str, new: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.replace(old, new)))


def test_signed_url_downloads_the_file(b2: B2Env) -> None:
    storage = b2.storage(location="media")
    storage.save("a.txt", ContentFile(b"secret bytes"))
    url = storage.url("a.txt")
    assert "Authorization=" in url
    assert urlsplit(url).path == "/file/media-bucket/media/a.txt"
    response = fetch(url)
    assert response.status_code == 200
    assert response.content == b"secret bytes"
    # Without the token the private bucket refuses.
    assert fetch(url.split("?")[0]).status_code == 401


def test_url_makes_no_request_in_steady_state(b2: B2Env) -> None:
    storage = b2.storage(location="media", signed_url_scope="location")
    for name in ("a.txt", "b.txt", "c.txt"):
        storage.save(name, ContentFile(name.encode()))
    storage.url("a.txt")  # mints the location token once
    b2.server.reset_counters()
    urls = [storage.url(name) for name in ("a.txt", "b.txt", "c.txt", "a.txt")]
    assert b2.total() == 0
    # A new worker sharing the cache reuses the same token too.
    assert b2.storage(location="media", signed_url_scope="location").url("b.txt") == urls[1]
    assert b2.total() == 0
    for name, url in zip(("a.txt", "b.txt", "c.txt"), urls, strict=False):
        assert fetch(url).content == name.encode()


def test_expired_url_is_refused(b2: B2Env) -> None:
    storage = b2.storage(url_token_reuse=0)
    storage.save("a.txt", ContentFile(b"a"))
    url = storage.url("a.txt", expire=1)
    assert fetch(url).status_code == 200
    b2.server.advance_clock(2)
    response = fetch(url)
    assert response.status_code == 401
    assert response.json()["code"] in ("expired_auth_token", "bad_auth_token", "unauthorized")


def test_token_is_replaced_when_too_little_lifetime_is_left(
    b2: B2Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = b2.storage(url_expire=100, url_token_reuse=50)
    storage.save("a.txt", ContentFile(b"a"))
    first = storage.url("a.txt")
    assert b2.counts()["b2_get_download_authorization"] == 1
    real_time = signed_urls.time.time
    monkeypatch.setattr(signed_urls.time, "time", lambda: real_time() + 40)
    assert storage.url("a.txt") == first  # 150 - 5 - 40 = 105 s left >= 100: reused
    monkeypatch.setattr(signed_urls.time, "time", lambda: real_time() + 60)
    second = storage.url("a.txt")  # 85 s left < 100: a new token
    assert second != first
    assert b2.counts()["b2_get_download_authorization"] == 2


def test_file_scope_url_refused_for_another_name(b2: B2Env) -> None:
    storage = b2.storage(location="media", signed_url_scope="file")
    storage.save("mine.txt", ContentFile(b"mine"))
    storage.save("yours.txt", ContentFile(b"yours"))
    url = storage.url("mine.txt")
    assert fetch(url).content == b"mine"
    forged = swap_name(url, "mine.txt", "yours.txt")
    assert fetch(forged).status_code == 401


def test_location_scope_token_is_limited_to_the_location(b2: B2Env) -> None:
    storage = b2.storage(location="media", signed_url_scope="location")
    storage.save("a.txt", ContentFile(b"a"))
    b2.storage(location="private").save("b.txt", ContentFile(b"b"))
    url = storage.url("a.txt")
    forged = swap_name(url, "/media/a.txt", "/private/b.txt")
    assert fetch(forged).status_code == 401
    # The documented trade-off of this opt-in scope: names inside the location share the token.
    storage.save("c.txt", ContentFile(b"c"))
    assert fetch(swap_name(url, "/media/a.txt", "/media/c.txt")).content == b"c"


def test_content_disposition_url(b2: B2Env) -> None:
    storage = b2.storage()
    storage.save("r.pdf", ContentFile(b"%PDF"))
    disposition = 'attachment; filename="report.pdf"'
    url = storage.url("r.pdf", content_disposition=disposition)
    assert parse_qs(urlsplit(url).query)["b2ContentDisposition"] == [disposition]
    response = fetch(url)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == disposition
    assert signed_url(storage, "r.pdf", expire=60).startswith(b2.server.url)


def test_public_storage_gives_plain_urls(b2: B2Env) -> None:
    storage = b2.storage(bucket_name=PUBLIC_BUCKET, public=True, location="pub")
    storage.save("p.txt", ContentFile(b"public"))
    b2.server.reset_counters()
    url = storage.url("p.txt")
    assert url == f"{b2.server.url}/file/{PUBLIC_BUCKET}/pub/p.txt"
    assert b2.total() == 0
    assert fetch(url).content == b"public"
    # Asking for an expiry or a disposition still signs.
    assert "Authorization=" in storage.url("p.txt", expire=60)


def test_custom_domain_replaces_host_and_keeps_token(b2: B2Env) -> None:
    storage = b2.storage(custom_domain="cdn.example.com")
    storage.save("a b.txt", ContentFile(b"a"))
    url = storage.url("a b.txt")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "cdn.example.com",
        "/file/media-bucket/a%20b.txt",
    )
    assert "Authorization" in parse_qs(parts.query)
    # The token works once the host is put back (as a CDN in front of B2 would do).
    origin = urlsplit(b2.server.url)
    assert fetch(
        urlunsplit(parts._replace(scheme=origin.scheme, netloc=origin.netloc))
    ).content == (b"a")
    public = b2.storage(public=True, custom_domain="http://127.0.0.1:1")
    assert public.url("x.txt") == "http://127.0.0.1:1/file/media-bucket/x.txt"


def test_url_of_empty_name(b2: B2Env) -> None:
    with pytest.raises(ValueError, match="needs a file name"):
        b2.storage().url(None)


def test_a_lock_held_too_long_does_not_block_url_forever(
    b2: B2Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker that died holding the mint or lookup lock delays others; it never fails them."""
    from django_b2._storage import bucket as bucket_module

    storage = b2.storage(location="media")
    cache = storage.cache
    storage.client.authorization  # noqa: B018 - authorize first, to know the cache keys' owner
    # Locks left behind by a dead worker: every cache_lock key this storage could take.
    original_add = cache.add
    taken: list[str] = []

    def add(
        key: str, value: object, timeout: float | None = None, version: int | None = None
    ) -> bool:
        if ":lock:" in key:
            taken.append(key)
            return False  # someone else holds it
        return bool(original_add(key, value, timeout=timeout, version=version))

    monkeypatch.setattr(cache, "add", add)
    monkeypatch.setattr(signed_urls, "MINT_LOCK_WAIT", 0.0)
    monkeypatch.setattr(bucket_module, "LOOKUP_LOCK_WAIT", 0.0)
    b2.server.reset_counters()
    storage.save("a.txt", ContentFile(b"late but fine"))
    url = storage.url("a.txt")
    assert fetch(url).content == b"late but fine"
    assert any(key.startswith(signed_urls.TOKEN_CACHE_PREFIX) for key in taken)
    assert any("django_b2:bucket:" in key for key in taken)
    counts = b2.counts()
    assert counts["b2_get_download_authorization"] == 1
    assert counts["b2_list_buckets"] == 1
    # The token is cached even so: the next URL makes no request.
    b2.server.reset_counters()
    assert storage.url("a.txt") == url
    assert b2.total() == 0


def test_token_memo_skips_the_cache_and_follows_it_after_memo_recheck(
    b2: B2Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = b2.storage(location="media")
    storage.save("a.txt", ContentFile(b"a"))
    first = storage.url("a.txt")  # mints and remembers the token
    reads: list[str] = []
    real_get = storage.cache.get

    def counting_get(key: str, *args: object, **kwargs: object) -> object:
        reads.append(key)
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(storage.cache, "get", counting_get)
    assert storage.url("a.txt") == first
    assert reads == []  # served from the storage's memo, not the shared cache

    storage.cache.clear()  # e.g. another process flushed the cache: the token is forgotten
    real_time = signed_urls.time.time
    monkeypatch.setattr(
        signed_urls.time, "time", lambda: real_time() + signed_urls.MEMO_RECHECK + 0.1
    )
    b2.server.reset_counters()
    second = storage.url("a.txt")
    assert reads  # the memo was re-checked against the cache...
    assert b2.counts()["b2_get_download_authorization"] == 1  # ...which had none: minted again
    assert fetch(second).content == b"a"
