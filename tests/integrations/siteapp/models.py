"""Models a Django site would have on top of B2Storage, one per integrated package."""

from __future__ import annotations

from django.db import models
from django_cleanup import cleanup
from easy_thumbnails.fields import ThumbnailerImageField
from imagekit.models import ImageSpecField, ProcessedImageField
from pilkit.processors import ResizeToFill
from sorl.thumbnail import ImageField as SorlImageField
from wagtail.models import Page


class ArticlePage(Page):  # type: ignore[misc]
    """A Wagtail page showing one image in three renditions."""

    photo = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        app_label = "b2_site"


class Gallery(models.Model):
    """imagekit: a spec made from ``original`` and an upload processed before it is stored."""

    original = models.ImageField(upload_to="gallery/")
    thumbnail = ImageSpecField(source="original", processors=[ResizeToFill(40, 30)], format="JPEG")
    banner = ImageSpecField(
        source="original",
        processors=[ResizeToFill(60, 20)],
        format="JPEG",
        cachefile_strategy="imagekit.cachefiles.strategies.Optimistic",
    )
    avatar = ProcessedImageField(
        upload_to="avatars/", processors=[ResizeToFill(20, 20)], format="JPEG", blank=True
    )

    class Meta:
        app_label = "b2_site"


class Poster(models.Model):
    """easy-thumbnails."""

    image = ThumbnailerImageField(upload_to="posters/")

    class Meta:
        app_label = "b2_site"


class Picture(models.Model):
    """sorl-thumbnail (its ImageField deletes the thumbnails with the source)."""

    image = SorlImageField(upload_to="pictures/")

    class Meta:
        app_label = "b2_site"


class Report(models.Model):
    """DRF: a file served through a serializer."""

    title = models.CharField(max_length=100)
    file = models.FileField(upload_to="reports/")

    class Meta:
        app_label = "b2_site"


@cleanup.select
class Avatar(models.Model):
    """django-cleanup: replaced and deleted files are removed from B2."""

    image = models.FileField(upload_to="cleanup/")

    class Meta:
        app_label = "b2_site"
