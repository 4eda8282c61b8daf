"""A storage rebuilt from ``deconstruct()`` works: the key is looked up in the settings again.

Wagtail deletes files in a task that rebuilds the storage from ``storage.deconstruct()``, which
never carries the application key; before the lookup, every such delete failed and left the file
on B2.
"""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings
from django.utils.module_loading import import_string

from django_b2.conf import B2ConfigurationError
from django_b2.storage import B2Storage

from .conftest import B2Env


def test_storage_rebuilt_from_deconstruct_deletes_with_the_configured_key(
    b2: B2Env, media: B2Storage
) -> None:
    name = media.save("doomed.txt", ContentFile(b"bytes"))
    path, args, kwargs = media.deconstruct()
    assert "application_key" not in kwargs
    rebuilt = import_string(path)(*args, **kwargs)
    rebuilt.delete(name)
    assert not media.exists(name)
    assert "application_key" not in rebuilt.deconstruct()[2]


def test_rebuilt_storage_finds_the_key_in_b2_settings(b2: B2Env) -> None:
    options = b2.options()
    key = options.pop("application_key")
    with override_settings(
        B2_APPLICATION_KEY_ID=options["application_key_id"], B2_APPLICATION_KEY=key
    ):
        storage = B2Storage(**options)
        storage.save("found.txt", ContentFile(b"x"))
        assert storage.exists("found.txt")


def test_rebuilt_storage_without_any_configured_key_says_what_to_set(b2: B2Env) -> None:
    options = b2.options()
    options.pop("application_key")
    with pytest.raises(B2ConfigurationError, match="application_key"):
        B2Storage(**options)
