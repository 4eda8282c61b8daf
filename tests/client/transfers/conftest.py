"""Fixtures for the transfer tests: default retries and timeouts, no waits between tries."""

from __future__ import annotations

import pytest

from django_b2.client import B2Client, Bucket


@pytest.fixture
def client(transfer_client: B2Client) -> B2Client:
    return transfer_client


@pytest.fixture
def bucket(client: B2Client) -> Bucket:
    return client.create_bucket("transfers", "allPrivate")
