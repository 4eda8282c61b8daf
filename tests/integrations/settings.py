"""Settings of ``tests/integrations``: the suite's settings plus the integrated packages.

Used only by the integration run (``pytest --ds=tests.integrations.settings``, which ``make test``
runs after the main suite), so Wagtail and the others neither slow nor change the main suite.
Migrations are replaced by creating the tables straight from the models (``MIGRATION_MODULES``),
which keeps the test database set-up short; the Wagtail fixtures create the rows Wagtail's data
migrations would (locale, root page, default site, root collection).
"""

from __future__ import annotations

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "django.contrib.sessions",
    "django.contrib.messages",
    "tests.integrations.siteapp.apps.SiteAppConfig",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "imagekit",
    "easy_thumbnails",
    "sorl.thumbnail",
    "rest_framework",
    # Only models marked @cleanup.select: the suite's other models keep their files.
    "django_cleanup.apps.CleanupSelectedConfig",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
MIGRATION_MODULES = dict.fromkeys(
    (
        "sessions",
        "wagtailsites",
        "wagtailusers",
        "wagtaildocs",
        "wagtailimages",
        "wagtailsearch",
        "wagtailadmin",
        "wagtailcore",
        "taggit",
        "easy_thumbnails",
        "thumbnail",
    )
)
MEDIA_URL = "/media/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# Wagtail
WAGTAIL_SITE_NAME = "django_b2 integrations"
WAGTAILADMIN_BASE_URL = "http://testserver"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
