"""collectstatic to the emulator with both static storages."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import override_settings

from django_b2.client import RetryPolicy
from django_b2.static import B2ManifestStaticStorage, B2StaticStorage

from .conftest import PUBLIC_BUCKET, B2Env

FILES = 300
#: Static files of the installed apps (django_b2.direct_upload's script), collected too.
APP_FILES = ("static/django_b2/direct_upload.js",)


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    root = tmp_path / "assets"
    for index in range(FILES):
        sub = root / f"pkg{index % 10}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"file{index}.js").write_text(f"console.log({index});\n")
    (root / "img").mkdir()
    (root / "img" / "logo.png").write_bytes(b"\x89PNG fake logo")
    (root / "css").mkdir()
    (root / "css" / "site.css").write_text("body { background: url('../img/logo.png'); }\n")
    return root


def static_settings(b2: B2Env, static_dir: Path, backend: str, **options: Any) -> Any:
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {
            "BACKEND": backend,
            "OPTIONS": b2.options(bucket_name=PUBLIC_BUCKET, location="static", **options),
        },
    }
    return override_settings(STORAGES=storages, STATICFILES_DIRS=[str(static_dir)])


@pytest.fixture
def concurrency(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Records the largest number of uploads in flight at once."""
    state = {"now": 0}
    peak = [0]
    lock = threading.Lock()
    original = B2StaticStorage.upload

    def tracking(self: B2StaticStorage, *args: Any, **kwargs: Any) -> Any:
        with lock:
            state["now"] += 1
            peak[0] = max(peak[0], state["now"])
        try:
            return original(self, *args, **kwargs)
        finally:
            with lock:
                state["now"] -= 1

    monkeypatch.setattr(B2StaticStorage, "upload", tracking)
    yield peak


def bucket_names(b2: B2Env) -> list[str]:
    return [str(f["fileName"]) for f in b2.client.iter_file_names(b2.public_bucket_id)]


def test_collectstatic_plain(b2: B2Env, static_dir: Path, concurrency: list[int]) -> None:
    b2.server.set_faults(latency_seconds=0.002)  # makes overlapping uploads observable
    with static_settings(b2, static_dir, "django_b2.static.B2StaticStorage", max_workers=4):
        call_command("collectstatic", interactive=False, verbosity=0)
        counts = b2.counts()
        names = bucket_names(b2)
        assert len(names) == FILES + 2 + len(APP_FILES)
        assert "static/pkg3/file13.js" in names and set(APP_FILES) <= set(names)
        assert counts["b2_upload_file"] == FILES + 2 + len(APP_FILES)
        # exists() is answered from one listing, not one HEAD per file.
        assert counts.get("b2_list_file_names", 0) <= 2
        assert counts.get("b2_download_file_by_name", 0) == 0
        assert counts["b2_authorize_account"] == 1
        assert concurrency[0] > 1

        url = staticfiles_storage.url("pkg3/file13.js")
        assert url == f"{b2.server.url}/file/{PUBLIC_BUCKET}/static/pkg3/file13.js"
        assert requests.get(url, timeout=10).text == "console.log(13);\n"

        # A second run finds everything up to date and uploads nothing.
        b2.server.reset_counters()
        call_command("collectstatic", interactive=False, verbosity=0)
        assert b2.counts().get("b2_upload_file", 0) == 0

        # --clear deletes everything and collects again; files deleted and saved again with
        # the same bytes are left in place (see test_delete_then_same_save_sends_nothing).
        staticfiles_storage.save("stale.js", ContentFile(b"old"))
        staticfiles_storage.flush()  # type: ignore[attr-defined]
        call_command("collectstatic", interactive=False, verbosity=0, clear=True)
        versions = [f["fileName"] for f in b2.client.iter_file_versions(b2.public_bucket_id)]
        assert sorted(versions) == sorted(names)  # one version each, stale.js gone


def test_collectstatic_manifest(b2: B2Env, static_dir: Path) -> None:
    backend = "django_b2.static.B2ManifestStaticStorage"
    with static_settings(b2, static_dir, backend):
        call_command("collectstatic", interactive=False, verbosity=0)
        names = set(bucket_names(b2))
        assert "static/staticfiles.json" in names
        hashed_css = [
            n for n in names if n.startswith("static/css/site.") and n != "static/css/site.css"
        ]
        hashed_logo = [
            n for n in names if n.startswith("static/img/logo.") and n != "static/img/logo.png"
        ]
        assert len(hashed_css) == 1 and len(hashed_logo) == 1
        # original + hashed
        assert sum(1 for n in names if n.endswith(".js")) == 2 * (FILES + len(APP_FILES))

        css_url = staticfiles_storage.url("css/site.css")
        assert css_url.endswith(hashed_css[0])
        css = requests.get(css_url, timeout=10).text
        # The CSS was rewritten to point at the hashed logo, which is served.
        logo_name = hashed_logo[0].rsplit("/", 1)[-1]
        assert f"../img/{logo_name}" in css
        logo = requests.get(staticfiles_storage.url("img/logo.png"), timeout=10)
        assert logo.content == b"\x89PNG fake logo"

    # A new process: the storage reads the manifest lazily, on the first url().
    b2.server.reset_counters()
    fresh = B2ManifestStaticStorage(**b2.options(bucket_name=PUBLIC_BUCKET, location="static"))
    assert b2.total() == 0
    assert fresh.url("css/site.css").endswith(hashed_css[0])
    assert b2.counts().get("b2_download_file_by_name", 0) >= 1


class NoSleepStaticStorage(B2StaticStorage):
    def client_kwargs(self) -> dict[str, Any]:
        return {**super().client_kwargs(), "retry": RetryPolicy(attempts=2, sleep=lambda _: None)}


def test_background_failure_surfaces(b2: B2Env) -> None:
    storage = NoSleepStaticStorage(**b2.options(location="static"))
    storage.save("ok.txt", ContentFile(b"ok"))
    storage.flush()
    b2.server.set_faults(upload_503_rate=1.0)
    storage.save("doomed.txt", ContentFile(b"x"))
    with pytest.raises(Exception, match="503") as info:
        storage.flush()
    assert any("doomed.txt" in note for note in getattr(info.value, "__notes__", []))
    b2.server.set_faults(upload_503_rate=0.0)
    storage.save("after.txt", ContentFile(b"fine"))
    storage.close()
    assert storage.exists("after.txt") and storage.exists("ok.txt")
    assert not storage.exists("doomed.txt")


def test_reads_wait_for_pending_upload(b2: B2Env) -> None:
    storage = B2StaticStorage(**b2.options(location="static", max_workers=2))
    storage.save("a.css", ContentFile(b"one"))
    # Read back at once: open() waits for the upload of that name.
    with storage.open("a.css") as handle:
        assert handle.read() == b"one"
    storage.save("a.css", ContentFile(b"two"))
    assert storage.exists("a.css")
    assert storage.size("a.css") == 3
    with storage.open("a.css") as handle:
        assert handle.read() == b"two"
    storage.delete("a.css")
    assert not storage.exists("a.css")
    storage.close()


def test_delete_then_same_save_sends_nothing(b2: B2Env) -> None:
    storage = B2StaticStorage(**b2.options(location="static"))
    # collectstatic asks exists() first, which lists the location once.
    assert not storage.exists("app.css")
    storage.save("app.css", ContentFile(b"body{}"))
    storage.flush()
    b2.server.reset_counters()
    # What collectstatic and the manifest storage do: delete, then save the same bytes.
    storage.delete("app.css")
    assert not storage.exists("app.css")
    storage.save("app.css", ContentFile(b"body{}"))
    assert storage.exists("app.css")
    storage.flush()
    assert b2.total() == 0
    # Different bytes: one overwrite (upload first), then the old version goes.
    storage.delete("app.css")
    storage.save("app.css", ContentFile(b"body{color:red}"))
    storage.flush()
    counts = b2.counts()
    assert counts["b2_upload_file"] == 1 and counts["b2_delete_file_version"] == 1
    versions = list(b2.client.iter_file_versions(b2.private_bucket_id))
    assert [v["contentLength"] for v in versions] == [len(b"body{color:red}")]
    # A save of unchanged content without a delete sends nothing either.
    b2.server.reset_counters()
    storage.save("app.css", ContentFile(b"body{color:red}"))
    storage.flush()
    assert b2.total() == 0
    # A delete not followed by a save reads as missing at once and is sent by flush().
    storage.delete("app.css")
    with pytest.raises(FileNotFoundError):
        storage.open("app.css")
    assert storage.listdir("") == ([], [])
    storage.flush()
    assert list(b2.client.iter_file_versions(b2.private_bucket_id)) == []
    # Deleting a name the listing does not have sends nothing.
    b2.server.reset_counters()
    storage.delete("never-there.css")
    storage.flush()
    assert b2.total() == 0
    storage.close()


def test_held_delete_is_sent_at_exit(b2: B2Env) -> None:
    """A delete() left held when the process ends (no flush) is still sent."""
    storage = B2StaticStorage(**b2.options(location="static"))
    storage.save("gone.css", ContentFile(b"x"))
    storage.flush()
    storage.delete("gone.css")
    assert [v["fileName"] for v in b2.client.iter_file_versions(b2.private_bucket_id)] == [
        "static/gone.css"
    ]
    storage.send_held_now()  # what the atexit hook calls
    assert list(b2.client.iter_file_versions(b2.private_bucket_id)) == []
