"""Soak: many saves through B2Storage while the emulator injects faults, then read everything back.

4 threads save 2,000 small files and 20 multi-part files while the emulator answers 20 % of
uploads with 503, 5 % of API calls with 503/429, expires the account token every 50 calls,
drops connections, and carries out 5 % of calls without answering them (late answers: the
client cannot tell whether B2 acted); then every file is read back (faults still on) and
compared, and the bucket is searched for duplicates left behind (a name with more than one
version, an unfinished large file). Prints the lost / corrupt / surfaced-error / duplicate
counts; the target is 0 / 0 / 0 / 0.

    .venv/bin/python benchmarks/soak.py --saves 2000 --large 20 --threads 4

``run_soak`` is also used by ``tests/test_soak.py`` (a short version with no real sleeping).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FAULTS: dict[str, Any] = {
    "upload_503_rate": 0.20,
    "api_503_rate": 0.025,
    "api_429_rate": 0.025,
    "expire_tokens_after_calls": 50,
    "drop_connection_rate": 0.02,
    "late_answer_rate": 0.05,
}


@dataclass
class SoakResult:
    saved: int = 0
    lost: int = 0
    corrupt: int = 0
    surfaced: int = 0
    read_errors: int = 0
    duplicates: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0

    @property
    def ok(self) -> bool:
        return (
            self.lost == self.corrupt == self.surfaced == self.read_errors == self.duplicates == 0
        )

    def summary(self) -> str:
        return (
            f"saved {self.saved}, lost {self.lost}, corrupt {self.corrupt}, "
            f"surfaced errors {self.surfaced} (save) + {self.read_errors} (read back), "
            f"duplicates left {self.duplicates}"
            + (f"; {dict(self.errors)}" if self.errors else "")
            + f"; {self.wall:.1f} s"
        )


def plan(saves: int, large: int, part_size: int, seed: int) -> list[tuple[str, bytes]]:
    """Names and contents: small files of 1..20,000 bytes and multi-part files of ~3.3 parts."""
    rng = random.Random(seed)
    jobs = [
        (f"soak/small/{i:05d}.bin", rng.randbytes(rng.randint(1, 20_000))) for i in range(saves)
    ]
    step = max(1, saves // max(1, large))
    for j in range(large):
        body = rng.randbytes(part_size * 3 + rng.randint(1, part_size // 2))
        jobs.insert(min(len(jobs), j * (step + 1)), (f"soak/large/{j:03d}.bin", body))
    return jobs


def run_soak(
    save: Callable[[str, bytes], str],
    read: Callable[[str], bytes],
    *,
    saves: int,
    large: int,
    part_size: int,
    threads: int = 4,
    seed: int = 1,
) -> SoakResult:
    """Save every planned file from ``threads`` threads, then read each back and compare."""
    result = SoakResult()
    jobs = plan(saves, large, part_size, seed)
    expected: dict[str, str] = {}
    t0 = time.perf_counter()

    def do_save(job: tuple[str, bytes]) -> tuple[str, str] | BaseException:
        name, body = job
        try:
            return save(name, body), hashlib.sha1(body).hexdigest()
        except Exception as exc:  # a surfaced error: the caller would have seen it
            return exc

    with ThreadPoolExecutor(threads) as pool:
        for outcome in pool.map(do_save, jobs):
            if isinstance(outcome, BaseException):
                result.surfaced += 1
                result.errors[f"save {type(outcome).__name__}: {outcome}"[:160]] += 1
            else:
                expected[outcome[0]] = outcome[1]
    result.saved = len(expected)

    def do_read(name: str) -> tuple[str, str | BaseException | None]:
        try:
            return name, hashlib.sha1(read(name)).hexdigest()
        except FileNotFoundError:
            return name, None
        except Exception as exc:
            return name, exc

    with ThreadPoolExecutor(threads) as pool:
        for name, got in pool.map(do_read, list(expected)):
            if got is None:
                result.lost += 1
            elif isinstance(got, BaseException):
                result.read_errors += 1
                result.errors[f"read {type(got).__name__}: {got}"[:160]] += 1
            elif got != expected[name]:
                result.corrupt += 1
    result.wall = time.perf_counter() - t0
    return result


def count_duplicates(client: Any, bucket_id: str, prefix: str = "soak/") -> int:
    """Versions beyond the first of each name, plus unfinished large files, under ``prefix``.

    Every planned name is saved once, so any of these was left behind by a resent call."""
    per_name = Counter(
        version["fileName"]
        for version in client.iter_file_versions(bucket_id, prefix=prefix)
        if version["action"] != "start"
    )
    extra = sum(count - 1 for count in per_name.values())
    unfinished = client.list_unfinished_large_files(bucket_id, name_prefix=prefix)["files"]
    return extra + len(unfinished)


def storage_adapters(storage: Any) -> tuple[Callable[[str, bytes], str], Callable[[str], bytes]]:
    """save/read callables over a Django storage."""
    from django.core.files.base import ContentFile

    def save(name: str, body: bytes) -> str:
        saved: str = storage.save(name, ContentFile(body))
        return saved

    def read(name: str) -> bytes:
        with storage.open(name, "rb") as fh:
            data: bytes = fh.read()
            return data

    return save, read


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

    import _harness as h

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--saves", type=int, default=2000)
    ap.add_argument("--large", type=int, default=20)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--part-size", type=h.size_arg, default=h.size_arg("1M"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--retry-attempts",
        type=int,
        default=None,
        help="storage option retry={'attempts': N}; default: the storage's (8, 30 s deadline)",
    )
    a = ap.parse_args(argv)

    h.print_machine()
    print(
        f"soak: {a.saves} small saves + {a.large} multi-part files ({h.human(a.part_size)} "
        f"parts), {a.threads} threads, faults {FAULTS}, retry attempts "
        f"{a.retry_attempts or 'default (storage: 8, 30 s deadline)'}"
    )
    tmp = h.scratch_dir("b2bench-soak-")
    with h.emulator(min_part_size=a.part_size, data_dir=tmp / "emu") as emu:
        raw = h.RawB2(emu.url, emu.key_id, emu.key)
        raw.authorize()
        raw.create_bucket("bench-soak")
        h.django_setup(
            emu.url,
            emu.key_id,
            emu.key,
            "bench-soak",
            file_overwrite=True,
            part_size=a.part_size,
            large_file_threshold=2 * a.part_size,
            max_workers=2,
            **({"retry": {"attempts": a.retry_attempts}} if a.retry_attempts else {}),
        )
        from django.core.files.storage import default_storage

        emu.set_faults(seed=a.seed, **FAULTS)
        emu.reset_counters()
        save, read = storage_adapters(default_storage)
        res = run_soak(
            save,
            read,
            saves=a.saves,
            large=a.large,
            part_size=a.part_size,
            threads=a.threads,
            seed=a.seed,
        )
        counters = emu.counters()
        emu.set_faults()  # count what was left behind with every fault off
        res.duplicates = count_duplicates(default_storage.client, default_storage.bucket_id)
    print(res.summary())
    print(f"emulator requests: {counters['total']} {counters['by_endpoint']}")
    h.save_results(
        "soak",
        {
            "saved": res.saved,
            "lost": res.lost,
            "corrupt": res.corrupt,
            "surfaced": res.surfaced,
            "read_errors": res.read_errors,
            "duplicates": res.duplicates,
            "errors": dict(res.errors),
            "wall": res.wall,
            "requests": counters,
        },
    )
    print(
        f"RESULT lost={res.lost} corrupt={res.corrupt} "
        f"surfaced={res.surfaced + res.read_errors} duplicates={res.duplicates}"
    )
    return 0 if res.ok else 1


if __name__ == "__main__":
    sys.exit(main())
