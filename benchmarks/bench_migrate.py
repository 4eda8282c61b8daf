"""``b2_migrate`` against ``b2 sync`` (the official CLI), and the orphan scan, on one emulator.

Migration: a directory of ``--files`` files of ``--file-size`` plus ``--big`` files of
``--big-size`` is copied by ``manage.py b2_migrate --from-dir`` into one bucket and by
``b2 sync DIR b2://bucket`` into another, each in a fresh child process (wall time, files/s,
MB/s, peak RSS of the whole process); then both run again over the copied tree (nothing to send).

Orphan scan: ``--scan-files`` empty files under the storage's location and as many rows (90 %
matching, 10 % missing, so 10 % of the files are orphans); ``find_orphans`` and ``find_missing``
are timed in a child process with its peak RSS.

    .venv/bin/python benchmarks/bench_migrate.py                                     # full size
    .venv/bin/python benchmarks/bench_migrate.py --files 1000 --big-size 32M --scan-files 10000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

sys.path.insert(0, str(h.ROOT))  # the children use tests.django.testapp's Document model

MIGRATE_BUCKET = "bench-migrate"
SYNC_BUCKET = "bench-sync"
SCAN_BUCKET = "bench-scan"
MB = 1_000_000


# --------------------------------------------------------------------------- children


def _configure(p: dict[str, Any], bucket: str, database: str = ":memory:") -> None:
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="bench",
        USE_TZ=True,
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django_b2",
            "tests.django.testapp",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": database}},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        STORAGES={
            "default": {
                "BACKEND": "django_b2.storage.B2Storage",
                "OPTIONS": {
                    "bucket_name": bucket,
                    "location": "media",
                    "application_key_id": p["key_id"],
                    "application_key": p["key"],
                    "api_url": p["url"],
                    "max_workers": p.get("part_workers", 4),
                },
            },
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    )
    django.setup()


def child_migrate(p: dict[str, Any]) -> dict[str, Any]:
    _configure(p, MIGRATE_BUCKET)
    import io

    from django.core.management import call_command

    summary: dict[str, Any] = {}

    def run() -> None:
        out = io.StringIO()
        call_command(
            "b2_migrate", "--from-dir", p["dir"], "--journal", p["journal"],
            "--workers", str(p["workers"]), "--json", stdout=out, stderr=io.StringIO(),
        )  # fmt: skip
        summary.update(json.loads(out.getvalue()))

    report = h.measure(run)
    report["summary"] = {k: summary[k] for k in ("copied", "skipped", "failed", "bytes")}
    return report


def child_scan_rows(p: dict[str, Any]) -> dict[str, Any]:
    """Create the database of rows (not measured)."""
    _configure(p, SCAN_BUCKET, p["database"])
    from django.core.management import call_command

    from tests.django.testapp.models import Document

    call_command("migrate", run_syncdb=True, verbosity=0)
    batch = [
        Document(title="", attachment=name) for name in _scan_names(p["count"], p["seed"])["rows"]
    ]
    Document.objects.bulk_create(batch, batch_size=5000)
    return {"rows": Document.objects.count()}


def child_scan(p: dict[str, Any]) -> dict[str, Any]:
    _configure(p, SCAN_BUCKET, p["database"])
    from django.core.files.storage import storages

    from django_b2.orphans import ScanStats, find_missing, find_orphans

    storage = storages["default"]
    stats: dict[str, Any] = {}

    def scan() -> None:
        orphan_stats, missing_stats = ScanStats(), ScanStats()
        stats["orphans"] = sum(1 for _ in find_orphans(storage, older_than=0, stats=orphan_stats))
        stats["orphan_scan"] = orphan_stats.to_json()
        started = time.perf_counter()
        stats["missing"] = sum(1 for _ in find_missing(storage, stats=missing_stats))
        stats["missing_seconds"] = time.perf_counter() - started

    report = h.measure(scan)
    report.update(stats)
    return report


# --------------------------------------------------------------------------- set-up


def _scan_names(count: int, seed: int) -> dict[str, list[str]]:
    """File names (under the location) and row names: 90 % shared, 10 % each side only."""
    rng = random.Random(seed)
    words = ["avatars", "docs", "Photos", "été", "日本", "a-b", "a b", "z"]
    names = [
        f"{rng.choice(words)}/{index % 97}/{rng.choice(words)}-{index:07d}.bin"
        for index in range(count + count // 10)
    ]
    shared, extra = names[: count - count // 10], names[count - count // 10 :]
    half = len(extra) // 2
    return {"files": shared + extra[:half], "rows": shared + extra[half:]}


def _upload_empty(emu: h.Emulator, bucket_id: str, names: list[str], threads: int = 8) -> None:
    """Upload empty files quickly: one upload URL per thread, reused."""
    raw = h.RawB2(emu.url, emu.key_id, emu.key)
    raw.authorize()
    empty_sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
    chunks = [names[i::threads] for i in range(threads)]
    errors: list[str] = []

    def work(part: list[str]) -> None:
        session = requests.Session()
        url, token = raw.upload_url(bucket_id)
        for name in part:
            response = session.post(
                url,
                data=b"",
                headers={
                    "Authorization": token,
                    "X-Bz-File-Name": urllib.parse.quote(f"media/{name}", safe="/"),
                    "Content-Type": "application/octet-stream",
                    "Content-Length": "0",
                    "X-Bz-Content-Sha1": empty_sha1,
                },
                timeout=60,
            )
            if response.status_code != 200:
                errors.append(f"{name}: {response.status_code} {response.text}")
                return

    pool = [threading.Thread(target=work, args=(part,)) for part in chunks]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if errors:
        raise RuntimeError(errors[0])


def _make_tree(root: Path, files: int, file_size: int, big: int, big_size: int) -> int:
    block = os.urandom(max(file_size, 1) * 64)
    total = 0
    for index in range(files):
        folder = root / f"d{index % 100:02d}"
        folder.mkdir(exist_ok=True)
        start = (index * 7919) % (len(block) - file_size + 1)
        data = index.to_bytes(8, "big") + block[start : start + file_size - 8]
        (folder / f"f{index:06d}.bin").write_bytes(data)
        total += len(data)
    for index in range(big):
        h.make_file(root / f"big{index}.bin", big_size)
        total += big_size
    return total


def _count(emu: h.Emulator, bucket_id: str) -> int:
    raw = h.RawB2(emu.url, emu.key_id, emu.key)
    count, start = 0, None
    while True:
        body: dict[str, Any] = {"bucketId": bucket_id, "maxFileCount": 10000}
        if start:
            body["startFileName"] = start
        page = raw.call("b2_list_file_names", **body)
        count += len(page["files"])
        start = page.get("nextFileName")
        if not start:
            return count


def _b2_sync(emu: h.Emulator, tree: Path, workers: int, home: Path) -> dict[str, Any]:
    executable = str(Path(sys.executable).with_name("b2"))
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "B2_ENVIRONMENT": emu.url,
        "B2_APPLICATION_KEY_ID": emu.key_id,
        "B2_APPLICATION_KEY": emu.key,
        "PYTHONWARNINGS": "ignore",
        "NO_COLOR": "1",
    }
    command = [
        executable, "sync", "--no-progress", "--threads", str(workers),
        str(tree), f"b2://{SYNC_BUCKET}/media",
    ]  # fmt: skip
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"b2 sync failed: {stderr[-2000:]}")
    return {
        "wall": wall,
        "cpu_total": usage.ru_utime + usage.ru_stime,
        "maxrss_mib": usage.ru_maxrss / 1024,
    }


# --------------------------------------------------------------------------- parent


def bench_migration(args: argparse.Namespace, emu: h.Emulator) -> list[list[object]]:
    tree = h.scratch_dir("b2bench-tree-")
    h.check_disk(tree, 3 * (args.files * args.file_size + args.big * args.big_size))
    total = _make_tree(tree, args.files, args.file_size, args.big, args.big_size)
    count = args.files + args.big
    print(f"tree: {count} files, {total / MB:,.1f} MB in {tree}")
    raw = h.RawB2(emu.url, emu.key_id, emu.key)
    raw.authorize()
    migrate_id = raw.create_bucket(MIGRATE_BUCKET)
    sync_id = raw.create_bucket(SYNC_BUCKET)
    work = h.scratch_dir("b2bench-work-")
    payload = {
        "kind": "migrate", "url": emu.url, "key_id": emu.key_id, "key": emu.key,
        "dir": str(tree), "journal": str(work / "journal.sqlite3"), "workers": args.workers,
        "part_workers": args.part_workers,
    }  # fmt: skip
    rows: list[list[object]] = []

    def row(name: str, wall: float, rss: float, cpu: float) -> None:
        rows.append([name, f"{wall:.1f}", count / wall, total / MB / wall, rss, cpu])
        print(rows[-1], flush=True)

    first = h.run_child(__file__, payload, timeout=args.timeout)
    summary = first.report["summary"]
    if (summary["copied"], summary["failed"]) != (count, 0):
        raise RuntimeError(f"b2_migrate did not copy everything: {summary}")
    row("b2_migrate", first.report["wall"], first.maxrss_mib, first.cpu_total)
    synced = _b2_sync(emu, tree, args.workers, work)
    row("b2 sync", synced["wall"], synced["maxrss_mib"], synced["cpu_total"])
    for bucket_id, what in ((migrate_id, "b2_migrate"), (sync_id, "b2 sync")):
        if _count(emu, bucket_id) != count:
            raise RuntimeError(f"{what} left {_count(emu, bucket_id)} files, not {count}")

    again = h.run_child(__file__, payload, timeout=args.timeout)
    if again.report["summary"]["copied"] != 0:
        raise RuntimeError(f"second b2_migrate copied files: {again.report['summary']}")
    row("b2_migrate again (journal)", again.report["wall"], again.maxrss_mib, again.cpu_total)
    fresh = {**payload, "journal": str(work / "fresh.sqlite3")}
    listed = h.run_child(__file__, fresh, timeout=args.timeout)
    if listed.report["summary"]["copied"] != 0:
        raise RuntimeError(f"b2_migrate with a new journal copied: {listed.report['summary']}")
    row("b2_migrate again (new journal)", listed.report["wall"], listed.maxrss_mib,
        listed.cpu_total)  # fmt: skip
    synced_again = _b2_sync(emu, tree, args.workers, work)
    row("b2 sync again", synced_again["wall"], synced_again["maxrss_mib"],
        synced_again["cpu_total"])  # fmt: skip
    return rows


def bench_scan(args: argparse.Namespace, emu: h.Emulator) -> list[list[object]]:
    raw = h.RawB2(emu.url, emu.key_id, emu.key)
    raw.authorize()
    bucket_id = raw.create_bucket(SCAN_BUCKET)
    names = _scan_names(args.scan_files, seed=15)
    started = time.perf_counter()
    _upload_empty(emu, bucket_id, names["files"])
    print(f"uploaded {len(names['files'])} files in {time.perf_counter() - started:.0f} s")
    work = h.scratch_dir("b2bench-scan-")
    base = {
        "url": emu.url, "key_id": emu.key_id, "key": emu.key, "count": args.scan_files,
        "seed": 15, "database": str(work / "rows.sqlite3"),
    }  # fmt: skip
    made = h.run_child(__file__, {**base, "kind": "scan_rows"}, timeout=args.timeout)
    print(f"rows: {made.report['rows']}")
    scan = h.run_child(__file__, {**base, "kind": "scan"}, timeout=args.timeout)
    report = scan.report
    expected = len(names["files"]) - (args.scan_files - args.scan_files // 10)
    if report["orphans"] != expected or report["missing"] != len(names["rows"]) - (
        args.scan_files - args.scan_files // 10
    ):
        raise RuntimeError(f"scan found {report['orphans']}/{report['missing']}, not {expected}")
    orphan_seconds = report["wall"] - report["missing_seconds"]
    return [
        [
            f"{len(names['files']):,} files / {made.report['rows']:,} rows",
            f"{orphan_seconds:.1f}",
            f"{report['missing_seconds']:.1f}",
            report["orphans"],
            report["missing"],
            scan.maxrss_mib,
        ]
    ]


def main() -> None:
    if h.child_main({"migrate": child_migrate, "scan_rows": child_scan_rows, "scan": child_scan}):
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--file-size", type=h.size_arg, default=20_000)
    parser.add_argument("--big", type=int, default=2)
    parser.add_argument("--big-size", type=h.size_arg, default=256 * h.MiB)
    parser.add_argument("--workers", type=int, default=4, help="files at once (both tools)")
    parser.add_argument("--part-workers", type=int, default=4, help="parts at once per file")
    parser.add_argument("--scan-files", type=int, default=100_000)
    parser.add_argument("--skip-migrate", action="store_true")
    parser.add_argument("--skip-scan", action="store_true")
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    h.print_machine()
    results: dict[str, Any] = {"args": vars(args)}
    with h.emulator(min_part_size=5 * MB) as emu:
        if not args.skip_migrate:
            rows = bench_migration(args, emu)
            results["migration"] = rows
            print(h.table(["tool", "seconds", "files/s", "MB/s", "peak RSS MiB", "CPU s"], rows))
        if not args.skip_scan:
            rows = bench_scan(args, emu)
            results["scan"] = rows
            print(
                h.table(
                    ["scan", "orphans s", "missing s", "orphans", "missing", "peak RSS MiB"],
                    rows,
                )
            )
    print(f"load1 at the end: {h.load1()}; results: {h.save_results('migrate', results)}")


if __name__ == "__main__":
    main()
