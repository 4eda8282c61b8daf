"""``django_b2.W003`` (Wagtail's image storage with file_overwrite=True) stays quiet on sites
without Wagtail; tests/integrations/test_wagtail.py checks it where Wagtail is installed."""

from __future__ import annotations

from django.test import override_settings

from django_b2.checks import check_storages

from .conftest import B2Env


def test_no_wagtail_no_w003(b2: B2Env) -> None:
    storages = {
        "default": {
            "BACKEND": "django_b2.storage.B2Storage",
            "OPTIONS": b2.options(file_overwrite=True),
        }
    }
    with override_settings(STORAGES=storages):
        assert [m for m in check_storages() if m.id == "django_b2.W003"] == []
