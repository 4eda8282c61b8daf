"""Progress bars for transfers and bulk operations.

tqdm is optional (``pip install django-b2-native[progress]``): without it, or when stdout is not a
terminal, or with ``--no-progress``, :func:`progress_bar` yields ``None`` and nothing is drawn.
Bars are drawn on stderr so that stdout stays clean for ``--json``.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from django_b2.client import ProgressCallback

__all__ = ["ProgressCallback", "progress_bar"]


class _Writable(Protocol):
    def write(self, msg: str = "", style_func: Any = None, ending: str | None = None) -> None: ...

    def flush(self) -> None: ...


class _RawStream:
    """Lets tqdm write ``\\r`` updates through Django's OutputWrapper without added newlines."""

    def __init__(self, wrapper: _Writable) -> None:
        self._wrapper = wrapper

    def write(self, text: str) -> int:
        self._wrapper.write(text, ending="")
        return len(text)

    def flush(self) -> None:
        self._wrapper.flush()


def _load_tqdm() -> Any | None:
    try:
        return importlib.import_module("tqdm").tqdm
    except ImportError:
        return None


@contextmanager
def progress_bar(
    *,
    enabled: bool,
    stream: _Writable,
    description: str,
    total: int | None,
    unit: str = "B",
) -> Iterator[ProgressCallback | None]:
    """Yield a thread-safe ``callback(done, total)`` that drives a tqdm bar, or ``None``.

    ``enabled`` is the caller's decision (terminal and no ``--no-progress``); the bar is also off
    when tqdm cannot be imported. ``unit="B"`` scales to KiB/MiB.
    """
    tqdm_class = _load_tqdm() if enabled else None
    if tqdm_class is None:
        yield None
        return
    is_bytes = unit == "B"
    bar = tqdm_class(
        total=total,
        desc=description,
        unit=unit,
        unit_scale=is_bytes,
        unit_divisor=1024 if is_bytes else 1000,
        file=_RawStream(stream),
        dynamic_ncols=True,
        leave=True,
    )
    lock = threading.Lock()

    def update(done: int, new_total: int | None) -> None:
        with lock:
            if new_total is not None and bar.total != new_total:
                bar.total = new_total
            step = done - bar.n
            if step > 0:
                bar.update(step)

    try:
        yield update
    finally:
        bar.close()
