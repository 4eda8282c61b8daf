"""Requests made by ``collectstatic`` with both static storages: a first run, a run with
nothing changed, a run after every source file was touched (new mtimes, same content, as after
a fresh checkout) and a run with one file changed.

Each run is a new process (new storage, new cache, so it authorizes and looks the bucket up
again), as a deploy would be; the emulator counts the requests.

    .venv/bin/python benchmarks/bench_static.py --files 1000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

BUCKET = "bench-static"
BACKENDS = {
    "B2StaticStorage": "django_b2.static.B2StaticStorage",
    "B2ManifestStaticStorage": "django_b2.static.B2ManifestStaticStorage",
}


def make_site(root: Path, files: int) -> None:
    """``files`` sources: scripts in ten packages, images, and stylesheets referring to them."""
    for index in range(files):
        kind = index % 10
        if kind == 0:
            path = root / "img" / f"logo{index}.png"
            data = b"\x89PNG %d" % index
        elif kind == 1:
            path = root / "css" / f"site{index}.css"
            data = f"body {{ background: url('../img/logo{index - 1}.png'); }}\n".encode()
        else:
            path = root / f"pkg{kind}" / f"file{index}.js"
            data = f"console.log({index});\n".encode()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def child(payload: dict[str, Any]) -> dict[str, Any]:
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="bench",
        USE_TZ=True,
        INSTALLED_APPS=["django.contrib.staticfiles", "django_b2"],
        STATIC_URL="/static/",
        STATICFILES_DIRS=[payload["site"]],
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {
                "BACKEND": payload["backend"],
                "OPTIONS": {"bucket_name": BUCKET, "location": payload["location"]},
            },
        },
        B2_APPLICATION_KEY_ID=payload["key_id"],
        B2_APPLICATION_KEY=payload["key"],
        B2_API_URL=payload["url"],
    )
    django.setup()
    from django.core.management import call_command

    return h.measure(lambda: call_command("collectstatic", interactive=False, verbosity=0))


def run(files: int) -> None:
    h.print_machine()
    tmp = h.scratch_dir("b2bench-static-")
    rows = []
    with h.emulator(data_dir=tmp / "emu") as emu:
        raw = h.RawB2(emu.url, emu.key_id, emu.key)
        raw.authorize()
        raw.create_bucket(BUCKET, "allPublic")
        for label, backend in BACKENDS.items():
            site = tmp / f"site-{label}"
            make_site(site, files)
            base = {
                "url": emu.url,
                "key_id": emu.key_id,
                "key": emu.key,
                "site": str(site),
                "backend": backend,
                "location": label,
                "kind": "collect",
            }

            def touch_all(site: Path = site) -> None:
                for path in site.rglob("*"):
                    if path.is_file():
                        os.utime(path, None)

            def change_one(site: Path = site) -> None:
                path = site / "pkg2" / "file2.js"
                path.write_text("console.log('changed');\n")
                later = time.time() + 60
                os.utime(path, (later, later))

            for run_label, prepare in (
                ("first run", None),
                ("no change", None),
                ("all touched, content same", touch_all),
                ("one file changed", change_one),
            ):
                if prepare is not None:
                    prepare()
                emu.reset_counters()
                result = h.run_child(__file__, base)
                counters = emu.counters()
                by_endpoint = {k: v for k, v in counters["by_endpoint"].items() if v}
                rows.append(
                    [
                        label,
                        run_label,
                        counters["total"],
                        by_endpoint.get("b2_upload_file", 0),
                        by_endpoint.get("b2_delete_file_version", 0),
                        round(result.report["wall"], 1),
                    ]
                )
                print(f"  {label} / {run_label}: {counters['total']} requests {by_endpoint}")
    print()
    print(
        h.table(
            ["storage", f"run ({files:,} files)", "requests", "uploads", "deletes", "wall s"],
            rows,
        )
    )
    h.save_results("static", rows)


def main() -> None:
    if h.child_main({"collect": child}):
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    run(args.files)


if __name__ == "__main__":
    main()
