"""The ``b2`` command-line tool (PyPI ``b2``, built on b2sdk) against the emulator, as a subprocess.

The CLI takes a custom realm URL from ``B2_ENVIRONMENT`` and the key from
``B2_APPLICATION_KEY_ID``/``B2_APPLICATION_KEY``; HOME and XDG_CONFIG_HOME point at a temp dir so
its account database lives there.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from django_b2.emulator import EmulatorServer

# each ``b2`` run starts a Python process (1-3 s on a loaded 2-core machine); the end-to-end test
# makes about 25 of them
pytestmark = pytest.mark.timeout(240)


def _b2_executable() -> str:
    found = Path(sys.executable).with_name("b2")
    if found.exists():
        return str(found)
    on_path = shutil.which("b2")
    if on_path is None:
        pytest.skip("the b2 command-line tool is not installed (pip install b2)")
    return on_path


@dataclass
class Cli:
    executable: str
    env: dict[str, str]
    server: EmulatorServer

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [self.executable, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if ok:
            assert done.returncode == 0, f"b2 {' '.join(args)}: {done.stderr}"
        return done

    def json(self, *args: str) -> Any:
        """The JSON document the command prints (``file upload`` prints URL lines first)."""
        out = self.run(*args).stdout
        starts = [i for i in (out.find("{"), out.find("[")) if i >= 0]
        assert starts, out
        return json.loads(out[min(starts) :])


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    executable = _b2_executable()
    home = tmp_path_factory.mktemp("b2home")
    with EmulatorServer(absolute_minimum_part_size=1000, recommended_part_size=4000) as server:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "B2_ENVIRONMENT": server.url,
            "B2_APPLICATION_KEY_ID": server.application_key_id,
            "B2_APPLICATION_KEY": server.application_key,
            "B2_USER_AGENT_APPEND": "django-b2-conformance",
            "PYTHONWARNINGS": "ignore",
            "NO_COLOR": "1",
        }
        yield Cli(executable, env, server)


def test_cli_end_to_end(cli: Cli, tmp_path: Path) -> None:
    account = cli.json("account", "authorize")
    assert account["apiUrl"] == cli.server.url
    assert account["accountId"] == cli.server.account_id
    assert account["isMasterKey"] is True
    assert account["accountFilePath"].startswith(cli.env["XDG_CONFIG_HOME"])

    bucket_id = cli.run("bucket", "create", "cli-bucket", "allPrivate").stdout.strip()
    listed = cli.run("bucket", "list").stdout.split()
    assert listed == [bucket_id, "allPrivate", "cli-bucket"]
    got = cli.json("bucket", "get", "cli-bucket")
    assert (got["bucketId"], got["revision"]) == (bucket_id, 1)
    updated = cli.json(
        "bucket", "update", "cli-bucket", "allPublic", "--bucket-info", '{"team": "cli"}'
    )
    assert (updated["bucketType"], updated["bucketInfo"], updated["revision"]) == (
        "allPublic",
        {"team": "cli"},
        2,
    )

    small = tmp_path / "hello.txt"
    small.write_bytes(b"hello from the cli\n")
    uploaded = cli.json(
        "file", "upload", "--no-progress", "--info", "color=blue", "cli-bucket", str(small),
        "docs/hello.txt",
    )  # fmt: skip
    assert uploaded["contentSha1"] == hashlib.sha1(small.read_bytes()).hexdigest()
    assert uploaded["fileInfo"]["color"] == "blue"
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(13_000))  # above the recommended part size: a large file in parts
    cli.server.reset_counters()
    large = cli.json("file", "upload", "--no-progress", "cli-bucket", str(big), "docs/big.bin")
    assert cli.server.counters()["by_endpoint"]["b2_upload_part"] >= 3
    assert large["size"] == 13_000

    assert cli.run("ls", "b2://cli-bucket").stdout.split() == ["docs/"]
    assert cli.run("ls", "-r", "b2://cli-bucket").stdout.split() == [
        "docs/big.bin",
        "docs/hello.txt",
    ]
    listed_json = cli.json("ls", "--json", "-r", "b2://cli-bucket/docs/")
    assert [f["fileName"] for f in listed_json] == ["docs/big.bin", "docs/hello.txt"]

    out = tmp_path / "out.bin"
    downloaded = cli.run(
        "file", "download", "--no-progress", "b2://cli-bucket/docs/big.bin", str(out)
    )
    assert out.read_bytes() == big.read_bytes()
    assert "Checksum matches" in downloaded.stdout or "Download finished" in downloaded.stdout
    by_id = tmp_path / "by-id.txt"
    cli.run("file", "download", "--no-progress", f"b2id://{uploaded['fileId']}", str(by_id))
    assert by_id.read_bytes() == small.read_bytes()
    info = cli.json("file", "info", "b2://cli-bucket/docs/hello.txt")
    assert info["fileId"] == uploaded["fileId"]

    url = cli.run("file", "url", "b2://cli-bucket/docs/hello.txt").stdout.strip()
    assert url == f"{cli.server.url}/file/cli-bucket/docs/hello.txt"
    assert requests.get(url, timeout=10).content == small.read_bytes()  # public bucket now
    cli.run("bucket", "update", "cli-bucket", "allPrivate")
    assert requests.get(url, timeout=10).status_code == 401
    token = cli.run(
        "bucket", "get-download-auth", "--prefix", "docs/", "--duration", "60", "cli-bucket"
    ).stdout.strip()
    signed = requests.get(url, params={"Authorization": token}, timeout=10)
    assert signed.content == small.read_bytes()

    cli.run("file", "hide", "b2://cli-bucket/docs/hello.txt")
    assert cli.run("ls", "-r", "b2://cli-bucket").stdout.split() == ["docs/big.bin"]
    versions = cli.json("ls", "--json", "-r", "--versions", "b2://cli-bucket")
    assert [(f["fileName"], f["action"]) for f in versions] == [
        ("docs/big.bin", "upload"),
        ("docs/hello.txt", "hide"),
        ("docs/hello.txt", "upload"),
    ]
    cli.run("file", "unhide", "b2://cli-bucket/docs/hello.txt")
    assert "docs/hello.txt" in cli.run("ls", "-r", "b2://cli-bucket").stdout.split()

    cli.run("rm", "--versions", "-r", "b2://cli-bucket/docs/")
    assert cli.run("ls", "-r", "--versions", "b2://cli-bucket").stdout.strip() == ""
    cli.run("bucket", "delete", "cli-bucket")
    assert cli.run("bucket", "list").stdout.strip() == ""


def test_cli_keys(cli: Cli) -> None:
    cli.run("account", "authorize")
    cli.run("bucket", "create", "key-bucket", "allPrivate")
    created = cli.run(
        "key", "create", "--bucket", "key-bucket", "--name-prefix", "in/", "cli-key",
        "listBuckets,listFiles,readFiles,writeFiles",
    ).stdout.split()  # fmt: skip
    key_id, secret = created
    listing = cli.run("key", "list", "--long").stdout
    assert key_id in listing
    assert "cli-key" in listing
    assert "key-bucket" in listing

    # the new key authorizes through the CLI and is bound to its bucket and prefix
    restricted_env = {**cli.env, "B2_APPLICATION_KEY_ID": key_id, "B2_APPLICATION_KEY": secret}
    restricted = Cli(cli.executable, restricted_env, cli.server)
    restricted_env["XDG_CONFIG_HOME"] = restricted_env["XDG_CONFIG_HOME"] + "-restricted"
    account = restricted.json("account", "authorize")
    assert account["allowed"]["namePrefix"] == "in/"
    assert [b["name"] for b in account["allowed"]["buckets"]] == ["key-bucket"]
    denied = restricted.run("ls", "-r", "b2://key-bucket/out/", ok=False)
    assert denied.returncode != 0

    cli.run("key", "delete", key_id)
    assert key_id not in cli.run("key", "list").stdout
    cli.run("bucket", "delete", "key-bucket")


def test_cli_sync(cli: Cli, tmp_path: Path) -> None:
    cli.run("account", "authorize")
    cli.run("bucket", "create", "sync-bucket", "allPrivate")
    src = tmp_path / "src"
    (src / "nested").mkdir(parents=True)
    (src / "one.txt").write_bytes(b"one")
    (src / "nested" / "two.bin").write_bytes(os.urandom(9000))
    cli.run("sync", "--no-progress", str(src), "b2://sync-bucket/backup/")
    assert cli.run("ls", "-r", "b2://sync-bucket").stdout.split() == [
        "backup/nested/two.bin",
        "backup/one.txt",
    ]
    back = tmp_path / "back"
    cli.run("sync", "--no-progress", "b2://sync-bucket/backup/", str(back))
    assert (back / "one.txt").read_bytes() == b"one"
    assert (back / "nested" / "two.bin").read_bytes() == (src / "nested" / "two.bin").read_bytes()
    # a second run has nothing to do
    again = cli.run("sync", "--no-progress", str(src), "b2://sync-bucket/backup/")
    assert "upload" not in again.stdout
    cli.run("rm", "--versions", "-r", "b2://sync-bucket/")
    cli.run("bucket", "delete", "sync-bucket")


def test_cli_notification_rules(cli: Cli) -> None:
    """``b2 bucket notification-rule`` used to fail: the emulator answered 404 (not present)."""
    cli.run("account", "authorize")
    cli.run("bucket", "create", "hook-bucket", "allPrivate")
    created = cli.json(
        "bucket", "notification-rule", "create", "--json", "--event-type", "b2:ObjectCreated:*",
        "--webhook-url", "https://example.com/hook", "b2://hook-bucket/in/", "cli-hook-rule",
    )  # fmt: skip
    assert (created["name"], created["objectNamePrefix"], created["isEnabled"]) == (
        "cli-hook-rule",
        "in/",
        True,
    )
    disabled = cli.json(
        "bucket", "notification-rule", "disable", "--json", "b2://hook-bucket", "cli-hook-rule"
    )
    assert disabled["isEnabled"] is False
    listed = cli.json("bucket", "notification-rule", "list", "--json", "b2://hook-bucket")
    assert [(r["name"], r["isEnabled"]) for r in listed] == [("cli-hook-rule", False)]
    cli.run("bucket", "notification-rule", "delete", "b2://hook-bucket", "cli-hook-rule")
    assert cli.json("bucket", "notification-rule", "list", "--json", "b2://hook-bucket") == []
    cli.run("bucket", "delete", "hook-bucket")
