"""System checks for the B2 storages declared in ``STORAGES``. They make no network call.

=================  ==========================================================================
``django_b2.E001``  application key id or key missing
``django_b2.E002``  bucket name missing or invalid
``django_b2.E003``  ``url_expire`` outside 1 .. 604800 seconds
``django_b2.E004``  options that contradict each other
``django_b2.E005``  any other invalid option (unknown key, wrong type, unknown cache alias, ...)
``django_b2.E006``  ``signed_url_scope="location"`` with an empty ``location`` on a private storage
``django_b2.W001``  the authorization cache is per process (LocMem) or a no-op (Dummy)
``django_b2.W002``  a static storage with ``public=False`` (signed URLs break CSS references)
``django_b2.W003``  Wagtail's image storage with ``file_overwrite=True`` (renditions get deleted)
``django_b2.W004``  ``custom_domain`` is the site's own host or gets its session/CSRF cookies
=================  ==========================================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.core.checks import CheckMessage, Error, Warning
from django.utils.module_loading import import_string

from django_b2 import conf
from django_b2.storage import B2Storage

__all__ = ["PER_PROCESS_CACHES", "check_storages"]

PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


def _b2_storage_class(backend: str) -> type[Any] | None:
    try:
        cls = import_string(backend)
    except ImportError:
        return None  # Django's own checks and the storage handler report a bad BACKEND.
    if isinstance(cls, type) and issubclass(cls, B2Storage):
        return cls
    return None


def check_storages(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """Validate the OPTIONS of every ``STORAGES`` entry whose backend is a B2 storage."""
    messages: list[CheckMessage] = []
    for alias, definition in conf.storage_definitions().items():
        if not isinstance(definition, Mapping):
            continue
        cls = _b2_storage_class(str(definition.get("BACKEND", "")))
        if cls is None:
            continue
        options = definition.get("OPTIONS") or {}
        messages.extend(_check_one(alias, options, static=bool(cls.static_defaults)))
    return messages


def _check_wagtail(alias: str, config: conf.B2Config) -> list[CheckMessage]:
    if not config.file_overwrite or not apps.is_installed("wagtail.images"):
        return []
    if alias not in conf.wagtail_media_aliases():
        return []
    return [
        Warning(
            "Wagtail keeps images in this storage, which has file_overwrite=True: an image "
            "uploaded under a name already taken replaces the other image's file, and "
            "wagtail_update_image_renditions deletes every rendition it has just made again "
            "(it deletes the old rendition's name after writing the new one under it).",
            hint="Set OPTIONS['file_overwrite'] (or B2_FILE_OVERWRITE) to False.",
            id="django_b2.W003",
            obj=f"STORAGES[{alias!r}]",
        )
    ]


def _check_custom_domain(alias: str, config: conf.B2Config) -> list[CheckMessage]:
    """Files served from the site's origin, or where its cookies go, can run script there: a
    link holder may add ``b2ContentType=text/html`` and a user's upload becomes a page."""
    host = urlsplit(config.custom_domain or "").hostname
    if not host:
        return []
    reasons = [
        f"{name} is {domain!r}, so the browser sends that cookie to {host}"
        for name, domain in conf.cookie_domains().items()
        if host == domain.lower().lstrip(".") or host.endswith("." + domain.lower().lstrip("."))
    ]
    if host in (allowed.lower() for allowed in conf.allowed_hosts()):
        reasons.insert(
            0, f"{host} is in ALLOWED_HOSTS: files would be served from the site's own origin"
        )
    if not reasons:
        return []
    return [
        Warning(
            f"custom_domain {config.custom_domain!r} is not separate from the site: "
            + "; ".join(reasons)
            + ". Anyone holding a download link can make B2 serve a file as text/html (by adding "
            "b2ContentType to the link), so a file one user uploaded could run script that reads "
            "or sets the site's cookies.",
            hint=(
                "Serve files from a domain of their own that shares no cookies with the site "
                "(e.g. files.example-usercontent.com), or set the cookie domain to None (cookies "
                "then go only to the host that set them)."
            ),
            id="django_b2.W004",
            obj=f"STORAGES[{alias!r}]",
        )
    ]


def _check_one(alias: str, options: Mapping[str, Any], *, static: bool) -> list[CheckMessage]:
    where = f"STORAGES[{alias!r}]"
    messages: list[CheckMessage] = []
    try:
        config = conf.load_config(options, static=static)
    except conf.B2ConfigurationError as exc:
        messages.append(Error(str(exc), id=exc.check_id, obj=where))
        # Report every missing required value at once, not only the first.
        for name in ("application_key_id", "application_key", "bucket_name"):
            try:
                value = conf.resolve(name, options, static=static)
            except conf.B2ConfigurationError:
                continue
            missing_message = f"django_b2 needs {name!r}."
            if (value is None or value == "") and not str(exc).startswith(missing_message):
                check_id = "django_b2.E002" if name == "bucket_name" else "django_b2.E001"
                places = " or ".join(
                    [f"OPTIONS[{name!r}]", *conf.setting_names(name, static=static)]
                )
                messages.append(Error(f"{missing_message} Set {places}.", id=check_id, obj=where))
        return messages
    backend = conf.cache_backend_path(config.auth_cache)
    if backend in PER_PROCESS_CACHES:
        kind = "a no-op cache" if backend.endswith("DummyCache") else "a per-process cache"
        messages.append(
            Warning(
                f"The B2 authorization cache {config.auth_cache!r} is {kind} ({backend}), so every "
                "worker process authorizes with B2 and mints download tokens on its own.",
                hint=(
                    "Point OPTIONS['auth_cache'] or B2_AUTH_CACHE at a cache alias shared by all "
                    "workers (Redis, Memcached or the database cache)."
                ),
                id="django_b2.W001",
                obj=where,
            )
        )
    messages.extend(_check_wagtail(alias, config))
    messages.extend(_check_custom_domain(alias, config))
    if static and not config.public:
        messages.append(
            Warning(
                "This static-files storage serves signed URLs (public=False). Signed URLs expire, "
                "and the manifest storage rewrites url() references in CSS by path, dropping the "
                "token, so stylesheets would point at URLs the bucket refuses.",
                hint=(
                    "Put static files in a public bucket and leave OPTIONS['public'] or "
                    "B2_STATIC_PUBLIC at True (the default for static storages)."
                ),
                id="django_b2.W002",
                obj=where,
            )
        )
    return messages
