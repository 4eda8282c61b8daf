"""Download throughput and peak RSS: B2Client.download and B2Storage.open().read() vs b2sdk.

The files are uploaded once (one raw POST each), then every client streams each file to a
file (on /dev/shm when present) in its own child process; the parent checks each copy's SHA-1.
The raw figure (one streaming ``requests`` GET, 1 MiB chunks written out) is the loopback ceiling.
(b2sdk's parallel download re-reads its output to check the SHA-1, so /dev/null can't be used.)

    .venv/bin/python benchmarks/bench_download.py --sizes 256M,1G
    .venv/bin/python benchmarks/bench_download.py --sizes 32M          # quick
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

BUCKET = "bench-download"
CLIENTS = ("raw", "b2sdk", "client", "storage")
CHUNK = h.MiB


def child_raw(p: dict[str, Any]) -> dict[str, Any]:
    raw = h.RawB2(p["url"], p["key_id"], p["key"])
    raw.authorize()

    def run() -> int:
        with open(p["dest"], "wb") as sink:
            return raw.download_to(BUCKET, p["name"], sink, CHUNK)

    return h.measure(run)


def child_b2sdk(p: dict[str, Any]) -> dict[str, Any]:
    bucket = h.b2sdk_bucket(
        p["url"],
        p["key_id"],
        p["key"],
        BUCKET,
        p["part_size"],
        p["workers"],
        download_workers=p["workers"],
    )

    def run() -> int:
        downloaded = bucket.download_file_by_name(p["name"])
        downloaded.save_to(p["dest"])
        return int(downloaded.download_version.content_length)

    return h.measure(run)


def child_client(p: dict[str, Any]) -> dict[str, Any]:
    from django_b2.client import B2Client

    client = B2Client(p["key_id"], p["key"], api_url=p["url"])
    client.authorize()

    def run() -> int:
        with open(p["dest"], "wb") as sink:
            client.download(bucket_name=BUCKET, file_name=p["name"], destination=sink)
        return int(p["size"])

    return h.measure(run)


def child_storage(p: dict[str, Any]) -> dict[str, Any]:
    h.django_setup(p["url"], p["key_id"], p["key"], BUCKET)
    from django.core.files.storage import default_storage

    storage: Any = default_storage
    _ = storage.client
    _ = storage.bucket_id

    def run() -> int:
        n = 0
        with storage.open(p["name"], "rb") as fh, open(p["dest"], "wb") as sink:
            while chunk := fh.read(CHUNK):
                n += sink.write(chunk)
        return n

    return h.measure(run)


HANDLERS = {
    "raw": child_raw,
    "b2sdk": child_b2sdk,
    "client": child_client,
    "storage": child_storage,
}


def run(
    sizes: list[int], part_size: int, workers: int, clients: list[str], repeat: int
) -> list[dict[str, Any]]:
    h.print_machine()
    print(
        f"download: clients {clients}, repeat {repeat} (best wall, median CPU, max RSS); "
        f"b2sdk with {workers} threads"
    )
    results: list[dict[str, Any]] = []
    tmp = h.scratch_dir("b2bench-down-")
    h.check_disk(tmp, sum(sizes) * 2 + h.GiB)
    # the copy goes to tmpfs when there is one: no disk writeback in the measured time
    shm = Path("/dev/shm")
    dest_dir = h.scratch_dir("b2bench-dest-", shm if shm.is_dir() else None)
    h.check_disk(dest_dir, max(sizes) + h.GiB)
    dest = dest_dir / "dest.bin"
    with h.emulator(min_part_size=min(h.MiB, part_size), data_dir=tmp / "emu") as emu:
        raw = h.RawB2(emu.url, emu.key_id, emu.key)
        raw.authorize()
        bucket_id = raw.create_bucket(BUCKET)
        for size in sizes:
            src = tmp / f"src-{size}.bin"
            sha1 = h.make_file(src, size)
            name = f"dl/{size}.bin"
            with src.open("rb") as fh:
                raw.upload_stream(bucket_id, name, fh, size, sha1)
            src.unlink()
            runs: dict[str, list[dict[str, Any]]] = {c: [] for c in clients}
            for i in range(repeat):  # interleaved, so a noisy moment does not hit one client
                for client in clients:
                    payload = {
                        "kind": client,
                        "url": emu.url,
                        "key_id": emu.key_id,
                        "key": emu.key,
                        "name": name,
                        "size": size,
                        "part_size": part_size,
                        "workers": workers,
                        "dest": str(dest),
                    }
                    emu_cpu0 = emu.cpu_seconds()
                    res = h.run_child(__file__, payload)
                    emu_cpu = emu.cpu_seconds() - emu_cpu0
                    if res.report["value"] != size or h.file_sha1(dest) != sha1:
                        raise RuntimeError(f"{client} wrote {res.report['value']} of {size} bytes")
                    dest.unlink()
                    run = {
                        "wall": res.report["wall"],
                        "cpu": res.report["cpu"],
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
                        f"rss {run['maxrss_mib']:.0f} MiB  load {run['load1']}",
                        flush=True,
                    )
            results.extend(h.aggregate(client, size, runs[client]) for client in clients)
            raw.delete_all(bucket_id)
    by = {(r["client"], r["size"]): r for r in results}
    rows = []
    for size in sizes:
        base = by.get(("b2sdk", size))
        ceiling = by.get(("raw", size))
        for client in CLIENTS:
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
                    r["maxrss_mib"],
                    r["emulator_cpu_per_gib"],
                ]
            )
    print()
    print(
        "Download to a file (MiB/s of the best run; CPU = median user+sys s/GiB of the"
        " downloading process; peak RSS = max VmHWM)"
    )
    print(
        h.table(
            [
                "size",
                "client",
                "MiB/s",
                "vs b2sdk",
                "of raw",
                "CPU s/GiB",
                "peak RSS MiB",
                "emulator CPU s/GiB",
            ],
            rows,
        )
    )
    h.save_results("download", results)
    return results


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="256M,1G")
    ap.add_argument(
        "--part-size",
        type=h.size_arg,
        default=h.size_arg("64M"),
        help="b2sdk's part size (its parallel download splits by it)",
    )
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--clients", default=",".join(CLIENTS))
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args(argv)
    run(
        [h.size_arg(s) for s in a.sizes.split(",") if s],
        a.part_size,
        a.workers,
        [c for c in a.clients.split(",") if c],
        a.repeat,
    )


if __name__ == "__main__" and not h.child_main(HANDLERS):
    main()
