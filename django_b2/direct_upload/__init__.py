"""Browser uploads straight to B2, checked and recorded by the server.

Add ``"django_b2.direct_upload"`` to ``INSTALLED_APPS`` (its ticket table, JS and form template),
run ``migrate``, configure the restricted upload key (``B2_DIRECT_UPLOAD_KEY_ID`` / ``_KEY``),
mount ``DirectUpload(...).urls`` and include ``django_b2/direct_upload/form.html`` in a page.
See ``docs/direct-uploads.md``.

Names are imported on first use: this package is also the Django app, which must not import
its models before the app registry is ready.
"""

from __future__ import annotations

import importlib
import typing

if typing.TYPE_CHECKING:
    from django_b2.direct_upload.cleanup import CleanupReport, clean_direct_uploads
    from django_b2.direct_upload.cors import cors_rules
    from django_b2.direct_upload.policy import DirectUploadRefused, UploadPolicy
    from django_b2.direct_upload.service import ConfirmedUpload, DirectUploadService
    from django_b2.direct_upload.signals import upload_confirmed
    from django_b2.direct_upload.views import DirectUpload

__all__ = [
    "CleanupReport",
    "ConfirmedUpload",
    "DirectUpload",
    "DirectUploadRefused",
    "DirectUploadService",
    "UploadPolicy",
    "clean_direct_uploads",
    "cors_rules",
    "upload_confirmed",
]

_WHERE = {
    "CleanupReport": "cleanup",
    "clean_direct_uploads": "cleanup",
    "cors_rules": "cors",
    "DirectUploadRefused": "policy",
    "UploadPolicy": "policy",
    "ConfirmedUpload": "service",
    "DirectUploadService": "service",
    "upload_confirmed": "signals",
    "DirectUpload": "views",
}


def __getattr__(name: str) -> typing.Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
