"""Requests on the paths Django calls most: django_b2 side by side with b2sdk and
django-backblaze-b2, on one emulator in one run.

* ``exists()`` then ``size()`` then ``get_modified_time()`` of one name (per name, steady state);
* a sequential read of a large file from start to end (requests, wall time, peak RSS);
* ``listdir`` of a "directory" of 10,000 names.

b2sdk has no storage API: its figures are the calls an application would make with it
(``get_file_info_by_name``, ``download_file_by_name(...).save_to()``, ``ls``). django-backblaze-b2
(``pip install 'django-b2-native[bench]'``) is skipped, with a note, when it is not installed;
its ``listdir`` is not implemented. Each client runs in its own child process.

    .venv/bin/python benchmarks/bench_round_trips.py --size 1GiB --names 10000
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

BUCKET = "bench-round-trips"
BIG = "big/file.bin"
DIRECTORY = "many"
NAMES_PER_OP = 200
READ_CHUNK = h.MiB
#: b2sdk's part size (B2's recommended 100 MB); its parallel download splits by it.
B2SDK_PART_SIZE = 100 * 1000 * 1000


def _names(count: int) -> list[str]:
    return [f"{DIRECTORY}/f{i:05d}.txt" for i in range(count)]


# ----------------------------------------------------------------------------- children


def _django(payload: dict[str, Any], peer: bool) -> Any:
    import django
    from django.conf import settings

    caches = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "django-backblaze-b2": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    settings.configure(
        SECRET_KEY="bench",
        USE_TZ=True,
        INSTALLED_APPS=["django_b2"],
        CACHES=caches,
        B2_APPLICATION_KEY_ID=payload["key_id"],
        B2_APPLICATION_KEY=payload["key"],
        B2_API_URL=payload["url"],
        BACKBLAZE_CONFIG={
            "realm": payload["url"],
            "application_key_id": payload["key_id"],
            "application_key": payload["key"],
            "bucket": BUCKET,
        },
    )
    django.setup()
    if peer:
        from django_backblaze_b2 import BackblazeB2Storage

        return BackblazeB2Storage()
    from django_b2.storage import B2Storage

    return B2Storage(bucket_name=BUCKET)


def child(payload: dict[str, Any]) -> dict[str, Any]:
    client, op = payload["client"], payload["op"]
    emu = _Counters(payload["url"])
    if client == "b2sdk":
        bucket = h.b2sdk_bucket(
            payload["url"], payload["key_id"], payload["key"], BUCKET, B2SDK_PART_SIZE, 10
        )
        warm = lambda: bucket.get_file_info_by_name(_names(1)[0])  # noqa: E731
        info = bucket.get_file_info_by_name

        def metadata(name: str) -> None:
            version = info(name)  # one call answers exists, size and the time
            assert version.size > 0 and version.upload_timestamp > 0

        def read() -> int:
            # b2sdk's parallel download writes at offsets and re-reads the file for the SHA-1.
            dest = Path(payload["scratch"]) / "b2sdk-read.bin"
            downloaded = bucket.download_file_by_name(BIG)
            downloaded.save_to(str(dest))
            dest.unlink()
            return int(downloaded.download_version.content_length)

        def listdir() -> int:
            return sum(1 for _ in bucket.ls(f"{DIRECTORY}/", latest_only=True))
    else:
        peer = client == "django-backblaze-b2"
        storage = _django(payload, peer=peer)

        def warm() -> None:
            storage.exists(_names(1)[0])
            if not peer:
                storage.bucket_id  # noqa: B018 - the peer looks its bucket up at construction

        def metadata(name: str) -> None:
            assert storage.exists(name)
            assert storage.size(name) > 0
            storage.get_modified_time(name)

        def read() -> int:
            count = 0
            with storage.open(BIG, "rb") as handle:
                while chunk := handle.read(READ_CHUNK):
                    count += len(chunk)
            return count

        def listdir() -> int:
            return len(storage.listdir(DIRECTORY)[1])

    warm()  # authorization and bucket lookup out of the count
    emu.reset()
    if op == "metadata":
        names = _names(payload["names"])[1 : 1 + NAMES_PER_OP]
        result = h.measure(lambda: [metadata(n) for n in names])
        result["value"] = len(names)
    elif op == "read":
        result = h.measure(read)
    else:
        try:
            result = h.measure(listdir)
        except NotImplementedError:
            return {"requests": None, "note": "listdir not implemented"}
    result["requests"] = emu.total()
    return result


class _Counters:
    def __init__(self, url: str) -> None:
        self.url = url

    def reset(self) -> None:
        import requests

        requests.post(f"{self.url}/_emulator/counters/reset", timeout=30).raise_for_status()

    def total(self) -> int:
        import requests

        response = requests.get(f"{self.url}/_emulator/counters", timeout=30)
        response.raise_for_status()
        return int(response.json()["total"])


# ----------------------------------------------------------------------------- parent


def run(size: int, names: int) -> None:
    h.print_machine()
    clients = ["django_b2", "b2sdk"]
    if importlib.util.find_spec("django_backblaze_b2") is not None:
        clients.append("django-backblaze-b2")
    else:
        print("django-backblaze-b2 is not installed: pip install 'django-b2-native[bench]'")
    tmp = h.scratch_dir("b2bench-rt-")
    h.check_disk(tmp, 2 * size)
    with h.emulator(data_dir=tmp / "emu") as emu:
        raw = h.RawB2(emu.url, emu.key_id, emu.key)
        raw.authorize()
        bucket_id = raw.create_bucket(BUCKET, "allPrivate")
        source = tmp / "big.bin"
        h.make_file(source, size)
        with source.open("rb") as handle:
            raw.upload_stream(bucket_id, BIG, handle, size, h.file_sha1(source))
        source.unlink()
        from django_b2.client import B2Client

        t0 = time.perf_counter()
        with B2Client(emu.key_id, emu.key, api_url=emu.url) as setup, ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda n: setup.upload(bucket_id, n, b"x"), _names(names)))
        print(
            f"set-up: {h.human(size)} file and {names:,} names in {time.perf_counter() - t0:.0f} s"
        )
        base = {
            "url": emu.url,
            "key_id": emu.key_id,
            "key": emu.key,
            "names": names,
            "scratch": str(tmp),
        }
        rows = []
        for op, label in (
            ("metadata", f"exists + size + modified time, per name ({NAMES_PER_OP} names)"),
            ("read", f"sequential read of {h.human(size)}"),
            ("listdir", f"listdir of {names:,} names"),
        ):
            for client in clients:
                result = h.run_child(__file__, {**base, "client": client, "op": op, "kind": "x"})
                report = result.report
                requests_made = report.get("requests")
                if requests_made is None:
                    rows.append([label, client, "-", "-", "-", report.get("note", "")])
                    continue
                per = requests_made / NAMES_PER_OP if op == "metadata" else requests_made
                rows.append(
                    [
                        label,
                        client,
                        per,
                        round(report["wall"], 2),
                        round(result.maxrss_mib),
                        "",
                    ]
                )
                print(f"  {label}: {client}: {per:g} requests, {report['wall']:.2f} s", flush=True)
    print()
    print(h.table(["operation", "client", "requests", "wall s", "peak RSS MiB", "note"], rows))
    h.save_results("round_trips", rows)


def main() -> None:
    if h.child_main({"x": child}):
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=h.size_arg, default=h.GiB)
    parser.add_argument("--names", type=int, default=10_000)
    args = parser.parse_args()
    run(args.size, args.names)


if __name__ == "__main__":
    main()
