"""``UploadPool``: background B2 operations for the static storages, in order per name.

Operations run on ``max_workers`` threads; at most ``2 * max_workers`` wait at any time (the
queue is bounded, so memory is too). Operations on one name run one after another in the order
they were submitted. A failure is kept and raised by the next :meth:`UploadPool.submit`,
:meth:`UploadPool.wait` or :meth:`UploadPool.flush`, with a note naming the file.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

__all__ = ["UploadPool"]

_THREAD_NAME_PREFIX: Final = "django_b2-static"


@dataclass(frozen=True, eq=False)
class _Queued:
    """The last operation submitted for a name."""

    future: Future[None]
    #: An upload onto a name that held nothing: dropping it before it starts needs no request.
    new_name: bool
    on_cancel: Callable[[], None] | None


class UploadPool:
    """A bounded pool of B2 operations, serialized per name. See the module docstring."""

    def __init__(self, max_workers: int) -> None:
        self._max_workers = max_workers
        self._executor: ThreadPoolExecutor | None = None
        self._slots = threading.BoundedSemaphore(2 * max_workers)
        self._queued: dict[str, _Queued] = {}
        self._failures: list[tuple[str, BaseException]] = []
        self._lock = threading.Lock()

    def submit(
        self,
        name: str,
        operation: Callable[[], None],
        *,
        new_name: bool = False,
        on_failure: Callable[[], None] | None = None,
        on_cancel: Callable[[], None] | None = None,
    ) -> None:
        """Run ``operation`` after every operation already submitted for ``name``.

        Blocks while ``2 * max_workers`` operations wait. The executor runs tasks in submission
        order, so a task waiting for an earlier one of its name only ever waits for a task that
        is already running: no deadlock.
        """
        self.raise_failures()
        self._slots.acquire()
        try:
            with self._lock:
                previous = self._queued.get(name)
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(
                        max_workers=self._max_workers, thread_name_prefix=_THREAD_NAME_PREFIX
                    )
                executor = self._executor

            def task() -> None:
                try:
                    if previous is not None:
                        # Its failure, if any, is already recorded.
                        with contextlib.suppress(BaseException):
                            previous.future.result()
                    operation()
                except BaseException as exc:
                    with self._lock:
                        self._failures.append((name, exc))
                    if on_failure is not None:
                        on_failure()
                    raise
                finally:
                    self._slots.release()

            future = executor.submit(task)
        except BaseException:
            self._slots.release()
            raise
        queued = _Queued(future, new_name, on_cancel)
        with self._lock:
            self._queued[name] = queued

        def forget(_: Future[None]) -> None:
            with self._lock:
                if self._queued.get(name) is queued:
                    del self._queued[name]

        future.add_done_callback(forget)

    def cancel_new_upload(self, name: str) -> bool:
        """Drop the last operation of ``name`` if it is an upload onto a free name that has not
        started; then nothing of it ever reached B2."""
        with self._lock:
            queued = self._queued.get(name)
        if queued is None or not queued.new_name or not queued.future.cancel():
            return False
        self._slots.release()  # the task that would have released it never runs
        if queued.on_cancel is not None:
            queued.on_cancel()
        with self._lock:
            if self._queued.get(name) is queued:
                del self._queued[name]
        return True

    def wait(self, name: str) -> None:
        """Wait for the operations of ``name``; raise any failure recorded so far."""
        with self._lock:
            queued = self._queued.get(name)
        if queued is not None:
            with contextlib.suppress(BaseException):
                queued.future.result()
        self.raise_failures()

    def flush(self) -> None:
        """Wait for every operation; raise the first failure (noting the others)."""
        while True:
            with self._lock:
                futures = [queued.future for queued in self._queued.values()]
            if not futures:
                break
            for future in futures:
                with contextlib.suppress(BaseException):
                    future.result()
            with self._lock:  # done callbacks may still be on their way
                for name in [n for n, q in self._queued.items() if q.future.done()]:
                    del self._queued[name]
        self.raise_failures()

    def raise_failures(self) -> None:
        with self._lock:
            failures, self._failures = self._failures, []
        if failures:
            name, exc = failures[0]
            if len(failures) > 1:
                others = ", ".join(repr(n) for n, _ in failures[1:])
                _add_note(exc, f"Operations on {others} failed too.")
            _add_note(exc, f"Background B2 operation on {name!r} failed.")
            raise exc

    def close(self) -> None:
        """Flush, then stop the threads."""
        try:
            self.flush()
        finally:
            with self._lock:
                executor, self._executor = self._executor, None
            if executor is not None:
                executor.shutdown(wait=True)


def _add_note(exc: BaseException, note: str) -> None:
    """``exc.add_note(note)``; on Python 3.10 the same ``__notes__`` list (PEP 678), unprinted."""
    if sys.version_info >= (3, 11):
        exc.add_note(note)
    else:
        exc.__notes__ = [*getattr(exc, "__notes__", []), note]  # type: ignore[attr-defined,unused-ignore]
