"""Browser uploads straight to B2, checked and recorded by the server.

Add ``"django_b2.direct_upload"`` to ``INSTALLED_APPS`` (for the JS and the form template), mount
``DirectUpload(...).urls`` and include ``django_b2/direct_upload/form.html`` in a page. See
``docs/example.md`` for the flow and its security notes.
"""

from __future__ import annotations

from django_b2.direct_upload.cors import cors_rules
from django_b2.direct_upload.policy import DirectUploadRefused, UploadPolicy
from django_b2.direct_upload.service import ConfirmedUpload, DirectUploadService
from django_b2.direct_upload.signals import upload_confirmed
from django_b2.direct_upload.views import DirectUpload

__all__ = [
    "ConfirmedUpload",
    "DirectUpload",
    "DirectUploadRefused",
    "DirectUploadService",
    "UploadPolicy",
    "cors_rules",
    "upload_confirmed",
]
