"""Template tags: ``{% load b2 %}``.

``{% b2_signed_url obj.file expires=600 %}`` or ``{% b2_signed_url "docs/a.pdf" storage=st %}``
(``content_disposition="attachment"`` also accepted), and the filter
``{{ obj.file|b2_signed_url }}`` / ``{{ obj.file|b2_signed_url:600 }}``.

An empty value (a file field with no file, ``None``, ``""``) renders as an empty string, like a
missing value elsewhere in Django templates.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.core.files.storage import Storage, storages

from django_b2.signed_urls import signed_url
from django_b2.storage import B2Storage

__all__ = ["b2_signed_url", "b2_signed_url_filter"]

register = template.Library()


def _resolve(value: Any, storage: Storage | None) -> tuple[B2Storage, str] | None:
    """The storage and name to sign, or ``None`` for an empty value."""
    name = getattr(value, "name", value)
    if name is None or name == "":
        return None
    if not isinstance(name, str):
        raise ValueError(f"b2_signed_url needs a FieldFile or a file name, got {value!r}.")
    if storage is None:
        storage = getattr(value, "storage", None) or storages["default"]
    if not isinstance(storage, B2Storage):
        raise ValueError(
            f"b2_signed_url needs a B2 storage, but {name!r} is stored on {storage!r}; "
            "pass storage=... or use a FileField whose storage is a B2Storage."
        )
    return storage, name


@register.simple_tag
def b2_signed_url(
    value: Any,
    storage: Storage | None = None,
    expires: int | None = None,
    content_disposition: str | None = None,
) -> str:
    """A signed URL for a FieldFile (or a name, with ``storage=``), valid ``expires`` seconds."""
    resolved = _resolve(value, storage)
    if resolved is None:
        return ""
    b2_storage, name = resolved
    return signed_url(b2_storage, name, expire=expires, content_disposition=content_disposition)


@register.filter(name="b2_signed_url")
def b2_signed_url_filter(value: Any, expires: int | None = None) -> str:
    """``{{ obj.file|b2_signed_url }}`` or ``{{ obj.file|b2_signed_url:600 }}``."""
    resolved = _resolve(value, None)
    if resolved is None:
        return ""
    b2_storage, name = resolved
    return signed_url(b2_storage, name, expire=None if expires is None else int(expires))
