"""``b2_buckets`` against the emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError

from django_b2.client import B2Client

from .helpers import BUCKET, call

pytestmark = pytest.mark.usefixtures("b2")

CORS = [
    {
        "corsRuleName": "downloadFromAnyOrigin",
        "allowedOrigins": ["https://example.com"],
        "allowedOperations": ["b2_download_file_by_name"],
        "maxAgeSeconds": 3600,
    }
]
LIFECYCLE = [
    {
        "fileNamePrefix": "tmp/",
        "daysFromUploadingToHiding": 1,
        "daysFromHidingToDeleting": 2,
        "daysFromStartingToCancelingUnfinishedLargeFiles": None,
    }
]


def test_list_shows_every_bucket_as_table_and_json(client: B2Client) -> None:
    client.create_bucket("bucket-one", "allPrivate")
    client.create_bucket("bucket-two", "allPublic")

    table = call("b2_buckets", "list").stdout.splitlines()
    assert table[0].split() == ["NAME", "TYPE", "ID", "REVISION"]
    rows = {line.split()[0]: line.split() for line in table[1:]}
    assert rows["bucket-one"][1] == "allPrivate"
    assert rows["bucket-two"][1] == "allPublic"
    # columns are aligned: every row starts its TYPE column at the header's offset
    offset = table[0].index("TYPE")
    assert all(line[offset:].startswith(("allPrivate", "allPublic")) for line in table[1:])

    data = call("b2_buckets", "list", "--json").json()
    assert {b["bucketName"]: b["bucketType"] for b in data} == {
        "bucket-one": "allPrivate",
        "bucket-two": "allPublic",
    }


def test_list_with_no_buckets_says_so() -> None:
    assert call("b2_buckets", "list").stdout.strip() == "No buckets."
    assert call("b2_buckets", "list", "--json").json() == []


def test_create_with_type_info_cors_and_lifecycle(tmp_path: Path, client: B2Client) -> None:
    cors = tmp_path / "cors.json"
    cors.write_text(json.dumps(CORS))
    lifecycle = tmp_path / "lifecycle.json"
    lifecycle.write_text(json.dumps({"lifecycleRules": LIFECYCLE}))  # the shape `get --json` prints

    result = call(
        "b2_buckets", "create", "new-bucket", "--type", "allPublic",
        "--info", "Cache-Control=max-age=60", "--info", "team=web",
        "--cors-file", str(cors), "--lifecycle-file", str(lifecycle), "--json",
    )  # fmt: skip
    created = result.json()
    assert created["bucketName"] == "new-bucket"

    stored = client.get_bucket(bucket_name="new-bucket")
    assert stored["bucketId"] == created["bucketId"]
    assert stored["bucketType"] == "allPublic"
    assert stored["bucketInfo"] == {"Cache-Control": "max-age=60", "team": "web"}
    assert stored["corsRules"][0]["corsRuleName"] == "downloadFromAnyOrigin"
    assert stored["lifecycleRules"] == LIFECYCLE
    shown = dict(
        line.split(":", 1) for line in call("b2_buckets", "get", "new-bucket").stdout.splitlines()
    )
    assert json.loads(shown["CORS rules"])[0]["corsRuleName"] == "downloadFromAnyOrigin"
    assert json.loads(shown["lifecycle rules"]) == LIFECYCLE


def test_create_defaults_to_private_and_reports_in_words(client: B2Client) -> None:
    out = call("b2_buckets", "create", "plain-bucket").stdout
    bucket = client.get_bucket(bucket_name="plain-bucket")
    assert bucket["bucketType"] == "allPrivate"
    assert out.strip() == f"Created bucket plain-bucket (allPrivate), id {bucket['bucketId']}."


def test_create_duplicate_name_says_choose_another(bucket: dict[str, Any]) -> None:
    with pytest.raises(CommandError, match=f"A bucket named {BUCKET} already exists"):
        call("b2_buckets", "create", BUCKET)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--type", "public"], "invalid choice: 'public'"),
        (["--info", "novalue"], "expected KEY=VALUE, got 'novalue'"),
        (["--info", "a=1", "--info", "a=2"], "--info a is given twice"),
        (
            ["--cors-file", "/nonexistent/cors.json"],
            "Cannot read --cors-file /nonexistent/cors.json",
        ),
    ],
)
def test_create_rejects_bad_arguments_before_calling_b2(
    b2: Any, args: list[str], message: str
) -> None:
    b2.reset_counters()
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call("b2_buckets", "create", "never-made", *args)
    assert b2.counters()["total"] == 0


def test_create_rejects_rules_file_of_the_wrong_shape(tmp_path: Path) -> None:
    bad = tmp_path / "rules.json"
    bad.write_text(json.dumps({"rules": []}))
    with pytest.raises(CommandError, match="must hold a JSON list of rule objects"):
        call("b2_buckets", "create", "never-made", "--lifecycle-file", str(bad))
    bad.write_text("{not json")
    with pytest.raises(CommandError, match="is not valid JSON"):
        call("b2_buckets", "create", "never-made", "--lifecycle-file", str(bad))


def test_create_invalid_bucket_name_is_a_command_error() -> None:
    with pytest.raises(
        CommandError, match="Bucket name 'no_underscores_allowed' is invalid; use 6"
    ):
        call("b2_buckets", "create", "no_underscores_allowed")


def test_get_prints_fields_and_json(bucket: dict[str, Any]) -> None:
    text = call("b2_buckets", "get", BUCKET).stdout
    fields = dict(line.split(":", 1) for line in text.splitlines())
    assert fields["name"].strip() == BUCKET
    assert fields["id"].strip() == bucket["bucketId"]
    assert fields["type"].strip() == "allPrivate"

    data = call("b2_buckets", "get", BUCKET, "--json").json()
    assert data["bucketId"] == bucket["bucketId"]
    assert data["revision"] == bucket["revision"]


def test_get_missing_bucket_says_how_to_create_it() -> None:
    with pytest.raises(CommandError) as info:
        call("b2_buckets", "get", "no-such-bucket")
    assert str(info.value) == (
        "No bucket named no-such-bucket; create it with manage.py b2_buckets create no-such-bucket"
    )


def test_update_replaces_settings_and_bumps_revision(
    bucket: dict[str, Any], client: B2Client, tmp_path: Path
) -> None:
    client.update_bucket(bucket["bucketId"], bucket_info={"old": "1"})
    cors = tmp_path / "cors.json"
    cors.write_text(json.dumps(CORS))

    updated = call(
        "b2_buckets", "update", BUCKET, "--type", "allPublic", "--info", "new=2",
        "--cors-file", str(cors), "--json",
    ).json()  # fmt: skip
    stored = client.get_bucket(bucket_name=BUCKET)
    assert stored["bucketType"] == "allPublic"
    assert stored["bucketInfo"] == {"new": "2"}  # --info replaces the whole bucket info
    assert [rule["corsRuleName"] for rule in stored["corsRules"]] == ["downloadFromAnyOrigin"]
    assert updated["revision"] == stored["revision"] > bucket["revision"]


def test_update_with_current_revision_succeeds_and_stale_revision_explains(
    bucket: dict[str, Any], client: B2Client
) -> None:
    revision = client.get_bucket(bucket_name=BUCKET)["revision"]
    out = call("b2_buckets", "update", BUCKET, "--info", "a=1", "--if-revision", str(revision))
    assert f"now at revision {revision + 1}" in out.stdout

    with pytest.raises(CommandError) as info:
        call("b2_buckets", "update", BUCKET, "--info", "a=2", "--if-revision", str(revision))
    message = str(info.value)
    assert f"is at revision {revision + 1}, not {revision}" in message
    assert f"--if-revision {revision + 1}" in message
    assert client.get_bucket(bucket_name=BUCKET)["bucketInfo"] == {"a": "1"}


def test_update_without_changes_is_an_error(bucket: dict[str, Any]) -> None:
    with pytest.raises(CommandError, match="Nothing to update; pass --type"):
        call("b2_buckets", "update", BUCKET)


def test_update_missing_bucket() -> None:
    with pytest.raises(CommandError, match="No bucket named gone-bucket; create it"):
        call("b2_buckets", "update", "gone-bucket", "--type", "allPublic")


def test_delete_empty_bucket(bucket: dict[str, Any], client: B2Client, no_prompt: None) -> None:
    out = call("b2_buckets", "delete", BUCKET).stdout
    assert out.strip() == f"Deleted bucket {BUCKET}."
    assert client.list_buckets(bucket_name=BUCKET)["buckets"] == []


def _fill(client: B2Client, bucket_id: str) -> int:
    """Two versions of one name, a hide marker, another file and an unfinished large file."""
    client.upload_file(bucket_id, "a.txt", b"one")
    client.upload_file(bucket_id, "a.txt", b"two")
    client.hide_file(bucket_id, "a.txt")
    client.upload_file(bucket_id, "dir/b.txt", b"three")
    client.start_large_file(bucket_id, "big.bin")
    return 5


def test_delete_non_empty_bucket_without_force_says_use_force(
    bucket: dict[str, Any], client: B2Client
) -> None:
    _fill(client, bucket["bucketId"])
    with pytest.raises(CommandError, match="is not empty; use --force"):
        call("b2_buckets", "delete", BUCKET)
    assert client.list_buckets(bucket_name=BUCKET)["buckets"] != []


def test_delete_force_confirmed_removes_everything(
    bucket: dict[str, Any], client: B2Client, answer: Any
) -> None:
    count = _fill(client, bucket["bucketId"])
    prompts = answer("y")
    result = call("b2_buckets", "delete", BUCKET, "--force", "--json").json()
    assert len(prompts) == 1
    assert f"Delete bucket {BUCKET} and all {count} file version(s)" in prompts[0]
    assert result["deleted_file_versions"] == count
    assert result["bucket"]["bucketId"] == bucket["bucketId"]
    assert client.list_buckets(bucket_name=BUCKET)["buckets"] == []


def test_delete_force_declined_keeps_everything(
    bucket: dict[str, Any], client: B2Client, answer: Any
) -> None:
    count = _fill(client, bucket["bucketId"])
    prompts = answer("n")
    with pytest.raises(CommandError, match="Aborted; nothing was changed"):
        call("b2_buckets", "delete", BUCKET, "--force")
    assert len(prompts) == 1
    versions = list(client.iter_file_versions(bucket["bucketId"]))
    assert len(versions) == count


def test_delete_force_with_yes_does_not_ask(
    bucket: dict[str, Any], client: B2Client, no_prompt: None
) -> None:
    _fill(client, bucket["bucketId"])
    out = call("b2_buckets", "delete", BUCKET, "--force", "--yes").stdout
    assert out.strip() == f"Deleted bucket {BUCKET} and 5 file version(s)."
    assert client.list_buckets(bucket_name=BUCKET)["buckets"] == []


def test_delete_missing_bucket() -> None:
    with pytest.raises(CommandError, match="No bucket named nothing-here"):
        call("b2_buckets", "delete", "nothing-here", "--force", "--yes")


def test_unknown_subcommand_and_missing_subcommand_are_errors() -> None:
    with pytest.raises(CommandError, match="invalid choice: 'destroy'"):
        call("b2_buckets", "destroy")
    with pytest.raises(CommandError, match="required: SUBCOMMAND"):
        call("b2_buckets")


def test_delete_and_recreate_forgets_the_shared_cached_bucket_id(
    bucket: dict[str, Any], no_prompt: None
) -> None:
    from django.core.files.storage import storages

    from django_b2.storage import B2Storage

    options = storages.backends["default"]["OPTIONS"]

    def fresh_worker_bucket_id() -> str:
        storage = B2Storage(**options)
        # build the client first: B2Storage.bucket_id builds it under its own non-reentrant lock
        assert storage.client is not None
        return storage.bucket_id

    assert fresh_worker_bucket_id() == bucket["bucketId"]  # now in the shared cache

    call("b2_buckets", "delete", BUCKET)
    new = call("b2_buckets", "create", BUCKET, "--json").json()
    assert new["bucketId"] != bucket["bucketId"]
    # a worker that starts now (new storage, same cache) sees the new bucket
    assert fresh_worker_bucket_id() == new["bucketId"]
    assert call("b2_files", "ls", "--json").json() == []


def test_django_options_after_the_subcommand(bucket: dict[str, Any]) -> None:
    with pytest.raises(CommandError) as info:
        call("b2_buckets", "get", "no-such-bucket", "--traceback", "-v", "0")
    assert "No bucket named no-such-bucket" in str(info.value)
    assert (
        call("b2_buckets", "list", "--verbosity", "2", "--json").json()[0]["bucketName"] == BUCKET
    )
