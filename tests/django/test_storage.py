"""B2Storage over real HTTP against the emulator: the whole Storage contract."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import datetime, timezone
from typing import Any

import pytest
import requests
from django.core.files.base import ContentFile, File
from django.test import override_settings

from django_b2.client.errors import B2Error, B2Unauthorized
from django_b2.conf import B2ConfigurationError
from django_b2.storage import B2Storage

from .conftest import PRIVATE_BUCKET, B2Env


def payload(size: int, seed: int = 0) -> bytes:
    return bytes((i * 31 + seed) % 251 for i in range(size))


def test_save_exists_size_open_listdir(b2: B2Env) -> None:
    storage = b2.storage(location="media")
    name = storage.save("notes/hello.txt", ContentFile(b"hello world"))
    assert name == "notes/hello.txt"
    assert storage.exists(name)
    assert not storage.exists("notes/absent.txt")
    assert storage.size(name) == 11
    with storage.open(name) as handle:
        assert handle.read() == b"hello world"
    # Stored under the location prefix, with a guessed content type.
    info = b2.client.get_file_info_by_name(PRIVATE_BUCKET, "media/notes/hello.txt")
    assert info["contentType"] == "text/plain"
    storage.save("notes/sub/deep.txt", ContentFile(b"x"))
    storage.save("top.bin", ContentFile(b"y"))
    assert storage.listdir("") == (["notes"], ["top.bin"])
    assert storage.listdir("notes") == (["sub"], ["hello.txt"])
    assert storage.listdir("notes/") == (["sub"], ["hello.txt"])
    assert storage.listdir("nothing-here") == ([], [])


def test_text_content_and_django_file(b2: B2Env, tmp_path: Any) -> None:
    storage = b2.storage()
    storage.save("unicode.txt", ContentFile("héllo ✓"))
    with storage.open("unicode.txt", "r") as handle:
        assert handle.read() == "héllo ✓"
    source = tmp_path / "disk.bin"
    source.write_bytes(payload(5000))
    with source.open("rb") as raw:
        storage.save("disk.bin", File(raw))
    with storage.open("disk.bin") as handle:
        assert handle.read() == payload(5000)


def test_missing_files_raise_file_not_found(b2: B2Env) -> None:
    storage = b2.storage()
    with pytest.raises(FileNotFoundError, match=r"absent\.txt"):
        storage.open("absent.txt")
    with pytest.raises(FileNotFoundError):
        storage.size("absent.txt")
    with pytest.raises(FileNotFoundError):
        storage.get_modified_time("absent.txt")
    storage.delete("absent.txt")  # not an error, under every policy
    b2.storage(delete_policy="hide").delete("absent.txt")
    b2.storage(delete_policy="delete_newest").delete("absent.txt")


def test_available_name_without_overwrite(b2: B2Env) -> None:
    storage = b2.storage()
    first = storage.save("a.txt", ContentFile(b"1"))
    second = storage.save("a.txt", ContentFile(b"2"))
    assert first == "a.txt"
    assert second != "a.txt" and second.startswith("a_") and second.endswith(".txt")
    with storage.open(first) as handle:
        assert handle.read() == b"1"


def test_overwrite_save_is_one_request_in_steady_state(b2: B2Env) -> None:
    storage = b2.storage(file_overwrite=True)
    storage.save("same.txt", ContentFile(b"first"))  # warms authorization, bucket id, upload URL
    b2.server.reset_counters()
    assert storage.save("same.txt", ContentFile(b"second")) == "same.txt"
    assert b2.counts() == {"b2_upload_file": 1}
    with storage.open("same.txt") as handle:
        assert handle.read() == b"second"


def test_new_worker_reuses_shared_authorization_and_bucket_id(b2: B2Env) -> None:
    b2.storage().save("warm.txt", ContentFile(b"w"))
    b2.server.reset_counters()
    # Another worker (a new storage and client) on the same cache alias.
    b2.storage().save("other.txt", ContentFile(b"o"))
    counts = b2.counts()
    assert "b2_authorize_account" not in counts
    assert "b2_list_buckets" not in counts
    assert counts["b2_upload_file"] == 1


def test_delete_all_versions(b2: B2Env) -> None:
    storage = b2.storage(file_overwrite=True)
    storage.save("v.txt", ContentFile(b"old"))
    storage.save("v.txt", ContentFile(b"new"))
    storage.save("v.txt.bak", ContentFile(b"neighbour"))
    storage.delete("v.txt")
    assert not storage.exists("v.txt")
    names = [f["fileName"] for f in b2.client.iter_file_versions(b2.private_bucket_id)]
    assert names == ["v.txt.bak"]


def test_delete_newest_promotes_older_version(b2: B2Env) -> None:
    storage = b2.storage(file_overwrite=True, delete_policy="delete_newest")
    storage.save("v.txt", ContentFile(b"old"))
    storage.save("v.txt", ContentFile(b"new"))
    storage.delete("v.txt")
    with storage.open("v.txt") as handle:
        assert handle.read() == b"old"
    storage.delete("v.txt")
    assert not storage.exists("v.txt")


def test_hide_keeps_versions(b2: B2Env) -> None:
    storage = b2.storage(delete_policy="hide")
    storage.save("h.txt", ContentFile(b"keep me"))
    storage.delete("h.txt")
    storage.delete("h.txt")  # already hidden: still fine
    assert not storage.exists("h.txt")
    actions = [f["action"] for f in b2.client.iter_file_versions(b2.private_bucket_id)]
    assert actions == ["hide", "upload"]


def test_modified_and_created_times(b2: B2Env) -> None:
    storage = b2.storage(file_info={"src_last_modified_millis": "1600000000000"})
    storage.save("t.txt", ContentFile(b"t"))
    modified = storage.get_modified_time("t.txt")
    assert modified == datetime.fromtimestamp(1_600_000_000, tz=timezone.utc)
    created = storage.get_created_time("t.txt")
    assert created.tzinfo is not None
    assert abs((datetime.now(timezone.utc) - created).total_seconds()) < 60
    with override_settings(USE_TZ=False):
        naive = storage.get_modified_time("t.txt")
    assert naive.tzinfo is None
    assert naive == modified.astimezone().replace(tzinfo=None)
    plain = b2.storage()
    plain.save("u.txt", ContentFile(b"u"))
    assert plain.get_modified_time("u.txt") == plain.get_created_time("u.txt")


def test_upload_metadata_options(b2: B2Env) -> None:
    storage = b2.storage(
        cache_control="public, max-age=86400",
        content_disposition=lambda name: f'attachment; filename="{name.rsplit("/", 1)[-1]}"',
    )
    storage.save("dl/report.pdf", ContentFile(b"%PDF-1.4"))
    response = requests.get(storage.url("dl/report.pdf"), timeout=10)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    assert response.headers["Content-Disposition"] == 'attachment; filename="report.pdf"'
    assert response.headers["Content-Type"] == "application/pdf"


def test_seekable_lazy_reads_use_ranges(b2: B2Env) -> None:
    data = payload(50_000)
    storage = b2.storage(read_block_size=8192)
    storage.save("big.bin", ContentFile(data))
    b2.server.reset_counters()
    with storage.open("big.bin") as handle:
        assert handle.size == 50_000
        handle.seek(30_000)
        assert handle.read(100) == data[30_000:30_100]
        handle.seek(-10, io.SEEK_END)
        assert handle.read() == data[-10:]
        handle.seek(0)
        assert b"".join(handle.chunks(chunk_size=4096)) == data
        requests_made = handle.requests
    counts = b2.counts()
    # Ranged GETs (8 KiB, then growing while sequential), plus one per seek; never a whole-file
    # fetch. The first goes by name; the others by the id of the version it served.
    assert counts == {"b2_download_file_by_name": 1, "b2_download_file_by_id": requests_made - 1}
    assert 4 <= requests_made <= 8


def test_zero_byte_file(b2: B2Env) -> None:
    storage = b2.storage()
    storage.save("empty.txt", ContentFile(b""))
    assert storage.size("empty.txt") == 0
    with storage.open("empty.txt") as handle:
        assert handle.read() == b""


def test_write_mode_spools_and_uploads_on_close(b2: B2Env) -> None:
    storage = b2.storage(spool_max_size=1000)
    with storage.open("written.bin", "wb") as handle:
        for i in range(5):
            handle.write(payload(900, seed=i))  # rolls over to disk after 1000 bytes
        assert not storage.exists("written.bin")  # nothing sent before close
    assert handle.uploaded is not None and handle.uploaded["contentLength"] == 4500
    with storage.open("written.bin") as reader:
        assert reader.read() == b"".join(payload(900, seed=i) for i in range(5))
    with storage.open("written.txt", "w") as text:
        text.write("línea\n")
    with storage.open("written.txt", "r") as text_reader:
        assert text_reader.read() == "línea\n"


def test_large_file_through_storage(b2: B2Env) -> None:
    storage = b2.storage(part_size=2000, large_file_threshold=5000, max_workers=2)
    data = payload(23_456)
    storage.save("large.bin", ContentFile(data))
    counts = b2.counts()
    assert counts["b2_start_large_file"] == 1
    assert counts["b2_upload_part"] == 12
    assert "b2_upload_file" not in counts
    with storage.open("large.bin") as handle:
        assert handle.read() == data


@pytest.mark.parametrize("large_file_sha1", [False, True])
def test_large_file_sha1_option(b2: B2Env, large_file_sha1: bool) -> None:
    storage = b2.storage(part_size=2000, large_file_threshold=5000, large_file_sha1=large_file_sha1)
    data = payload(12_345, seed=3)
    name = storage.save("whole-sha1.bin", ContentFile(data))
    version = next(
        f for f in b2.client.iter_file_names(b2.private_bucket_id) if f["fileName"].endswith(name)
    )
    expected = {"large_file_sha1": hashlib.sha1(data).hexdigest()} if large_file_sha1 else {}
    assert {k: v for k, v in version["fileInfo"].items() if k == "large_file_sha1"} == expected


def test_large_file_sha1_option_must_be_a_bool() -> None:
    with pytest.raises(B2ConfigurationError, match="large_file_sha1"):
        B2Storage(
            application_key_id="k",
            application_key="s",
            bucket_name="b-bucket",
            large_file_sha1="yes",
        )


def test_b2_errors_propagate(b2: B2Env) -> None:
    storage = b2.storage(application_key="wrong-key")
    with pytest.raises(B2Unauthorized, match="check application_key_id and application_key"):
        storage.save("x.txt", ContentFile(b"x"))
    with pytest.raises(B2ConfigurationError, match="bucket 'no-such-bucket'"):
        b2.storage(bucket_name="no-such-bucket").save("x.txt", ContentFile(b"x"))
    assert issubclass(B2Unauthorized, B2Error)


def test_storage_from_settings_alone(b2: B2Env) -> None:
    with override_settings(
        B2_APPLICATION_KEY_ID=b2.server.application_key_id,
        B2_APPLICATION_KEY=b2.server.application_key,
        B2_API_URL=b2.server.url,
        B2_BUCKET_NAME=PRIVATE_BUCKET,
        B2_LOCATION="from-settings",
    ):
        storage = B2Storage()
    storage.save("s.txt", ContentFile(b"s"))
    names = [f["fileName"] for f in b2.client.iter_file_names(b2.private_bucket_id)]
    assert names == ["from-settings/s.txt"]


def test_bucket_id_first_is_looked_up_once(b2: B2Env) -> None:
    storage = b2.storage()
    assert storage.bucket_id == b2.private_bucket_id  # builds the client inside the lookup
    assert b2.counts() == {"b2_authorize_account": 1, "b2_list_buckets": 1}
    assert b2.storage(bucket_id="given-id").bucket_id == "given-id"
    assert b2.total() == 2


def test_read_stays_on_one_version_while_the_name_is_overwritten(b2: B2Env) -> None:
    old, new = payload(20_000, seed=1), payload(20_000, seed=2)
    storage = b2.storage(file_overwrite=True, read_block_size=4096)
    storage.save("moving.bin", ContentFile(old))
    with storage.open("moving.bin") as handle:
        first = handle.read(5000)
        storage.save("moving.bin", ContentFile(new))  # a new version while reading
        rest = handle.read()
        handle.seek(0)
        again = handle.read(100)
    assert first + rest == old
    assert again == old[:100]
    with storage.open("moving.bin") as handle:
        assert handle.read() == new


def test_saving_a_b2_file_copies_server_side(b2: B2Env) -> None:
    data = payload(30_000)
    source = b2.storage(location="originals")
    target = b2.storage(location="copies", cache_control="max-age=60")
    source.save("photo.jpg", ContentFile(data))
    with source.open("photo.jpg") as handle:
        b2.server.reset_counters()
        assert target.save("photo.jpg", handle) == "photo.jpg"
    counts = b2.counts()
    assert counts.get("b2_copy_file") == 1
    assert "b2_upload_file" not in counts and "b2_download_file_by_id" not in counts
    with target.open("photo.jpg") as copied:
        assert copied.read() == data
    info = b2.client.get_file_info_by_name(PRIVATE_BUCKET, "copies/photo.jpg")
    assert info["contentType"] == "image/jpeg"
    assert info["headers"]["Cache-Control"] == "max-age=60"
    # Another account (other credentials) cannot copy: the bytes are streamed instead.
    assert (
        b2.storage(application_key_id="other-key-id")._copy_from_b2(
            "x.jpg", "x.jpg", source.open("photo.jpg")
        )
        is None
    )


def test_retry_option_sets_the_clients_policy(b2: B2Env) -> None:
    storage = b2.storage(retry={"attempts": 2, "initial_backoff": 0, "max_retry_after": 0})
    assert storage.client.retry.attempts == 2
    b2.server.set_faults(upload_503_rate=1.0, retry_after=0)  # a longer one would end the call
    with pytest.raises(B2Error, match="503"):
        storage.save("never.txt", ContentFile(b"x"))
    assert b2.counts()["b2_upload_file"] == 2  # two upload URLs tried, then the error surfaced
    b2.server.set_faults()


@pytest.mark.parametrize(
    ("retry", "fragment"),
    [
        ("5", "must be a dict of RetryPolicy fields"),
        ({"attempt": 3}, "Did you mean 'attempts'"),
        ({"attempts": 0}, "a whole number >= 1"),
        ({"max_backoff": -1}, "must be a number >= 0"),
    ],
)
def test_retry_option_is_validated(retry: Any, fragment: str) -> None:
    with pytest.raises(B2ConfigurationError, match=re.escape(fragment)):
        B2Storage(application_key_id="k", application_key="s", bucket_name="b-bucket", retry=retry)
