"""A URLconf mounting the default direct-upload endpoints (for test_direct_upload_api)."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [path("b2-uploads/", include("django_b2.direct_upload.urls"))]
