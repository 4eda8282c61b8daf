"""Django app config: add ``"django_b2"`` to ``INSTALLED_APPS`` for the checks and template tags."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks

__all__ = ["DjangoB2Config"]


class DjangoB2Config(AppConfig):
    name = "django_b2"
    label = "django_b2"
    verbose_name = "Backblaze B2"

    def ready(self) -> None:
        from django_b2.checks import check_storages

        checks.register(check_storages, checks.Tags.files)
