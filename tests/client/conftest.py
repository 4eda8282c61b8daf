"""Fixtures for the client tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .echo_server import EchoServer, running


class SleepRecorder:
    """An injectable ``sleep`` that records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    yield from running()
