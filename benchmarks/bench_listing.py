"""The emulator's listing calls on big buckets: pages per second and emulator CPU per page.

A bucket of ``--files`` names is filled in a child process straight through the emulator's own
``State`` (no HTTP, so 100,000 names take seconds): names ``media/dNN/sM/fIIIIIII.bin`` in 100
folders of 10 subfolders, every 10th name with 3 versions, every 20th hidden by a hide marker,
one name (``media/d50/hot.bin``) with ``--hot-versions`` versions and ``--unfinished`` unfinished
large files (two thirds under ``media/up/``). Then ``python -m django_b2.emulator`` serves that
data dir and a raw ``requests`` client walks the listings:

- names / versions, ``--page`` per call, from the start of the bucket;
- names with ``prefix`` ``media/d42/`` (1 % of the names);
- names with ``delimiter`` ``/`` and prefix ``media/`` (100 folders of 1 % each), and prefix
  ``media/d42/`` (10 folders); repeated ``--repeat`` times;
- versions of the hot name from a ``startFileId`` in its middle;
- unfinished large files (100 per call), and with ``namePrefix`` ``media/d42/``.

A walk shorter than ``--repeat`` calls starts again until it made that many; each stops after
``--max-pages`` calls or ``--max-seconds``. The emulator's CPU per call is read from ``/proc``
(10 ms ticks: hence the repeats). ``digest`` is a SHA-1 of what was listed (names, actions,
sizes, the ``next*`` fields; not file ids, which differ between fills), so two trees can be
compared.

``--tree DIR`` runs the emulator (and the fill) from another checkout, e.g. the old code:

    git worktree add --detach /tmp/old-listing main
    .venv/bin/python benchmarks/bench_listing.py --files 10000,100000 --tree /tmp/old-listing
    .venv/bin/python benchmarks/bench_listing.py --files 10000,100000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

BUCKET = "bench-listing"
EMPTY_SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
HOT = "media/d50/hot.bin"


def fill_names(count: int) -> list[str]:
    return [f"media/d{i % 100:02d}/s{(i // 100) % 10}/f{i:07d}.bin" for i in range(count)]


def child_fill(p: dict[str, Any]) -> dict[str, Any]:
    """Fill a data dir through the ``State`` of the tree in ``p["tree"]`` (first on sys.path)."""
    sys.path.insert(0, p["tree"])
    import django_b2.emulator
    from django_b2.emulator.records import Body
    from django_b2.emulator.state import State

    state = State(p["data_dir"])
    key = state.master
    bucket_id = state.create_bucket(key, {"bucketName": BUCKET, "bucketType": "allPrivate"})
    bucket_id = bucket_id.bucket_id
    empty = Body(size=0, sha1=EMPTY_SHA1, data=b"")
    sse = {"mode": None, "algorithm": None}

    def upload(name: str) -> None:
        plan = state.plan_upload(
            key, bucket_id, name=name, content_type="b2/x-auto", info={}, retention=None,
            legal_hold=None, sse=sse,
        )  # fmt: skip
        state.commit_upload(plan, empty)

    names = fill_names(p["files"])
    started = time.perf_counter()
    state.db.execute("BEGIN")
    for index, name in enumerate(names):
        for _ in range(3 if index % 10 == 3 else 1):
            upload(name)
        if index % 20 == 7:
            state.hide_file(key, bucket_id, name)
    for _ in range(p["hot_versions"]):
        upload(HOT)
    for index in range(p["unfinished"]):
        name = f"media/up/u{index:05d}.bin" if index % 3 else f"media/d{index % 100:02d}/big.bin"
        state.start_large_file(
            key, {"bucketId": bucket_id, "fileName": name, "contentType": "b2/x-auto"}
        )
    state.db.execute("COMMIT")
    (versions,) = state.db.execute("SELECT COUNT(*) FROM files").fetchone()
    state.close()
    return {
        "bucket_id": bucket_id,
        "versions": versions,
        "seconds": time.perf_counter() - started,
        "module": django_b2.emulator.__file__,
    }


class Walker:
    """Calls one listing again and again, following ``next*``; counts calls, time and CPU."""

    def __init__(
        self, emu: h.Emulator, raw: h.RawB2, max_pages: int, max_seconds: float, min_calls: int
    ):
        self.emu, self.raw = emu, raw
        self.max_pages, self.max_seconds, self.min_calls = max_pages, max_seconds, min_calls

    def run(self, label: str, pages: Iterator[dict[str, Any]]) -> dict[str, Any]:
        """Take pages from ``pages`` (each one a call) until it ends or a bound is reached."""
        digest = hashlib.sha1()
        calls = entries = 0
        cpu0 = self.emu.cpu_seconds()
        started = time.perf_counter()
        for page in pages:
            calls += 1
            entries += len(page["files"])
            listed = [(f["fileName"], f["action"], f["contentLength"]) for f in page["files"]]
            following = [page.get("nextFileName"), bool(page.get("nextFileId"))]
            digest.update(json.dumps([listed, following]).encode())
            if calls >= self.max_pages or time.perf_counter() - started > self.max_seconds:
                break
        wall = time.perf_counter() - started
        cpu = self.emu.cpu_seconds() - cpu0
        row = {
            "listing": label,
            "calls": calls,
            "entries": entries,
            "calls_s": calls / wall,
            "cpu_ms_call": 1000 * cpu / calls,
            "digest": digest.hexdigest()[:12],
        }
        print(
            f"  {label:52} {calls:5} calls {entries:8} entries {row['calls_s']:8.1f} calls/s "
            f"{row['cpu_ms_call']:8.2f} ms CPU/call  {row['digest']}",
            flush=True,
        )
        return row

    def walk(self, call: str, **first: Any) -> Iterator[dict[str, Any]]:
        """A listing from its first page to its last, following ``next*``; again from the
        first page until ``min_calls`` calls were made (short listings, enough CPU ticks)."""
        calls = 0
        while calls < self.min_calls:
            body = dict(first)
            while True:
                page = self.raw.call(call, **body)
                calls += 1
                yield page
                if call == "b2_list_unfinished_large_files":
                    body["startFileId"] = page["nextFileId"]
                    if not page["nextFileId"]:
                        break
                    continue
                if not page["nextFileName"]:
                    break
                body["startFileName"] = page["nextFileName"]
                if call == "b2_list_file_versions":
                    body["startFileId"] = page["nextFileId"]

    def repeat(self, times: int, call: str, **body: Any) -> Iterator[dict[str, Any]]:
        """The same call ``times`` times."""
        for _ in range(times):
            yield self.raw.call(call, **body)


def bench_size(args: argparse.Namespace, files: int) -> list[dict[str, Any]]:
    work = h.scratch_dir("b2bench-listing-")
    data_dir = work / "emu"
    data_dir.mkdir()
    try:
        fill = {
            "kind": "fill", "tree": str(args.tree), "data_dir": str(data_dir), "files": files,
            "hot_versions": args.hot_versions, "unfinished": args.unfinished,
        }  # fmt: skip
        filled = h.run_child(__file__, fill, timeout=args.timeout).report
        print(
            f"{files:,} names, {filled['versions']:,} versions (filled in "
            f"{filled['seconds']:.1f} s by {filled['module']})",
            flush=True,
        )
        with h.emulator(data_dir=data_dir, tree=args.tree) as emu:
            return measure_all(args, emu, filled["bucket_id"], files)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure_all(
    args: argparse.Namespace, emu: h.Emulator, bucket_id: str, files: int
) -> list[dict[str, Any]]:
    raw = h.RawB2(emu.url, emu.key_id, emu.key)
    raw.authorize()
    walker = Walker(emu, raw, args.max_pages, args.max_seconds, args.repeat)
    page = args.page
    names, versions = "b2_list_file_names", "b2_list_file_versions"
    hot = raw.call(versions, bucketId=bucket_id, startFileName=HOT, prefix=HOT, maxFileCount=10000)
    middle = hot["files"][len(hot["files"]) // 2]
    plans: list[tuple[str, Iterator[dict[str, Any]]]] = [
        (f"names, {page}/call", walker.walk(names, bucketId=bucket_id, maxFileCount=page)),
        (f"versions, {page}/call", walker.walk(versions, bucketId=bucket_id, maxFileCount=page)),
        (
            f"names, prefix media/d42/, {page}/call",
            walker.walk(names, bucketId=bucket_id, maxFileCount=page, prefix="media/d42/"),
        ),
        (
            "names, prefix media/, delimiter / (95 folders)",
            walker.repeat(
                args.repeat, names, bucketId=bucket_id, maxFileCount=page, prefix="media/",
                delimiter="/",
            ),
        ),
        (
            "names, prefix media/d42/, delimiter /",
            walker.repeat(
                args.repeat, names, bucketId=bucket_id, maxFileCount=page, prefix="media/d42/",
                delimiter="/",
            ),
        ),
        (
            f"versions of one name from a startFileId, {page}/call",
            walker.walk(
                versions, bucketId=bucket_id, maxFileCount=page, prefix=HOT,
                startFileName=HOT, startFileId=middle["fileId"],
            ),
        ),
        (
            "unfinished, 100/call",
            walker.walk("b2_list_unfinished_large_files", bucketId=bucket_id, maxFileCount=100),
        ),
        (
            "unfinished, namePrefix media/d42/",
            walker.repeat(
                args.repeat, "b2_list_unfinished_large_files", bucketId=bucket_id,
                maxFileCount=100, namePrefix="media/d42/",
            ),
        ),
    ]  # fmt: skip
    rows = []
    for label, pages in plans:
        row = walker.run(label, pages)
        rows.append({"files": files, **row})
    return rows


def main(argv: list[str] | None = None) -> None:
    if h.child_main({"fill": child_fill}):
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--files", default="10000,100000", help="bucket sizes (names), comma-separated")
    ap.add_argument("--page", type=int, default=1000, help="maxFileCount of the walks")
    ap.add_argument("--hot-versions", type=int, default=3000)
    ap.add_argument("--unfinished", type=int, default=300)
    ap.add_argument(
        "--repeat", type=int, default=20, help="calls of one-page listings; walks at least"
    )
    ap.add_argument("--max-pages", type=int, default=200, help="calls per walk at most")
    ap.add_argument("--max-seconds", type=float, default=60.0, help="seconds per walk at most")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds for the fill")
    ap.add_argument(
        "--tree", type=Path, default=h.ROOT, help="checkout whose emulator runs (default: this one)"
    )
    a = ap.parse_args(argv)
    a.tree = a.tree.resolve()
    h.print_machine()
    print(f"emulator from {a.tree} (git {_git_head(a.tree)})")
    results: list[dict[str, Any]] = []
    for files in [int(n) for n in a.files.split(",") if n]:
        results.extend(bench_size(a, files))
    print()
    print(
        h.table(
            ["names", "listing", "calls", "calls/s", "emulator CPU ms/call", "digest"],
            [
                [r["files"], r["listing"], r["calls"], r["calls_s"], r["cpu_ms_call"], r["digest"]]
                for r in results
            ],
        )
    )
    h.save_results("listing", {"tree": str(a.tree), "results": results})


def _git_head(tree: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=10, check=True,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "?"
    return out.stdout.strip() + (" + changes" if _dirty(tree) else "")


def _dirty(tree: Path) -> bool:
    out = subprocess.run(
        ["git", "-C", str(tree), "status", "--porcelain", "--", "django_b2"],
        capture_output=True, text=True, timeout=10, check=False,
    )  # fmt: skip
    return bool(out.stdout.strip())


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    main()
