"""``manage.py b2_files orphans`` and :mod:`django_b2.orphans` against the emulator."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.test import override_settings

from django_b2.orphans import delete_orphans, find_missing, find_orphans
from django_b2.references import NameSpool
from tests.django.testapp.models import Document, Photo

from .conftest import Env

pytestmark = pytest.mark.django_db

EIGHT_DAYS = 8 * 86_400
REFERENCED = ["docs/a.txt", "docs/B.txt", "docs/é.txt", "docs/a-b.txt", "photos/p.png"]
OLD_ORPHANS = ["docs/a/b.txt", "docs/old.txt", "docs/日本.txt", "x/ü.bin"]
YOUNG_ORPHANS = ["docs/young.txt"]
MISSING = ["docs/missing.pdf", "photos/none.png"]


@pytest.fixture
def site(env: Env) -> Env:
    """Files in the site bucket: referenced ones, orphans uploaded 8 days ago and just now, a
    file outside the storage's location; rows pointing at files that are not there."""
    bucket = env.site_bucket_id
    env.server.advance_clock(-EIGHT_DAYS)
    for name in REFERENCED + OLD_ORPHANS:
        env.client.upload_file(bucket, f"media/{name}", name.encode())
    env.client.upload_file(bucket, "outside/not-media.txt", b"not under the location")
    env.server.advance_clock(EIGHT_DAYS)
    for name in YOUNG_ORPHANS:
        env.client.upload_file(bucket, f"media/{name}", name.encode())
    for name in [*REFERENCED[:4], MISSING[0]]:
        Document.objects.create(title=name, attachment=name)
    Document.objects.create(title="twice", attachment="docs/a.txt")
    Document.objects.create(title="no file", attachment="")
    for name in ("photos/p.png", MISSING[1]):
        Photo.objects.create(image=name, width=1, height=1)
    env.server.reset_counters()
    return env


def orphans(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("b2_files", "orphans", *args, "--json", stdout=out, stderr=io.StringIO())
    return dict(json.loads(out.getvalue()))


def test_orphans_and_missing_found_exactly(site: Env) -> None:
    result = orphans("--older-than", "7d")
    assert [o["name"] for o in result["orphans"]] == OLD_ORPHANS  # B2's (UTF-8 byte) order
    first = result["orphans"][0]
    assert first["b2_name"] == "media/docs/a/b.txt" and first["size"] == len(b"docs/a/b.txt")
    summary = result["summary"]
    assert summary["fields"] == ["b2_testapp.Document.attachment", "b2_testapp.Photo.image"]
    assert (summary["files"], summary["matched"], summary["young"]) == (10, 5, 1)
    assert (summary["orphans"], summary["references"]) == (4, 7)

    everything = orphans("--older-than", "0")
    assert [o["name"] for o in everything["orphans"]] == sorted(
        OLD_ORPHANS + YOUNG_ORPHANS, key=lambda name: name.encode()
    )
    missing = orphans("--missing")
    assert missing["missing"] == MISSING
    assert missing["summary"]["missing"] == 2
    assert set(site.counts()) <= {"b2_authorize_account", "b2_list_buckets", "b2_list_file_names"}


def test_delete_spares_young_referenced_and_outside_files(site: Env, no_prompt: None) -> None:
    result = orphans("--delete", "--yes", "--older-than", "7d")
    assert result["deleted"] == {
        "deleted": 4, "deleted_bytes": sum(len(n.encode()) for n in OLD_ORPHANS),
        "kept": 0, "gone": 0, "failed": [],
    }  # fmt: skip
    left = sorted(site.site_files())
    assert left == sorted(
        [f"media/{name}" for name in REFERENCED + YOUNG_ORPHANS] + ["outside/not-media.txt"]
    )
    # the default delete_policy ("delete_all") leaves no version and no hide marker behind
    assert site.counts()["b2_delete_file_version"] == 4
    assert "b2_hide_file" not in site.counts()


def test_default_age_keeps_files_of_the_last_day(site: Env, no_prompt: None) -> None:
    result = orphans("--delete", "--yes")
    assert result["deleted"]["deleted"] == 4
    assert "media/docs/young.txt" in site.site_files()


def test_delete_policy_hide(site: Env, no_prompt: None) -> None:
    definitions = site.storages()
    definitions["default"]["OPTIONS"]["delete_policy"] = "hide"
    with override_settings(STORAGES=definitions):
        result = orphans("--delete", "--yes", "--older-than", "7d")
    assert result["deleted"]["deleted"] == 4
    versions = site.site_files()
    for name in OLD_ORPHANS:
        assert [v["action"] for v in versions[f"media/{name}"]] == ["hide", "upload"]


def test_delete_asks_first(site: Env, answer: Callable[[str], list[str]]) -> None:
    prompts = answer("n")
    out = io.StringIO()
    with pytest.raises(CommandError, match="Aborted; nothing was changed"):
        call_command(
            "b2_files", "orphans", "--delete", "--older-than", "7d", stdout=out,
            stderr=io.StringIO(),
        )  # fmt: skip
    assert prompts == [
        "Delete 4 orphaned file(s) (47 B) from b2://site-bucket/media (delete_policy "
        "'delete_all')? [y/N] "
    ]
    lines = out.getvalue().splitlines()
    assert [line.split("  ")[0] for line in lines[:4]] == OLD_ORPHANS
    assert lines[4].startswith("4 orphaned file(s), 47 B, in b2://site-bucket/media (10 files")
    assert "1 younger than 7d left out" in lines[4]
    assert "b2_delete_file_version" not in site.counts()


def test_file_referenced_again_after_the_scan_is_kept(site: Env) -> None:
    storage = storages["default"]
    found = list(find_orphans(storage, older_than=EIGHT_DAYS - 60))
    assert [o.name for o in found] == OLD_ORPHANS
    Document.objects.create(title="back", attachment="docs/old.txt")
    stats = delete_orphans(storage, found, older_than=EIGHT_DAYS - 60)
    assert (stats.deleted, stats.kept) == (3, 1)
    assert "media/docs/old.txt" in site.site_files()


def test_file_replaced_after_the_scan_is_kept(site: Env) -> None:
    storage = storages["default"]
    found = list(find_orphans(storage, older_than=0))
    site.client.upload_file(site.site_bucket_id, "media/docs/old.txt", b"new version")
    stats = delete_orphans(storage, found, older_than=0)
    assert (stats.deleted, stats.kept) == (len(found) - 1, 1)
    assert [v["action"] for v in site.site_files()["media/docs/old.txt"]] == ["upload"] * 2


def test_missing_function_and_invalid_names(site: Env) -> None:
    Document.objects.create(title="bad", attachment="../escape.txt")
    assert list(find_missing(storages["default"])) == [*MISSING, "../escape.txt"]


def test_no_fields_for_the_storage_is_refused(site: Env) -> None:
    with pytest.raises(CommandError, match="No FileField or ImageField uses storage 'old'"):
        call_command("b2_files", "orphans", "--storage", "old", stdout=io.StringIO())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--missing", "--delete"], "--missing lists broken links and deletes nothing"),
        (["--delete", "--json"], "--delete with --json needs --yes"),
        (["--older-than", "soon"], "expected a duration such as 7d"),
        (["--fields", "b2_testapp.Nope.x"], "No model b2_testapp.Nope"),
    ],
)
def test_bad_input(site: Env, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("b2_files", "orphans", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert site.counts() == {}


def test_spool_orders_by_utf8_bytes(tmp_path: Any) -> None:
    names = ["b", "a/b", "a-b", "\uff21", "\U0001f600", "a", "B", "a"]
    with NameSpool(str(tmp_path)) as spool:
        spool.add_all(names, batch=3)
        assert list(spool.sorted()) == sorted({n.encode() for n in names})
        assert "a-b" in spool and "c" not in spool
        # UTF-16 (and so JavaScript or SQL Server) would put U+1F600 before U+FF21
        assert spool.count() == 7
