"""A few checks against the real B2 (``@pytest.mark.live``).

Skipped unless ``B2_TEST_APPLICATION_KEY_ID``, ``B2_TEST_APPLICATION_KEY`` and
``B2_TEST_BUCKET_NAME`` are set (and never when ``CI`` is set). Everything happens under a fresh
prefix ``django-b2-live-tests/<random>/`` in that bucket, and every version created there (hide
markers included) is deleted afterwards. Bodies are a few bytes: this costs a few class A/B/C
transactions and no storage worth mentioning.

    B2_TEST_APPLICATION_KEY_ID=... B2_TEST_APPLICATION_KEY=... B2_TEST_BUCKET_NAME=... \\
        .venv/bin/pytest tests/live -m live
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.core.files.base import ContentFile
from django.test import override_settings

from django_b2.client import B2Client
from django_b2.storage import B2Storage

from ._guard import REAL_API_URL, live_account, skip_reason

ACCOUNT = live_account(os.environ)

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(ACCOUNT is None, reason=skip_reason(os.environ)),
]

# The real B2 is reachable from this module only with the variables present.
assert (ACCOUNT is None) or (ACCOUNT.api_url == REAL_API_URL)


@pytest.fixture(scope="module")
def client() -> Iterator[B2Client]:
    assert ACCOUNT is not None  # the skipif above guarantees it
    with B2Client(
        ACCOUNT.application_key_id, ACCOUNT.application_key, api_url=ACCOUNT.api_url
    ) as live:
        yield live


@pytest.fixture(scope="module")
def bucket_id(client: B2Client) -> str:
    assert ACCOUNT is not None
    return str(client.get_bucket(bucket_name=ACCOUNT.bucket_name)["bucketId"])


@pytest.fixture
def prefix(client: B2Client, bucket_id: str) -> Iterator[str]:
    """A fresh prefix; every version under it is deleted afterwards."""
    value = f"django-b2-live-tests/{uuid.uuid4().hex}/"
    yield value
    for version in list(client.iter_file_versions(bucket_id, prefix=value)):
        client.delete_file_version(str(version["fileName"]), str(version["fileId"]))
    assert list(client.iter_file_versions(bucket_id, prefix=value)) == []


def test_client_upload_download_list_hide_delete(
    client: B2Client, bucket_id: str, prefix: str
) -> None:
    assert ACCOUNT is not None
    auth = client.authorization
    assert auth.api_url.startswith("https://") and auth.download_url.startswith("https://")

    name = prefix + "hello world ü.txt"
    body = b"hello from django_b2's live tests\n"
    uploaded = client.upload_file(bucket_id, name, body, content_type="text/plain")
    assert uploaded["contentSha1"] == hashlib.sha1(body).hexdigest()
    assert uploaded["contentLength"] == len(body)

    with client.download_file_by_name(ACCOUNT.bucket_name, name) as download:
        assert download.read() == body
        assert download.content_type == "text/plain"

    ranged = client.download_file_by_name(ACCOUNT.bucket_name, name, range=(6, 9))
    with ranged:
        assert ranged.read() == body[6:10]

    listed = [f["fileName"] for f in client.iter_file_names(bucket_id, prefix=prefix)]
    assert listed == [name]

    client.hide_file(bucket_id, name)
    assert list(client.iter_file_names(bucket_id, prefix=prefix)) == []
    actions = sorted(v["action"] for v in client.iter_file_versions(bucket_id, prefix=prefix))
    assert actions == ["hide", "upload"]

    for version in list(client.iter_file_versions(bucket_id, prefix=prefix)):
        client.delete_file_version(str(version["fileName"]), str(version["fileId"]))
    assert list(client.iter_file_versions(bucket_id, prefix=prefix)) == []


def test_client_signed_download_url(client: B2Client, bucket_id: str, prefix: str) -> None:
    assert ACCOUNT is not None
    name = prefix + "signed.txt"
    client.upload_file(bucket_id, name, b"signed body")
    url = client.signed_download_url(
        ACCOUNT.bucket_name, name, bucket_id=bucket_id, valid_duration_in_seconds=60
    )
    response = requests.get(url, timeout=30)
    assert response.status_code == 200
    assert response.content == b"signed body"


@pytest.fixture
def live_cache() -> Iterator[None]:
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"django-b2-live-{uuid.uuid4().hex}",
        }
    }
    with override_settings(CACHES=caches):
        yield


def test_storage_round_trip(
    prefix: str, live_cache: None, caplog: pytest.LogCaptureFixture
) -> None:
    assert ACCOUNT is not None
    storage = B2Storage(
        application_key_id=ACCOUNT.application_key_id,
        application_key=ACCOUNT.application_key,
        bucket_name=ACCOUNT.bucket_name,
        location=prefix.rstrip("/"),
        api_url=ACCOUNT.api_url,
    )
    assert storage.config.api_url == REAL_API_URL
    with caplog.at_level(logging.DEBUG):
        saved = storage.save("docs/note.txt", ContentFile(b"stored on B2"))
        assert saved == "docs/note.txt"
        assert storage.exists(saved)
        assert storage.size(saved) == len(b"stored on B2")
        with storage.open(saved, "rb") as handle:
            assert handle.read() == b"stored on B2"
        assert storage.listdir("docs") == ([], ["note.txt"])
        assert requests.get(storage.url(saved), timeout=30).content == b"stored on B2"
        storage.delete(saved)
        assert not storage.exists(saved)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert ACCOUNT.application_key not in text
    assert ACCOUNT.application_key not in repr(storage)
    cached: dict[str, Any] = dict(storage.cache._cache)  # type: ignore[attr-defined]
    assert all(ACCOUNT.application_key not in repr(value) for value in cached.values())
