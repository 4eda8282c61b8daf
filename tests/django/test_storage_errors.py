"""A misspelt bucket and over-long names fail clearly, over real HTTP against the emulator."""

from __future__ import annotations

import pytest
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile

from django_b2.conf import B2ConfigurationError

from .conftest import B2Env

WRONG_BUCKET = "media-bucket-typo"


def test_wrong_bucket_is_a_configuration_error_from_every_call(b2: B2Env) -> None:
    """exists() said False and open() FileNotFoundError: a wrong setting looked like a lost file."""
    storage = b2.storage(bucket_name=WRONG_BUCKET)
    calls = {
        "exists": lambda: storage.exists("a.txt"),
        "open": lambda: storage.open("a.txt"),
        "size": lambda: storage.size("a.txt"),
        "get_modified_time": lambda: storage.get_modified_time("a.txt"),
        "listdir": lambda: storage.listdir(""),
        "save": lambda: storage.save("a.txt", ContentFile(b"x")),
    }
    for what, call in calls.items():
        with pytest.raises(B2ConfigurationError, match=WRONG_BUCKET) as info:
            call()
        message = str(info.value)
        assert "b2_buckets create" in message and "bucket_name" in message, what
    # The bucket is looked up once per storage and remembered, as for save().
    assert b2.counts().get("b2_list_buckets", 0) <= len(calls)


def test_missing_file_in_an_existing_bucket_is_still_file_not_found(b2: B2Env) -> None:
    storage = b2.storage()
    assert not storage.exists("absent.txt")
    with pytest.raises(FileNotFoundError):
        storage.open("absent.txt")


@pytest.mark.parametrize("overwrite", [False, True])
def test_get_available_name_truncates_like_django(b2: B2Env, overwrite: bool) -> None:
    """With file_overwrite a name longer than max_length raised; Django's storages cut it."""
    storage = b2.storage(file_overwrite=overwrite)
    name = "uploads/" + "r" * 300 + ".tar.gz"
    available = storage.get_available_name(name, max_length=100)
    assert len(available) <= 100
    assert available.startswith("uploads/rrrr") and available.endswith(".tar.gz")
    # The truncated name is a real, usable name: save it and read it back.
    saved = storage.save(name, ContentFile(b"long"), max_length=100)
    assert len(saved) <= 100 and saved.endswith(".tar.gz")
    with storage.open(saved) as handle:
        assert handle.read() == b"long"
    # A name that fits is left alone (and with overwrite stays the same even when taken).
    assert storage.get_available_name("uploads/short.txt", max_length=100) == "uploads/short.txt"


def test_truncation_raises_only_where_django_does_and_quotes_100_characters(b2: B2Env) -> None:
    storage = b2.storage(file_overwrite=True)
    directory = "d" * 400
    # Not even one character of the file root fits: Django raises SuspiciousFileOperation.
    with pytest.raises(SuspiciousFileOperation) as info:
        storage.get_available_name(f"{directory}/file.txt", max_length=50)
    assert "d" * 101 not in str(info.value)
    assert "max_length" in str(info.value)
    with pytest.raises(SuspiciousFileOperation, match="path traversal"):
        storage.get_available_name("a/../b.txt")
    # A name beyond B2's 1024 bytes (no max_length given) is refused with a short quote.
    with pytest.raises(ValueError, match="1024 bytes") as too_long:
        storage.save("x" * 2000 + ".txt", ContentFile(b"x"))
    assert "x" * 101 not in str(too_long.value)
