"""Fixtures for ``b2_migrate`` and ``b2_files orphans``: buckets on the emulator, a media folder.

``STORAGES`` (overridden per test): ``default`` is a B2Storage on ``site-bucket`` under location
``media`` (the testapp's FileFields use it), ``old`` a B2Storage on ``old-bucket`` of the same
account, ``disk`` a FileSystemStorage on a temporary folder.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from django_b2.client import B2Client
from tests.commands.conftest import answer, no_prompt

__all__ = ["answer", "no_prompt"]  # the prompt fixtures of the command tests, used here too

SITE_BUCKET = "site-bucket"
OLD_BUCKET = "old-bucket"
#: Small sizes (the emulator fixture accepts parts of 1000 bytes): files of 200 kB and more are
#: large files, sent in parts of 100 kB.
LARGE_FILE_THRESHOLD = 200_000
PART_SIZE = 100_000


@dataclass
class Env:
    server: Any
    client: B2Client
    site_bucket_id: str
    old_bucket_id: str
    disk: Path
    tmp: Path

    def storages(self) -> dict[str, Any]:
        common = {
            "application_key_id": self.server.application_key_id,
            "application_key": self.server.application_key,
            "api_url": self.server.url,
            "large_file_threshold": LARGE_FILE_THRESHOLD,
            "part_size": PART_SIZE,
        }
        return {
            "default": {
                "BACKEND": "django_b2.storage.B2Storage",
                "OPTIONS": {**common, "bucket_name": SITE_BUCKET, "location": "media"},
            },
            "old": {
                "BACKEND": "django_b2.storage.B2Storage",
                "OPTIONS": {**common, "bucket_name": OLD_BUCKET},
            },
            "disk": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(self.disk)},
            },
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }

    def counts(self) -> dict[str, int]:
        by_endpoint: dict[str, int] = self.server.counters()["by_endpoint"]
        return {name: count for name, count in by_endpoint.items() if count}

    def site_files(self) -> dict[str, list[dict[str, Any]]]:
        """Every version in the site bucket, by name."""
        versions: dict[str, list[dict[str, Any]]] = {}
        for entry in self.client.iter_file_versions(self.site_bucket_id):
            versions.setdefault(entry["fileName"], []).append(dict(entry))
        return versions

    def download(self, name: str) -> bytes:
        with self.client.download_file_by_name(SITE_BUCKET, name) as downloaded:
            return b"".join(downloaded)


@pytest.fixture
def env(b2_emulator: Any, tmp_path: Path) -> Iterator[Env]:
    server = b2_emulator
    client = B2Client(server.application_key_id, server.application_key, api_url=server.url)
    site = client.create_bucket(SITE_BUCKET, "allPrivate")
    old = client.create_bucket(OLD_BUCKET, "allPrivate")
    disk = tmp_path / "disk"
    disk.mkdir()
    result = Env(server, client, site["bucketId"], old["bucketId"], disk, tmp_path)
    overrides: dict[str, Any] = {"STORAGES": result.storages()}
    if "django_b2" not in settings.INSTALLED_APPS:
        overrides["INSTALLED_APPS"] = [*settings.INSTALLED_APPS, "django_b2"]
    cache.clear()
    server.reset_counters()
    try:
        with override_settings(**overrides):
            yield result
    finally:
        cache.clear()
        client.close()


def make_tree(root: Path, count: int, *, seed: int = 15, big: int = 0) -> dict[str, bytes]:
    """``count`` small files in nested folders under ``root`` (names chosen to sort differently
    by characters and by UTF-8 bytes), plus one file of ``big`` bytes when ``big`` is set."""
    rng = random.Random(seed)
    tricky = ["a-b.txt", "a/b.txt", "a0.txt", "Z.txt", "é/x.txt", "ü.txt", "日本/語.txt", "a b.txt"]
    names = tricky + [f"d{index % 7}/sub{index % 3}/f{index:04d}.bin" for index in range(count)]
    names = names[:count]
    files: dict[str, bytes] = {}
    for name in names:
        files[name] = rng.randbytes(rng.randrange(0, 3000))
    if big:
        files["videos/big.bin"] = rng.randbytes(big)
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()
