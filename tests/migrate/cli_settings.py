"""Settings for ``b2_migrate`` in a child process; the emulator's address comes from the env."""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403

STORAGES = {
    "default": {
        "BACKEND": "django_b2.storage.B2Storage",
        "OPTIONS": {
            "bucket_name": "site-bucket",
            "location": "media",
            "application_key_id": os.environ.get("MIGRATE_TEST_KEY_ID", ""),
            "application_key": os.environ.get("MIGRATE_TEST_KEY", ""),
            "api_url": os.environ.get("MIGRATE_TEST_URL", "http://127.0.0.1:9"),
            "large_file_threshold": 200_000,
            "part_size": 100_000,
        },
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
