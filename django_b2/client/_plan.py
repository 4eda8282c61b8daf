"""Part planning for large files: part size, threshold and parts, within B2's limits."""

from __future__ import annotations

from dataclasses import dataclass

from ._limits import MAX_PART_SIZE, MAX_PARTS, MAX_SINGLE_UPLOAD_SIZE
from .errors import B2ValidationError

__all__ = ["PartPlan", "choose_part_size", "choose_threshold", "plan_parts"]


@dataclass(frozen=True)
class PartPlan:
    """One part of a large file: its number (from 1), offset in the source and length."""

    number: int
    offset: int
    length: int


def choose_part_size(
    requested: int | None, *, recommended: int, minimum: int, size: int | None = None
) -> int:
    """The part size to use: ``requested`` (or ``recommended``) clamped to ``[minimum, 5 GB]``,
    grown so that ``size`` bytes fit in 10,000 parts."""
    part = recommended if requested is None else requested
    part = max(part, minimum, 1)
    part = min(part, MAX_PART_SIZE)
    if size is not None:
        part = max(part, -(-size // MAX_PARTS))
    return part


def choose_threshold(requested: int | None, *, recommended: int, minimum: int) -> int:
    """Smallest size sent as a large file: ``requested`` (default ``2 x recommended``), at least
    ``2 x minimum`` (a large file needs two parts), at most just above the 5 GB single limit."""
    threshold = 2 * recommended if requested is None else requested
    threshold = max(threshold, 2 * minimum)
    return min(threshold, MAX_SINGLE_UPLOAD_SIZE + 1)


def plan_parts(size: int, part_size: int) -> list[PartPlan]:
    """Split ``size`` bytes into parts of ``part_size`` (the last one shorter).

    Always at least two parts (B2's large files need two): when ``part_size`` would give one,
    the size is split in halves.
    """
    if size < 2:
        raise B2ValidationError(f"a large file needs at least 2 bytes, got {size}")
    if part_size >= size:
        part_size = -(-size // 2)
    count = -(-size // part_size)
    if count > MAX_PARTS:
        raise B2ValidationError(
            f"{size} bytes in parts of {part_size} would need {count} parts (B2 allows "
            f"{MAX_PARTS}); use part_size >= {-(-size // MAX_PARTS)}"
        )
    return [
        PartPlan(index + 1, index * part_size, min(part_size, size - index * part_size))
        for index in range(count)
    ]
