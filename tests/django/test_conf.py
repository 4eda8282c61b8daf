"""conf.resolve / load_config: precedence, validation, messages. No server needed."""

from __future__ import annotations

import importlib
import pickle
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_b2.conf import B2ConfigurationError, load_config, resolve

BASE: dict[str, Any] = {
    "application_key_id": "kid-123",
    "application_key": "K-super-secret-value",
    "bucket_name": "media-bucket",
}


def test_precedence_options_then_setting_then_default() -> None:
    assert resolve("location", {}) == ""
    with override_settings(B2_LOCATION="from-setting"):
        assert resolve("location", {}) == "from-setting"
        assert resolve("location", {"location": "from-options"}) == "from-options"
        # An explicit falsy OPTIONS value still wins over the setting.
        assert resolve("location", {"location": ""}) == ""


def test_static_storages_read_b2_static_settings_first() -> None:
    with override_settings(B2_LOCATION="media", B2_STATIC_LOCATION="static", B2_PUBLIC=False):
        assert resolve("location", {}, static=True) == "static"
        assert resolve("location", {}) == "media"
        # 'public' does not fall back to B2_PUBLIC for static storages: CSS needs plain URLs.
        assert resolve("public", {}, static=True) is True
        assert resolve("public", {}) is False
    with override_settings(B2_BUCKET_NAME="shared-bucket"):
        assert resolve("bucket_name", {}, static=True) == "shared-bucket"


def test_settings_supply_everything() -> None:
    with override_settings(
        B2_APPLICATION_KEY_ID="kid", B2_APPLICATION_KEY="secret", B2_BUCKET_NAME="bucket-one"
    ):
        cfg = load_config({"location": "/uploads/"})
    assert (cfg.application_key_id, cfg.bucket_name) == ("kid", "bucket-one")
    assert cfg.location == "uploads"  # slashes trimmed
    assert cfg.delete_policy == "delete_all"
    assert cfg.url_expire == 3600
    assert (cfg.signed_url_scope, cfg.url_token_reuse) == ("file", None)  # one file, bounded
    assert cfg.max_workers == 4


def test_config_is_frozen_and_repr_hides_key() -> None:
    cfg = load_config(BASE)
    assert "K-super-secret-value" not in repr(cfg)
    assert "kid-123" in repr(cfg)
    with pytest.raises(AttributeError):
        cfg.bucket_name = "other"  # type: ignore[misc]


def test_unknown_option_suggests_the_right_one() -> None:
    with pytest.raises(B2ConfigurationError) as info:
        load_config({**BASE, "bucket": "x"})
    assert "'bucket'" in str(info.value)
    assert "Did you mean 'bucket_id'" in str(info.value) or "'bucket_name'" in str(info.value)
    with pytest.raises(B2ConfigurationError, match="Did you mean 'file_overwrite'"):
        load_config({**BASE, "file_overwrites": True})
    assert isinstance(info.value, ImproperlyConfigured)


@pytest.mark.parametrize(
    ("missing", "check_id", "setting"),
    [
        ("application_key_id", "django_b2.E001", "B2_APPLICATION_KEY_ID"),
        ("application_key", "django_b2.E001", "B2_APPLICATION_KEY"),
        ("bucket_name", "django_b2.E002", "B2_BUCKET_NAME"),
    ],
)
def test_missing_value_names_both_places(missing: str, check_id: str, setting: str) -> None:
    options = {k: v for k, v in BASE.items() if k != missing}
    with pytest.raises(B2ConfigurationError) as info:
        load_config(options)
    assert str(info.value) == f"django_b2 needs {missing!r}. Set OPTIONS[{missing!r}] or {setting}."
    assert info.value.check_id == check_id


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"bucket_name": "no_underscores"}, "not a valid B2 bucket name"),
        ({"bucket_name": "b2-reserved"}, "not starting with 'b2-'"),
        ({"api_url": "api.backblazeb2.com"}, "must be an http(s) URL"),
        ({"delete_policy": "purge"}, "must be one of hide, delete_newest, delete_all"),
        ({"url_expire": 0}, "must be a positive integer"),
        ({"url_expire": 604_801}, "at most 604800 s"),
        ({"url_expire": "3600"}, "must be a positive integer"),
        ({"file_overwrite": "yes"}, "must be True or False"),
        ({"max_workers": 0}, "must be a positive integer"),
        ({"part_size": True}, "must be a positive integer"),
        ({"auth_cache": "nope"}, "not in CACHES"),
        ({"custom_domain": "cdn.example.com/path"}, "without a path"),
        ({"location": "a//b"}, "without '//'"),
        ({"file_info": {"k": 1}}, "at most 10 string keys"),
        ({"cache_control": 3}, "a callable(name)"),
        ({"test_mode": "sometimes"}, "must be None or one of"),
        ({"signed_url_scope": "bucket"}, "must be one of file, location"),
        ({"url_token_reuse": -1}, "must be >= 0"),
    ],
)
def test_invalid_values_are_rejected(options: dict[str, Any], fragment: str) -> None:
    with pytest.raises(B2ConfigurationError) as info:
        load_config({**BASE, **options})
    assert fragment in str(info.value)
    (name,) = options
    assert f"OPTIONS[{name!r}]" in str(info.value)  # says where to fix it


def test_url_expire_error_carries_check_id() -> None:
    with pytest.raises(B2ConfigurationError) as info:
        load_config({**BASE, "url_expire": 10**6})
    assert info.value.check_id == "django_b2.E003"


@pytest.mark.parametrize(
    "options",
    [
        {"large_file_threshold": 1000, "part_size": 1000},
        {"cache_control": "max-age=60", "file_info": {"B2-Cache-Control": "no-cache"}},
        {"content_disposition": "attachment", "file_info": {"b2-content-disposition": "inline"}},
        {"public": True, "signed_url_scope": "location", "location": "media"},
    ],
)
def test_contradictions_are_e004(options: dict[str, Any]) -> None:
    with pytest.raises(B2ConfigurationError, match="contradict") as info:
        load_config({**BASE, **options})
    assert info.value.check_id == "django_b2.E004"


def test_custom_domain_normalized() -> None:
    assert load_config({**BASE, "custom_domain": "cdn.example.com"}).custom_domain == (
        "https://cdn.example.com"
    )
    assert load_config({**BASE, "custom_domain": "http://127.0.0.1:8080/"}).custom_domain == (
        "http://127.0.0.1:8080"
    )


def test_error_pickles_with_check_id() -> None:
    error = B2ConfigurationError("msg", check_id="django_b2.E004")
    clone = pickle.loads(pickle.dumps(error))
    assert (str(clone), clone.check_id) == ("msg", "django_b2.E004")


def test_resolve_rejects_unknown_name() -> None:
    with pytest.raises(B2ConfigurationError, match="Did you mean 'location'"):
        resolve("locaton", {})


@pytest.mark.parametrize(
    "module",
    [
        "django_b2.conf",
        "django_b2._config",
        "django_b2._options",
        "django_b2._storage.bucket",
        "django_b2._storage.names",
        "django_b2._storage.reads",
        "django_b2._storage.uploads",
        "django_b2._storage.saves",
        "django_b2._storage.deletes",
        "django_b2.cache",
        "django_b2.checks",
        "django_b2.apps",
        "django_b2.files",
        "django_b2.signed_urls",
        "django_b2.static",
        "django_b2.storage",
        "django_b2.templatetags.b2",
    ],
)
def test_all_is_honest(module: str) -> None:
    imported = importlib.import_module(module)
    exported = set(imported.__all__)
    assert len(exported) == len(imported.__all__), "duplicates in __all__"
    for name in exported:
        assert hasattr(imported, name), name
    public = {
        name
        for name, value in vars(imported).items()
        if not name.startswith("_")
        and getattr(value, "__module__", None) == imported.__name__
        and (isinstance(value, type) or callable(value))
    }
    assert public <= exported, public - exported
