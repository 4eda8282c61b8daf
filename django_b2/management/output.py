"""Output for the management commands: aligned tables, ``key: value`` blocks and JSON."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "cell_text",
    "dumps_json",
    "format_fields",
    "format_size",
    "format_table",
    "format_timestamp",
    "to_jsonable",
]


def to_jsonable(value: Any) -> Any:
    """Turn mappings (e.g. a case-insensitive header dict) and tuples into plain JSON types."""
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(item) for item in value]
    return value


def dumps_json(data: Any) -> str:
    """The ``--json`` form: indented, keys sorted, non-ASCII kept readable."""
    return json.dumps(to_jsonable(data), indent=2, sort_keys=True, ensure_ascii=False)


def format_timestamp(millis: int | None) -> str:
    """B2 millisecond timestamps as ``YYYY-MM-DD HH:MM:SS`` UTC; ``-`` for none or zero."""
    if not millis:
        return "-"
    moment = dt.datetime.fromtimestamp(millis / 1000, tz=dt.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def format_size(size: int | None) -> str:
    """Bytes in a short human form (``1.5 MiB``); exact below 1 KiB."""
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def cell_text(value: object) -> str:
    """One table cell: ``-`` for missing values, lists joined by commas, mappings as ``k=v``."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return ", ".join(f"{key}={item}" for key, item in value.items()) or "-"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value) or "-"
    return str(value)


def format_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    right: Collection[int] = (),
) -> str:
    """Columns padded to their widest cell; columns whose index is in ``right`` align right."""
    cells = [[cell_text(value) for value in row] for row in rows]
    for row in cells:
        if len(row) != len(headers):
            raise ValueError(f"row has {len(row)} cells for {len(headers)} headers: {row!r}")
    widths = [len(header) for header in headers]
    for row in cells:
        widths = [max(width, len(text)) for width, text in zip(widths, row, strict=True)]

    def line(texts: Sequence[str]) -> str:
        padded = [
            text.rjust(width) if index in right else text.ljust(width)
            for index, (text, width) in enumerate(zip(texts, widths, strict=True))
        ]
        return "  ".join(padded).rstrip()

    return "\n".join([line(list(headers)), *(line(row) for row in cells)])


def format_fields(fields: Sequence[tuple[str, object]]) -> str:
    """A ``label: value`` block with the values lined up."""
    width = max((len(label) for label, _ in fields), default=0)
    return "\n".join(f"{label + ':':<{width + 1}} {cell_text(value)}" for label, value in fields)
