"""``manage.py b2_migrate`` and :func:`django_b2.migrate.migrate` against the emulator."""

from __future__ import annotations

import io
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import CommandError, call_command

from django_b2.migrate import DirectorySource, migrate
from django_b2.migrate.sources import Payload, SourceFile, local_payload

from .conftest import Env, make_tree, sha1

BIG = 1_500_000  # over the threshold, and over the in-memory limit: sent from its path by parts


def run(*args: str) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    call_command("b2_migrate", *args, "--json", stdout=out, stderr=err)
    return dict(json.loads(out.getvalue()))


def test_from_filesystem_storage_byte_for_byte_then_nothing(env: Env, tmp_path: Path) -> None:
    files = make_tree(env.disk, 300, big=BIG)
    journal = str(tmp_path / "journal.sqlite3")
    first = run("--from", "disk", "--to", "default", "--journal", journal, "--workers", "3")
    assert (first["copied"], first["skipped"], first["failed"]) == (len(files), 0, 0)
    assert first["bytes"] == sum(len(data) for data in files.values())
    assert first["journal"] == journal
    counts = env.counts()
    assert counts["b2_upload_file"] == len(files) - 1
    assert counts["b2_start_large_file"] == 1
    assert counts["b2_upload_part"] == -(-BIG // 100_000)

    stored = env.site_files()
    assert sorted(stored) == sorted(f"media/{name}" for name in files)
    for name, data in files.items():
        (version,) = stored[f"media/{name}"]
        assert version["contentLength"] == len(data)
        assert env.download(f"media/{name}") == data, name
    big = stored["media/videos/big.bin"][0]
    assert big["contentSha1"] == "none"
    assert big["fileInfo"]["large_file_sha1"] == sha1(files["videos/big.bin"])
    mtime = os.stat(env.disk / "videos/big.bin").st_mtime_ns // 1_000_000
    assert big["fileInfo"]["src_last_modified_millis"] == str(mtime)

    # Again with the same journal: every file is confirmed there, nothing is read or sent.
    env.server.reset_counters()
    second = run("--from", "disk", "--to", "default", "--journal", journal)
    assert (second["copied"], second["skipped"], second["failed"]) == (0, len(files), 0), second
    assert "b2_upload_file" not in env.counts() and "b2_upload_part" not in env.counts()

    # With a new journal: the destination's listing (size + SHA-1) says they are all there.
    env.server.reset_counters()
    third = run("--from", "disk", "--to", "default", "--journal", str(tmp_path / "new.sqlite3"))
    assert (third["copied"], third["skipped"], third["failed"]) == (0, len(files), 0), third
    counts = env.counts()
    assert set(counts) <= {"b2_authorize_account", "b2_list_buckets", "b2_list_file_names"}
    assert {name: len(v) for name, v in env.site_files().items()} == {
        f"media/{name}": 1 for name in files
    }


def test_changed_file_is_sent_again(env: Env, tmp_path: Path) -> None:
    files = make_tree(env.disk, 20)
    journal = str(tmp_path / "journal.sqlite3")
    run("--from-dir", str(env.disk), "--journal", journal)
    name = next(iter(files))
    changed = bytes(reversed(files[name])) + b"!"  # another size
    (env.disk / name).write_bytes(changed)
    same_size = next(n for n in files if n.startswith("d") and files[n])
    flipped = bytes([files[same_size][0] ^ 1]) + files[same_size][1:]  # same size, other bytes
    (env.disk / same_size).write_bytes(flipped)
    os.utime(env.disk / same_size, ns=(1, 1))
    result = run("--from-dir", str(env.disk), "--journal", journal)
    assert (result["copied"], result["skipped"]) == (2, len(files) - 2)
    # the journal trusted the 18 unchanged files (same size, time and inode) without reading
    assert env.download(f"media/{name}") == changed
    assert env.download(f"media/{same_size}") == flipped


def test_dry_run_sends_nothing(env: Env, tmp_path: Path) -> None:
    files = make_tree(env.disk, 30)
    journal = tmp_path / "journal.sqlite3"
    result = run("--from-dir", str(env.disk), "--dry-run", "--journal", str(journal))
    assert (result["copied"], result["dry_run"], result["journal"]) == (len(files), True, None)
    assert env.site_files() == {}
    assert not journal.exists()


def test_b2_to_b2_same_account_uses_copy_file(env: Env, tmp_path: Path) -> None:
    old = storages["old"]
    contents = {f"uploads/{n}.txt": f"file {n}".encode() * (n + 1) for n in range(40)}
    for name, data in contents.items():
        old.save(name, ContentFile(data))
    big = os.urandom(450_000)
    old.save("uploads/big.bin", ContentFile(big))  # a large file (parts) at the source
    contents["uploads/big.bin"] = big
    env.server.reset_counters()
    result = run("--from", "old", "--to", "default", "--journal", str(tmp_path / "j.sqlite3"))
    assert (result["copied"], result["server_side_copies"], result["failed"]) == (41, 41, 0)
    counts = env.counts()
    assert counts["b2_copy_file"] == 41
    assert not {"b2_upload_file", "b2_upload_part", "b2_download_file_by_id"} & set(counts)
    for name, data in contents.items():
        assert env.download(f"media/{name}") == data
    again = run("--from", "old", "--to", "default", "--journal", str(tmp_path / "k.sqlite3"))
    assert (again["copied"], again["skipped"]) == (0, 41)


def test_only_files_that_fields_refer_to(env: Env, tmp_path: Path, db: Any) -> None:
    from tests.django.testapp.models import Document

    files = make_tree(env.disk, 12)
    wanted = sorted(files)[:5]
    for name in wanted:
        Document.objects.create(title=name, attachment=name)
    Document.objects.create(title="gone", attachment="docs/not-on-disk.pdf")
    Document.objects.create(title="empty", attachment="")
    result = run(
        "--from-dir", str(env.disk), "--fields", "b2_testapp.Document.attachment",
        "--journal", str(tmp_path / "j.sqlite3"),
    )  # fmt: skip
    assert (result["copied"], result["missing"], result["failed"]) == (5, 1, 0)
    assert result["missing_names"] == ["docs/not-on-disk.pdf"]
    assert sorted(env.site_files()) == [f"media/{name}" for name in wanted]


class _RewrittenWhileSent(DirectorySource):
    """A folder whose file is rewritten (same size) after hashing, every time it is read."""

    def payload(self, item: SourceFile) -> Payload:
        payload = local_payload(str(self.root / item.name))
        path = self.root / item.name
        data = path.read_bytes()
        path.write_bytes(bytes([data[0] ^ 0xFF]) + data[1:])
        return payload


def test_mismatch_is_retried_then_reported_and_not_left(env: Env, tmp_path: Path) -> None:
    (env.disk / "stable.txt").write_bytes(b"stable")
    (env.disk / "moving.bin").write_bytes(os.urandom(1_200_000))
    summary = migrate(
        _RewrittenWhileSent(env.disk), storages["default"], journal=str(tmp_path / "j.sqlite3")
    )
    assert (summary.copied, summary.failed) == (1, 1)
    ((name, error),) = summary.failures
    assert name == "moving.bin"
    assert "after 3 attempt(s): the source file changed while it was being sent" in error
    assert env.counts()["b2_finish_large_file"] == 3  # three tries, each copy removed again
    assert sorted(env.site_files()) == ["media/stable.txt"]
    with sqlite3.connect(tmp_path / "j.sqlite3") as db:
        rows = dict(db.execute("SELECT name, state FROM files").fetchall())
    assert rows == {"stable.txt": "copied", "moving.bin": "failed"}


def test_failure_exits_non_zero(env: Env, tmp_path: Path) -> None:
    (env.disk / "ok.txt").write_bytes(b"ok")
    (env.disk / "bad\x01name.txt").write_bytes(b"control character in the name")
    with pytest.raises(CommandError, match=r"1 file\(s\) could not be copied"):
        call_command(
            "b2_migrate", "--from-dir", str(env.disk), "--journal", str(tmp_path / "j.sqlite3"),
            stdout=io.StringIO(), stderr=io.StringIO(),
        )  # fmt: skip
    assert sorted(env.site_files()) == ["media/ok.txt"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "nope"], "No storage named 'nope' in settings.STORAGES"),
        (["--from", "disk", "--to", "disk"], "Storage 'disk' is a django.core.files.storage"),
        (["--from", "default"], "--from default and --to default are the same storage"),
        (["--from-dir", "/nonexistent/dir"], "/nonexistent/dir is not a directory"),
        (["--from", "disk", "--fields", "b2_testapp.Document"], "is not a field name"),
        (["--from", "disk", "--fields", "b2_testapp.Document.title"], "not a FileField"),
        (["--from", "disk", "--workers", "0"], "expected a number of at least 1"),
    ],
)
def test_bad_input_fails_before_any_call(env: Env, args: list[str], message: str) -> None:
    env.server.reset_counters()
    with pytest.raises(CommandError, match=message):
        call_command("b2_migrate", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert env.counts() == {}


def test_journal_of_another_migration_is_refused(env: Env, tmp_path: Path) -> None:
    journal = str(tmp_path / "j.sqlite3")
    (env.disk / "a.txt").write_bytes(b"a")
    run("--from", "disk", "--journal", journal)
    with pytest.raises(CommandError, match="records a migration from storage:disk"):
        run("--from-dir", str(env.disk), "--journal", journal)


def test_human_output(env: Env, tmp_path: Path) -> None:
    make_tree(env.disk, 3)
    out = io.StringIO()
    journal = tmp_path / "j.sqlite3"
    call_command("b2_migrate", "--from", "disk", "--journal", str(journal), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == f"Copying storage:disk to b2://site-bucket/media; journal: {journal}"
    assert lines[1].startswith("Copied 3 file(s), ")
    assert "skipped 0 already there; 0 failed; 0 missing at the source;" in lines[1]


def test_progress_bars_on_a_terminal_only(env: Env, tmp_path: Path) -> None:
    pytest.importorskip("tqdm", reason="the progress bars need the progress extra (tqdm)")
    from tests.commands.helpers import TTYStringIO

    make_tree(env.disk, 5)
    err = io.StringIO()
    call_command(
        "b2_migrate", "--from-dir", str(env.disk), "--journal", str(tmp_path / "j.sqlite3"),
        stdout=TTYStringIO(), stderr=err,
    )  # fmt: skip
    assert "files: " in err.getvalue() and "sent: " in err.getvalue()
    assert "5file" in err.getvalue().replace(" ", "")
    quiet = io.StringIO()
    call_command(
        "b2_migrate", "--from-dir", str(env.disk), "--journal", str(tmp_path / "k.sqlite3"),
        stdout=io.StringIO(), stderr=quiet,
    )  # fmt: skip
    assert quiet.getvalue() == ""


def test_b2_source_without_server_side_copy_downloads_and_uploads(env: Env, tmp_path: Path) -> None:
    # What a B2 source of another account goes through: download (checked), then upload.
    from django_b2.migrate import B2Source

    old = storages["old"]
    contents = {"a.txt": b"small", "big.bin": os.urandom(1_300_000)}  # big: staged on disk
    for name, data in contents.items():
        old.save(name, ContentFile(data))
    env.server.reset_counters()
    source = B2Source(old, temp_dir=str(tmp_path))
    summary = migrate(source, storages["default"], server_side_copy=False)
    assert (summary.copied, summary.server_side, summary.failed) == (2, 0, 0)
    counts = env.counts()
    assert counts["b2_download_file_by_id"] == 2 and "b2_copy_file" not in counts
    for name, data in contents.items():
        assert env.download(f"media/{name}") == data
    assert not list(tmp_path.glob("django_b2-migrate-*"))  # the staged download is removed


def test_from_a_storage_without_local_paths(env: Env, tmp_path: Path) -> None:
    from django.core.files.storage import InMemoryStorage

    from django_b2.migrate import StorageSource

    memory = InMemoryStorage()
    contents = {"x/one.txt": b"one", "x/y/two.bin": os.urandom(1_100_000), "three": b""}
    for name, data in contents.items():
        memory.save(name, ContentFile(data))
    summary = migrate(
        StorageSource(memory, "memory", temp_dir=str(tmp_path)), storages["default"],
        journal=str(tmp_path / "j.sqlite3"),
    )  # fmt: skip
    assert (summary.copied, summary.failed) == (3, 0)
    for name, data in contents.items():
        assert env.download(f"media/{name}") == data
    assert not list(tmp_path.glob("django_b2-migrate-*"))  # staged copies removed
    again = migrate(
        StorageSource(memory, "memory", temp_dir=str(tmp_path)), storages["default"],
        journal=str(tmp_path / "j.sqlite3"),
    )  # fmt: skip
    assert (again.copied, again.skipped) == (0, 3)
