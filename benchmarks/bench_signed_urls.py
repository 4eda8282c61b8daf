"""Signed URLs: requests per page of 50 files (first and second render) and ``url()`` calls/s.

A "page" is 50 ``storage.url(name)`` calls for 50 names no URL was made for before (what a list
template with ``{% b2_signed_url %}`` does). For each storage setting the page is rendered twice
(requests counted by the emulator), then rendered over and over for ``--calls`` calls per round
(the steady state: calls per second, requests counted). b2sdk, the named peer, has no token
reuse: each signed URL is a ``b2_get_download_authorization`` (``Bucket.get_download_authorization``
+ ``get_download_url``), measured on the same emulator in the same run.

    .venv/bin/python benchmarks/bench_signed_urls.py --calls 100000 --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

BUCKET = "bench-signed"
PAGE = 50


def _page(prefix: str) -> list[str]:
    return [f"{prefix}/photo-{i:02d}.jpg" for i in range(PAGE)]


def _count(emu: h.Emulator, render: Callable[[], list[str]]) -> tuple[dict[str, int], float]:
    emu.reset_counters()
    t0 = time.perf_counter()
    render()
    elapsed = time.perf_counter() - t0
    counts = {k: v for k, v in emu.counters()["by_endpoint"].items() if v}
    return counts, elapsed


def _rate(call: Callable[[str], Any], names: list[str], calls: int, rounds: int) -> list[float]:
    rates = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        done = 0
        while done < calls:
            for name in names:
                call(name)
            done += len(names)
        rates.append(done / (time.perf_counter() - t0))
    return rates


def run(calls: int, rounds: int, peer_calls: int) -> dict[str, Any]:
    h.print_machine()
    tmp = h.scratch_dir("b2bench-signed-")
    results: dict[str, Any] = {}
    with h.emulator(data_dir=tmp / "emu") as emu:
        raw = h.RawB2(emu.url, emu.key_id, emu.key)
        raw.authorize()
        raw.create_bucket(BUCKET, "allPrivate")
        h.django_setup(emu.url, emu.key_id, emu.key, BUCKET, location="media")
        from django.core.files.base import ContentFile

        from django_b2.storage import B2Storage

        setups: list[tuple[str, dict[str, Any], int]] = [
            ('default (scope "file", reuse max(E/10, 60 s))', {}, calls),
            ('scope "location" (opt-in)', {"signed_url_scope": "location"}, calls),
            ("url_token_reuse=0 (a token per URL)", {"url_token_reuse": 0}, peer_calls),
        ]
        for n, (label, options, per_round) in enumerate(setups):
            storage = B2Storage(bucket_name=BUCKET, location="media", **options)
            storage.save("warm.txt", ContentFile(b"warm"))  # authorized, bucket id known
            names = _page(f"page{n}")
            storage.save(names[0], ContentFile(b"checked"))

            def render(storage: B2Storage = storage, names: list[str] = names) -> list[str]:
                return [storage.url(name) for name in names]

            first, first_s = _count(emu, render)
            second, second_s = _count(emu, render)
            assert requests.get(storage.url(names[0]), timeout=30).content == b"checked"
            emu.reset_counters()
            rates = _rate(storage.url, names, per_round, rounds)
            steady = emu.counters()["total"]
            done = -(-per_round // PAGE) * PAGE * rounds  # whole pages
            row = {
                "first_render": first,
                "first_render_ms": first_s * 1000,
                "second_render": second,
                "second_render_ms": second_s * 1000,
                "url_per_s_best": max(rates),
                "url_per_s_median": statistics.median(rates),
                "steady_requests": steady,
                "steady_calls": done,
            }
            results[label] = row
            print(f"  {label}: {row}", flush=True)

        # b2sdk: a download authorization per URL, nothing reused.
        bucket = h.b2sdk_bucket(emu.url, emu.key_id, emu.key, BUCKET, 5 * h.MiB, 1)
        download_base = bucket.api.account_info.get_download_url()

        def b2sdk_url(name: str) -> str:
            token = bucket.get_download_authorization(f"media/{name}", 3600)
            return f"{download_base}/file/{BUCKET}/media/{name}?Authorization={token}"

        names = _page("peer")

        def render_b2sdk() -> list[str]:
            return [b2sdk_url(name) for name in names]

        first, first_s = _count(emu, render_b2sdk)
        second, second_s = _count(emu, render_b2sdk)
        emu.reset_counters()
        rates = _rate(b2sdk_url, names, peer_calls, rounds)
        results["b2sdk (get_download_authorization per URL)"] = {
            "first_render": first,
            "first_render_ms": first_s * 1000,
            "second_render": second,
            "second_render_ms": second_s * 1000,
            "url_per_s_best": max(rates),
            "url_per_s_median": statistics.median(rates),
            "steady_requests": emu.counters()["total"],
            "steady_calls": -(-peer_calls // PAGE) * PAGE * rounds,
        }

    def reqs(counts: dict[str, int]) -> str:
        return ", ".join(f"{v} {k}" for k, v in counts.items()) or "0"

    peer = results["b2sdk (get_download_authorization per URL)"]["url_per_s_best"]
    print()
    print(f"Signed URLs, a page of {PAGE} new files (emulator counters; calls/s best of {rounds})")
    print(
        h.table(
            ["setting", "1st render", "2nd render", "url() calls/s", "vs b2sdk", "steady reqs"],
            [
                [
                    label,
                    f"{reqs(r['first_render'])} ({r['first_render_ms']:.0f} ms)",
                    f"{reqs(r['second_render'])} ({r['second_render_ms']:.1f} ms)",
                    f"{r['url_per_s_best']:,.0f} (median {r['url_per_s_median']:,.0f})",
                    f"{r['url_per_s_best'] / peer:,.1f}x",
                    f"{r['steady_requests']} / {r['steady_calls']:,} calls",
                ]
                for label, r in results.items()
            ],
        )
    )
    h.save_results("signed_urls", results)
    return results


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--calls", type=int, default=100_000, help="url() calls per steady round")
    ap.add_argument("--rounds", type=int, default=5, help="steady rounds (best and median shown)")
    ap.add_argument(
        "--peer-calls",
        type=int,
        default=1_000,
        help="calls per round where every call is a request (b2sdk, url_token_reuse=0)",
    )
    a = ap.parse_args(argv)
    run(a.calls, a.rounds, a.peer_calls)


if __name__ == "__main__":
    main()
