"""Fixtures for the client tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from django_b2.client import B2Client, Bucket, RetryPolicy
from django_b2.emulator import EmulatorServer

from .echo_server import EchoServer, running


class SleepRecorder:
    """An injectable ``sleep`` that records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def no_sleep(_seconds: float) -> None:
    """A ``RetryPolicy(sleep=...)`` that does not wait: retries run at once."""


@pytest.fixture
def transfer_client(b2_emulator: EmulatorServer) -> Iterator[B2Client]:
    """A client with the default retry policy and timeouts, minus the waits between tries."""
    with B2Client(
        b2_emulator.application_key_id,
        b2_emulator.application_key,
        api_url=b2_emulator.url,
        retry=RetryPolicy(sleep=no_sleep),
    ) as c:
        yield c


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    yield from running()


@pytest.fixture
def client(b2_emulator: EmulatorServer, sleeps: SleepRecorder) -> Iterator[B2Client]:
    """A client for the (freshly reset) emulator whose retries never really sleep."""
    with make_client(b2_emulator, sleeps) as c:
        yield c


def make_client(srv: EmulatorServer, sleeps: SleepRecorder, **kwargs: Any) -> B2Client:
    return B2Client(
        srv.application_key_id,
        srv.application_key,
        api_url=srv.url,
        retry=RetryPolicy(sleep=sleeps, jitter=0),
        timeout=(5.0, 30.0),  # a hung emulator fails the test instead of stalling the suite
        **kwargs,
    )


@pytest.fixture
def bucket(client: B2Client) -> Bucket:
    return client.create_bucket("client-tests", "allPrivate")
