"""easy-thumbnails and sorl-thumbnail on B2Storage: thumbnails made once, later renders cost
nothing, and a thumbnail storage with ``cache_control`` serves cacheable thumbnails.

Request counts are those of docs/integrations/easy-thumbnails.md and sorl-thumbnail.md.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.utils.functional import empty
from easy_thumbnails import storage as easy_storage
from sorl.thumbnail import default as sorl_default

from .conftest import Site, image_size, png
from .siteapp.models import Picture, Poster

CACHEABLE = "public, max-age=86400"


def _urls(html: str) -> list[str]:
    return [part.split('"')[0].replace("&amp;", "&") for part in html.split('src="')[1:]]


# -- easy-thumbnails ----------------------------------------------------------------------------

EASY = Template(
    "{% load easy_thumbnails_tags %}{% for p in posters %}"
    '<img src="{% thumbnail p.image 40x30 crop %}">{% endfor %}'
)
EASY_SIZED = Template(
    "{% load easy_thumbnails_tags %}{% for p in posters %}{% thumbnail p.image 40x30 crop as t %}"
    '<img src="{{ t.url }}" width="{{ t.width }}" height="{{ t.height }}">{% endfor %}'
)


def easy_first(site: Site) -> dict[str, int]:
    """Ten thumbnails made: per thumbnail read the source, delete any old file of that name (a
    listing that finds none), upload, check the name (a second listing); then sign the ten
    URLs."""
    return {
        "b2_download_file_by_name": 10,
        "b2_list_file_versions": 20,
        "b2_upload_file": 10,
        "b2_get_download_authorization": site.mints(10),
    }


def _posters(count: int) -> list[Poster]:
    return [Poster.objects.create(image=png(80, 60, name=f"p{i}.png")) for i in range(count)]


def test_easy_thumbnails_tag_makes_thumbnails_once(site: Site, fetch: Any) -> None:
    posters = _posters(10)
    site.reset()
    first = EASY.render(Context({"posters": posters}))
    assert site.counts() == easy_first(site)
    site.reset()
    second = EASY.render(Context({"posters": posters}))
    assert site.counts() == {}  # easy-thumbnails knows its thumbnails from its own tables
    assert first == second
    urls = _urls(first)
    assert len(urls) == 10
    assert image_size(fetch(urls[0]).content) == (40, 30)


@pytest.mark.parametrize("cache_dimensions", [False, True])
def test_easy_thumbnails_cache_dimensions_spares_a_read_per_render(
    site: Site, fetch: Any, cache_dimensions: bool
) -> None:
    posters = _posters(10)
    with override_settings(THUMBNAIL_CACHE_DIMENSIONS=cache_dimensions):
        site.reset()
        first = EASY_SIZED.render(Context({"posters": posters}))
        assert site.counts() == easy_first(site)
        site.reset()
        second = EASY_SIZED.render(Context({"posters": posters}))
        # Without THUMBNAIL_CACHE_DIMENSIONS each thumbnail is read again for its size.
        assert site.counts() == ({} if cache_dimensions else {"b2_download_file_by_name": 10})
    assert first == second
    assert first.count('width="40" height="30"') == 10


def test_easy_thumbnails_storage_with_cache_control(
    site: Site, fetch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = site.b2.options(location="media", cache_control=CACHEABLE)
    with override_settings(STORAGES=site.storages(easy_thumbnails=options)):
        # easy-thumbnails reads THUMBNAIL_DEFAULT_STORAGE_ALIAS ("easy_thumbnails") at import.
        from django.core.files.storage import storages

        monkeypatch.setattr(easy_storage, "thumbnail_default_storage", storages["easy_thumbnails"])
        posters = _posters(2)
        urls = _urls(EASY.render(Context({"posters": posters})))
        download = fetch(urls[0])
        assert download.status_code == 200
        assert download.headers["Cache-Control"] == CACHEABLE
        assert "Cache-Control" not in fetch(posters[0].image.url).headers


# -- sorl-thumbnail -----------------------------------------------------------------------------

SORL = Template(
    "{% load sorl_thumbnail %}{% for p in pictures %}"
    '{% thumbnail p.image "40x30" crop="center" as im %}'
    '<img src="{{ im.url }}" width="{{ im.width }}" height="{{ im.height }}">'
    "{% endthumbnail %}{% endfor %}"
)


def _pictures(count: int) -> list[Picture]:
    return [Picture.objects.create(image=png(80, 60, name=f"s{i}.png")) for i in range(count)]


def test_sorl_thumbnail_tag_makes_thumbnails_once(site: Site, fetch: Any) -> None:
    pictures = _pictures(10)
    site.reset()
    first = SORL.render(Context({"pictures": pictures}))
    # Per thumbnail: read the source, HEAD the thumbnail's name (does it exist?), upload, list
    # the name's versions (was the name free?); then the URLs are signed.
    assert site.counts() == {
        "b2_download_file_by_name": 20,
        "b2_upload_file": 10,
        "b2_list_file_versions": 10,
        "b2_get_download_authorization": site.mints(10),
    }
    site.reset()
    second = SORL.render(Context({"pictures": pictures}))
    assert site.counts() == {}  # sorl's key-value store knows each thumbnail and its size
    assert first == second
    assert first.count('width="40" height="30"') == 10
    urls = _urls(first)
    assert image_size(fetch(urls[0]).content) == (40, 30)


def test_sorl_thumbnail_storage_with_cache_control(site: Site, fetch: Any) -> None:
    options = site.b2.options(location="media", cache_control=CACHEABLE)
    with override_settings(
        STORAGES=site.storages(thumbnails=options), THUMBNAIL_STORAGE="thumbnails"
    ):
        sorl_default.storage._wrapped = empty  # sorl looks THUMBNAIL_STORAGE up once
        pictures = _pictures(2)
        urls = _urls(SORL.render(Context({"pictures": pictures})))
        download = fetch(urls[0])
        assert download.status_code == 200
        assert download.headers["Cache-Control"] == CACHEABLE
