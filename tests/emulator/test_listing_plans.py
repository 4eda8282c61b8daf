"""The listing queries' plans: index range seeks, never a walk of the bucket or a sort of it.

A listing page must cost what it returns, whatever the bucket's size. SQLite keeps that only
while each query is a range seek on an index that already gives the order; a changed query
(an ``OR`` of two ranges, an ``ORDER BY`` the index does not give) silently becomes a walk from
the bucket's first row or a sort of every matching row. ``EXPLAIN QUERY PLAN`` shows it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from django_b2.emulator import listing
from django_b2.emulator.database import open_database

BUCKET = "b" * 24
RANGE = {"lower": "name >= ?", "upper": " AND name < ?"}


def plan(tmp_path: Path, query: str, args: tuple[object, ...]) -> list[str]:
    db = open_database(str(tmp_path / "plans.sqlite3"))
    try:
        return [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {query}", args)]
    finally:
        db.close()


@pytest.mark.parametrize(
    ("query", "args"),
    [
        (listing._VERSION_KEYS.format(**RANGE), (BUCKET, b"a", b"b", 10)),
        (listing._VERSION_KEYS.format(lower="name > ?", upper=""), (BUCKET, b"a", 10)),
        (listing._CURRENT_KEYS.format(**RANGE), (BUCKET, b"a", b"b", 10)),
        (listing._CURRENT_KEYS.format(lower="name >= ?", upper=""), (BUCKET, b"a", 10)),
        (listing._PINNED_KEYS.format(upper=" AND name < ?"), (BUCKET, b"a", 5, b"b", 10)),
    ],
    ids=["versions", "versions-after", "names", "names-open", "pinned-name"],
)
def test_listing_keys_are_seeks_in_the_covering_index(
    tmp_path: Path, query: str, args: tuple[object, ...]
) -> None:
    steps = plan(tmp_path, query, args)
    assert len(steps) == 1, steps
    assert steps[0].startswith(
        "SEARCH files USING COVERING INDEX files_listing (bucket_id=? AND name"
    )
    assert "TEMP B-TREE" not in " ".join(steps)


def test_unfinished_files_are_read_from_their_own_indexes(tmp_path: Path) -> None:
    oldest_first = plan(tmp_path, listing._UNFINISHED, (BUCKET, 0, 10))
    assert oldest_first == [
        "SEARCH files USING INDEX files_by_action (bucket_id=? AND action=? AND seq>?)"
    ]
    # under a prefix: only the unfinished files there (a partial index), then put in order
    under = plan(tmp_path, listing._UNFINISHED_UNDER, (BUCKET, b"a", b"b", 0, 10))
    assert (
        under[0] == "SEARCH files USING INDEX files_unfinished (bucket_id=? AND name>? AND name<?)"
    )
