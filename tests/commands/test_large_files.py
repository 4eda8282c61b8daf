"""``b2_large_files`` against the emulator."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core.management import CommandError

from django_b2.client import B2Client
from django_b2.management.commands import b2_large_files

from .helpers import call

pytestmark = pytest.mark.usefixtures("b2")


def _start(client: B2Client, bucket_id: str, name: str, parts: int = 0) -> str:
    file_id: str = client.start_large_file(bucket_id, name)["fileId"]
    for number in range(1, parts + 1):
        client.upload_part(file_id, number, bytes([number]) * 1000)
    return file_id


def _unfinished_ids(client: B2Client, bucket_id: str) -> list[str]:
    return [f["fileId"] for f in client.list_unfinished_large_files(bucket_id)["files"]]


def test_list_table_and_json(bucket: dict[str, Any], client: B2Client) -> None:
    first = _start(client, bucket["bucketId"], "videos/a.mp4")
    second = _start(client, bucket["bucketId"], "backups/b.tar")
    lines = call("b2_large_files", "list").stdout.splitlines()
    assert lines[0].split()[:3] == ["FILE", "ID", "NAME"]
    assert [line.split()[0] for line in lines[1:]] == [first, second]  # oldest first

    data = call("b2_large_files", "list", "--prefix", "videos/", "--json").json()
    assert [(f["fileId"], f["fileName"]) for f in data] == [(first, "videos/a.mp4")]
    assert call("b2_large_files", "list", "--prefix", "none/").stdout.strip() == (
        "No unfinished large files."
    )


def test_parts_lists_uploaded_parts(bucket: dict[str, Any], client: B2Client) -> None:
    file_id = _start(client, bucket["bucketId"], "big.bin", parts=3)
    parts = call("b2_large_files", "parts", file_id, "--json").json()
    assert [p["partNumber"] for p in parts] == [1, 2, 3]
    assert parts[1]["contentSha1"] == hashlib.sha1(b"\x02" * 1000).hexdigest()
    text = call("b2_large_files", "parts", file_id).stdout
    assert text.splitlines()[-1] == "3 part(s), 3000 bytes."


def test_parts_of_unknown_file(bucket: dict[str, Any]) -> None:
    with pytest.raises(CommandError, match="No unfinished large file with id nope-id"):
        call("b2_large_files", "parts", "nope-id")


def test_cancel_one(bucket: dict[str, Any], client: B2Client, no_prompt: None) -> None:
    keep = _start(client, bucket["bucketId"], "keep.bin")
    drop = _start(client, bucket["bucketId"], "drop.bin", parts=1)
    out = call("b2_large_files", "cancel", drop).stdout
    assert out.strip() == "Cancelled 1 unfinished large file(s)."
    assert _unfinished_ids(client, bucket["bucketId"]) == [keep]
    with pytest.raises(CommandError, match=f"No unfinished large file with id {drop}"):
        call("b2_large_files", "cancel", drop)


def test_cancel_all_confirmed(bucket: dict[str, Any], client: B2Client, answer: Any) -> None:
    for name in ("a.bin", "b.bin", "c.bin"):
        _start(client, bucket["bucketId"], name)
    prompts = answer("yes")
    cancelled = call("b2_large_files", "cancel", "--all", "--json").json()
    assert len(prompts) == 1
    assert "Cancel 3 unfinished large file(s) in bucket" in prompts[0]
    assert sorted(c["fileName"] for c in cancelled) == ["a.bin", "b.bin", "c.bin"]
    assert _unfinished_ids(client, bucket["bucketId"]) == []


def test_cancel_all_declined(bucket: dict[str, Any], client: B2Client, answer: Any) -> None:
    ids = [_start(client, bucket["bucketId"], name) for name in ("a.bin", "b.bin")]
    prompts = answer("")
    with pytest.raises(CommandError, match="Aborted; nothing was changed"):
        call("b2_large_files", "cancel", "--all")
    assert len(prompts) == 1
    assert _unfinished_ids(client, bucket["bucketId"]) == ids


def test_cancel_all_older_than(
    bucket: dict[str, Any], client: B2Client, monkeypatch: pytest.MonkeyPatch, no_prompt: None
) -> None:
    file_id = _start(client, bucket["bucketId"], "fresh.bin")
    # just started: not older than one hour, so nothing is cancelled (and nothing asked)
    assert (
        call("b2_large_files", "cancel", "--all", "--older-than", "1", "--yes", "--json").json()
        == []
    )
    assert _unfinished_ids(client, bucket["bucketId"]) == [file_id]

    # two hours later it is
    later = b2_large_files.now_millis() + 2 * 3_600_000
    monkeypatch.setattr(b2_large_files, "now_millis", lambda: later)
    cancelled = call(
        "b2_large_files", "cancel", "--all", "--older-than", "1.5", "--yes", "--json"
    ).json()
    assert [c["fileId"] for c in cancelled] == [file_id]
    assert _unfinished_ids(client, bucket["bucketId"]) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Give the FILE_ID of the large file to cancel, or --all"),
        (["some-id", "--all"], "either FILE_ID or --all, not both"),
        (["some-id", "--older-than", "2"], "--older-than only works with --all"),
        (["--all", "--older-than", "soon"], "expected a number, got 'soon'"),
        (["--all", "--older-than", "-1"], "at least 0"),
    ],
)
def test_cancel_bad_arguments(b2: Any, args: list[str], message: str) -> None:
    b2.reset_counters()
    with pytest.raises(CommandError, match=message):
        call("b2_large_files", "cancel", *args)
    assert b2.counters()["total"] == 0


def test_list_missing_bucket() -> None:
    with pytest.raises(CommandError, match="No bucket named cmd-bucket; create it"):
        call("b2_large_files", "list")
