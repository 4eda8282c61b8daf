"""Django REST framework on B2Storage: multipart create, and file URLs in responses download.

Request counts are those of docs/integrations/drf.md.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from .conftest import Site
from .siteapp.models import Report


def test_multipart_create_stores_the_file_and_answers_a_url_that_downloads_it(
    site: Site, client: Client, fetch: Any
) -> None:
    upload = SimpleUploadedFile("q3.pdf", b"%PDF-1.4 quarterly", content_type="application/pdf")
    response = client.post("/api/reports/", {"title": "Q3", "file": upload})
    assert response.status_code == 201, response.content
    # A cold worker: authorize, find the bucket, upload, check the name's versions, sign the URL.
    assert site.counts() == {
        "b2_authorize_account": 1,
        "b2_list_buckets": 1,
        "b2_get_upload_url": 1,
        "b2_upload_file": 1,
        "b2_list_file_versions": 1,  # after the upload: was "reports/q3.pdf" free?
        "b2_get_download_authorization": 1,
    }
    assert Report.objects.get().file.name == "reports/q3.pdf"
    assert site.names() == ["media/reports/q3.pdf"]

    download = fetch(response.json()["file"])
    assert download.status_code == 200
    assert download.content == b"%PDF-1.4 quarterly"
    assert download.headers["Content-Type"] == "application/pdf"


def test_multipart_create_with_a_taken_name_stores_under_a_new_one(
    site: Site, client: Client
) -> None:
    Report.objects.create(title="a", file=SimpleUploadedFile("same.txt", b"first"))
    response = client.post(
        "/api/reports/", {"title": "b", "file": SimpleUploadedFile("same.txt", b"second")}
    )
    assert response.status_code == 201
    names = site.names()
    assert len(names) == 2
    assert "media/reports/same.txt" in names
    second = Report.objects.get(title="b")
    assert second.file.name != "reports/same.txt"
    assert second.file.read() == b"second"


@pytest.mark.parametrize(("scope", "mints"), [("location", 1), ("file", 3)])
def test_list_signs_urls_once_then_costs_no_request(
    site: Site, client: Client, fetch: Any, scope: str, mints: int
) -> None:
    storages = site.storages()
    storages["default"]["OPTIONS"]["signed_url_scope"] = scope
    with override_settings(STORAGES=storages):
        for i in range(3):
            Report.objects.create(
                title=f"r{i}", file=SimpleUploadedFile(f"r{i}.txt", f"report {i}".encode())
            )
        site.reset()
        first = client.get("/api/reports/")
        assert first.status_code == 200
        assert site.counts() == {"b2_get_download_authorization": mints}
        site.reset()
        second = client.get("/api/reports/")
        assert site.counts() == {}
    assert second.json() == first.json()
    for i, item in enumerate(first.json()):
        download = fetch(item["file"])
        assert download.status_code == 200
        assert download.content == f"report {i}".encode()
