"""Calls counted by endpoint and by B2 transaction class (A, B, C) as B2 bills them."""

from __future__ import annotations

import threading
from collections import Counter

# https://www.backblaze.com/b2/b2-transactions-price.html
CLASS_A = frozenset(
    {
        "b2_cancel_large_file",
        "b2_delete_bucket",
        "b2_delete_file_version",
        "b2_delete_key",
        "b2_finish_large_file",
        "b2_get_upload_part_url",
        "b2_get_upload_url",
        "b2_hide_file",
        "b2_start_large_file",
        "b2_update_file_legal_hold",
        "b2_update_file_retention",
        "b2_upload_file",
        "b2_upload_part",
    }
)
CLASS_B = frozenset({"b2_download_file_by_id", "b2_download_file_by_name", "b2_get_file_info"})


def transaction_class(endpoint: str) -> str:
    """Class A (free: writes/deletes), B (downloads, get_file_info) or C (everything else)."""
    if endpoint in CLASS_A:
        return "A"
    if endpoint in CLASS_B:
        return "B"
    return "C"


class Counters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_endpoint: Counter[str] = Counter()

    def count(self, endpoint: str) -> None:
        with self._lock:
            self._by_endpoint[endpoint] += 1

    def reset(self) -> None:
        with self._lock:
            self._by_endpoint.clear()

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            by_endpoint = dict(sorted(self._by_endpoint.items()))
        by_class = {"A": 0, "B": 0, "C": 0}
        for endpoint, n in by_endpoint.items():
            by_class[transaction_class(endpoint)] += n
        return {
            "total": sum(by_endpoint.values()),
            "by_endpoint": by_endpoint,
            "by_class": by_class,
        }
