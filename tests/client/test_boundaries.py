"""Bad input fails with B2ValidationError before any request: the emulator's counters stay still."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

from django_b2.client import B2Client, B2ValidationError, RetryPolicy
from django_b2.emulator import EmulatorServer

BID = "4a48fe8875c6214145260818"
FID = "4_z4a48fe8875c6214145260818_f1"

CASES: list[tuple[str, Callable[[B2Client], Any], str]] = [
    ("bucket name short", lambda c: c.create_bucket("abc", "allPrivate"), "6 to 63"),
    ("bucket name b2-", lambda c: c.create_bucket("b2-reserved", "allPrivate"), "b2-"),
    ("bucket type", lambda c: c.create_bucket("good-name", "snapshot"), "allPrivate"),
    (
        "bucket info",
        lambda c: c.create_bucket("good-name", "allPrivate", bucket_info={"a": 1}),
        "str",
    ),
    (
        "update lock off",
        lambda c: c.update_bucket(BID, file_lock_enabled=False),
        "only be turned on",
    ),
    ("get_bucket both", lambda c: c.get_bucket(), "exactly one"),
    ("list bucket types str", lambda c: c.list_buckets(bucket_types="allPublic"), "list"),  # type: ignore[arg-type]
    ("empty bucket id", lambda c: c.get_upload_url(""), "bucket_id"),
    ("file name control", lambda c: c.upload_file(BID, "a\nb", b"x"), "control character"),
    ("file name DEL", lambda c: c.upload_file(BID, "a\x7fb", b"x"), "DEL"),
    ("file name long", lambda c: c.upload_file(BID, "x" * 1025, b"x"), "1024"),
    ("file name empty", lambda c: c.hide_file(BID, ""), "empty"),
    (
        "file info count",
        lambda c: c.upload_file(BID, "f", b"x", file_info={str(i): "v" for i in range(11)}),
        "at most 10",
    ),
    (
        "file info b2-",
        lambda c: c.upload_file(BID, "f", b"x", file_info={"b2-foo": "v"}),
        "reserved",
    ),
    ("file info key long", lambda c: c.start_large_file(BID, "f", file_info={"k" * 51: "v"}), "50"),
    ("sha1 format", lambda c: c.upload_file(BID, "f", b"x", content_sha1="abc"), "40 hex"),
    (
        "length mismatch",
        lambda c: c.upload_file(BID, "f", b"xyz", content_length=5),
        "content_length",
    ),
    ("data type", lambda c: c.upload_file(BID, "f", "text"), "bytes or a binary file"),  # type: ignore[arg-type]
    (
        "url without token",
        lambda c: c.upload_file(BID, "f", b"x", upload_url="http://u"),
        "together",
    ),
    (
        "retention mode",
        lambda c: c.upload_file(BID, "f", b"x", file_retention={"mode": "x"}),
        "governance",
    ),
    ("legal hold", lambda c: c.upload_file(BID, "f", b"x", legal_hold="maybe"), "'on' or 'off'"),
    ("part number 0", lambda c: c.upload_part(FID, 0, b"x"), "1 to 10000"),
    ("part number big", lambda c: c.copy_part(FID, FID, 10_001), "1 to 10000"),
    ("part sha1s empty", lambda c: c.finish_large_file(FID, []), "empty"),
    ("part sha1s bad", lambda c: c.finish_large_file(FID, ["nope"]), "40 hex"),
    ("list count", lambda c: c.list_file_names(BID, max_file_count=10_001), "1 to 10000"),
    ("list parts count", lambda c: c.list_parts(FID, max_part_count=1001), "1 to 1000"),
    (
        "unfinished count",
        lambda c: c.list_unfinished_large_files(BID, max_file_count=101),
        "1 to 100",
    ),
    ("keys count", lambda c: c.list_keys(max_key_count=0), "1 to 10000"),
    ("start id alone", lambda c: c.list_file_versions(BID, start_file_id=FID), "start_file_name"),
    ("delimiter", lambda c: c.list_file_names(BID, delimiter="//"), "single character"),
    ("prefix control", lambda c: list(c.iter_file_names(BID, prefix="a\x00")), "control"),
    ("download duration 0", lambda c: c.get_download_authorization(BID, "p", 0), "604800"),
    ("download duration big", lambda c: c.get_download_authorization(BID, "p", 604_801), "604800"),
    (
        "signed url duration",
        lambda c: c.signed_download_url("good-name", "f", valid_duration_in_seconds=10**7),
        "604800",
    ),
    (
        "signed url override",
        lambda c: c.signed_download_url(
            "good-name", "f", valid_duration_in_seconds=5, disposition="x"
        ),
        "b2_content_disposition",
    ),
    (
        "download range",
        lambda c: c.download_file_by_name("good-name", "f", range=(5, 1)),
        "before its start",
    ),
    (
        "download by id override",
        lambda c: c.download_file_by_id(FID, b2ContentTypo="x"),
        "Unknown download override",
    ),
    ("head name", lambda c: c.get_file_info_by_name("good-name", "bad\x01"), "control"),
    (
        "copy replace w/o type",
        lambda c: c.copy_file(FID, "f", metadata_directive="REPLACE"),
        "content_type",
    ),
    ("copy info w/o replace", lambda c: c.copy_file(FID, "f", file_info={"a": "b"}), "REPLACE"),
    ("copy directive", lambda c: c.copy_file(FID, "f", metadata_directive="MOVE"), "COPY"),
    ("retention missing", lambda c: c.update_file_retention("f", FID, None), "required"),  # type: ignore[arg-type]
    ("legal hold missing", lambda c: c.update_file_legal_hold("f", FID, "yes"), "'on' or 'off'"),
    ("key name", lambda c: c.create_key("bad name", ["readFiles"]), "Key name"),
    ("key capability", lambda c: c.create_key("k", ["readFile"]), "Unknown capabilities"),
    (
        "restricted key caps",
        lambda c: c.create_key("k", ["writeKeys"], bucket_id=BID),
        "restricted",
    ),
    (
        "key duration",
        lambda c: c.create_key("k", ["readFiles"], valid_duration_in_seconds=86_400_000),
        "1000 days",
    ),
    (
        "key prefix needs bucket",
        lambda c: c.create_key("k", ["readFiles"], name_prefix="p/"),
        "bucket_id",
    ),
    ("delete key id", lambda c: c.delete_key(""), "application_key_id"),
    ("delete version name", lambda c: c.delete_file_version("", FID), "empty"),
    ("nonseekable without length", lambda c: c.upload_part(FID, 1, NoSeek()), "content_length"),
]


class NoSeek(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        return 0


@pytest.fixture(scope="module")
def idle_client(b2_emulator_server: EmulatorServer) -> B2Client:
    return B2Client(
        b2_emulator_server.application_key_id,
        b2_emulator_server.application_key,
        api_url=b2_emulator_server.url,
        retry=RetryPolicy(attempts=1),
    )


@pytest.mark.parametrize(("what", "call", "hint"), CASES, ids=[c[0] for c in CASES])
def test_rejected_before_any_request(
    b2_emulator: EmulatorServer,
    idle_client: B2Client,
    what: str,
    call: Callable[[B2Client], Any],
    hint: str,
) -> None:
    b2_emulator.reset_counters()
    with pytest.raises(B2ValidationError) as info:
        call(idle_client)
    assert hint in str(info.value), f"{what}: message {str(info.value)!r} lacks {hint!r}"
    assert isinstance(info.value, ValueError)
    assert b2_emulator.counters()["total"] == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"api_url": "api.backblazeb2.com"},
        {"pool_size": 0},
        {"auth_max_age": 90_000},
        {"timeout": 0},
        {"timeout": (5, -1)},
    ],
)
def test_bad_client_options(kwargs: dict[str, Any]) -> None:
    with pytest.raises(B2ValidationError):
        B2Client("id", "key", **kwargs)


@pytest.mark.parametrize(("key_id", "key"), [("", "k"), ("id", ""), (None, "k")])
def test_missing_credentials(key_id: Any, key: Any) -> None:
    with pytest.raises(B2ValidationError, match="application_key"):
        B2Client(key_id, key)
