"""The commands run the way a shell runs them: ``python -m django`` in a child process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]


def _env(b2: Any, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.commands.cli_settings",
        "CMD_TEST_URL": b2.url,
        "CMD_TEST_KEY_ID": b2.application_key_id,
        "CMD_TEST_KEY": b2.application_key,
    }
    env.update(extra)
    return env


def _django(b2: Any, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        cwd=REPO,
        env=_env(b2),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_missing_bucket_exits_non_zero_with_message_on_stderr(b2_emulator: Any) -> None:
    # Django's own options work after the subcommand too (here instead of the environment)
    env = _env(b2_emulator)
    del env["DJANGO_SETTINGS_MODULE"]
    proc = subprocess.run(
        [sys.executable, "-m", "django", "b2_files", "ls", "--json",
         "--settings", "tests.commands.cli_settings", "--no-color"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.strip() == (
        "CommandError: No bucket named cli-bucket; create it with manage.py b2_buckets create "
        "cli-bucket"
    )


def test_success_then_json_on_stdout(b2_emulator: Any) -> None:
    created = _django(b2_emulator, "b2_buckets", "create", "cli-bucket", "--json")
    assert created.returncode == 0, created.stderr
    bucket = json.loads(created.stdout)
    listed = _django(b2_emulator, "b2_buckets", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [b["bucketId"] for b in json.loads(listed.stdout)] == [bucket["bucketId"]]


def test_bad_arguments_exit_with_usage(b2_emulator: Any) -> None:
    proc = _django(b2_emulator, "b2_keys", "create", "k", "--capabilities", "readFile")
    assert proc.returncode == 2
    assert "usage: " in proc.stderr
    assert "unknown capability 'readFile'; did you mean 'readFiles'?" in proc.stderr


def test_declined_prompt_exits_non_zero(b2_emulator: Any) -> None:
    assert _django(b2_emulator, "b2_buckets", "create", "cli-bucket").returncode == 0
    proc = subprocess.run(
        [sys.executable, "-m", "django", "b2_buckets", "delete", "cli-bucket", "--force"],
        cwd=REPO,
        env=_env(b2_emulator),
        input="n\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert "Delete bucket cli-bucket?" in proc.stdout  # input() writes the prompt to stdout
    assert "CommandError: Aborted; nothing was changed." in proc.stderr


@pytest.mark.timeout(60)
def test_b2_emulator_command_serves_until_terminated(tmp_path: Path) -> None:
    command = [
        sys.executable, "-m", "django", "b2_emulator",
        "--port", "0", "--key-id", "cli-key-id", "--key", "cli-secret-key",
        "--data-dir", str(tmp_path),
    ]  # fmt: skip
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.commands.cli_settings"}
    with subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            info = json.loads(proc.stdout.readline())
            assert info["application_key_id"] == "cli-key-id"
            assert info["application_key"] == "cli-secret-key"
            auth = requests.get(
                f"{info['url']}/b2api/v3/b2_authorize_account",
                auth=("cli-key-id", "cli-secret-key"),
                timeout=10,
            )
            assert auth.status_code == 200
            assert auth.json()["apiInfo"]["storageApi"]["apiUrl"] == info["url"]
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
    assert proc.returncode == 0


def test_b2_emulator_bad_flags_are_a_command_error() -> None:
    from django.core.management import CommandError

    from .helpers import call

    with pytest.raises(CommandError, match="The emulator did not start") as info:
        call("b2_emulator", "--key-id", "only-the-id")
    assert info.value.returncode == 2


def test_b2_emulator_help_lists_the_emulator_flags() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "django", "help", "b2_emulator"],
        cwd=REPO,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.commands.cli_settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "--min-part-size" in proc.stdout
    assert "--upload-503-rate" in proc.stdout
