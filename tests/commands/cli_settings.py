"""Settings for running the commands in a child process (``python -m django ...``).

The emulator's address and key come from the environment that ``test_cli.py`` sets.
"""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

if "django_b2" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "django_b2"]
STORAGES = {
    "default": {
        "BACKEND": "django_b2.storage.B2Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("CMD_TEST_BUCKET", "cli-bucket"),
            "application_key_id": os.environ.get("CMD_TEST_KEY_ID", ""),
            "application_key": os.environ.get("CMD_TEST_KEY", ""),
            "api_url": os.environ.get("CMD_TEST_URL", "http://127.0.0.1:9"),
        },
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
