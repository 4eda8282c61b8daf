"""Management commands never print or log the storage's application key."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError

from tests.secrets_check import assert_hidden, error_text, log_text

from .helpers import BUCKET, call

WRONG_KEY = "K00wrong-command-secret-must-not-leak"


def test_commands_output_and_logs_hide_the_key(
    b2: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    source = tmp_path / "hello.txt"
    source.write_bytes(b"h" * 5000)  # above the commands' large-file threshold: parts too
    runs = [
        call("b2_buckets", "create", BUCKET, "--json"),
        call("b2_buckets", "list", "-v", "3"),
        call("b2_buckets", "get", BUCKET, "--json"),
        call("b2_files", "upload", str(source), "docs/hello.txt"),
        call("b2_files", "ls", "--json"),
        call("b2_files", "info", "docs/hello.txt"),
        call("b2_files", "url", "docs/hello.txt"),
        call("b2_keys", "list", "--json"),
        call("b2_large_files", "list"),
        call("b2_files", "rm", "docs/hello.txt"),
    ]
    shown = "\n".join(r.stdout + r.stderr for r in runs)
    assert "docs/hello.txt" in shown  # the commands did run and print
    assert_hidden(
        b2.application_key,
        shown,
        log_text(caplog.records),
        key_id=b2.application_key_id,
    )


def test_refused_key_error_hides_it(
    b2: Any, use_key: Callable[[str, str], None], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    use_key(b2.application_key_id, WRONG_KEY)
    with pytest.raises(CommandError) as info:
        call("b2_buckets", "list")
    assert "application_key" in str(info.value)  # says where to fix it
    shown = error_text(info.value) + log_text(caplog.records)
    assert_hidden(WRONG_KEY, shown, key_id=b2.application_key_id)
    assert_hidden(b2.application_key, shown)
