"""App config of the site the integration tests run (label ``b2_site``)."""

from __future__ import annotations

from django.apps import AppConfig


class SiteAppConfig(AppConfig):
    name = "tests.integrations.siteapp"
    label = "b2_site"
    default_auto_field = "django.db.models.BigAutoField"
