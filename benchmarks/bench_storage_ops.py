"""Requests per B2Storage operation (emulator counters) and ``url()`` calls per second.

Steady state: each operation is warmed up first (authorization, bucket id, upload URL pool and
download authorization are in place), then the emulator's counters are reset, the operation runs
``--ops`` times, and the request count is divided by the number of operations.

    .venv/bin/python benchmarks/bench_storage_ops.py --ops 50 --url-calls 100000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

BUCKET = "bench-ops"
SMALL = b"x" * 1000


def run(ops: int, url_calls: int, rounds: int) -> dict[str, Any]:
    h.print_machine()
    tmp = h.scratch_dir("b2bench-ops-")
    with h.emulator(data_dir=tmp / "emu") as emu:
        raw = h.RawB2(emu.url, emu.key_id, emu.key)
        raw.authorize()
        raw.create_bucket(BUCKET, "allPrivate")
        h.django_setup(emu.url, emu.key_id, emu.key, BUCKET, file_overwrite=True)
        from django.core.files.base import ContentFile
        from django.core.files.storage import default_storage

        from django_b2.storage import B2Storage

        storage: Any = default_storage
        no_overwrite: Any = B2Storage(bucket_name=BUCKET, file_overwrite=False)

        names = [f"ops/file-{i}.txt" for i in range(ops)]

        def save_overwrite(i: int) -> None:
            storage.save(names[i], ContentFile(SMALL))

        def save_same_name(i: int) -> None:
            storage.save("ops/same.txt", ContentFile(SMALL))

        def save_no_overwrite(i: int) -> None:
            no_overwrite.save(f"ops/nov-{i}.txt", ContentFile(SMALL))

        def open_read(i: int) -> None:
            with storage.open(names[i], "rb") as fh:
                assert fh.read() == SMALL

        def exists(i: int) -> None:
            assert storage.exists(names[i])

        def exists_missing(i: int) -> None:
            assert not storage.exists(f"ops/missing-{i}.txt")

        def size(i: int) -> None:
            assert storage.size(names[i]) == len(SMALL)

        def url(i: int) -> None:
            storage.url(names[i])

        def delete(i: int) -> None:
            storage.delete(names[i])

        steps: list[tuple[str, Callable[[int], None]]] = [
            ("save (file_overwrite=True, new names)", save_overwrite),
            ("save (file_overwrite=True, same name)", save_same_name),
            ("save (file_overwrite=False)", save_no_overwrite),
            ("open + read", open_read),
            ("exists (present)", exists),
            ("exists (missing)", exists_missing),
            ("size", size),
            ("url (private bucket, first URL of a file)", url),
            ("delete", delete),
        ]
        # warm-up: one of each on throw-away names so every cache the storage keeps is filled
        storage.save("ops/warm.txt", ContentFile(SMALL))
        no_overwrite.save("ops/warm-nov.txt", ContentFile(SMALL))
        storage.open("ops/warm.txt").read()
        storage.exists("ops/warm.txt")
        storage.size("ops/warm.txt")
        storage.url("ops/warm.txt")
        storage.delete("ops/warm.txt")

        per_op: dict[str, Any] = {}
        for label, fn in steps:
            emu.reset_counters()
            for i in range(ops):
                fn(i)
            c = emu.counters()
            per_op[label] = {
                "requests_per_op": c["total"] / ops,
                "by_endpoint": {k: v / ops for k, v in sorted(c["by_endpoint"].items()) if v},
            }
            print(
                f"  {label:40} {c['total'] / ops:5.2f} requests/op  {per_op[label]['by_endpoint']}",
                flush=True,
            )

        # url() per second in steady state: a page of 50 names rendered over and over (each
        # name's one-file token minted once, before the clock starts); best of several rounds.
        # benchmarks/bench_signed_urls.py has the first/second render figures.
        url_names = [f"media/photos/{i:07d}.jpg" for i in range(50)] * (url_calls // 50)
        for name in url_names[:50]:
            storage.url(name)
        emu.reset_counters()
        rates = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            for name in url_names:
                storage.url(name)
            rates.append(len(url_names) / (time.perf_counter() - t0))
        url_requests = emu.counters()["total"]
        url_rate = max(rates)
        url_median = statistics.median(rates)
        print(
            f"  url(): best {url_rate:,.0f} / median {url_median:,.0f} calls/s over {rounds} "
            f"rounds of {len(url_names):,} calls (a page of 50 names), {url_requests} requests",
            flush=True,
        )

    print()
    print("Requests per storage operation (steady state, emulator counters)")
    print(
        h.table(
            ["operation", "requests/op", "by endpoint (per op)"],
            [
                [
                    label,
                    v["requests_per_op"],
                    ", ".join(f"{k} {n:g}" for k, n in v["by_endpoint"].items()) or "-",
                ]
                for label, v in per_op.items()
            ],
        )
    )
    print()
    print(
        f"url() on a private bucket: best {url_rate:,.0f} / median {url_median:,.0f} calls/s "
        f"({rounds} rounds x {len(url_names):,} calls over 50 names), {url_requests} requests"
    )
    result = {
        "per_op": per_op,
        "url_per_s": url_rate,
        "url_per_s_median": url_median,
        "url_requests": url_requests,
        "url_calls": url_calls,
    }
    h.save_results("storage_ops", result)
    return result


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--ops", type=int, default=50, help="operations per measured step")
    ap.add_argument("--url-calls", type=int, default=100_000, help="url() calls per round")
    ap.add_argument("--rounds", type=int, default=5, help="url() rounds (the best is reported)")
    a = ap.parse_args(argv)
    run(a.ops, a.url_calls, a.rounds)


if __name__ == "__main__":
    main()
