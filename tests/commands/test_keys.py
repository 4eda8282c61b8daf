"""``b2_keys`` against the emulator, and what the commands say when a key lacks a capability."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.management import CommandError

from django_b2.client import B2Client

from .helpers import BUCKET, call

pytestmark = pytest.mark.usefixtures("b2")


def test_create_prints_secret_once_with_warning(client: B2Client) -> None:
    result = call("b2_keys", "create", "web-key", "--capabilities", "listFiles,readFiles")
    fields = dict(line.split(":", 1) for line in result.stdout.splitlines())
    key_id = fields["key id"].strip()
    secret = fields["application key"].strip()
    assert fields["capabilities"].strip() == "listFiles, readFiles"
    assert "only time B2 shows the application key" in result.stderr
    assert "cannot be shown again" in result.stderr

    # the key works: it authorizes with exactly those capabilities
    auth = B2Client(key_id, secret, api_url=client.authorization.api_url).authorization
    assert set(auth.capabilities) == {"listFiles", "readFiles"}
    # and list never shows the secret again
    listed = call("b2_keys", "list", "--json").json()
    mine = [key for key in listed if key["applicationKeyId"] == key_id]
    assert len(mine) == 1
    assert "applicationKey" not in mine[0]
    assert secret not in call("b2_keys", "list").stdout


def test_create_restricted_key_json(bucket: dict[str, Any], b2: Any) -> None:
    key = call(
        "b2_keys", "create", "uploads-only", "--capabilities", "writeFiles,listFiles",
        "--bucket", BUCKET, "--name-prefix", "uploads/", "--duration", "3600", "--json",
    ).json()  # fmt: skip
    assert key["bucketId"] == bucket["bucketId"]
    assert key["namePrefix"] == "uploads/"
    assert key["expirationTimestamp"] is not None
    auth = B2Client(key["applicationKeyId"], key["applicationKey"], api_url=b2.url).authorization
    assert auth.bucket_name == BUCKET
    assert auth.name_prefix == "uploads/"


def test_list_table_shows_bucket_name_and_capabilities(bucket: dict[str, Any]) -> None:
    call("b2_keys", "create", "reader", "--capabilities", "readFiles", "--bucket", BUCKET)
    lines = call("b2_keys", "list").stdout.splitlines()
    assert lines[0].split()[:3] == ["KEY", "ID", "NAME"]
    reader = [line for line in lines if " reader " in line]
    assert len(reader) == 1
    assert BUCKET in reader[0]
    assert reader[0].rstrip().endswith("readFiles")


def test_delete_key(client: B2Client) -> None:
    key = call("b2_keys", "create", "temp", "--capabilities", "listBuckets", "--json").json()
    out = call("b2_keys", "delete", key["applicationKeyId"]).stdout
    assert out.strip() == f"Deleted application key {key['applicationKeyId']} (temp)."
    remaining = [k["applicationKeyId"] for k in client.list_keys()["keys"]]
    assert key["applicationKeyId"] not in remaining


def test_delete_unknown_key_points_at_list() -> None:
    with pytest.raises(CommandError, match=r"No application key with id 00nope.*b2_keys list"):
        call("b2_keys", "delete", "00nope")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--capabilities", "readFile"], "unknown capability 'readFile'; did you mean 'readFiles'"),
        (["--capabilities", ","], "no capabilities given"),
        (["--capabilities", "readFiles", "--prefix", "p/"], "--name-prefix needs --bucket"),
        (["--capabilities", "readFiles", "--duration", "0"], "at least 1"),
        (["--capabilities", "readFiles", "--duration", "86400000"], "must be below 86400000"),
        (
            ["--capabilities", "readFiles,writeKeys", "--bucket", BUCKET],
            "restricted to one bucket cannot have writeKeys",
        ),
        ([], "the following arguments are required: --capabilities"),
    ],
)
def test_create_rejects_bad_arguments_before_calling_b2(
    b2: Any, args: list[str], message: str
) -> None:
    b2.reset_counters()
    with pytest.raises(CommandError, match=message):
        call("b2_keys", "create", "bad-key", *args)
    assert b2.counters()["total"] == 0


def test_create_key_for_missing_bucket() -> None:
    with pytest.raises(CommandError, match="No bucket named ghost-bucket"):
        call("b2_keys", "create", "k", "--capabilities", "readFiles", "--bucket", "ghost-bucket")


# ---------------------------------------------------------------- restricted keys in use


def _restricted(capabilities: str, *extra: str) -> dict[str, Any]:
    args = ["create", "restricted", "--capabilities", capabilities, *extra, "--json"]
    key: dict[str, Any] = call("b2_keys", *args).json()
    return key


def test_key_without_list_keys_is_told_which_capability_is_missing(
    use_key: Callable[[str, str], None],
) -> None:
    key = _restricted("listBuckets,listFiles")
    use_key(key["applicationKeyId"], key["applicationKey"])
    with pytest.raises(CommandError) as info:
        call("b2_keys", "list")
    message = str(info.value)
    assert "lacks the listKeys capability needed to list application keys" in message
    assert "it has: listBuckets, listFiles" in message
    assert "--capabilities listKeys" in message


def test_read_only_bucket_key_cannot_upload(
    bucket: dict[str, Any], use_key: Callable[[str, str], None], tmp_path: Path, client: B2Client
) -> None:
    key = _restricted("listBuckets,listFiles,readFiles", "--bucket", BUCKET)
    use_key(key["applicationKeyId"], key["applicationKey"])
    source = tmp_path / "a.txt"
    source.write_bytes(b"data")

    # what the key may do works
    assert call("b2_files", "ls", "--json").json() == []
    # what it may not do says which capability is missing
    with pytest.raises(CommandError, match="lacks the writeFiles capability needed to upload"):
        call("b2_files", "upload", str(source), "a.txt", "--no-progress")
    assert list(client.iter_file_names(bucket["bucketId"])) == []
    with pytest.raises(CommandError, match="lacks the deleteBuckets capability"):
        call("b2_buckets", "delete", BUCKET, "--yes")


@pytest.mark.parametrize(
    ("capabilities", "command", "message"),
    [
        # an option that makes a subcommand do more names what that needs (@subcommand(force=...))
        (
            "listBuckets,deleteBuckets",
            ("b2_buckets", "delete", BUCKET, "--force", "--yes"),
            "lacks the listFiles, deleteFiles, writeFiles capabilities needed to delete the bucket",
        ),
        (
            "listBuckets,writeFiles",
            ("b2_large_files", "cancel", "--all", "--yes"),
            "lacks the listFiles capability needed to cancel the large file",
        ),
    ],
)
def test_options_that_need_more_capabilities_name_them(
    bucket: dict[str, Any],
    use_key: Callable[[str, str], None],
    capabilities: str,
    command: tuple[str, ...],
    message: str,
) -> None:
    key = _restricted(capabilities)
    use_key(key["applicationKeyId"], key["applicationKey"])
    with pytest.raises(CommandError) as info:
        call(*command)
    assert message in str(info.value)


def test_bucket_restricted_key_used_on_another_bucket(
    bucket: dict[str, Any], client: B2Client, use_key: Callable[[str, str], None]
) -> None:
    client.create_bucket("other-bucket", "allPrivate")
    key = _restricted("listBuckets,listFiles,readFiles", "--bucket", BUCKET)
    use_key(key["applicationKeyId"], key["applicationKey"])
    with pytest.raises(CommandError) as info:
        call("b2_files", "ls", "--bucket", "other-bucket")
    assert f"restricted to bucket {BUCKET!r} and cannot use bucket 'other-bucket'" in str(
        info.value
    )
    # listing buckets with it names its own bucket, which B2 requires of restricted keys
    listed = call("b2_buckets", "list", "--json").json()
    assert [b["bucketName"] for b in listed] == [BUCKET]


def test_prefix_restricted_key_writing_outside_its_prefix(
    bucket: dict[str, Any], use_key: Callable[[str, str], None], tmp_path: Path
) -> None:
    key = _restricted("listFiles,writeFiles", "--bucket", BUCKET, "--prefix", "uploads/")
    use_key(key["applicationKeyId"], key["applicationKey"])
    source = tmp_path / "a.txt"
    source.write_bytes(b"data")
    call("b2_files", "upload", str(source), "uploads/a.txt", "--no-progress")
    with pytest.raises(CommandError, match="only allows file names starting with 'uploads/'"):
        call("b2_files", "upload", str(source), "elsewhere/a.txt", "--no-progress")


def test_wrong_key_is_reported_as_bad_credentials(use_key: Callable[[str, str], None]) -> None:
    use_key("0000000000000000000000001", "K000wrongwrongwrongwrongwrongwro")
    with pytest.raises(CommandError, match=r"B2 refused the application key .*application_key_id"):
        call("b2_buckets", "list")


def test_key_without_list_buckets_is_told_it_cannot_look_up_the_bucket(
    bucket: dict[str, Any], use_key: Callable[[str, str], None]
) -> None:
    key = _restricted("listFiles,readFiles")
    use_key(key["applicationKeyId"], key["applicationKey"])
    with pytest.raises(CommandError) as info:
        call("b2_files", "ls")
    assert f"lacks the listBuckets capability needed to look up bucket {BUCKET}" in str(info.value)


def test_bucket_key_without_list_buckets_still_works_on_its_bucket(
    bucket: dict[str, Any], use_key: Callable[[str, str], None], client: B2Client
) -> None:
    client.upload_file(bucket["bucketId"], "doc.txt", b"shared")
    key = _restricted("listFiles,readFiles,shareFiles", "--bucket", BUCKET)
    use_key(key["applicationKeyId"], key["applicationKey"])
    # the key's authorization names its bucket, so no bucket lookup is needed
    assert [f["fileName"] for f in call("b2_files", "ls", "--json").json()] == ["doc.txt"]
    url = call("b2_files", "url", "doc.txt").stdout.strip()
    assert requests.get(url, timeout=10).content == b"shared"
