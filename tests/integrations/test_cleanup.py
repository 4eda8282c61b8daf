"""django-cleanup on B2Storage: replaced and deleted files are removed from the bucket."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from .conftest import Site
from .siteapp.models import Avatar, Report


def test_replaced_file_is_deleted_from_b2(
    site: Site, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        avatar = Avatar.objects.create(image=SimpleUploadedFile("old.png", b"old"))
    assert site.names() == ["media/cleanup/old.png"]
    site.reset()
    with django_capture_on_commit_callbacks(execute=True):
        avatar.image = SimpleUploadedFile("new.png", b"new")
        avatar.save()
    # Upload the new file on the pooled upload URL and list its name's versions once (the
    # overwrite check after the upload), then delete every version of the old one (one listing,
    # one delete).
    assert site.counts() == {
        "b2_upload_file": 1,
        "b2_list_file_versions": 2,
        "b2_delete_file_version": 1,
    }
    assert site.names() == ["media/cleanup/new.png"]


def test_deleted_instance_takes_its_file_with_it(
    site: Site, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        avatar = Avatar.objects.create(image=SimpleUploadedFile("gone.png", b"bytes"))
    site.reset()
    with django_capture_on_commit_callbacks(execute=True):
        avatar.delete()
    assert site.counts() == {"b2_list_file_versions": 1, "b2_delete_file_version": 1}
    assert site.names() == []


def test_models_not_selected_keep_their_files(
    site: Site, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    """The suite installs CleanupSelectedConfig: only @cleanup.select models are cleaned."""
    with django_capture_on_commit_callbacks(execute=True):
        report = Report.objects.create(title="t", file=SimpleUploadedFile("keep.txt", b"k"))
    with django_capture_on_commit_callbacks(execute=True):
        report.delete()
    assert site.names() == ["media/reports/keep.txt"]
