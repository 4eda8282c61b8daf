"""Every entry of a paged B2 listing (keys, parts, unfinished large files), page after page."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["every_entry"]


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
