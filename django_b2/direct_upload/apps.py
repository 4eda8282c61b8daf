"""App config: add ``"django_b2.direct_upload"`` for its ticket table, JS, template and checks."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks

__all__ = ["DirectUploadConfig"]


class DirectUploadConfig(AppConfig):
    name = "django_b2.direct_upload"
    label = "django_b2_direct_upload"
    verbose_name = "B2 direct uploads"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_b2.direct_upload.checks import check_upload_keys

        checks.register(check_upload_keys)
