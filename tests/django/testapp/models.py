"""Models whose files live on the ``"default"`` storage (B2 in the tests that configure it)."""

from __future__ import annotations

from django.db import models


class Document(models.Model):
    title = models.CharField(max_length=100)
    attachment = models.FileField(upload_to="docs/")

    class Meta:
        app_label = "b2_testapp"

    def __str__(self) -> str:
        return self.title


class Photo(models.Model):
    image = models.ImageField(upload_to="photos/", width_field="width", height_field="height")
    width = models.IntegerField(null=True)
    height = models.IntegerField(null=True)

    class Meta:
        app_label = "b2_testapp"

    def __str__(self) -> str:
        return self.image.name or ""
