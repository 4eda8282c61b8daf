"""Gallery URLs."""

from __future__ import annotations

from django.urls import path

from gallery import views

app_name = "gallery"

urlpatterns = [
    path("", views.index, name="index"),
    path("upload/", views.upload, name="upload"),
    path("photos/<int:pk>/<str:field>/", views.download, name="download"),
]
