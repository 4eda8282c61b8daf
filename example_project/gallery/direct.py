"""Direct browser uploads for the gallery: each confirmed file becomes a ``Photo``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from django_b2.direct_upload import ConfirmedUpload, DirectUpload, UploadPolicy
from gallery.models import Photo


def record_upload(request: HttpRequest, upload: ConfirmedUpload) -> dict[str, Any]:
    """Store the checked file in the gallery (images as pictures, the rest as attachments)."""
    field = "image" if upload.content_type.startswith("image/") else "attachment"
    photo, _created = Photo.objects.get_or_create(
        **{field: upload.name},
        defaults={
            "title": upload.original_name[:200],
            "source": Photo.Source.DIRECT,
            "uploaded_by": request.user,
        },
    )
    return {"photo": photo.pk, "field": field}


direct_upload = DirectUpload(
    storage="default",
    policy=UploadPolicy(
        prefix="direct/",
        max_size=settings.DIRECT_UPLOAD_MAX_SIZE,
        part_size=settings.DIRECT_UPLOAD_PART_SIZE,
        large_file_threshold=settings.DIRECT_UPLOAD_LARGE_THRESHOLD,
    ),
    on_confirm=record_upload,
    namespace="direct_upload",
)
