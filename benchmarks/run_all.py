"""Run every benchmark (``make bench``); ``--quick`` uses small sizes and finishes in minutes.

Each script runs as its own process and starts its own emulator; its output is shown and also
kept in ``benchmarks/out/<name>.txt`` (git-ignored), its figures in ``benchmarks/out/<name>.json``.

    .venv/bin/python benchmarks/run_all.py            # full: 256 MiB / 1 GiB (+ 4 GiB RSS run)
    .venv/bin/python benchmarks/run_all.py --quick    # 32 MiB files, short soak
    .venv/bin/python benchmarks/run_all.py --only upload,download
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _harness as h  # noqa: E402

FULL: dict[str, list[str]] = {
    "emulator": ["bench_emulator.py", "--size", "128M", "--streams", "1,2,4"],
    "listing": ["bench_listing.py", "--files", "10000,100000"],
    "upload": [
        "bench_upload.py",
        "--sizes",
        "256M,1G",
        "--rss-sizes",
        "1G,4G",
        "--part-size",
        "64M",
        "--workers",
        "4",
        "--repeat",
        "3",
        "--clients",
        "raw,raw-1m,b2sdk,client,storage,b2sdk-sha1given,client-sha1given,client-sha1true",
    ],
    "download": ["bench_download.py", "--sizes", "256M,1G", "--repeat", "5"],
    "storage_ops": ["bench_storage_ops.py", "--ops", "50", "--url-calls", "100000"],
    "auth_redis": ["bench_auth_redis.py", "--processes", "4", "--ops", "500"],
    "static": ["bench_static.py", "--files", "1000"],
    "round_trips": ["bench_round_trips.py", "--size", "1G", "--names", "10000"],
    "soak": ["soak.py", "--saves", "2000", "--large", "20", "--threads", "4"],
}
QUICK: dict[str, list[str]] = {
    "emulator": ["bench_emulator.py", "--size", "32M", "--streams", "1,2"],
    "listing": ["bench_listing.py", "--files", "10000", "--hot-versions", "1000"],
    "upload": [
        "bench_upload.py",
        "--sizes",
        "32M",
        "--part-size",
        "8M",
        "--workers",
        "4",
        "--repeat",
        "2",
    ],
    "download": ["bench_download.py", "--sizes", "32M", "--part-size", "8M", "--repeat", "2"],
    "storage_ops": ["bench_storage_ops.py", "--ops", "20", "--url-calls", "20000"],
    "auth_redis": ["bench_auth_redis.py", "--processes", "4", "--ops", "100"],
    "static": ["bench_static.py", "--files", "200"],
    "round_trips": ["bench_round_trips.py", "--size", "32M", "--names", "2000"],
    "soak": ["soak.py", "--saves", "200", "--large", "3", "--threads", "4"],
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, a few minutes in all")
    ap.add_argument("--only", default="", help=f"comma list out of {','.join(FULL)}")
    a = ap.parse_args(argv)
    plan = QUICK if a.quick else FULL
    only = [s for s in a.only.split(",") if s]
    unknown = set(only) - set(plan)
    if unknown:
        ap.error(f"unknown benchmark(s) {sorted(unknown)}; choose from {','.join(plan)}")
    h.OUT_DIR.mkdir(parents=True, exist_ok=True)
    h.print_machine()
    failed: list[str] = []
    for name, args in plan.items():
        if only and name not in only:
            continue
        cmd = [sys.executable, str(HERE / args[0]), *args[1:]]
        shown = " ".join(["python", f"benchmarks/{args[0]}", *args[1:]])
        print(f"\n=== {name}: {shown}", flush=True)
        t0 = time.perf_counter()
        with (h.OUT_DIR / f"{name}.txt").open("w") as log:
            log.write(f"$ {shown}\n")
            proc = subprocess.Popen(
                cmd, cwd=h.ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            assert proc.stdout is not None
            for line in proc.stdout:
                sys.stdout.write(line)
                sys.stdout.flush()
                log.write(line)
            proc.wait()
        status = "ok" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
        print(f"=== {name}: {status} in {time.perf_counter() - t0:.0f} s", flush=True)
        if proc.returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
        return 1
    print("\nall benchmarks finished")
    return 0


if __name__ == "__main__":
    sys.exit(main())
