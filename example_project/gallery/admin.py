"""Admin for gallery entries: uploads through the admin go to B2 like any other."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from gallery.models import Photo


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["title", "source", "image", "attachment", "uploaded_by", "uploaded_at"]
    list_filter = ["source"]
    search_fields = ["title"]
    readonly_fields = ["source", "uploaded_by", "uploaded_at"]
    fields = ["title", "image", "attachment", "source", "uploaded_by", "uploaded_at"]

    def save_model(self, request: HttpRequest, obj: Photo, form: Any, change: bool) -> None:
        if not change:
            obj.uploaded_by = request.user
            obj.source = Photo.Source.ADMIN
        super().save_model(request, obj, form, change)
