"""Helpers shared by the management-command tests."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

from django.core.management import call_command

from django_b2.client import RetryPolicy
from django_b2.storage import B2Storage

BUCKET = "cmd-bucket"
#: Small sizes: the emulator fixture accepts parts of 1000 bytes.
LARGE_FILE_THRESHOLD = 4000
PART_SIZE = 1000


def storages_for(url: str, key_id: str, key: str, bucket: str = BUCKET) -> dict[str, Any]:
    """``settings.STORAGES`` with a B2 default storage on the emulator, plus non-B2 ones."""
    return {
        "default": {
            "BACKEND": "django_b2.storage.B2Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "application_key_id": key_id,
                "application_key": key,
                "api_url": url,
                "large_file_threshold": LARGE_FILE_THRESHOLD,
                "part_size": PART_SIZE,
            },
        },
        "local": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


class NoWaitB2Storage(B2Storage):
    """A B2Storage whose client retries without sleeping (for tests that force retryable errors)."""

    def client_kwargs(self) -> dict[str, Any]:
        return {**super().client_kwargs(), "retry": RetryPolicy(attempts=2, sleep=lambda s: None)}


@dataclass
class Result:
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


class TTYStringIO(io.StringIO):
    """A stdout that claims to be a terminal, so progress bars are drawn."""

    def isatty(self) -> bool:
        return True


def call(name: str, *args: str, stdout: io.StringIO | None = None) -> Result:
    """``call("b2_files", "ls", ...)`` -> captured stdout/stderr; CommandError propagates."""
    out = stdout if stdout is not None else io.StringIO()
    err = io.StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return Result(out.getvalue(), err.getvalue())
