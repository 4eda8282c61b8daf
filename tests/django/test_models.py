"""FileField and ImageField on B2: save, read, list, URL, delete."""

from __future__ import annotations

import io

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.template import Context, Template
from PIL import Image

from django_b2.storage import B2Storage
from tests.django.testapp.models import Document, Photo

from .conftest import PRIVATE_BUCKET, B2Env

pytestmark = pytest.mark.django_db


def png_bytes(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_filefield_roundtrip(b2: B2Env, media: B2Storage) -> None:
    doc = Document.objects.create(
        title="t", attachment=SimpleUploadedFile("report.txt", b"quarterly numbers")
    )
    assert doc.attachment.name == "docs/report.txt"
    fetched = Document.objects.get(pk=doc.pk)
    with fetched.attachment.open("rb") as handle:
        assert handle.read() == b"quarterly numbers"
    assert fetched.attachment.size == len(b"quarterly numbers")
    assert media.listdir("docs") == ([], ["report.txt"])
    response = requests.get(fetched.attachment.url, timeout=10)
    assert response.content == b"quarterly numbers"
    # A second upload of the same name gets a new name.
    other = Document.objects.create(title="u", attachment=ContentFile(b"x", name="report.txt"))
    assert other.attachment.name != "docs/report.txt"
    fetched.attachment.delete(save=True)
    assert fetched.attachment.name is None or fetched.attachment.name == ""
    assert not media.exists("docs/report.txt")
    names = [f["fileName"] for f in b2.client.iter_file_versions(b2.private_bucket_id)]
    assert names == [f"media/{other.attachment.name}"]
    assert media.bucket_name == PRIVATE_BUCKET


def test_temporary_uploaded_file_is_streamed(b2: B2Env, media: B2Storage) -> None:
    upload = TemporaryUploadedFile("big.bin", "application/octet-stream", 0, None)
    data = bytes(range(256)) * 100
    upload.write(data)
    upload.seek(0)
    upload.size = len(data)
    doc = Document.objects.create(title="big", attachment=upload)
    upload.close()
    with media.open(doc.attachment.name) as handle:
        assert handle.read() == data


def test_imagefield_dimensions_and_read_back(b2: B2Env, media: B2Storage) -> None:
    photo = Photo.objects.create(image=SimpleUploadedFile("dot.png", png_bytes(7, 5)))
    assert (photo.width, photo.height) == (7, 5)
    assert photo.image.name == "photos/dot.png"
    info = b2.client.get_file_info_by_name(PRIVATE_BUCKET, "media/photos/dot.png")
    assert info["contentType"] == "image/png"
    fresh = Photo.objects.get(pk=photo.pk)
    # Reading dimensions from storage goes through B2File (lazy ranged reads).
    assert (fresh.image.width, fresh.image.height) == (7, 5)
    with Image.open(media.open(fresh.image.name)) as image:
        assert image.size == (7, 5)
    fresh.image.delete(save=False)
    assert not media.exists("photos/dot.png")


def test_template_tag_and_filter(b2: B2Env, media: B2Storage) -> None:
    doc = Document.objects.create(title="t", attachment=ContentFile(b"tagged", name="tag.txt"))
    template = Template(
        "{% load b2 %}"
        "{% b2_signed_url doc.attachment expires=600 %}|"
        "{{ doc.attachment|b2_signed_url }}|"
        "{{ doc.attachment|b2_signed_url:120 }}|"
        '{% b2_signed_url name storage=storage content_disposition="attachment" %}'
    )
    rendered = template.render(Context({"doc": doc, "name": doc.attachment.name, "storage": media}))
    urls = rendered.split("|")
    assert len(urls) == 4
    for url in urls:
        # Rendered autoescaped: &amp; between query parameters.
        response = requests.get(url.replace("&amp;", "&"), timeout=10)
        assert response.status_code == 200
        assert response.content == b"tagged"
    assert "b2ContentDisposition=attachment" in urls[3]


def test_template_tag_rejects_other_storages(b2: B2Env) -> None:
    from django.core.files.storage import FileSystemStorage

    template = Template("{% load b2 %}{% b2_signed_url 'a.txt' storage=fs %}")
    with pytest.raises(ValueError, match="needs a B2 storage"):
        template.render(Context({"fs": FileSystemStorage()}))
    with pytest.raises(ValueError, match="FieldFile or a file name"):
        Template("{% load b2 %}{{ number|b2_signed_url }}").render(Context({"number": 42}))


def test_template_tag_and_filter_render_empty_for_an_empty_field(
    b2: B2Env, media: B2Storage
) -> None:
    """An empty FileField (or None, or "") renders "" instead of a 500 (was ValueError)."""
    doc = Document.objects.create(title="no file")
    fetched = Document.objects.get(pk=doc.pk)
    assert not fetched.attachment
    template = Template(
        "{% load b2 %}"
        "[{% b2_signed_url doc.attachment expires=600 %}]"
        "[{{ doc.attachment|b2_signed_url }}]"
        "[{% b2_signed_url none %}][{{ empty|b2_signed_url:60 }}]"
    )
    b2.server.reset_counters()
    rendered = template.render(Context({"doc": fetched, "none": None, "empty": ""}))
    assert rendered == "[][][][]"
    assert b2.total() == 0
