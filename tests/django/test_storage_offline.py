"""What B2Storage does before any request: construction, migrations, names, arguments."""

from __future__ import annotations

import copy
import pickle
import pickletools
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import SuspiciousFileOperation
from django.core.management import call_command
from django.test import override_settings

from django_b2.conf import B2ConfigurationError
from django_b2.static import B2ManifestStaticStorage, B2StaticStorage
from django_b2.storage import B2Storage

OPTIONS: dict[str, Any] = {
    "application_key_id": "kid",
    "application_key": "K-secret-do-not-leak",
    "bucket_name": "media-bucket",
    "api_url": "http://127.0.0.1:9",
    "location": "uploads",
}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield


def test_construction_is_offline_and_lazy() -> None:
    storage = B2Storage(**OPTIONS)
    assert storage._client is None
    assert storage.bucket_name == "media-bucket"
    assert storage.location == "uploads"
    assert "K-secret" not in repr(storage)
    assert "K-secret" not in repr(storage.config)


def test_static_storages_construct_offline() -> None:
    storage = B2ManifestStaticStorage(**OPTIONS)
    assert storage._client is None
    assert storage.config.public is True and storage.config.file_overwrite is True
    assert B2StaticStorage(**OPTIONS)._client is None


def test_construction_rejects_bad_options() -> None:
    with pytest.raises(B2ConfigurationError, match="Did you mean 'location'"):
        B2Storage(**OPTIONS, locaton="x")
    with pytest.raises(B2ConfigurationError, match="contradict"):
        B2Storage(**OPTIONS, part_size=10_000, large_file_threshold=5_000)


def test_deconstruct_drops_the_application_key() -> None:
    path, _args, kwargs = B2Storage(**OPTIONS).deconstruct()
    assert path == "django_b2.storage.B2Storage"
    assert "application_key" not in kwargs
    assert kwargs["bucket_name"] == "media-bucket"
    assert B2StaticStorage(**OPTIONS).deconstruct()[0] == "django_b2.static.B2StaticStorage"


def test_pickle_and_deepcopy() -> None:
    storage = B2Storage(**OPTIONS)
    key = OPTIONS["application_key"]
    pickled = pickle.dumps(storage)
    assert key.encode() not in pickled  # a pickle may land in a cache or a queue
    with override_settings(
        STORAGES={"default": {"BACKEND": "django_b2.storage.B2Storage", "OPTIONS": OPTIONS}}
    ):
        for clone in (pickle.loads(pickled), copy.deepcopy(storage)):
            assert clone.config == storage.config  # the key came back from the settings
            assert clone._client is None
        static_pickle = pickle.dumps(B2StaticStorage(**OPTIONS))
        assert key.encode() not in static_pickle
        static = pickle.loads(static_pickle)
    assert static._held == set() and not static._listing.is_fresh()  # run state starts over
    static.flush()  # a working (empty) upload pool
    assert copy.deepcopy(storage).config.application_key == key  # no settings needed in memory


#: B2Storage's own public members (and the two Storage hooks it implements), pinned: the class is
#: put together from the parts in django_b2/_storage/, so that a member cannot get lost unnoticed.
STORAGE_MEMBERS = [
    "_open",
    "_save",
    "b2_name",
    "bucket_id",
    "bucket_name",
    "cache",
    "client",
    "client_kwargs",
    "command_client",
    "deconstruct",
    "delete",
    "download_url",
    "exists",
    "file_info",
    "file_info_for",
    "get_accessed_time",
    "get_available_name",
    "get_created_time",
    "get_modified_time",
    "guess_content_type",
    "listdir",
    "location",
    "missing",
    "name_prefix",
    "normalize_name",
    "path",
    "save",
    "size",
    "static_defaults",
    "upload",
    "url",
]


def test_storage_members_are_pinned() -> None:
    own = {
        name
        for cls in B2Storage.__mro__
        if cls.__module__.startswith("django_b2")
        for name in vars(cls)
        if not name.startswith("_") or name in ("_open", "_save")
    }
    assert sorted(own) == STORAGE_MEMBERS


def test_pickles_name_only_public_modules() -> None:
    """Pickles (in caches, task queues) outlive a deploy: they name a storage and its config by
    the public modules they are imported from, not by the private modules that hold the code."""
    for storage in (B2Storage(**OPTIONS), B2StaticStorage(**OPTIONS)):
        names = {
            str(arg)
            for opcode, arg, _ in pickletools.genops(pickle.dumps(storage))
            if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "GLOBAL")
        }
        assert "django_b2.conf" in names and "B2Config" in names
        assert not [name for name in names if name.startswith("django_b2._")], names


def test_unpickling_without_a_configured_key_says_what_to_set() -> None:
    pickled = pickle.dumps(B2Storage(**OPTIONS))
    with (
        override_settings(STORAGES={}, B2_APPLICATION_KEY=None),
        pytest.raises(B2ConfigurationError, match=r"OPTIONS\['application_key'\]"),
    ):
        pickle.loads(pickled)


@pytest.mark.parametrize(
    ("name", "error", "fragment"),
    [
        ("/etc/passwd", SuspiciousFileOperation, "Absolute file name"),
        ("a/../../b", SuspiciousFileOperation, "path traversal"),
        ("bad\x01name", ValueError, "Invalid file name"),
        ("x" * 1100, ValueError, "at most 1024 bytes"),
        ("", SuspiciousFileOperation, "empty"),
    ],
)
def test_bad_names_fail_before_any_request(
    name: str, error: type[Exception], fragment: str
) -> None:
    storage = B2Storage(**OPTIONS)
    with pytest.raises(error, match=fragment):
        storage.size(name)
    with pytest.raises(error):
        storage.delete(name)
    assert storage._client is None


def test_names_are_normalized_and_prefixed() -> None:
    storage = B2Storage(**OPTIONS)
    assert storage.b2_name("a\\b/./c.txt") == "uploads/a/b/c.txt"
    assert B2Storage(**{**OPTIONS, "location": ""}).b2_name("x.txt") == "x.txt"


def test_bad_url_expiry_fails_before_any_request() -> None:
    storage = B2Storage(**OPTIONS)
    with pytest.raises(ValueError, match="between 1 and 604800"):
        storage.url("a.txt", expire=604_801)
    with pytest.raises(TypeError, match="int number of seconds"):
        storage.url("a.txt", expire="60")  # type: ignore[arg-type]


def test_unsupported_open_modes_are_rejected() -> None:
    storage = B2Storage(**OPTIONS)
    for mode in ("ab", "r+b", "x"):
        with pytest.raises(ValueError, match="not supported"):
            storage.open("a.txt", mode)


def test_accessed_time_and_path_not_supported() -> None:
    storage = B2Storage(**OPTIONS)
    with pytest.raises(NotImplementedError, match="access times"):
        storage.get_accessed_time("a.txt")
    with pytest.raises(NotImplementedError, match="no local path"):
        storage.path("a.txt")


def test_content_type_guessing() -> None:
    storage = B2Storage(**OPTIONS)
    assert storage.guess_content_type("a/photo.JPG") == "image/jpeg"
    assert storage.guess_content_type("app.js.gz") == "application/gzip"
    assert storage.guess_content_type("noext") == "application/octet-stream"


def test_file_info_options_by_value_and_callable() -> None:
    storage = B2Storage(
        **OPTIONS,
        cache_control=lambda name: "max-age=60" if name.endswith(".css") else None,
        content_disposition="inline",
        file_info={"project": "demo"},
    )
    assert storage.file_info_for("a.css") == {
        "project": "demo",
        "b2-cache-control": "max-age=60",
        "b2-content-disposition": "inline",
    }
    assert "b2-cache-control" not in storage.file_info_for("a.txt")


def test_overwrite_available_name_makes_no_request() -> None:
    storage = B2Storage(**OPTIONS, file_overwrite=True)
    assert storage.get_available_name("docs/report.pdf") == "docs/report.pdf"
    with pytest.raises(SuspiciousFileOperation, match="max_length"):
        storage.get_available_name("docs/report.pdf", max_length=5)


@pytest.mark.django_db
def test_migrate_makes_no_request() -> None:
    storages = {
        "default": {"BACKEND": "django_b2.storage.B2Storage", "OPTIONS": OPTIONS},
        "staticfiles": {"BACKEND": "django_b2.static.B2ManifestStaticStorage", "OPTIONS": OPTIONS},
    }
    with override_settings(STORAGES=storages):
        call_command("migrate", verbosity=0)
        call_command("check", verbosity=0)


def test_root_exists_without_a_request() -> None:
    storage = B2Storage(**OPTIONS)
    assert storage.exists("") and storage.exists("/")
    assert B2StaticStorage(**OPTIONS).exists("")
    assert storage._client is None
