"""Paged B2 listings read whole: every entry of one, every version of one file name.

Used for keys, parts and unfinished large files, and for the versions of one name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from django_b2.client import B2Client, FileVersion

__all__ = ["every_entry", "versions_of"]


def every_entry(
    fetch: Callable[[Any], Mapping[str, Any]], entries: str, following: str
) -> list[Any]:
    """The ``entries`` of every page: ``fetch(None)`` first, then ``fetch(start)`` with the
    ``following`` value of the page before, until a page has none."""
    found: list[Any] = []
    start: Any = None
    while True:
        page = fetch(start)
        found.extend(page.get(entries, []))
        start = page.get(following)
        if not start:
            return found


def versions_of(
    client: B2Client, bucket_id: str, name: str, *, page_size: int = 1000
) -> Iterator[FileVersion]:
    """Every version (uploads, hide markers, unfinished large files) of exactly ``name``, newest
    first."""
    for version in client.iter_file_versions(bucket_id, prefix=name, page_size=page_size):
        if version["fileName"] != name:
            return  # names are listed in order, and ``name`` sorts before every longer one
        yield version
