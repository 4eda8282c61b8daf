"""Wagtail on B2Storage: admin uploads, renditions, page views, image and document serving,
deletes, public renditions and what a rendition URL's token opens.

Request counts are those of docs/integrations/wagtail.md.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client, override_settings
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.images.models import get_rendition_storage
from wagtail.images.views.serve import generate_image_url
from wagtail.models import Collection, CollectionViewRestriction, Locale, Page
from wagtail.models import Site as WagtailSite

from django_b2.checks import check_storages

from .conftest import Site, image_size, png
from .siteapp.models import ArticlePage

# Wagtail hands each generated rendition to the storage in a SpooledTemporaryFile it never closes
# (wagtail/images/models.py, generate_rendition_file); Python warns when it is collected, on any
# storage. Not a django_b2 leak: django_b2 closes what it opens.
pytestmark = pytest.mark.filterwarnings(
    r"ignore:Exception ignored in. <function SpooledTemporaryFile.__del__"
    ":pytest.PytestUnraisableExceptionWarning"
)

Image = get_image_model()
Rendition = Image.get_rendition_model()
Document = get_document_model()
OnCommit = Callable[..., Any]
SPECS = ("width-120", "fill-50x50", "max-80x60")  # the three renditions of article_page.html


@pytest.fixture
def wagtail(site: Site) -> Iterator[Site]:
    """The rows Wagtail's data migrations would create: locale, root page, site, collection."""
    Locale.objects.create(language_code="en")
    root = Page.add_root(title="Root", slug="root")
    home = root.add_child(instance=Page(title="Home", slug="home"))
    WagtailSite.objects.create(hostname="testserver", root_page=home, is_default_site=True)
    Collection.add_root(name="Root")
    yield site


@pytest.fixture
def admin(client: Client, wagtail: Site) -> Client:
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(user)
    return client


@pytest.fixture
def rendition_storage(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Apply ``WAGTAILIMAGES_RENDITION_STORAGE`` as Wagtail does when it loads its models.

    Wagtail reads the setting once, when the rendition model is defined; the test sets it, asks
    Wagtail's own ``get_rendition_storage()`` for the storage, and puts that on the field.
    """

    def use(setting: Any) -> None:
        with override_settings(WAGTAILIMAGES_RENDITION_STORAGE=setting):
            storage = get_rendition_storage()
        monkeypatch.setattr(Rendition._meta.get_field("file"), "storage", storage)

    return use


def root_collection() -> Any:
    return Collection.get_first_root_node()


def upload_image(admin: Client, title: str = "Photo", width: int = 64, height: int = 48) -> Any:
    response = admin.post(
        "/admin/images/add/",
        {"title": title, "file": png(width, height), "collection": root_collection().pk},
    )
    assert response.status_code == 302, response.content[:2000]
    return Image.objects.get(title=title)


def upload_document(
    admin: Client, name: str = "terms.txt", data: bytes = b"terms", collection: Any = None
) -> Any:
    response = admin.post(
        "/admin/documents/add/",
        {
            "title": name,
            "file": SimpleUploadedFile(name, data),
            "collection": (collection or root_collection()).pk,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    return Document.objects.get(title=name)


def article(image: Any) -> ArticlePage:
    home = Page.objects.get(slug="home")
    page = ArticlePage(title="Article", slug="article", photo=image)
    home.add_child(instance=page)
    return page


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["Authorization"][0]


# -- uploads ------------------------------------------------------------------------------------


def test_admin_image_upload_stores_the_original(admin: Client, wagtail: Site) -> None:
    image = upload_image(admin)
    assert wagtail.counts() == {
        "b2_authorize_account": 1,
        "b2_list_buckets": 1,
        "b2_get_upload_url": 1,
        "b2_upload_file": 1,
        "b2_list_file_versions": 1,  # after the upload: was the name free?
    }
    assert (image.width, image.height) == (64, 48)
    assert image.file.name == "original_images/photo.png"
    assert wagtail.names() == ["media/original_images/photo.png"]


def test_admin_document_upload_stores_the_file(admin: Client, wagtail: Site, fetch: Any) -> None:
    document = upload_document(admin, "terms.txt", b"the terms")
    assert wagtail.counts() == {
        "b2_authorize_account": 1,
        "b2_list_buckets": 1,
        "b2_get_upload_url": 1,
        "b2_upload_file": 1,
        "b2_list_file_versions": 1,
    }
    assert wagtail.names() == ["media/documents/terms.txt"]
    assert fetch(document.file.url).content == b"the terms"


# -- renditions and page views ------------------------------------------------------------------


def test_first_page_view_makes_the_renditions_later_views_cost_nothing(
    admin: Client, wagtail: Site, fetch: Any
) -> None:
    image = upload_image(admin)
    article(image)
    wagtail.reset()
    first = Client().get("/article/")
    assert first.status_code == 200
    # Per rendition: open the original (a GET by name, and a GET by id when Willow seeks back to
    # its start), upload it, list the rendition's name's versions; then the three URLs are signed.
    assert wagtail.counts() == {
        "b2_download_file_by_name": 3,
        "b2_download_file_by_id": 3,
        "b2_upload_file": 3,
        "b2_list_file_versions": 3,
        "b2_get_download_authorization": wagtail.mints(3),
    }
    wagtail.reset()
    second = Client().get("/article/")
    assert wagtail.counts() == {}
    assert second.content == first.content

    expected = {"width-120": (64, 48), "fill-50x50": (48, 48), "max-80x60": (64, 48)}
    renditions = {r.filter_spec: r for r in image.renditions.all()}
    assert set(renditions) == set(SPECS)
    for spec, rendition in renditions.items():
        assert rendition.url in first.content.decode()
        download = fetch(rendition.url)
        assert download.status_code == 200
        assert image_size(download.content) == expected[spec]
        assert "Cache-Control" not in download.headers  # nothing set: see the next test


def test_rendition_storage_with_cache_control_serves_renditions_cacheable(
    admin: Client, wagtail: Site, fetch: Any, rendition_storage: Callable[..., None]
) -> None:
    """The documented setting: a ``renditions`` storage alias with ``cache_control``."""
    options = wagtail.b2.options(location="media", cache_control="public, max-age=86400")
    with override_settings(STORAGES=wagtail.storages(renditions=options)):
        rendition_storage("renditions")
        image = upload_image(admin)
        article(image)
        assert Client().get("/article/").status_code == 200
        original = fetch(image.file.url)
        assert "Cache-Control" not in original.headers  # the default storage sets none
        for rendition in image.renditions.all():
            download = fetch(rendition.url)
            assert download.status_code == 200
            assert download.headers["Cache-Control"] == "public, max-age=86400"


def test_public_rendition_storage_needs_no_token(
    admin: Client, wagtail: Site, fetch: Any, rendition_storage: Callable[..., None]
) -> None:
    """Renditions in a public bucket: plain URLs, nothing signed, originals stay private."""
    public = wagtail.public_options(cache_control="public, max-age=86400")
    with override_settings(STORAGES=wagtail.storages(renditions=public)):
        rendition_storage("renditions")
        image = upload_image(admin)
        article(image)
        wagtail.reset()
        page = Client().get("/article/")
        assert page.status_code == 200
        counts = wagtail.counts()
        assert "b2_get_download_authorization" not in counts
        assert counts["b2_upload_file"] == 3
        for rendition in image.renditions.all():
            assert "Authorization=" not in rendition.url
            assert "/public-bucket/" in rendition.url
            download = fetch(rendition.url)
            assert download.status_code == 200
            assert download.headers["Cache-Control"] == "public, max-age=86400"
        # The original is still only reachable with a token.
        private_url = image.file.url
        assert "Authorization=" in private_url
        assert fetch(private_url.split("?")[0]).status_code == 401
    assert wagtail.names("public-bucket") == sorted(
        f"images/{r.file.name.split('/')[-1]}" for r in image.renditions.all()
    )


def test_focal_point_set_in_the_admin_gives_fill_renditions_new_files(
    admin: Client, wagtail: Site, fetch: Any
) -> None:
    left_red_right_blue = PILImage.new("RGB", (100, 50), "red")
    left_red_right_blue.paste((0, 0, 255), (50, 0, 100, 50))
    buffer = io.BytesIO()
    left_red_right_blue.save(buffer, format="PNG")
    response = admin.post(
        "/admin/images/add/",
        {
            "title": "Halves",
            "file": SimpleUploadedFile("halves.png", buffer.getvalue()),
            "collection": root_collection().pk,
        },
    )
    assert response.status_code == 302
    image = Image.objects.get(title="Halves")
    before = image.get_rendition("fill-20x20")
    with PILImage.open(io.BytesIO(fetch(before.url).content)) as centred:
        assert centred.convert("RGB").getpixel((6, 10))[0] > 200  # centre crop: red there
    response = admin.post(
        f"/admin/images/{image.pk}/",
        {
            "title": image.title,
            "collection": root_collection().pk,
            "focal_point_x": 85,
            "focal_point_y": 25,
            "focal_point_width": 10,
            "focal_point_height": 10,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    image.refresh_from_db()
    assert image.focal_point_x == 85
    after = image.get_rendition("fill-20x20")
    assert after.file.name != before.file.name  # the focal point is part of the name
    download = fetch(after.url)
    assert download.status_code == 200
    with PILImage.open(io.BytesIO(download.content)) as cropped:
        assert cropped.size == (20, 20)
        assert cropped.convert("RGB").getpixel((6, 10))[2] > 200  # moved right: blue there


def test_image_serve_view_streams_and_redirects(admin: Client, wagtail: Site, fetch: Any) -> None:
    image = upload_image(admin, width=100, height=80)
    wagtail.reset()
    served = Client().get(generate_image_url(image, "width-50"))
    assert served.status_code == 200
    assert image_size(b"".join(served.streaming_content)) == (50, 40)
    # Make the rendition: read the original (by name, then by id after Willow's seek), upload
    # it, list the rendition's name's versions; then stream it: a GET, and a HEAD for
    # Content-Length.
    assert wagtail.counts() == {
        "b2_download_file_by_name": 3,
        "b2_download_file_by_id": 1,
        "b2_upload_file": 1,
        "b2_list_file_versions": 1,
    }
    wagtail.reset()
    again = Client().get(generate_image_url(image, "width-50"))
    assert again.status_code == 200
    b"".join(again.streaming_content)
    assert wagtail.counts() == {"b2_download_file_by_name": 2}  # the rendition exists: stream it
    wagtail.reset()

    redirect = Client().get(
        generate_image_url(image, "width-50", viewname="wagtailimages_serve_redirect")
    )
    assert redirect.status_code == 302
    assert wagtail.counts() == {"b2_get_download_authorization": 1}
    download = fetch(redirect["Location"])
    assert download.status_code == 200
    assert image_size(download.content) == (50, 40)


def test_update_image_renditions_keeps_every_rendition_with_file_overwrite_false(
    admin: Client, wagtail: Site, fetch: Any, django_capture_on_commit_callbacks: OnCommit
) -> None:
    image = upload_image(admin)
    article(image)
    assert Client().get("/article/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        call_command("wagtail_update_image_renditions", stdout=_Null(), stderr=_Null())
    renditions = list(image.renditions.all())
    assert len(renditions) == 3
    for rendition in renditions:
        assert fetch(rendition.url).status_code == 200
    names = wagtail.names()
    assert sorted(f"media/{r.file.name}" for r in renditions) == [
        n for n in names if n.startswith("media/images/")
    ]


def test_update_image_renditions_loses_renditions_with_file_overwrite_true(
    admin: Client, wagtail: Site, fetch: Any, django_capture_on_commit_callbacks: OnCommit
) -> None:
    """Why the docs say ``file_overwrite=False`` for Wagtail media: Wagtail regenerates each
    rendition under the same name and then deletes the old file, i.e. the new one."""
    storages = wagtail.storages()
    storages["default"]["OPTIONS"]["file_overwrite"] = True
    with override_settings(STORAGES=storages):
        image = upload_image(admin)
        article(image)
        assert Client().get("/article/").status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            call_command("wagtail_update_image_renditions", stdout=_Null(), stderr=_Null())
        renditions = list(image.renditions.all())
        assert len(renditions) == 3
        assert [fetch(r.url).status_code for r in renditions] == [404, 404, 404]


class _Null:
    def write(self, *args: Any, **kwargs: Any) -> None:
        return None

    def flush(self) -> None:
        return None


# -- documents ----------------------------------------------------------------------------------


@override_settings(WAGTAILDOCS_SERVE_METHOD="redirect")
def test_document_served_by_redirect_keeps_its_content_disposition(
    admin: Client, wagtail: Site, fetch: Any
) -> None:
    document = upload_document(admin, "report.csv", b"a,b\n1,2\n")
    wagtail.reset()
    response = Client().get(document.url)
    assert response.status_code == 302
    assert wagtail.counts() == {"b2_get_download_authorization": 1}
    download = fetch(response["Location"])
    assert download.status_code == 200
    assert download.content == b"a,b\n1,2\n"
    assert download.headers["Content-Disposition"] == document.content_disposition
    assert download.headers["Content-Disposition"].startswith("attachment; filename=report.csv")
    wagtail.reset()
    assert Client().get(document.url)["Location"] == response["Location"]
    assert wagtail.counts() == {}


def test_document_served_by_redirect_is_wagtails_default_for_b2(
    admin: Client, wagtail: Site, fetch: Any
) -> None:
    """B2Storage has URLs and no local path, so Wagtail picks the redirect by itself."""
    document = upload_document(admin, "notes.txt", b"notes")
    response = Client().get(document.url)
    assert response.status_code == 302
    download = fetch(response["Location"])
    assert download.content == b"notes"
    assert download.headers["Content-Disposition"] == document.content_disposition


@override_settings(WAGTAILDOCS_SERVE_METHOD="redirect")
def test_pdf_redirect_is_inline_as_wagtail_serves_it(
    admin: Client, wagtail: Site, fetch: Any
) -> None:
    document = upload_document(admin, "manual.pdf", b"%PDF-1.4 manual")
    download = fetch(Client().get(document.url)["Location"])
    assert download.headers["Content-Disposition"] == "inline"
    assert download.headers["Content-Type"] == "application/pdf"


@override_settings(WAGTAILDOCS_SERVE_METHOD="serve_view")
def test_document_served_by_streaming(admin: Client, wagtail: Site) -> None:
    document = upload_document(admin, "report.csv", b"a,b\n1,2\n")
    wagtail.reset()
    response = Client().get(document.url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"a,b\n1,2\n"
    assert response["Content-Disposition"] == document.content_disposition
    assert response["Content-Length"] == "8"
    # Wagtail asks for file.url even when it streams (one token), then the bytes and a HEAD for
    # Content-Length.
    assert wagtail.counts() == {"b2_get_download_authorization": 1, "b2_download_file_by_name": 2}


def test_private_document_stays_behind_wagtails_login(admin: Client, wagtail: Site) -> None:
    private = root_collection().add_child(name="Private")
    CollectionViewRestriction.objects.create(
        collection=private, restriction_type=CollectionViewRestriction.LOGIN
    )
    document = upload_document(admin, "secret.txt", b"secret", collection=private)
    wagtail.reset()
    response = Client().get(document.url)
    assert response.status_code == 302
    assert response["Location"].startswith("/_util/login/") or "login" in response["Location"]
    assert wagtail.counts() == {}  # no URL to the file was made


@pytest.mark.parametrize(("scope", "opens"), [("location", True), ("file", False)])
def test_what_a_rendition_urls_token_opens(
    admin: Client, wagtail: Site, fetch: Any, scope: str, opens: bool
) -> None:
    """A public page's rendition URL carries a token; with ``signed_url_scope="location"`` that
    token also opens private documents in the same storage, with ``"file"`` it does not."""
    storages = wagtail.storages()
    storages["default"]["OPTIONS"]["signed_url_scope"] = scope
    with override_settings(STORAGES=storages):
        private = root_collection().add_child(name="Private")
        CollectionViewRestriction.objects.create(
            collection=private, restriction_type=CollectionViewRestriction.LOGIN
        )
        document = upload_document(admin, "secret.txt", b"secret", collection=private)
        image = upload_image(admin)
        article(image)
        assert Client().get("/article/").status_code == 200
        rendition_url = image.renditions.first().url
        token = token_of(rendition_url)
        document_key = f"media/{document.file.name}"
        forged = rendition_url.split("/file/")[0] + (
            f"/file/media-bucket/{document_key}?Authorization={token}"
        )
        download = fetch(forged)
    if opens:
        assert download.status_code == 200
        assert download.content == b"secret"
    else:
        assert download.status_code == 401


# -- deletes ------------------------------------------------------------------------------------


def test_deleting_an_image_removes_the_original_and_every_rendition(
    admin: Client, wagtail: Site, django_capture_on_commit_callbacks: OnCommit
) -> None:
    image = upload_image(admin)
    article(image)
    assert Client().get("/article/").status_code == 200
    assert len(wagtail.names()) == 4
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/admin/images/{image.pk}/delete/")
    assert response.status_code == 302
    assert wagtail.names() == []


def test_deleting_a_document_removes_its_file(
    admin: Client, wagtail: Site, django_capture_on_commit_callbacks: OnCommit
) -> None:
    document = upload_document(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/admin/documents/delete/{document.pk}/")
    assert response.status_code == 302
    assert wagtail.names() == []


# -- system check -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alias", "setting", "warned"),
    [
        ("default", None, True),
        ("renditions", "renditions", True),
        ("renditions", None, False),  # not where Wagtail keeps anything
    ],
)
def test_check_warns_of_file_overwrite_on_wagtails_image_storage(
    site: Site, alias: str, setting: str | None, warned: bool
) -> None:
    storages = site.storages(renditions=site.b2.options(location="media"))
    storages[alias]["OPTIONS"]["file_overwrite"] = True
    extra = {} if setting is None else {"WAGTAILIMAGES_RENDITION_STORAGE": setting}
    with override_settings(STORAGES=storages, **extra):
        found = [m for m in check_storages() if m.id == "django_b2.W003"]
    assert [m.obj for m in found] == ([f"STORAGES[{alias!r}]"] if warned else [])


def test_check_is_quiet_with_file_overwrite_false(site: Site) -> None:
    assert [m for m in check_storages() if m.id == "django_b2.W003"] == []
