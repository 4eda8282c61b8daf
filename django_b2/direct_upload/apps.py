"""App config: add ``"django_b2.direct_upload"`` to ``INSTALLED_APPS`` for its JS and template."""

from __future__ import annotations

from django.apps import AppConfig

__all__ = ["DirectUploadConfig"]


class DirectUploadConfig(AppConfig):
    name = "django_b2.direct_upload"
    label = "django_b2_direct_upload"
    verbose_name = "B2 direct uploads"
