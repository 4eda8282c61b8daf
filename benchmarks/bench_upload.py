"""Upload throughput, client CPU and peak RSS: B2Client.upload and B2Storage.save vs b2sdk.

Each measurement runs in its own child process against one emulator subprocess; the raw loopback
figure (one streaming ``requests`` POST of the same bytes to ``b2_upload_file``) is the ceiling.

    .venv/bin/python benchmarks/bench_upload.py --sizes 256M,1G --part-size 64M --workers 4
    .venv/bin/python benchmarks/bench_upload.py --sizes 32M --part-size 8M       # quick
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

BUCKET = "bench-upload"
CLIENTS = ("raw", "raw-1m", "b2sdk", "client", "storage")
EXPERIMENTS = ("b2sdk-sha1given", "client-sha1given", "client-sha1true")
RSS_CLIENTS = ("b2sdk", "client", "storage")


# --------------------------------------------------------------------------- children


def child_raw(p: dict[str, Any]) -> dict[str, Any]:
    raw = h.RawB2(p["url"], p["key_id"], p["key"])
    if p["kind"] == "raw-1m":
        raw.session = h.big_block_session()
    raw.authorize()
    url, token = raw.upload_url(p["bucket_id"])

    def run() -> int:
        with open(p["path"], "rb") as fh:
            r = raw.session.post(
                url,
                data=fh,
                headers={
                    "Authorization": token,
                    "X-Bz-File-Name": p["name"],
                    "Content-Type": "application/octet-stream",
                    "Content-Length": str(p["size"]),
                    "X-Bz-Content-Sha1": p["sha1"],
                },
                timeout=600,
            )
        if r.status_code != 200:
            raise RuntimeError(f"raw upload -> {r.status_code} {r.text}")
        return int(r.json()["contentLength"])

    return h.measure(run)


def child_b2sdk(p: dict[str, Any]) -> dict[str, Any]:
    bucket = h.b2sdk_bucket(p["url"], p["key_id"], p["key"], BUCKET, p["part_size"], p["workers"])

    # b2sdk-sha1given: the caller passes the file's SHA-1 (``sha1_sum``), so b2sdk skips its own
    # whole-file hashing pass for ``large_file_sha1``, like ``client-sha1given`` below
    sha1_sum = p["sha1"] if p["kind"] == "b2sdk-sha1given" else None

    def run() -> int:
        fv = bucket.upload_local_file(
            local_file=p["path"],
            file_name=p["name"],
            min_part_size=p["part_size"],
            sha1_sum=sha1_sum,
        )
        return int(fv.size)

    return h.measure(run)


def child_client(p: dict[str, Any]) -> dict[str, Any]:
    """B2Client.upload; the variants are experiments that explain the figures (BENCHMARKS.md).

    ``client`` uses the defaults (no whole-file SHA-1). ``client-sha1given``: the caller passes
    ``large_file_sha1="<hex>"`` (as b2sdk's ``sha1_sum``). ``client-sha1true``:
    ``large_file_sha1=True``, i.e. one extra whole-file hashing pass before the first part, which
    is what b2sdk does by default.
    """
    from django_b2.client import B2Client

    client = B2Client(p["key_id"], p["key"], api_url=p["url"], pool_size=max(10, p["workers"]))
    client.authorize()
    whole_sha1: str | bool | None = None
    if p["kind"] == "client-sha1given":
        whole_sha1 = p["sha1"]
    elif p["kind"] == "client-sha1true":
        whole_sha1 = True

    def run() -> int:
        fv = client.upload(
            p["bucket_id"],
            p["name"],
            p["path"],
            part_size=p["part_size"],
            max_workers=p["workers"],
            large_file_threshold=p["part_size"] * 2,
            large_file_sha1=whole_sha1,
        )
        return int(fv["contentLength"])

    return h.measure(run)


def child_storage(p: dict[str, Any]) -> dict[str, Any]:
    h.django_setup(
        p["url"],
        p["key_id"],
        p["key"],
        BUCKET,
        part_size=p["part_size"],
        max_workers=p["workers"],
        large_file_threshold=p["part_size"] * 2,
        file_overwrite=True,
    )
    from django.core.files import File
    from django.core.files.storage import default_storage

    storage: Any = default_storage
    _ = storage.client
    _ = storage.bucket_id  # authorize + bucket lookup outside the timed region

    def run() -> int:
        with open(p["path"], "rb") as fh:
            saved = storage.save(p["name"], File(fh, name=p["name"]))
        return int(storage.size(saved))

    return h.measure(run)


HANDLERS = {
    "raw": child_raw,
    "raw-1m": child_raw,
    "b2sdk": child_b2sdk,
    "b2sdk-sha1given": child_b2sdk,
    "client": child_client,
    "client-sha1given": child_client,
    "client-sha1true": child_client,
    "storage": child_storage,
}


# --------------------------------------------------------------------------- parent


def run(
    sizes: list[int],
    part_size: int,
    workers: int,
    clients: list[str],
    repeat: int,
    rss_sizes: list[int],
) -> list[dict[str, Any]]:
    h.print_machine()
    print(
        f"upload: part size {h.human(part_size)}, {workers} workers, clients {clients}, "
        f"repeat {repeat} (best wall, median CPU, max RSS)"
    )
    results: list[dict[str, Any]] = []
    tmp = h.scratch_dir("b2bench-up-")
    all_sizes = sorted(set(sizes) | set(rss_sizes))
    # the source file + up to two stored copies (parts, then the assembled file)
    h.check_disk(tmp, max(all_sizes) * 3 + h.GiB)
    with h.emulator(min_part_size=min(h.MiB, part_size), data_dir=tmp / "emu") as emu:
        raw = h.RawB2(emu.url, emu.key_id, emu.key)
        raw.authorize()
        bucket_id = raw.create_bucket(BUCKET)
        for size in all_sizes:
            src = tmp / f"src-{size}.bin"
            sha1 = h.make_file(src, size)
            # RSS-only sizes (4 GiB): just the three real clients, once
            which = clients if size in sizes else [c for c in clients if c in RSS_CLIENTS]
            runs: dict[str, list[dict[str, Any]]] = {c: [] for c in which}
            reps = repeat if size in sizes else 1  # RSS-only sizes (4 GiB) run once
            for i in range(reps):  # interleaved, so a noisy moment does not hit one client
                for client in which:
                    payload = {
                        "kind": client,
                        "url": emu.url,
                        "key_id": emu.key_id,
                        "key": emu.key,
                        "bucket_id": bucket_id,
                        "path": str(src),
                        "name": f"{client}/{size}/{i}.bin",
                        "size": size,
                        "sha1": sha1,
                        "part_size": part_size,
                        "workers": workers,
                    }
                    emu_cpu0 = emu.cpu_seconds()
                    res = h.run_child(__file__, payload)
                    emu_cpu = emu.cpu_seconds() - emu_cpu0
                    stored = res.report["value"]
                    if stored != size:
                        raise RuntimeError(f"{client} stored {stored} bytes, expected {size}")
                    run = {
                        "wall": res.report["wall"],
                        "cpu": res.report["cpu"],
                        "cpu_total": res.cpu_total,
                        "maxrss_mib": res.report["vmhwm_mib"],
                        "maxrss_wait4_mib": res.maxrss_mib,
                        "emulator_cpu": emu_cpu,
                        "load1": h.load1(),
                    }
                    runs[client].append(run)
                    print(
                        f"  {h.human(size):>8} {client:8} run {i + 1}: "
                        f"{size / h.MiB / run['wall']:8.1f} MiB/s  "
                        f"cpu {run['cpu'] / (size / h.GiB):.2f} s/GiB  "
                        f"rss {run['maxrss_mib']:.0f} MiB  "
                        f"emulator cpu {emu_cpu / (size / h.GiB):.2f} s/GiB  load {run['load1']}",
                        flush=True,
                    )
                    raw.delete_all(bucket_id)
            results.extend(h.aggregate(client, size, runs[client]) for client in which)
            src.unlink()
    report(results, sizes, rss_sizes, part_size, workers)
    h.save_results("upload", results)
    return results


def report(
    results: list[dict[str, Any]],
    sizes: list[int],
    rss_sizes: list[int],
    part_size: int,
    workers: int,
) -> None:
    by = {(r["client"], r["size"]): r for r in results}
    rows = []
    for size in sizes:
        base = by.get(("b2sdk", size))
        ceiling = by.get(("raw-1m", size)) or by.get(("raw", size))
        for client in (*CLIENTS, *EXPERIMENTS):
            r = by.get((client, size))
            if r is None:
                continue
            rows.append(
                [
                    h.human(size),
                    client,
                    r["mib_s"],
                    f"{r['mib_s'] / base['mib_s']:.2f}" if base else "-",
                    f"{r['mib_s'] / ceiling['mib_s']:.0%}" if ceiling else "-",
                    r["cpu_per_gib"],
                    f"{r['cpu_per_gib'] / base['cpu_per_gib']:.2f}" if base else "-",
                    r["cpu_total_per_gib"],
                    r["maxrss_mib"],
                    r["emulator_cpu_per_gib"],
                ]
            )
    print()
    print(
        "Upload (MiB/s of the best run; CPU = median user+sys s/GiB of the uploading process"
        " during the upload; total = whole child incl. start-up; peak RSS = max VmHWM)"
    )
    print(
        h.table(
            [
                "size",
                "client",
                "MiB/s",
                "vs b2sdk",
                "of raw-1m",
                "CPU s/GiB",
                "CPU vs b2sdk",
                "CPU total s/GiB",
                "peak RSS MiB",
                "emulator CPU s/GiB",
            ],
            rows,
        )
    )
    if rss_sizes:
        print()
        print(
            f"Peak RSS by size (limit workers x part size + 64 MiB = "
            f"{(workers * part_size + 64 * h.MiB) / h.MiB:.0f} MiB):\n"
        )
        rss_rows = []
        for client in RSS_CLIENTS:
            cells: list[object] = [client]
            vals = []
            for size in rss_sizes:
                r = by.get((client, size))
                cells.append(r["maxrss_mib"] if r else "-")
                if r:
                    vals.append(r["maxrss_mib"])
            spread = (max(vals) / min(vals) - 1) if len(vals) > 1 else 0.0
            cells.append(f"{spread:.1%}")
            rss_rows.append(cells)
        print(h.table(["client", *[h.human(s) for s in rss_sizes], "spread"], rss_rows))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="256M,1G", help="comma list, e.g. 32M,256M,1G")
    ap.add_argument("--rss-sizes", default="", help="extra sizes for the RSS check, e.g. 1G,4G")
    ap.add_argument("--part-size", type=h.size_arg, default=h.size_arg("64M"))
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument(
        "--clients",
        default=",".join(CLIENTS),
        help=f"comma list out of {','.join(CLIENTS + EXPERIMENTS)}",
    )
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args(argv)
    run(
        [h.size_arg(s) for s in a.sizes.split(",") if s],
        a.part_size,
        a.workers,
        [c for c in a.clients.split(",") if c],
        a.repeat,
        [h.size_arg(s) for s in a.rss_sizes.split(",") if s],
    )


if __name__ == "__main__" and not h.child_main(HANDLERS):
    main()
