"""Small helpers shared by several test suites: deterministic data and emulator request counts."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from django_b2.client import B2Client
from django_b2.emulator import EmulatorServer


def pattern(size: int, seed: object = 1) -> bytes:
    """``size`` bytes of a repeating SHA-256 block: the same for the same seed, unlike zeros."""
    block = hashlib.sha256(str(seed).encode()).digest()
    return (block * (size // len(block) + 1))[:size]


def endpoint_calls(srv: EmulatorServer, endpoint: str) -> int:
    """How many requests the emulator has answered for ``endpoint`` (``b2_upload_file``, ...)."""
    return int(srv.counters()["by_endpoint"].get(endpoint, 0))


def fetch(client: B2Client, bucket: Mapping[str, Any], name: str) -> bytes:
    """The bytes stored under ``name`` in ``bucket``, read back by name."""
    with client.download_file_by_name(str(bucket["bucketName"]), name) as f:
        return f.read()
