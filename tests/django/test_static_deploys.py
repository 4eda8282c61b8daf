"""collectstatic deploys of 1,000 files: no needless request, no delete, no gap (real HTTP)."""

from __future__ import annotations

import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from django_b2.client.errors import B2NotFound

from .conftest import PUBLIC_BUCKET, B2Env

pytestmark = pytest.mark.slow

FILES = 1000
BACKENDS = ["django_b2.static.B2StaticStorage", "django_b2.static.B2ManifestStaticStorage"]
#: Changed in the changed-run test: two scripts, a stylesheet and the image it refers to.
CHANGED = ["pkg2/file2.js", "pkg3/file3.js", "css/site1.css", "img/logo0.png"]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """1,000 static files: scripts, images, and stylesheets that refer to the images."""
    root = tmp_path / "assets"
    for sub in ("css", "img", *(f"pkg{i}" for i in range(10))):
        (root / sub).mkdir(parents=True)
    for index in range(FILES):
        kind = index % 10
        if kind == 0:
            (root / "img" / f"logo{index}.png").write_bytes(b"\x89PNG %d" % index)
        elif kind == 1:
            (root / "css" / f"site{index}.css").write_text(
                f"body {{ background: url('../img/logo{index - 1}.png'); }}\n"
            )
        else:
            (root / f"pkg{kind}" / f"file{index}.js").write_text(f"console.log({index});\n")
    assert sum(1 for p in root.rglob("*") if p.is_file()) == FILES
    return root


@contextmanager
def deploy_settings(b2: B2Env, site: Path, backend: str) -> Iterator[None]:
    """Settings of one deploy process: a new storage instance and a new (empty) cache."""
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {
            "BACKEND": backend,
            "OPTIONS": b2.options(bucket_name=PUBLIC_BUCKET, location="static"),
        },
    }
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"deploy-{uuid.uuid4().hex}",
        }
    }
    with override_settings(STORAGES=storages, STATICFILES_DIRS=[str(site)], CACHES=caches):
        yield


def collectstatic(b2: B2Env, site: Path, backend: str) -> dict[str, int]:
    b2.server.reset_counters()
    with deploy_settings(b2, site, backend):
        call_command("collectstatic", interactive=False, verbosity=0)
    return b2.counts()


def published(b2: B2Env) -> list[str]:
    return [str(f["fileName"]) for f in b2.client.iter_file_names(b2.public_bucket_id)]


def change(site: Path, rel: str) -> None:
    path = site / rel
    path.write_bytes(path.read_bytes() + b"\n/* changed */\n")
    future = time.time() + 120  # newer than anything B2 holds: collectstatic copies it
    os.utime(path, (future, future))


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_change_run_makes_at_most_3_requests_and_deletes_nothing(
    b2: B2Env, site: Path, backend: str
) -> None:
    """Before: the manifest storage deleted and uploaded every CSS/JS file again (over 2,000
    requests here); now: authorize, find the bucket, list the location."""
    first = collectstatic(b2, site, backend)
    assert first["b2_upload_file"] >= FILES
    names = published(b2)
    again = collectstatic(b2, site, backend)
    assert sum(again.values()) <= 3, again
    assert again.get("b2_list_file_names") == 1
    for endpoint in ("b2_delete_file_version", "b2_hide_file", "b2_upload_file"):
        assert endpoint not in again
    assert published(b2) == names
    # Every source's mtime changed (a fresh checkout), content not: still nothing uploaded.
    for path in site.rglob("*"):
        if path.is_file():
            os.utime(path, None)
    touched = collectstatic(b2, site, backend)
    assert "b2_upload_file" not in touched and "b2_delete_file_version" not in touched
    assert sum(touched.values()) <= 3, touched


@pytest.mark.parametrize("backend", BACKENDS)
def test_changed_run_never_misses_a_published_name(b2: B2Env, site: Path, backend: str) -> None:
    """Before: a changed file was deleted, then uploaded again: a reader got 404 in between."""
    collectstatic(b2, site, backend)
    names = published(b2)

    def is_watched(name: str) -> bool:
        """A changed file under its own or its hashed name (``a.css``, ``a.<12 hex>.css``)."""
        for rel in CHANGED:
            stem, ext = f"static/{rel}".rsplit(".", 1)
            if name == f"{stem}.{ext}" or re.fullmatch(
                rf"{re.escape(stem)}\.[0-9a-f]{{12}}\.{ext}", name
            ):
                return True
        return name.endswith("staticfiles.json")

    watched = [n for n in names if is_watched(n)]
    assert len(watched) >= len(CHANGED)
    for rel in CHANGED:
        change(site, rel)
    b2.server.set_faults(latency_seconds=0.01)  # widens any gap a delete-then-upload leaves
    misses: list[str] = []
    polls: dict[str, int] = dict.fromkeys(watched, 0)
    done = threading.Event()

    def poll(batch: list[str]) -> None:
        while not done.is_set():
            for name in batch:
                if done.is_set():
                    break
                try:
                    b2.client.get_file_info_by_name(PUBLIC_BUCKET, name)
                except B2NotFound:
                    misses.append(name)
                if name in polls:
                    polls[name] += 1

    # One reader per changed name (each polled about every 10 ms) and one sweeping all names.
    readers = [threading.Thread(target=poll, args=([n],), daemon=True) for n in watched]
    readers.append(threading.Thread(target=poll, args=(names,), daemon=True))
    for reader in readers:
        reader.start()
    try:
        counts = collectstatic(b2, site, backend)
    finally:
        done.set()
        for reader in readers:
            reader.join(timeout=30)
    b2.server.set_faults(latency_seconds=0.0)
    assert not any(reader.is_alive() for reader in readers)
    assert min(polls.values()) >= 2
    assert misses == []
    assert "b2_hide_file" not in counts
    # The changed originals were overwritten in place; the superseded versions are gone.
    for rel in CHANGED:
        key = f"static/{rel}"
        versions = [
            v
            for v in b2.client.iter_file_versions(b2.public_bucket_id, prefix=key)
            if v["fileName"] == key
        ]
        assert len(versions) == 1
        content = b2.client.download_file_by_name(PUBLIC_BUCKET, key).read()
        assert content.endswith(b"/* changed */\n")
    assert set(names) <= set(published(b2))


def test_one_file_changed_run_requests(b2: B2Env, site: Path) -> None:
    backend = BACKENDS[0]
    collectstatic(b2, site, backend)
    change(site, "pkg2/file2.js")
    counts = collectstatic(b2, site, backend)
    # authorize, bucket, listing; one upload (URL + upload); its old version listed and deleted.
    assert counts["b2_upload_file"] == 1
    assert counts["b2_delete_file_version"] == 1
    assert sum(counts.values()) <= 8, counts
