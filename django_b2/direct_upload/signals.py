"""``upload_confirmed``: sent after a direct upload passed its checks.

Receivers get ``sender`` (the :class:`~django_b2.direct_upload.views.DirectUpload` class),
``request`` and ``upload`` (a :class:`~django_b2.direct_upload.service.ConfirmedUpload`).
"""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["upload_confirmed"]

upload_confirmed = Signal()
