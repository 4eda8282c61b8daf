"""pytest fixtures: ``b2_emulator_server`` (one per session) and ``b2_emulator`` (reset per test).

Registered through the ``pytest11`` entry point, so any test of a project that installs
django_b2 may use them::

    def test_upload(b2_emulator):
        client = B2Client(b2_emulator.application_key_id, b2_emulator.application_key,
                          api_url=b2_emulator.url)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from django_b2.emulator import EmulatorServer


@pytest.fixture(scope="session")
def b2_emulator_server() -> Iterator[EmulatorServer]:
    """One emulator for the whole test session (minimum part size 1000 bytes)."""
    with EmulatorServer(absolute_minimum_part_size=1000) as server:
        yield server


@pytest.fixture
def b2_emulator(b2_emulator_server: EmulatorServer) -> EmulatorServer:
    """The session emulator, emptied (buckets, files, keys, faults, counters) for this test."""
    b2_emulator_server.reset()
    return b2_emulator_server
