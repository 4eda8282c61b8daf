"""System checks for direct uploads: the restricted upload key, as far as settings show it.

======================================  ==========================================================
``django_b2_direct_upload.E002``        ``B2_DIRECT_UPLOAD_*`` settings are invalid
``django_b2_direct_upload.W001``        an endpoint has no restricted upload key configured
``django_b2_direct_upload.W002``        the upload key is the storage's own (unrestricted) key
======================================  ==========================================================

No network call is made: whether the key is restricted to a name prefix is only known from its
authorization, which ``start`` reads (and refuses to hand out tokens when it is not).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.checks import CheckMessage, Error, Warning
from django.urls import get_resolver

from django_b2.conf import B2ConfigurationError
from django_b2.direct_upload.staging import create_key_command

__all__ = ["check_upload_keys"]


def check_upload_keys(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    from django_b2.direct_upload.views import endpoints

    try:
        get_resolver().url_patterns  # noqa: B018 - builds the URLconf's endpoints
    except Exception:
        return []
    messages: list[CheckMessage] = []
    for upload in endpoints():
        try:
            settings = upload.settings()
        except B2ConfigurationError as exc:
            messages.append(Error(str(exc), id="django_b2_direct_upload.E002", obj=upload))
            continue
        try:
            storage = upload.get_storage()
        except Exception:
            continue
        bucket = str(getattr(storage, "bucket_name", "") or "<bucket>")
        location = str(getattr(storage, "location", "") or "").strip("/")
        hint = (
            "Create a key restricted to the bucket and a staging prefix: `"
            + create_key_command(bucket, f"{location}/_staging/" if location else "_staging/")
            + "`, then set B2_DIRECT_UPLOAD_KEY_ID and B2_DIRECT_UPLOAD_KEY."
        )
        if settings.key_id is None:
            messages.append(
                Warning(
                    f"Direct uploads {upload.namespace!r} have no restricted upload key: start "
                    "will refuse every upload.",
                    hint=hint,
                    obj=upload,
                    id="django_b2_direct_upload.W001",
                )
            )
        elif settings.key_id == getattr(getattr(storage, "config", None), "application_key_id", 0):
            messages.append(
                Warning(
                    f"Direct uploads {upload.namespace!r} use the storage's own key as upload "
                    "key; its tokens could write any file, so start will refuse every upload.",
                    hint=hint,
                    obj=upload,
                    id="django_b2_direct_upload.W002",
                )
            )
    return messages
