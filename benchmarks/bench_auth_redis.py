"""``b2_authorize_account`` calls across several processes that share one Redis cache.

Starts ``redis-server`` on a free port and the emulator, then N child processes (each a Django
process whose B2Storage keeps its authorization in a RedisCache) start together and each run M
storage operations. The emulator's counters say how many times the account was authorized.

    .venv/bin/python benchmarks/bench_auth_redis.py --processes 4 --ops 500
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

BUCKET = "bench-auth"


def child(p: dict[str, Any]) -> dict[str, Any]:
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": p["redis"],
        }
    }
    h.django_setup(p["url"], p["key_id"], p["key"], BUCKET, caches=caches, file_overwrite=True)
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    storage: Any = default_storage
    # start together, so the first authorizations really race
    time.sleep(max(0.0, p["start_at"] - time.time()))
    errors = 0
    t0 = time.perf_counter()
    for i in range(p["ops"]):
        name = f"p{p['index']}/{i % 20}.txt"
        try:
            if i % 4 == 0:
                storage.save(name, ContentFile(b"payload"))
            elif i % 4 == 1:
                storage.exists(name)
            elif i % 4 == 2:
                storage.url(name)
            else:
                storage.exists(f"p{p['index']}/missing-{i}.txt")
        except Exception as exc:  # counted and reported, never hidden
            errors += 1
            print(f"error: {exc!r}", file=sys.stderr)
    return {"wall": time.perf_counter() - t0, "errors": errors}


def run(processes: int, ops: int) -> dict[str, Any]:
    h.print_machine()
    redis_bin = shutil.which("redis-server")
    if redis_bin is None:
        raise SystemExit("redis-server is not installed; apt-get install redis-server")
    port = h.free_port()
    redis = subprocess.Popen(
        [redis_bin, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    tmp = h.scratch_dir("b2bench-auth-")
    try:
        time.sleep(0.3)
        with h.emulator(data_dir=tmp / "emu") as emu:
            raw = h.RawB2(emu.url, emu.key_id, emu.key)
            raw.authorize()
            raw.create_bucket(BUCKET, "allPrivate")
            emu.reset_counters()
            start_at = time.time() + 3.0  # leave time for every child to import Django
            procs = [
                subprocess.Popen(
                    [
                        sys.executable,
                        __file__,
                        "--child",
                        json.dumps(
                            {
                                "kind": "child",
                                "url": emu.url,
                                "key_id": emu.key_id,
                                "key": emu.key,
                                "redis": f"redis://127.0.0.1:{port}/0",
                                "ops": ops,
                                "index": i,
                                "start_at": start_at,
                            }
                        ),
                    ],
                    cwd=h.ROOT,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for i in range(processes)
            ]
            reports = []
            for proc in procs:
                out, _ = proc.communicate(timeout=600)
                if proc.returncode != 0:
                    raise RuntimeError(f"child failed: {out}")
                reports.append(json.loads(out.strip().splitlines()[-1]))
            counters = emu.counters()
    finally:
        redis.terminate()
        redis.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    authorizations = counters["by_endpoint"].get("b2_authorize_account", 0)
    errors = sum(r["errors"] for r in reports)
    print()
    print(
        f"b2_authorize_account across {processes} processes x {ops} operations sharing Redis: "
        f"{authorizations} (target 1); {counters['total']} requests in all; {errors} errors"
    )
    print(h.table(["endpoint", "requests"], sorted(counters["by_endpoint"].items())))
    result = {
        "processes": processes,
        "ops": ops,
        "authorize_calls": authorizations,
        "total_requests": counters["total"],
        "by_endpoint": counters["by_endpoint"],
        "errors": errors,
    }
    h.save_results("auth_redis", result)
    return result


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--processes", type=int, default=4)
    ap.add_argument("--ops", type=int, default=500)
    a = ap.parse_args(argv)
    run(a.processes, a.ops)


if __name__ == "__main__" and not h.child_main({"child": child}):
    main()
