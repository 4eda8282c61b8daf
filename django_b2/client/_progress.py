"""Progress reporting for uploads and downloads.

A progress callback is any callable ``callback(bytes_done: int, total: int | None)``. ``total`` is
``None`` while the size is not known (an iterable source of unknown length). The transfer engine
calls it from worker threads, but always under one lock per transfer, so calls never overlap and
``bytes_done`` never goes down, even when a part is retried.

Adapters:

- :class:`ProgressTracker` is what the engine uses internally: thread-safe, monotonic byte counts.
- :func:`throttle` limits how often a callback runs (the final call always goes through).
- :func:`combine` fans one report out to several callbacks.
- :class:`TqdmProgress` draws a ``tqdm`` bar when tqdm is installed (``pip install
  django-b2-native[progress]``); :func:`default_progress` returns one, or a logging reporter
  without tqdm.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from ._closing import Closing

__all__ = [
    "LoggingProgress",
    "PieceProgress",
    "ProgressCallback",
    "ProgressTracker",
    "TqdmProgress",
    "combine",
    "default_progress",
    "throttle",
    "tqdm_available",
]

ProgressCallback = Callable[[int, "int | None"], None]

logger = logging.getLogger("django_b2.client.progress")


class ProgressTracker:
    """Thread-safe, monotonic byte counter for one transfer that reports to a callback.

    Bytes are added through :meth:`add` or through per-attempt counters from :meth:`attempt`,
    which only count bytes beyond the best previous attempt of the same piece (so a retried part
    does not move the total backwards or count twice).
    """

    def __init__(self, callback: ProgressCallback | None, total: int | None = None) -> None:
        self._callback = callback
        self._total = total
        self._done = 0
        self._lock = threading.Lock()

    @property
    def done(self) -> int:
        return self._done

    @property
    def total(self) -> int | None:
        return self._total

    def set_total(self, total: int | None, *, report: bool = False) -> None:
        with self._lock:
            self._total = total
            if report:
                self._report()

    def add(self, nbytes: int) -> None:
        """Count ``nbytes`` more bytes as done and report."""
        if nbytes <= 0:
            return
        with self._lock:
            self._done += nbytes
            self._report()

    def attempt(self, size: int) -> PieceProgress:
        """A counter for one piece of ``size`` bytes that may be sent several times."""
        return PieceProgress(self, size)

    def start(self) -> None:
        """Report the starting point (``bytes_done`` as counted so far)."""
        with self._lock:
            self._report()

    def _report(self) -> None:
        if self._callback is not None:
            self._callback(self._done, self._total)


class PieceProgress:
    """Counts one piece (a part or a small file): only the high-water mark across attempts."""

    def __init__(self, tracker: ProgressTracker, size: int) -> None:
        self._tracker = tracker
        self._size = size
        self._high = 0
        self._lock = threading.Lock()

    def update(self, sent: int) -> None:
        """``sent`` bytes of the piece are through in the current attempt."""
        with self._lock:
            sent = min(sent, self._size)
            extra = sent - self._high
            if extra <= 0:
                return
            self._high = sent
        self._tracker.add(extra)

    def __call__(self, sent: int, total: int | None = None) -> None:
        self.update(sent)

    def complete(self) -> None:
        self.update(self._size)


def throttle(
    callback: ProgressCallback,
    min_interval: float = 0.2,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> ProgressCallback:
    """Wrap ``callback`` so it runs at most once per ``min_interval`` seconds.

    The call that reaches ``total`` always runs, so the final state is never lost.
    """
    lock = threading.Lock()
    last = [float("-inf")]

    def throttled(done: int, total: int | None) -> None:
        now = clock()
        with lock:
            final = total is not None and done >= total
            if not final and now - last[0] < min_interval:
                return
            last[0] = now
        callback(done, total)

    return throttled


def combine(*callbacks: ProgressCallback | None) -> ProgressCallback:
    """One callback that calls each of ``callbacks`` (``None`` entries are skipped)."""
    targets = [cb for cb in callbacks if cb is not None]

    def combined(done: int, total: int | None) -> None:
        for cb in targets:
            cb(done, total)

    return combined


def tqdm_available() -> bool:
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


class TqdmProgress(Closing):
    """A progress callback that draws a tqdm bar (``pip install django-b2-native[progress]``).

    Use it as a context manager, or call :meth:`close` when the transfer is over::

        with TqdmProgress("photo.jpg") as bar:
            client.upload(bucket_id, "photo.jpg", "photo.jpg", progress=bar)
    """

    def __init__(self, description: str | None = None, **tqdm_kwargs: Any) -> None:
        try:
            from tqdm.auto import tqdm
        except ImportError as exc:  # pragma: no cover - tqdm is installed in the test env
            raise ImportError(
                "TqdmProgress needs tqdm; install it with `pip install django-b2-native[progress]` "
                "or pass a plain callable as progress="
            ) from exc
        options: dict[str, Any] = {
            "desc": description,
            "unit": "B",
            "unit_scale": True,
            "unit_divisor": 1024,
            "total": None,
        }
        options.update(tqdm_kwargs)
        self._bar = tqdm(**options)
        self._lock = threading.Lock()
        self._last = 0

    def __call__(self, done: int, total: int | None) -> None:
        with self._lock:
            if total is not None and self._bar.total != total:
                self._bar.total = total
                self._bar.refresh()
            if done > self._last:
                self._bar.update(done - self._last)
                self._last = done

    def close(self) -> None:
        self._bar.close()


class LoggingProgress(Closing):
    """A progress callback that logs at INFO level.

    With a known total it logs every ``step`` fraction (default 10 %); with an unknown total,
    every ``every_bytes`` bytes (default 16 MiB).
    """

    def __init__(
        self,
        description: str,
        *,
        step: float = 0.1,
        every_bytes: int = 16 * 1024 * 1024,
        log: logging.Logger | None = None,
    ) -> None:
        if not 0 < step <= 1:
            raise ValueError("step must be in (0, 1], e.g. step=0.1 for every 10 %")
        if every_bytes < 1:
            raise ValueError("every_bytes must be a positive number of bytes")
        self._description = description
        self._step = step
        self._every = every_bytes
        self._log = log or logger
        self._next_fraction = 0.0
        self._next_bytes = 0
        self._lock = threading.Lock()

    def __call__(self, done: int, total: int | None) -> None:
        with self._lock:
            if total:
                fraction = done / total
                if fraction < self._next_fraction and done < total:
                    return
                self._next_fraction = (int(fraction / self._step) + 1) * self._step
                self._log.info(
                    "%s: %d of %d bytes (%.0f%%)", self._description, done, total, 100 * fraction
                )
            elif done >= self._next_bytes:
                self._next_bytes = (done // self._every + 1) * self._every
                self._log.info("%s: %d bytes", self._description, done)

    def close(self) -> None:
        """Nothing to release; present so it can stand in for :class:`TqdmProgress`."""


def default_progress(description: str, **tqdm_kwargs: Any) -> TqdmProgress | LoggingProgress:
    """A tqdm bar when tqdm is importable, else a :class:`LoggingProgress`."""
    if tqdm_available():
        return TqdmProgress(description, **tqdm_kwargs)
    return LoggingProgress(description)
