"""django-imagekit on B2Storage: spec fields with both cache-file strategies, processed fields
and the ``{% thumbnail %}`` tag.

Request counts are those of docs/integrations/imagekit.md.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template
from django.test import override_settings
from imagekit.specs import ImageSpec

from .conftest import Site, image_size, png
from .siteapp.models import Gallery

OPTIMISTIC = "imagekit.cachefiles.strategies.Optimistic"


def test_spec_field_just_in_time_makes_the_file_at_the_first_url(site: Site, fetch: Any) -> None:
    gallery = Gallery.objects.create(original=png(80, 60))
    site.reset()
    url = gallery.thumbnail.url
    # HEAD the cache file (missing), read the source, upload, list the name's versions, sign.
    assert site.counts() == {
        "b2_download_file_by_name": 2,
        "b2_upload_file": 1,
        "b2_list_file_versions": 1,
        "b2_get_download_authorization": 1,
    }
    site.reset()
    assert Gallery.objects.get().thumbnail.url == url
    assert site.counts() == {}  # imagekit remembers in the Django cache that the file exists
    download = fetch(url)
    assert download.status_code == 200
    assert image_size(download.content) == (40, 30)
    assert download.headers["Content-Type"] == "image/jpeg"
    assert f"media/{gallery.thumbnail.name}" in site.names()


def test_spec_field_optimistic_makes_the_file_when_the_source_is_saved(
    site: Site, fetch: Any
) -> None:
    Gallery.objects.create(original=png(80, 60))
    # The source upload (cold worker: authorize, bucket, upload URL, upload, name check by
    # listing), then the Optimistic spec ("banner"): HEAD, read the source, upload, name check.
    assert site.counts() == {
        "b2_authorize_account": 1,
        "b2_list_buckets": 1,
        "b2_get_upload_url": 1,
        "b2_download_file_by_name": 2,
        "b2_upload_file": 2,
        "b2_list_file_versions": 2,
    }
    site.reset()
    url = Gallery.objects.get().banner.url
    assert site.counts() == {"b2_get_download_authorization": 1}  # no existence check at all
    download = fetch(url)
    assert download.status_code == 200
    assert image_size(download.content) == (60, 20)


def test_processed_image_field_stores_only_the_processed_image(site: Site, fetch: Any) -> None:
    gallery = Gallery.objects.create(original=png(80, 60), avatar=png(90, 90, name="me.png"))
    assert gallery.avatar.name == "avatars/me.jpg"
    assert f"media/{gallery.avatar.name}" in site.names()
    download = fetch(gallery.avatar.url)
    assert download.headers["Content-Type"] == "image/jpeg"
    assert image_size(download.content) == (20, 20)


def _galleries(count: int) -> list[Gallery]:
    return [Gallery.objects.create(original=png(80, 60, name=f"p{i}.png")) for i in range(count)]


def test_thumbnail_tag_reads_each_thumbnail_for_its_size_on_every_render(
    site: Site, fetch: Any
) -> None:
    galleries = _galleries(10)
    template = Template(
        "{% load imagekit %}{% for g in galleries %}{% thumbnail '20x20' g.original %}{% endfor %}"
    )
    site.reset()
    first = template.render(Context({"galleries": galleries}))
    # Per thumbnail: HEAD (missing), read the source, upload, name check (one listing), then
    # read the new file for the <img> width and height; the URLs are signed.
    assert site.counts() == {
        "b2_download_file_by_name": 30,
        "b2_upload_file": 10,
        "b2_list_file_versions": 10,
        "b2_get_download_authorization": site.mints(10),
    }
    site.reset()
    second = template.render(Context({"galleries": galleries}))
    assert site.counts() == {"b2_download_file_by_name": 10}  # width and height, again
    assert first == second
    assert first.count('width="20" height="20"') == 10


@pytest.mark.parametrize(
    "tag",
    [
        "{% thumbnail '20x20' g.original -- width=20 height=20 %}",
        "{% thumbnail '20x20' g.original as th %}<img src=\"{{ th.url }}\">",
    ],
    ids=["sized", "as-variable"],
)
def test_thumbnail_tag_without_the_size_lookup_costs_nothing_after_the_first_render(
    site: Site, fetch: Any, tag: str
) -> None:
    """The documented forms: give width/height, or use the URL only."""
    galleries = _galleries(10)
    template = Template("{% load imagekit %}{% for g in galleries %}" + tag + "{% endfor %}")
    site.reset()
    first = template.render(Context({"galleries": galleries}))
    assert site.counts()["b2_upload_file"] == 10
    assert site.counts()["b2_download_file_by_name"] == 20  # HEAD, source
    assert site.counts()["b2_list_file_versions"] == 10  # name check, after the upload
    site.reset()
    assert template.render(Context({"galleries": galleries})) == first
    assert site.counts() == {}
    url = first.split('src="')[1].split('"')[0].replace("&amp;", "&")
    assert image_size(fetch(url).content) == (20, 20)


def test_thumbnail_tag_with_optimistic_strategy_raises_file_not_found(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """imagekit's pitfall, on any storage: Optimistic never makes tag thumbnails (no source is
    "saved" for them), and the tag then reads the missing file. Keep JustInTime for the tag."""
    # IMAGEKIT_DEFAULT_CACHEFILE_STRATEGY is read once, into ImageSpec, when imagekit is imported.
    monkeypatch.setattr(ImageSpec, "cachefile_strategy", OPTIMISTIC)
    galleries = _galleries(1)
    template = Template(
        "{% load imagekit %}{% for g in galleries %}{% thumbnail '20x20' g.original %}{% endfor %}"
    )
    with pytest.raises(FileNotFoundError):
        template.render(Context({"galleries": galleries}))


def test_cache_file_storage_with_cache_control(site: Site, fetch: Any) -> None:
    """The documented setting: IMAGEKIT_DEFAULT_FILE_STORAGE names an alias with cache_control."""
    options = site.b2.options(location="media", cache_control="public, max-age=86400")
    with override_settings(
        STORAGES=site.storages(imagekit=options), IMAGEKIT_DEFAULT_FILE_STORAGE="imagekit"
    ):
        gallery = Gallery.objects.create(original=png(80, 60))
        download = fetch(gallery.thumbnail.url)
        assert download.status_code == 200
        assert download.headers["Cache-Control"] == "public, max-age=86400"
        assert "Cache-Control" not in fetch(gallery.original.url).headers
