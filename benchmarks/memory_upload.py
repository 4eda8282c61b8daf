"""Peak memory of B2Client.upload stays near workers x part size, whatever the file size.

Starts the emulator as a subprocess, writes test files of several sizes, and uploads each from a
path in a fresh child process (``--child``). The parent reads the child's peak RSS with
``os.wait4``; a baseline child does everything except the upload (imports, authorize, a small
warm-up upload), so ``peak - baseline`` is what the large upload itself costs.

    .venv/bin/python benchmarks/memory_upload.py                       # 64, 256, 1024 MiB
    .venv/bin/python benchmarks/memory_upload.py --sizes 32M 512M --part-size 8M --workers 4

Exits non-zero when an upload's extra RSS exceeds ``2 x workers x part size + 32 MiB``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MiB = 1024 * 1024


def _size(text: str) -> int:
    t = text.strip().upper().removesuffix("IB").removesuffix("B")
    units = {"K": 1024, "M": MiB, "G": 1024 * MiB}
    if t and t[-1] in units:
        return int(float(t[:-1]) * units[t[-1]])
    return int(t)


def _write_file(path: Path, size: int) -> None:
    block = os.urandom(4 * MiB)
    with open(path, "wb") as handle:
        written = 0
        counter = 0
        while written < size:
            chunk = counter.to_bytes(8, "big") + block[8 : min(len(block), size - written)]
            handle.write(chunk[: size - written])
            written += len(chunk[: size - written])
            counter += 1


def child(spec: dict[str, Any]) -> None:
    """Runs in the measured process: authorize, warm up, then (maybe) the big upload."""
    from django_b2.client import B2Client

    client = B2Client(spec["key_id"], spec["key"], api_url=spec["url"])
    options = {
        "large_file_threshold": 2 * spec["part_size"],
        "part_size": spec["part_size"],
        "max_workers": spec["workers"],
    }
    client.upload(spec["bucket_id"], "warm-up", b"w" * 3000, **options)
    started = time.perf_counter()
    length = 0
    if spec.get("path"):
        length = client.upload(spec["bucket_id"], "big.bin", spec["path"], **options)[
            "contentLength"
        ]
    print(json.dumps({"seconds": time.perf_counter() - started, "length": length}))


def _run_child(spec: dict[str, Any]) -> tuple[dict[str, Any], float]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"child failed with exit code {proc.returncode}")
    return json.loads(output.strip().splitlines()[-1]), usage.ru_maxrss / 1024  # KiB -> MiB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["64M", "256M", "1G"])
    parser.add_argument("--part-size", default="5M")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(json.loads(args.child))
        return 0

    part_size = _size(args.part_size)
    sizes = [_size(s) for s in args.sizes]
    limit_mib = 2 * args.workers * part_size / MiB + 32
    from django_b2.client import B2Client

    with tempfile.TemporaryDirectory(prefix="b2-memory-") as tmp:
        emulator = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "django_b2.emulator",
                "--port",
                "0",
                "--min-part-size",
                "1000",
                "--data-dir",
                os.path.join(tmp, "emulator"),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert emulator.stdout is not None
            info = json.loads(emulator.stdout.readline())
            client = B2Client(
                info["application_key_id"], info["application_key"], api_url=info["url"]
            )
            bucket_id = client.create_bucket("memory-bench", "allPrivate")["bucketId"]
            spec: dict[str, Any] = {
                "url": info["url"],
                "key_id": info["application_key_id"],
                "key": info["application_key"],
                "bucket_id": bucket_id,
                "part_size": part_size,
                "workers": args.workers,
            }
            _, baseline = _run_child(spec)
            print(
                f"part size {part_size / MiB:g} MiB, {args.workers} workers "
                f"(workers x part = {args.workers * part_size / MiB:g} MiB); "
                f"baseline child RSS {baseline:.0f} MiB; limit baseline + {limit_mib:.0f} MiB"
            )
            print("| file size | seconds | MiB/s | peak RSS MiB | extra over baseline MiB |")
            print("|---|---|---|---|---|")
            worst = 0.0
            for size in sizes:
                path = Path(tmp) / f"file-{size}.bin"
                _write_file(path, size)
                result, peak = _run_child({**spec, "path": str(path)})
                path.unlink()
                if result["length"] != size:
                    raise SystemExit(f"uploaded {result['length']} bytes, expected {size}")
                extra = peak - baseline
                worst = max(worst, extra)
                print(
                    f"| {size / MiB:g} MiB | {result['seconds']:.1f} | "
                    f"{size / MiB / result['seconds']:.0f} | {peak:.0f} | {extra:.0f} |"
                )
        finally:
            emulator.terminate()
            emulator.wait(timeout=10)
            if emulator.stdout is not None:
                emulator.stdout.close()
    if worst > limit_mib:
        print(f"FAIL: extra RSS {worst:.0f} MiB is above {limit_mib:.0f} MiB")
        return 1
    print(f"OK: extra RSS at most {worst:.0f} MiB (limit {limit_mib:.0f} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
