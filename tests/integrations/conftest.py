"""Fixtures for the integration tests: a site whose media storage is B2Storage on the emulator.

``site`` points ``STORAGES["default"]`` at the emulator's private bucket (location ``media``),
routes URLs through :mod:`tests.integrations.urls`, forgets the storages that packages keep in
module-level lazy objects (so each test's storage is the one it configured) and counts requests
from zero. ``fetch`` downloads a rendered URL over real HTTP, the way a browser would.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils.functional import empty
from PIL import Image

from django_b2.storage import B2Storage
from tests.django.conftest import PUBLIC_BUCKET, B2Env, b2, fresh_cache  # noqa: F401


def _forget_package_storages() -> None:
    """Drop what packages keep between tests: storages and caches they looked up once."""
    from imagekit import utils as imagekit_utils
    from sorl.thumbnail import default as sorl_default

    for lazy in (sorl_default.storage, sorl_default.kvstore):
        lazy._wrapped = empty
    # imagekit's cache-file backends keep the Django cache they first used (a test's own).
    for singleton in imagekit_utils._singletons.values():
        vars(singleton).pop("_cache", None)


class Site:
    """The emulator (``b2``) plus helpers to configure storages and count requests."""

    def __init__(self, env: B2Env) -> None:
        self.b2 = env

    def storages(self, **aliases: dict[str, Any]) -> dict[str, Any]:
        """A ``STORAGES`` value: B2 media as ``default`` plus ``aliases`` (name -> OPTIONS)."""
        definition: dict[str, Any] = {
            "default": {
                "BACKEND": "django_b2.storage.B2Storage",
                "OPTIONS": self.b2.options(location="media"),
            },
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        for alias, options in aliases.items():
            definition[alias] = {"BACKEND": "django_b2.storage.B2Storage", "OPTIONS": options}
        return definition

    def public_options(self, **extra: Any) -> dict[str, Any]:
        return self.b2.options(bucket_name=PUBLIC_BUCKET, public=True, **extra)

    def reset(self) -> None:
        """Count from zero (the next requests are what a later page view costs)."""
        self.b2.server.reset_counters()

    def counts(self) -> dict[str, int]:
        return self.b2.counts()

    def mints(self, files: int) -> int:
        """Tokens minted to sign ``files`` new URLs of the default storage: one for the whole
        location (``signed_url_scope="location"``) or one per file (``"file"``)."""
        from django.core.files.storage import storages

        scope = b2_storage(storages["default"]).config.signed_url_scope
        return 1 if scope == "location" else files

    def names(self, bucket: str = "media-bucket") -> list[str]:
        """Every file name in ``bucket`` (taken without touching the counters' meaning)."""
        bucket_id = (
            self.b2.private_bucket_id if bucket == "media-bucket" else (self.b2.public_bucket_id)
        )
        names = [str(f["fileName"]) for f in self.b2.client.iter_file_names(bucket_id)]
        return sorted(names)


@pytest.fixture
def site(b2: B2Env, db: None) -> Iterator[Site]:  # noqa: F811
    helper = Site(b2)
    _forget_package_storages()
    with override_settings(STORAGES=helper.storages(), ROOT_URLCONF="tests.integrations.urls"):
        _forget_package_storages()
        b2.server.reset_counters()
        yield helper
    _forget_package_storages()


@pytest.fixture
def fetch() -> Iterator[Callable[..., requests.Response]]:
    """GET a URL over real HTTP (redirects not followed unless asked)."""
    with requests.Session() as session:

        def get(url: str, **kwargs: Any) -> requests.Response:
            kwargs.setdefault("allow_redirects", False)
            kwargs.setdefault("timeout", 10)
            return session.get(url, **kwargs)

        yield get


def png(
    width: int = 64, height: int = 48, color: str = "red", name: str = "photo.png"
) -> SimpleUploadedFile:
    """A real PNG upload of ``width`` x ``height`` pixels."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def b2_storage(storage: Any) -> B2Storage:
    assert isinstance(storage, B2Storage), storage
    return storage
