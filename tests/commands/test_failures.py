"""Failures the emulator produces on request, and what the commands then say."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError
from django.test import override_settings

from django_b2.client import B2Client

from .helpers import call, storages_for

pytestmark = pytest.mark.usefixtures("b2")


def _no_wait(url: str, key_id: str, key: str, **options: Any) -> dict[str, Any]:
    storages = storages_for(url, key_id, key)
    storages["default"]["BACKEND"] = "tests.commands.helpers.NoWaitB2Storage"
    storages["default"]["OPTIONS"].update(options)
    return storages


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port that refuses connections: bound (so nothing else can take it) but not listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def test_unreachable_api_url_names_it(b2: Any, closed_port: int) -> None:
    url = f"http://127.0.0.1:{closed_port}"
    with (
        override_settings(STORAGES=_no_wait(url, "id", "key")),
        pytest.raises(CommandError) as info,
    ):
        call("b2_buckets", "list")
    message = str(info.value)
    assert message.startswith(f"Could not reach B2 at {url} to list buckets:")
    assert "api_url (B2_API_URL)" in message


def test_rate_limited_account(b2: Any) -> None:
    b2.set_faults(api_429_rate=1.0)
    with (
        override_settings(STORAGES=_no_wait(b2.url, b2.application_key_id, b2.application_key)),
        pytest.raises(CommandError, match="B2 is rate limiting this account"),
    ):
        call("b2_buckets", "list")


def test_storage_cap_exceeded_on_upload(
    b2: Any, bucket: dict[str, Any], tmp_path: Path, client: B2Client
) -> None:
    source = tmp_path / "a.txt"
    source.write_bytes(b"data")
    storages = _no_wait(
        b2.url, b2.application_key_id, b2.application_key, test_mode="force_cap_exceeded"
    )
    with override_settings(STORAGES=storages), pytest.raises(CommandError) as info:
        call("b2_files", "upload", str(source), "a.txt")
    assert "a B2 account cap is reached (storage_cap_exceeded)" in str(info.value)
    assert "Caps & Alerts" in str(info.value)
    assert list(client.iter_file_names(bucket["bucketId"])) == []


def test_misconfigured_storage_is_a_command_error(b2: Any) -> None:
    storages = storages_for(b2.url, b2.application_key_id, b2.application_key)
    storages["default"]["OPTIONS"]["bucket_nam"] = "typo"
    with (
        override_settings(STORAGES=storages),
        pytest.raises(CommandError, match="Storage 'default' is not configured correctly"),
    ):
        call("b2_files", "ls")


def test_create_key_with_a_lost_answer_says_the_key_may_exist(b2: Any) -> None:
    b2.set_faults(late_answer_rate=1.0, late_answer_endpoints=["b2_create_key"])
    with pytest.raises(CommandError) as info:
        call("b2_keys", "create", "lost-key", "--capabilities", "listBuckets")
    b2.set_faults()
    message = str(info.value)
    assert message.startswith("Got no answer from B2")
    assert "may have created key 'lost-key'" in message and "b2_keys list" in message
    listed = call("b2_keys", "list").stdout
    assert listed.count("lost-key") == 1  # made once by B2, never resent
