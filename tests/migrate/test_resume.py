"""A migration killed with SIGKILL in the middle, then run again, ends with every file once."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from .conftest import Env, make_tree

REPO = Path(__file__).resolve().parents[2]
WORKERS = 2


def _confirmed(journal: Path) -> int:
    if not journal.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=5) as db:
            row = db.execute("SELECT COUNT(*) FROM files WHERE state = 'copied'").fetchone()
            return int(row[0])
    except sqlite3.OperationalError:
        return 0  # the table is not created yet


@pytest.mark.timeout(120)
def test_killed_run_resumes_without_resending_confirmed_files(env: Env, tmp_path: Path) -> None:
    files = make_tree(env.disk, 200)
    journal = tmp_path / "journal.sqlite3"
    env.server.set_faults(latency_seconds=0.03)  # slow enough to be killed in the middle
    child_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.migrate.cli_settings",
        "MIGRATE_TEST_URL": env.server.url,
        "MIGRATE_TEST_KEY_ID": env.server.application_key_id,
        "MIGRATE_TEST_KEY": env.server.application_key,
    }
    command = [
        sys.executable, "-m", "django", "b2_migrate", "--from-dir", str(env.disk),
        "--journal", str(journal), "--workers", str(WORKERS), "--json",
    ]  # fmt: skip
    with subprocess.Popen(
        command, cwd=REPO, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as child:
        deadline = time.monotonic() + 90
        while _confirmed(journal) < 60:
            assert child.poll() is None, child.stderr.read() if child.stderr else ""
            assert time.monotonic() < deadline, "the migration made no progress"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    confirmed = _confirmed(journal)
    assert 60 <= confirmed < len(files)
    sent_before = env.counts()["b2_upload_file"]

    env.server.set_faults(latency_seconds=0.0)
    env.server.reset_counters()
    out = io.StringIO()
    call_command(
        "b2_migrate", "--from-dir", str(env.disk), "--journal", str(journal), "--json",
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    summary = json.loads(out.getvalue())
    assert summary["failed"] == 0
    assert summary["copied"] + summary["skipped"] == len(files)
    sent_after = env.counts().get("b2_upload_file", 0)
    # Confirmed files are not sent again; at most the files in flight at the kill are sent twice.
    assert sent_after <= len(files) - confirmed
    assert sent_before + sent_after <= len(files) + WORKERS
    versions = env.site_files()
    assert {name: len(found) for name, found in versions.items()} == {
        f"media/{name}": 1 for name in files
    }
    for name, data in files.items():
        assert env.download(f"media/{name}") == data
