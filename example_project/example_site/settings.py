"""Settings of the example site.

Every value that differs between ``make demo`` and the browser tests comes from a
``DJANGO_B2_DEMO_*`` environment variable; ``demo.py`` sets them for the embedded emulator.
This is a local demo: the secret key and the admin password are not secrets.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("DJANGO_B2_DEMO_DATA_DIR", PROJECT_DIR / "data"))


def env(name: str, default: str) -> str:
    return os.environ.get(f"DJANGO_B2_DEMO_{name}", default)


def env_int(name: str, default: int | None) -> int | None:
    value = os.environ.get(f"DJANGO_B2_DEMO_{name}", "")
    return int(value) if value else default


SECRET_KEY = env("SECRET_KEY", "django-insecure-django-b2-demo-only")
DEBUG = env("DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_b2",
    "django_b2.direct_upload",
    "gallery",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_site.urls"
WSGI_APPLICATION = "example_site.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env("DB", str(DATA_DIR / "db.sqlite3")),
    }
}

# The storage keeps its B2 authorization in this cache so every worker shares one token.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Uploaded files live in a private B2 bucket; pages show them through signed URLs.
B2_APPLICATION_KEY_ID = env("KEY_ID", "demo-key-id")
B2_APPLICATION_KEY = env("KEY", "demo-application-key-not-secret")
B2_API_URL = env("API_URL", "http://127.0.0.1:8787")
B2_BUCKET_NAME = env("BUCKET", "django-b2-demo")

STORAGES = {
    "default": {
        "BACKEND": "django_b2.storage.B2Storage",
        "OPTIONS": {
            "location": "gallery",
            # A link opens only its own file (the default signed_url_scope="file") and works
            # for 600 s; its token is reused to save requests, so it stops working by 660 s
            # (max(600 / 10, 60) more). URL_TOKEN_REUSE=0: a fresh token for every link.
            "url_expire": 600,
            "url_token_reuse": env_int("URL_TOKEN_REUSE", None),
        },
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Direct browser uploads (see gallery/direct.py). Browsers only get upload tokens of a second key,
# restricted to the bucket and to the staging prefix below; demo.py creates it (and keeps it in
# DATA_DIR/direct-upload-key.json). Confirmed files are copied to gallery/direct/.
DIRECT_UPLOAD_STAGING_PREFIX = "gallery/_staging/"
_UPLOAD_KEY_FILE = DATA_DIR / "direct-upload-key.json"
_upload_key = json.loads(_UPLOAD_KEY_FILE.read_text()) if _UPLOAD_KEY_FILE.exists() else {}
B2_DIRECT_UPLOAD_KEY_ID = env("UPLOAD_KEY_ID", "") or _upload_key.get("applicationKeyId")
B2_DIRECT_UPLOAD_KEY = env("UPLOAD_KEY", "") or _upload_key.get("applicationKey")
# How many unconfirmed uploads one user may have at a time (more: 429).
B2_DIRECT_UPLOAD_MAX_OPEN_TICKETS = 10

# Small parts make the demo show multi-part
# uploads without huge files. Part sizes never go below the server's minimum part size.
DIRECT_UPLOAD_MAX_SIZE = env_int("MAX_UPLOAD_SIZE", 200_000_000)
DIRECT_UPLOAD_PART_SIZE = env_int("PART_SIZE", None)
DIRECT_UPLOAD_LARGE_THRESHOLD = env_int("LARGE_THRESHOLD", None)

# The origins the site is served from; demo.py puts them in the bucket's CORS rules.
DEMO_ORIGINS = [o for o in env("ORIGINS", "http://127.0.0.1:8000").split(",") if o]

AUTH_PASSWORD_VALIDATORS: list[dict[str, str]] = []
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "gallery:index"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_b2": {"handlers": ["console"], "level": "INFO"}},
}
