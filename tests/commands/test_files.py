"""``b2_files`` against the emulator."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.management import CommandError

from django_b2.client import B2Client

from .helpers import BUCKET, LARGE_FILE_THRESHOLD, PART_SIZE, TTYStringIO, call

pytestmark = pytest.mark.usefixtures("b2")


@pytest.fixture
def bucket_id(bucket: dict[str, Any]) -> str:
    bucket_id: str = bucket["bucketId"]
    return bucket_id


def _local(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_upload_then_download_round_trip(tmp_path: Path, bucket_id: str, client: B2Client) -> None:
    data = b"hello b2 " * 100
    source = _local(tmp_path, "hello.txt", data)
    version = call(
        "b2_files", "upload", str(source), "docs/hello.txt",
        "--content-type", "text/plain", "--info", "origin=test", "--json",
    ).json()  # fmt: skip
    assert version["fileName"] == "docs/hello.txt"
    assert version["contentSha1"] == hashlib.sha1(data).hexdigest()
    head = client.get_file_info_by_name(BUCKET, "docs/hello.txt")
    assert head["contentType"] == "text/plain"
    assert head["fileInfo"]["origin"] == "test"

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    text = call("b2_files", "download", "docs/hello.txt", str(out_dir)).stdout
    assert (out_dir / "hello.txt").read_bytes() == data
    assert (
        text.strip()
        == f"Downloaded b2://{BUCKET}/docs/hello.txt to {out_dir / 'hello.txt'} (900 B)."
    )
    assert [p.name for p in out_dir.iterdir()] == ["hello.txt"]  # no partial file left behind


def test_upload_large_file_uses_storage_part_settings(tmp_path: Path, bucket_id: str) -> None:
    data = bytes(range(256)) * 24  # 6144 bytes > threshold 4000, parts of 1000
    assert len(data) > LARGE_FILE_THRESHOLD
    source = _local(tmp_path, "big.bin", data)
    version = call("b2_files", "upload", str(source), "big.bin", "--json").json()
    assert version["contentSha1"] == "none"  # a large file: assembled from parts
    assert version["contentLength"] == len(data)
    target = tmp_path / "back.bin"
    call("b2_files", "download", "big.bin", str(target))
    assert target.read_bytes() == data
    assert len(data) // PART_SIZE >= 2


def test_download_refuses_to_overwrite_without_flag(
    tmp_path: Path, bucket_id: str, client: B2Client
) -> None:
    client.upload_file(bucket_id, "a.txt", b"new")
    target = _local(tmp_path, "a.txt", b"old")
    with pytest.raises(CommandError, match="already exists; pass --overwrite"):
        call("b2_files", "download", "a.txt", str(target))
    assert target.read_bytes() == b"old"
    call("b2_files", "download", "a.txt", str(target), "--overwrite")
    assert target.read_bytes() == b"new"


def test_download_missing_file_leaves_nothing(tmp_path: Path, bucket_id: str) -> None:
    with pytest.raises(CommandError) as info:
        call("b2_files", "download", "nope.txt", str(tmp_path / "nope.txt"))
    assert str(info.value).startswith(f"No file named nope.txt in bucket {BUCKET}; list the files")
    assert list(tmp_path.iterdir()) == []


def test_upload_missing_local_file_fails_before_network(b2: Any, bucket_id: str) -> None:
    b2.reset_counters()
    with pytest.raises(CommandError, match="No file at /no/such/file; give the path"):
        call("b2_files", "upload", "/no/such/file", "x")
    assert b2.counters()["total"] == 0


def test_ls_folders_recursive_and_json(bucket_id: str, client: B2Client) -> None:
    for name in ["photos/a.jpg", "photos/cats/x.jpg", "photos/cats/y.jpg", "top.txt"]:
        client.upload_file(bucket_id, name, b"x" * 3)

    top = call("b2_files", "ls").stdout.splitlines()
    assert top[0].split() == ["NAME", "SIZE", "UPLOADED", "(UTC)"]
    assert [line.split()[0] for line in top[1:]] == ["photos/", "top.txt"]
    assert top[1].split()[1] == "-"  # folders have no size

    inside = call("b2_files", "ls", "photos/", "--json").json()
    assert [(e["fileName"], e["action"]) for e in inside] == [
        ("photos/a.jpg", "upload"),
        ("photos/cats/", "folder"),
    ]
    every = call("b2_files", "ls", "photos/", "--recursive", "--json").json()
    assert [e["fileName"] for e in every] == [
        "photos/a.jpg",
        "photos/cats/x.jpg",
        "photos/cats/y.jpg",
    ]


def test_ls_versions_rm_and_hide(bucket_id: str, client: B2Client) -> None:
    first = client.upload_file(bucket_id, "doc.txt", b"v1")
    second = client.upload_file(bucket_id, "doc.txt", b"v2")
    client.upload_file(bucket_id, "doc.txt.bak", b"other")

    versions = call("b2_files", "ls", "--versions", "--json").json()
    assert [(v["fileName"], v["fileId"]) for v in versions[:2]] == [
        ("doc.txt", second["fileId"]),
        ("doc.txt", first["fileId"]),
    ]
    table = call("b2_files", "ls", "--versions").stdout.splitlines()
    assert table[0].split()[:3] == ["NAME", "ACTION", "SIZE"]
    assert second["fileId"] in table[1]

    # rm deletes the newest version; the previous becomes current
    out = call("b2_files", "rm", "doc.txt").stdout
    assert out.strip() == f"Deleted 1 version(s) of doc.txt from bucket {BUCKET}."
    assert client.get_file_info_by_name(BUCKET, "doc.txt")["fileId"] == first["fileId"]

    # hide makes it vanish from ls; a second hide explains how to undo
    marker = call("b2_files", "hide", "doc.txt", "--json").json()
    assert marker["action"] == "hide"
    names = [e["fileName"] for e in call("b2_files", "ls", "--json").json()]
    assert names == ["doc.txt.bak"]
    with pytest.raises(CommandError, match=r"doc\.txt is already hidden; delete the hide marker"):
        call("b2_files", "hide", "doc.txt")

    # --all-versions removes the marker and the remaining version, and nothing of doc.txt.bak
    deleted = call("b2_files", "rm", "doc.txt", "--all-versions", "--json").json()
    assert {d["fileId"] for d in deleted} == {marker["fileId"], first["fileId"]}
    remaining = [v["fileName"] for v in client.iter_file_versions(bucket_id)]
    assert remaining == ["doc.txt.bak"]


def test_rm_and_hide_of_missing_file(bucket_id: str) -> None:
    with pytest.raises(CommandError, match=r"No file named ghost\.txt in bucket"):
        call("b2_files", "rm", "ghost.txt")
    with pytest.raises(CommandError, match=r"No file named ghost\.txt in bucket"):
        call("b2_files", "hide", "ghost.txt")


def test_info_fields_and_json(bucket_id: str, client: B2Client) -> None:
    version = client.upload_file(
        bucket_id, "info.txt", b"12345", content_type="text/plain", file_info={"color": "blue"}
    )
    text = call("b2_files", "info", "info.txt").stdout
    fields = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in text.splitlines())}
    assert fields["file id"] == version["fileId"]
    assert fields["size"] == "5 bytes"
    assert fields["content type"] == "text/plain"
    assert fields["info"] == "color=blue"

    data = call("b2_files", "info", "info.txt", "--json").json()
    assert data["fileId"] == version["fileId"]
    assert data["contentSha1"] == hashlib.sha1(b"12345").hexdigest()

    with pytest.raises(CommandError, match=r"No file named missing\.txt"):
        call("b2_files", "info", "missing.txt")


def test_url_private_is_signed_and_works(bucket_id: str, client: B2Client) -> None:
    client.upload_file(bucket_id, "secret file.txt", b"private data")
    url = call("b2_files", "url", "secret file.txt", "--expires", "120").stdout.strip()
    assert "Authorization=" in url
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == b"private data"
    # without the token the file is refused
    assert requests.get(url.split("?")[0], timeout=10).status_code == 401

    data = call("b2_files", "url", "secret file.txt", "--json").json()
    assert data["expires_in"] == 3600  # the storage's url_expire default
    assert requests.get(data["url"], timeout=10).content == b"private data"


def test_url_public_bucket_is_plain(client: B2Client) -> None:
    bucket = client.create_bucket(BUCKET, "allPublic")
    client.upload_file(bucket["bucketId"], "pub.txt", b"public")
    data = call("b2_files", "url", "pub.txt", "--json").json()
    assert "Authorization" not in data["url"]
    assert data["expires_in"] is None
    assert requests.get(data["url"], timeout=10).content == b"public"


def test_url_expiry_out_of_range(bucket_id: str) -> None:
    with pytest.raises(CommandError, match="--expires must be at most 604800"):
        call("b2_files", "url", "x", "--expires", "604801")
    with pytest.raises(CommandError, match="at least 1"):
        call("b2_files", "url", "x", "--expires", "0")


def test_missing_bucket_names_the_create_command(client: B2Client) -> None:
    with pytest.raises(CommandError) as info:
        call("b2_files", "ls")
    assert str(info.value) == (
        f"No bucket named {BUCKET}; create it with manage.py b2_buckets create {BUCKET}"
    )
    with pytest.raises(CommandError, match="No bucket named elsewhere-bucket; create it"):
        call("b2_files", "ls", "--bucket", "elsewhere-bucket")


def test_bucket_option_overrides_storage_bucket(bucket_id: str, client: B2Client) -> None:
    other = client.create_bucket("second-bucket", "allPrivate")
    client.upload_file(other["bucketId"], "only-here.txt", b"1")
    names = [
        e["fileName"] for e in call("b2_files", "ls", "--bucket", "second-bucket", "--json").json()
    ]
    assert names == ["only-here.txt"]
    assert call("b2_files", "ls", "--json").json() == []


def test_storage_alias_errors(bucket_id: str) -> None:
    with pytest.raises(CommandError, match=r"No storage named 'nope' in settings\.STORAGES"):
        call("b2_files", "ls", "--storage", "nope")
    with pytest.raises(CommandError, match=r"not a django_b2\.storage\.B2Storage"):
        call("b2_files", "ls", "--storage", "local")


# ---------------------------------------------------------------- progress bars


def test_progress_bar_on_a_terminal(tmp_path: Path, bucket_id: str) -> None:
    source = _local(tmp_path, "p.bin", b"z" * 3000)
    result = call("b2_files", "upload", str(source), "p.bin", stdout=TTYStringIO())
    assert "p.bin" in result.stderr
    assert "100%" in result.stderr
    assert "2.93k" in result.stderr or "3.00k" in result.stderr  # tqdm's scaled byte count


def test_no_progress_flag_and_non_terminal_draw_nothing(tmp_path: Path, bucket_id: str) -> None:
    source = _local(tmp_path, "p.bin", b"z" * 3000)
    quiet = call("b2_files", "upload", str(source), "p.bin", "--no-progress", stdout=TTYStringIO())
    assert quiet.stderr == ""
    piped = call("b2_files", "upload", str(source), "p2.bin")
    assert piped.stderr == ""


def test_without_tqdm_the_transfer_still_works(
    tmp_path: Path, bucket_id: str, client: B2Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm -> ImportError
    source = _local(tmp_path, "p.bin", b"z" * 3000)
    result = call("b2_files", "upload", str(source), "p.bin", stdout=TTYStringIO())
    assert result.stderr == ""
    assert "Uploaded" in result.stdout
    assert client.get_file_info_by_name(BUCKET, "p.bin")["contentLength"] == 3000
