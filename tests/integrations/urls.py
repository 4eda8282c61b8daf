"""URLs of the integration site: Wagtail (admin, documents, images, pages) and a DRF API."""

from __future__ import annotations

from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls
from wagtail.images.views.serve import ServeView

from .api import ReportViewSet

router = DefaultRouter()
router.register("reports", ReportViewSet)

urlpatterns = [
    path("api/", include(router.urls)),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    re_path(
        r"^images/([^/]*)/(\d*)/([^/]*)/[^/]*$", ServeView.as_view(), name="wagtailimages_serve"
    ),
    re_path(
        r"^images-redirect/([^/]*)/(\d*)/([^/]*)/[^/]*$",
        ServeView.as_view(action="redirect"),
        name="wagtailimages_serve_redirect",
    ),
    path("", include(wagtail_urls)),
]
