"""One gallery entry: a picture, a file, or both, stored in the private B2 bucket."""

from __future__ import annotations

import posixpath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


class Photo(models.Model):
    class Source(models.TextChoices):
        FORM = "form", "upload form"
        ADMIN = "admin", "admin"
        DIRECT = "direct", "direct browser upload"

    title = models.CharField(max_length=200)
    image = models.ImageField(upload_to="photos/%Y/%m/", blank=True, max_length=255)
    attachment = models.FileField(upload_to="files/%Y/%m/", blank=True, max_length=255)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.FORM)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def attachment_label(self) -> str:
        """The attachment's file name without its folders."""
        return posixpath.basename(self.attachment.name or "")

    def clean(self) -> None:
        if not self.image and not self.attachment:
            raise ValidationError("Add a picture, a file, or both.")
