"""The emulator's own throughput, so that it is never what limits the client figures.

A raw client (plain ``requests``, bodies from memory, downloads thrown away) runs 1, 2 and 4
concurrent streams of ``b2_upload_file`` and ``b2_download_file_by_name`` against one emulator
subprocess and prints the aggregate MiB/s and the emulator's CPU seconds per GiB.

    .venv/bin/python benchmarks/bench_emulator.py --size 128M --streams 1,2,4
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

BUCKET = "bench-emulator"


def run(size: int, streams: list[int]) -> list[dict[str, Any]]:
    h.print_machine()
    print(f"emulator: {h.human(size)} per stream, streams {streams}")
    body = os.urandom(size)
    sha1 = hashlib.sha1(body).hexdigest()
    results: list[dict[str, Any]] = []
    tmp = h.scratch_dir("b2bench-emu-")
    h.check_disk(tmp, size * max(streams) * 2 + h.GiB)
    with h.emulator(data_dir=tmp / "emu") as emu:
        setup = h.RawB2(emu.url, emu.key_id, emu.key)
        setup.authorize()
        bucket_id = setup.create_bucket(BUCKET)
        for n in streams:
            # one RawB2 (one requests.Session) per stream: sessions are not shared across threads
            clients = [h.RawB2(emu.url, emu.key_id, emu.key) for _ in range(n)]
            for c in clients:
                c.authorize()
            names = [f"s{n}/{i}.bin" for i in range(n)]
            for op in ("upload", "download"):
                cpu0 = emu.cpu_seconds()
                t0 = time.perf_counter()
                with ThreadPoolExecutor(n) as pool:
                    if op == "upload":
                        futs = [
                            pool.submit(c.upload_stream, bucket_id, name, body, size, sha1)
                            for c, name in zip(clients, names, strict=True)
                        ]
                        got = [f.result()["contentLength"] for f in futs]
                    else:
                        dfuts = [
                            pool.submit(c.download_discard, BUCKET, name)
                            for c, name in zip(clients, names, strict=True)
                        ]
                        got = [f.result() for f in dfuts]
                wall = time.perf_counter() - t0
                emu_cpu = emu.cpu_seconds() - cpu0
                if any(g != size for g in got):
                    raise RuntimeError(f"wrong length: {got}")
                total = size * n
                rec = {
                    "op": op,
                    "streams": n,
                    "bytes": total,
                    "wall": wall,
                    "mib_s": total / h.MiB / wall,
                    "emulator_cpu_per_gib": emu_cpu / (total / h.GiB),
                }
                results.append(rec)
                print(
                    f"  {op:8} x{n}: {rec['mib_s']:8.1f} MiB/s aggregate, emulator cpu "
                    f"{rec['emulator_cpu_per_gib']:.2f} s/GiB",
                    flush=True,
                )
            setup.delete_all(bucket_id)
        print(f"  emulator peak RSS {emu.rss_mib():.0f} MiB")
    print()
    print("Emulator throughput (raw requests client, bodies from memory / discarded)")
    print(
        h.table(
            ["op", "streams", "aggregate MiB/s", "emulator CPU s/GiB"],
            [[r["op"], r["streams"], r["mib_s"], r["emulator_cpu_per_gib"]] for r in results],
        )
    )
    h.save_results("emulator", results)
    return results


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--size", type=h.size_arg, default=h.size_arg("128M"), help="bytes per stream")
    ap.add_argument("--streams", default="1,2,4")
    a = ap.parse_args(argv)
    run(a.size, [int(s) for s in a.streams.split(",") if s])


if __name__ == "__main__":
    main()
