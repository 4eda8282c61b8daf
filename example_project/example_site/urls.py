"""URLs of the example site."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from gallery.direct import direct_upload

urlpatterns = [
    path("admin/", admin.site.urls),
    path("direct-upload/", direct_upload.urls),
    path("", include("gallery.urls")),
]
