"""The Django layer never shows the application key: repr, deconstruct, cache, logs, errors."""

from __future__ import annotations

import logging
import pickle
from typing import Any

import pytest
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.test import override_settings

from django_b2.checks import check_storages
from django_b2.client import B2Unauthorized, RetryPolicy
from django_b2.conf import B2ConfigurationError, load_config
from django_b2.storage import B2Storage
from tests.secrets_check import assert_hidden, error_text, log_text

from .conftest import B2Env

WRONG_KEY = "K00wrong-django-secret-must-not-leak"


class NoWaitStorage(B2Storage):
    def client_kwargs(self) -> dict[str, Any]:
        return {**super().client_kwargs(), "retry": RetryPolicy(attempts=6, sleep=lambda _s: None)}


def cache_dump() -> str:
    """Every entry of the (LocMem) default cache: the raw pickle and the unpickled value."""
    raw: dict[str, bytes] = dict(caches["default"]._cache)  # type: ignore[attr-defined]
    return "\n".join(f"{k} {v!r} {pickle.loads(v)!r}" for k, v in raw.items())


def test_repr_config_and_deconstruct_hide_the_key(b2: B2Env) -> None:
    key = b2.server.application_key
    storage = b2.storage(location="media")
    path, args, kwargs = storage.deconstruct()
    assert kwargs["bucket_name"] == storage.bucket_name  # deconstruct() does carry the options
    assert_hidden(
        key, repr(storage), str(storage), repr(storage.config), repr((path, args, kwargs))
    )


def test_cache_after_authorizing_holds_tokens_never_the_key(b2: B2Env) -> None:
    key = b2.server.application_key
    storage = b2.storage(location="media")
    storage.save("a.txt", ContentFile(b"a"))
    storage.url("a.txt")  # a download token, cached for reuse
    dump = cache_dump()
    assert storage.client.authorization.authorization_token in dump  # the cache was used
    assert_hidden(key, dump, key_id=b2.server.application_key_id)


def test_logs_at_debug_during_uploads(b2: B2Env, caplog: pytest.LogCaptureFixture) -> None:
    key = b2.server.application_key
    caplog.set_level(logging.DEBUG)
    storage = NoWaitStorage(
        **b2.options(location="media", large_file_threshold=2500, part_size=1000)
    )
    b2.server.set_faults(upload_503_rate=0.3, seed=5)
    storage.save("small.txt", ContentFile(b"s" * 1500))
    storage.save("large.bin", ContentFile(b"l" * 4500))
    b2.server.set_faults()
    with storage.open("large.bin") as handle:
        assert handle.read() == b"l" * 4500
    storage.delete("small.txt")
    assert any(r.name.startswith("urllib3") for r in caplog.records)
    assert_hidden(key, log_text(caplog.records), key_id=b2.server.application_key_id)


def test_failed_authorize_hides_the_key(b2: B2Env, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    storage = b2.storage(location="media", application_key=WRONG_KEY)
    with pytest.raises(B2Unauthorized) as info:
        storage.save("x.txt", ContentFile(b"x"))
    shown = error_text(info.value) + log_text(caplog.records) + repr(storage) + cache_dump()
    assert_hidden(WRONG_KEY, shown, key_id=b2.server.application_key_id)


def test_configuration_errors_never_echo_a_key_of_the_wrong_type() -> None:
    options = {
        "application_key_id": "kid",
        "application_key": b"K00bytes-key-must-not-leak",
        "bucket_name": "media-bucket",
    }
    with pytest.raises(B2ConfigurationError) as info:
        load_config(options)
    assert "application_key" in str(info.value) and "bytes" in str(info.value)
    # Not the frames' locals: load_config's caller passes the OPTIONS (and Django's own storage
    # handler holds them in its frame), so a configuration error's traceback shows the settings.
    assert_hidden("K00bytes-key-must-not-leak", error_text(info.value, with_locals=False))

    storages = {"default": {"BACKEND": "django_b2.storage.B2Storage", "OPTIONS": options}}
    with override_settings(STORAGES=storages):
        messages = check_storages()
    assert messages and all(m.id.startswith("django_b2.E") for m in messages)
    assert_hidden("K00bytes-key-must-not-leak", repr(messages), *(str(m) for m in messages))
