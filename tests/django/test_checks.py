"""System checks: ids, messages, no network."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from django_b2.checks import check_storages

B2 = "django_b2.storage.B2Storage"
FS = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STATIC = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
GOOD: dict[str, Any] = {
    "application_key_id": "kid",
    "application_key": "secret",
    "bucket_name": "media-bucket",
    "api_url": "http://127.0.0.1:9",
}
REDIS_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x"},
}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any connection attempt during a check fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a system check tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield


def run(options: dict[str, Any], backend: str = B2, **settings: Any) -> list[Any]:
    storages = {"default": {"BACKEND": backend, "OPTIONS": options}, "staticfiles": STATIC}
    with override_settings(STORAGES=storages, **settings):
        return check_storages()


def ids(messages: list[Any]) -> list[str]:
    return [m.id for m in messages]


def test_good_config_with_shared_cache_is_clean() -> None:
    assert run({**GOOD, "auth_cache": "shared"}, CACHES=REDIS_CACHE) == []


def test_locmem_cache_warns_w001() -> None:
    (message,) = run(GOOD)
    assert message.id == "django_b2.W001"
    assert "per-process" in message.msg
    assert "B2_AUTH_CACHE" in message.hint
    assert message.obj == "STORAGES['default']"


def test_dummy_cache_warns_w001() -> None:
    caches = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    (message,) = run(GOOD, CACHES=caches)
    assert message.id == "django_b2.W001"
    assert "no-op" in message.msg


def test_missing_credentials_and_bucket_reported_together() -> None:
    messages = run({"api_url": "http://127.0.0.1:9"})
    assert sorted(ids(messages)) == ["django_b2.E001", "django_b2.E001", "django_b2.E002"]
    text = " ".join(m.msg for m in messages)
    assert "Set OPTIONS['application_key_id'] or B2_APPLICATION_KEY_ID." in text
    assert "Set OPTIONS['application_key'] or B2_APPLICATION_KEY." in text
    assert "Set OPTIONS['bucket_name'] or B2_BUCKET_NAME." in text


def test_settings_satisfy_the_check() -> None:
    settings = {
        "B2_APPLICATION_KEY_ID": "kid",
        "B2_APPLICATION_KEY": "secret",
        "B2_BUCKET_NAME": "media-bucket",
        "B2_AUTH_CACHE": "shared",
        "CACHES": REDIS_CACHE,
    }
    assert run({}, **settings) == []


def test_url_expire_too_long_is_e003() -> None:
    messages = run({**GOOD, "url_expire": 700_000})
    assert ids(messages) == ["django_b2.E003"]
    assert "604800" in messages[0].msg


def test_contradiction_is_e004() -> None:
    messages = run({**GOOD, "part_size": 5000, "large_file_threshold": 4000})
    assert ids(messages) == ["django_b2.E004"]
    assert "large_file_threshold" in messages[0].msg


def test_unknown_option_is_e005_with_suggestion() -> None:
    messages = run({**GOOD, "overwrite": True})
    assert ids(messages) == ["django_b2.E005"]
    assert "file_overwrite" in messages[0].msg


def test_static_storage_checked_too() -> None:
    storages = {
        "default": FS,
        "staticfiles": {"BACKEND": "django_b2.static.B2ManifestStaticStorage", "OPTIONS": {}},
    }
    with override_settings(STORAGES=storages):
        messages = check_storages()
    assert "django_b2.E002" in ids(messages)
    assert all(m.obj == "STORAGES['staticfiles']" for m in messages)
    assert any("B2_STATIC_BUCKET_NAME or B2_BUCKET_NAME" in m.msg for m in messages)


def test_non_b2_storages_ignored() -> None:
    storages = {"default": FS, "staticfiles": STATIC, "broken": {"BACKEND": "no.such.Backend"}}
    with override_settings(STORAGES=storages):
        assert check_storages() == []


def test_registered_with_django_check_framework() -> None:
    storages = {"default": {"BACKEND": B2, "OPTIONS": {"bucket_name": "media-bucket"}}}
    with override_settings(STORAGES=storages), pytest.raises(SystemCheckError) as info:
        call_command("check")
    assert "django_b2.E001" in str(info.value)


def test_private_static_storage_warns_w002() -> None:
    storages = {
        "default": FS,
        "staticfiles": {
            "BACKEND": "django_b2.static.B2StaticStorage",
            "OPTIONS": {**GOOD, "public": False, "auth_cache": "shared"},
        },
    }
    with override_settings(STORAGES=storages, CACHES=REDIS_CACHE):
        messages = check_storages()
    assert ids(messages) == ["django_b2.W002"]
    assert "B2_STATIC_PUBLIC" in messages[0].hint


# A download link's holder can add ``b2ContentType=text/html``: a user's upload then runs as a
# page on the download host. That host must share no origin and no cookies with the site.
SHARED = {**GOOD, "auth_cache": "shared"}


def test_custom_domain_under_the_session_cookie_domain_warns_w004() -> None:
    (message,) = run(
        {**SHARED, "custom_domain": "files.example.com"},
        CACHES=REDIS_CACHE,
        SESSION_COOKIE_DOMAIN=".example.com",
        ALLOWED_HOSTS=["www.example.com"],
    )
    assert message.id == "django_b2.W004"
    assert "SESSION_COOKIE_DOMAIN is '.example.com'" in message.msg
    assert "b2ContentType" in message.msg and "None" in message.hint


def test_custom_domain_equal_to_the_csrf_cookie_domain_warns_w004() -> None:
    (message,) = run(
        {**SHARED, "custom_domain": "https://Example.com:8443"},
        CACHES=REDIS_CACHE,
        CSRF_COOKIE_DOMAIN="example.com",
    )
    assert message.id == "django_b2.W004"
    assert "CSRF_COOKIE_DOMAIN" in message.msg


def test_custom_domain_that_is_the_sites_own_host_warns_w004() -> None:
    (message,) = run(
        {**SHARED, "custom_domain": "www.example.com"},
        CACHES=REDIS_CACHE,
        ALLOWED_HOSTS=["WWW.example.com", "localhost"],
    )
    assert message.id == "django_b2.W004"
    assert "site's own origin" in message.msg


@pytest.mark.parametrize(
    ("custom_domain", "settings"),
    [
        # A separate registrable domain: nothing of the site's goes there.
        ("files.example-usercontent.com", {"SESSION_COOKIE_DOMAIN": ".example.com"}),
        # Host-only cookies (no cookie domain) go only to the host that set them.
        ("files.example.com", {"ALLOWED_HOSTS": ["www.example.com"]}),
        # A name that merely ends like the cookie domain is another domain.
        ("notexample.com", {"SESSION_COOKIE_DOMAIN": "example.com"}),
    ],
)
def test_separate_custom_domains_are_clean(custom_domain: str, settings: dict[str, Any]) -> None:
    assert run({**SHARED, "custom_domain": custom_domain}, CACHES=REDIS_CACHE, **settings) == []
