"""collectstatic with the manifest storage: hashed names are stored with a long-lived
``Cache-Control`` (B2 sends it on every download), unless ``cache_control`` says otherwise."""

from __future__ import annotations

from pathlib import Path

import requests
from django.core.management import call_command

from django_b2.static import HASHED_CACHE_CONTROL

from .conftest import B2Env
from .test_static import bucket_names, static_settings

MANIFEST = "django_b2.static.B2ManifestStaticStorage"


def _cache_controls(b2: B2Env) -> dict[str, str | None]:
    base = f"{b2.server.url}/file/public-bucket/"
    return {
        name: requests.get(base + name, timeout=10).headers.get("Cache-Control")
        for name in bucket_names(b2)
        if name.startswith(("static/css/", "static/img/", "static/staticfiles"))
    }


def _write_assets(root: Path) -> Path:
    (root / "img").mkdir(parents=True)
    (root / "img" / "logo.png").write_bytes(b"\x89PNG fake logo")
    (root / "css").mkdir()
    (root / "css" / "site.css").write_text("body { background: url('../img/logo.png'); }\n")
    return root


def test_hashed_names_get_a_year_of_cache_control_the_rest_none(b2: B2Env, tmp_path: Path) -> None:
    assets = _write_assets(tmp_path / "assets")
    with static_settings(b2, assets, MANIFEST):
        call_command("collectstatic", interactive=False, verbosity=0)
    controls = _cache_controls(b2)
    hashed = {n: c for n, c in controls.items() if n.count(".") == 2}
    plain = {n: c for n, c in controls.items() if n.count(".") == 1}
    assert len(hashed) == 2  # site.<hash>.css, logo.<hash>.png
    assert set(hashed.values()) == {HASHED_CACHE_CONTROL}
    # Original names and the manifest may change content under the same name.
    assert set(plain) == {"static/css/site.css", "static/img/logo.png", "static/staticfiles.json"}
    assert set(plain.values()) == {None}


def test_cache_control_option_wins_over_the_default(b2: B2Env, tmp_path: Path) -> None:
    assets = _write_assets(tmp_path / "assets")
    with static_settings(b2, assets, MANIFEST, cache_control="no-cache"):
        call_command("collectstatic", interactive=False, verbosity=0)
    assert set(_cache_controls(b2).values()) == {"no-cache"}


def test_plain_static_storage_adds_no_cache_control(b2: B2Env, tmp_path: Path) -> None:
    assets = _write_assets(tmp_path / "assets")
    with static_settings(b2, assets, "django_b2.static.B2StaticStorage"):
        call_command("collectstatic", interactive=False, verbosity=0)
    assert set(_cache_controls(b2).values()) == {None}
