"""Fixtures for the Django layer: a bucket on the emulator and a storage pointed at it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.storage import storages
from django.test import override_settings

from django_b2.client import B2Client
from django_b2.storage import B2Storage

PRIVATE_BUCKET = "media-bucket"
PUBLIC_BUCKET = "public-bucket"


@dataclass
class B2Env:
    """The emulator, a client on it, and the storage OPTIONS that point at it."""

    server: Any
    client: B2Client
    private_bucket_id: str
    public_bucket_id: str

    def options(self, **extra: Any) -> dict[str, Any]:
        return {
            "application_key_id": self.server.application_key_id,
            "application_key": self.server.application_key,
            "api_url": self.server.url,
            "bucket_name": PRIVATE_BUCKET,
            **extra,
        }

    def storage(self, **extra: Any) -> B2Storage:
        return B2Storage(**self.options(**extra))

    def counts(self) -> dict[str, int]:
        by_endpoint: dict[str, int] = self.server.counters()["by_endpoint"]
        return {name: count for name, count in by_endpoint.items() if count}

    def total(self) -> int:
        return int(self.server.counters()["total"])


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    """A new LocMem cache per test, so no authorization or token leaks between tests."""
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"django-b2-test-{uuid.uuid4().hex}",
        }
    }
    with override_settings(CACHES=caches):
        yield


@pytest.fixture
def b2(b2_emulator: Any, fresh_cache: None) -> Iterator[B2Env]:
    server = b2_emulator
    client = B2Client(server.application_key_id, server.application_key, api_url=server.url)
    private = client.create_bucket(PRIVATE_BUCKET, "allPrivate")
    public = client.create_bucket(PUBLIC_BUCKET, "allPublic")
    server.reset_counters()
    try:
        yield B2Env(server, client, private["bucketId"], public["bucketId"])
    finally:
        client.close()


@pytest.fixture
def media(b2: B2Env) -> Iterator[B2Storage]:
    """``STORAGES["default"]`` is a B2Storage on the private bucket (location "media")."""
    definition = {
        "default": {
            "BACKEND": "django_b2.storage.B2Storage",
            "OPTIONS": b2.options(location="media"),
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=definition):
        storage = storages["default"]
        assert isinstance(storage, B2Storage)
        yield storage
