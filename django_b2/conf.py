"""Settings for the Django layer: the only module that reads :mod:`django.conf.settings`.

Every option is resolved by :func:`resolve` in this order:

1. the ``STORAGES[alias]["OPTIONS"]`` key (the keyword arguments given to the storage),
2. the ``B2_<NAME>`` setting (static storages first look at ``B2_STATIC_<NAME>``),
3. the default in :data:`DEFAULTS`.

Each option is declared once, as a field of :class:`B2Config` in :mod:`django_b2._config` (name,
type, default, validation, the line the settings table shows); :data:`OPTIONS`, :data:`DEFAULTS`,
:data:`STATIC_DEFAULTS` and :func:`load_config` are derived from those fields, and re-exported
here. The validators (which read no settings) are in :mod:`django_b2._options`; the one check
that needs the settings (``auth_cache`` must name a cache in ``CACHES``) is here.

:func:`load_config` turns the resolved values into a frozen :class:`B2Config`, rejecting unknown,
missing, invalid and contradictory values with a :class:`B2ConfigurationError` whose message says
what to set. Nothing here touches the network.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, NoReturn

from django.conf import settings

from django_b2._config import (
    DEFAULTS,
    DELETE_POLICIES,
    OPTIONS,
    SIGNED_URL_SCOPES,
    STATIC_DEFAULTS,
    TEST_MODES,
    B2Config,
)
from django_b2._options import (
    MAX_URL_EXPIRE,
    RETRY_FIELDS,
    B2ConfigurationError,
    Check,
    Option,
    Subject,
)

__all__ = [
    "DEFAULTS",
    "DELETE_POLICIES",
    "DIRECT_UPLOAD_DEFAULTS",
    "MAX_URL_EXPIRE",
    "OPTIONS",
    "RETRY_FIELDS",
    "SIGNED_URL_SCOPES",
    "STATIC_DEFAULTS",
    "TEST_MODES",
    "B2Config",
    "B2ConfigurationError",
    "DirectUploadSettings",
    "Option",
    "allowed_hosts",
    "cache_backend_path",
    "configured_caches",
    "cookie_domains",
    "direct_upload_settings",
    "find_application_key",
    "load_config",
    "resolve",
    "setting_names",
    "storage_definitions",
    "use_tz",
    "wagtail_docs_serve_method",
    "wagtail_media_aliases",
]

# --------------------------------------------------------------------------- resolving, loading


def setting_names(name: str, *, static: bool = False) -> tuple[str, ...]:
    """The settings consulted for option ``name``, in order."""
    upper = name.upper()
    if static:
        if name in STATIC_DEFAULTS:
            return (f"B2_STATIC_{upper}",)
        return (f"B2_STATIC_{upper}", f"B2_{upper}")
    return (f"B2_{upper}",)


def _where(name: str, *, static: bool = False) -> str:
    places = [f"OPTIONS[{name!r}]", *setting_names(name, static=static)]
    return " or ".join(places)


def resolve(name: str, options: Mapping[str, Any], *, static: bool = False) -> Any:
    """Value of option ``name``: the OPTIONS key, else the setting(s), else the default."""
    if name not in DEFAULTS:
        raise B2ConfigurationError(_unknown_message(name))
    if name in options:
        return options[name]
    for setting in setting_names(name, static=static):
        if hasattr(settings, setting):
            return getattr(settings, setting)
    if static and name in STATIC_DEFAULTS:
        return STATIC_DEFAULTS[name]
    return DEFAULTS[name]


def _unknown_message(name: str) -> str:
    message = f"Unknown django_b2 option {name!r}."
    close = difflib.get_close_matches(name, list(DEFAULTS), n=1)
    if close:
        message += f" Did you mean {close[0]!r}?"
    else:
        message += f" Valid options: {', '.join(sorted(DEFAULTS))}."
    return message


def _subject(option: Option, static: bool) -> Subject:
    return Subject(option.name, _where(option.name, static=static), option.check_id, option.secret)


def _cache_configured(value: str, s: Subject) -> str:
    """``auth_cache`` names a cache in ``CACHES`` (its declared check made sure it is a str)."""
    if value not in configured_caches():
        s.fail(
            f"django_b2 option 'auth_cache' names the cache alias {value!r}, which "
            f"is not in CACHES ({', '.join(sorted(configured_caches())) or 'empty'}). "
            f"Add it to CACHES or set {s.where} to one of them."
        )
    return value


#: Checks that read the settings, run right after the declared check of their option.
_SETTINGS_CHECKS: Final[Mapping[str, Check]] = MappingProxyType({"auth_cache": _cache_configured})


def _checked(option: Option, value: Any, static: bool) -> Any:
    subject = _subject(option, static)
    value = option.check(value, subject)
    settings_check = _SETTINGS_CHECKS.get(option.name)
    return value if settings_check is None else settings_check(value, subject)


def _fail(message: str, check_id: str = "django_b2.E005") -> NoReturn:
    raise B2ConfigurationError(message, check_id=check_id)


def load_config(options: Mapping[str, Any], *, static: bool = False) -> B2Config:
    """Resolve and validate every option; raise :class:`B2ConfigurationError` on any problem."""
    for key in options:
        if key not in DEFAULTS:
            _fail(_unknown_message(key) + " Remove or rename it in OPTIONS.")
    values = {name: resolve(name, options, static=static) for name in OPTIONS}
    checked = {name: _checked(option, values[name], static) for name, option in OPTIONS.items()}
    _check_contradictions(values, checked["file_info"], static)
    return B2Config(**checked)


def _check_contradictions(values: Mapping[str, Any], file_info: Any, static: bool) -> None:
    threshold, part_size = values["large_file_threshold"], values["part_size"]
    if threshold is not None and part_size is not None and threshold <= part_size:
        _fail(
            f"django_b2 options contradict each other: 'large_file_threshold' ({threshold}) must "
            f"be larger than 'part_size' ({part_size}), since a large file needs at least 2 parts. "
            f"Raise {_where('large_file_threshold', static=static)} or lower "
            f"{_where('part_size', static=static)}.",
            check_id="django_b2.E004",
        )
    if isinstance(file_info, Mapping):
        lowered = {key.lower() for key in file_info}
        for name, info_key in (
            ("cache_control", "b2-cache-control"),
            ("content_disposition", "b2-content-disposition"),
        ):
            if values[name] is not None and info_key in lowered:
                _fail(
                    f"django_b2 options contradict each other: {name!r} is set and 'file_info' "
                    f"also sets {info_key!r}. Keep only one: remove {info_key!r} from "
                    f"{_where('file_info', static=static)} or unset "
                    f"{_where(name, static=static)}.",
                    check_id="django_b2.E004",
                )
    if values["public"] and values["signed_url_scope"] != DEFAULTS["signed_url_scope"]:
        _fail(
            "django_b2 options contradict each other: 'public' is True (plain URLs, no tokens) "
            f"but 'signed_url_scope' is {values['signed_url_scope']!r}. Set 'public' to False or "
            "drop 'signed_url_scope'.",
            check_id="django_b2.E004",
        )
    if values["signed_url_scope"] == "location" and not str(values["location"]).strip("/"):
        _fail(
            "django_b2 option 'signed_url_scope' is 'location' but 'location' is empty, so "
            f"every signed URL of this private storage would open every file of the bucket "
            f"{values['bucket_name']!r}. Set {_where('signed_url_scope', static=static)} to "
            "'file' (the default: a URL opens only its own file), or set "
            f"{_where('location', static=static)} to the folder whose files any link may open.",
            check_id="django_b2.E006",
        )


def configured_caches() -> Mapping[str, Any]:
    """The ``CACHES`` setting (empty mapping when unset)."""
    caches: Mapping[str, Any] = getattr(settings, "CACHES", {}) or {}
    return caches


def cache_backend_path(alias: str) -> str:
    """Dotted path of the backend of cache ``alias`` ("" if unknown)."""
    entry = configured_caches().get(alias) or {}
    return str(entry.get("BACKEND", ""))


def storage_definitions() -> Mapping[str, Mapping[str, Any]]:
    """The ``STORAGES`` setting."""
    storages: Mapping[str, Mapping[str, Any]] = getattr(settings, "STORAGES", {}) or {}
    return storages


def cookie_domains() -> Mapping[str, str]:
    """The cookie domains set for Django's session and CSRF cookies, by setting name (a cookie
    with a domain goes to every host under it; without one, only to the host that set it)."""
    found = {
        name: getattr(settings, name, None)
        for name in ("SESSION_COOKIE_DOMAIN", "CSRF_COOKIE_DOMAIN")
    }
    return {name: str(value) for name, value in found.items() if value}


def allowed_hosts() -> tuple[str, ...]:
    """The ``ALLOWED_HOSTS`` setting."""
    return tuple(str(host) for host in getattr(settings, "ALLOWED_HOSTS", ()) or ())


def wagtail_media_aliases() -> frozenset[str]:
    """The ``STORAGES`` aliases Wagtail keeps images in: ``default`` (originals, documents) and
    the alias ``WAGTAILIMAGES_RENDITION_STORAGE`` names, if it names one (renditions)."""
    renditions = getattr(settings, "WAGTAILIMAGES_RENDITION_STORAGE", None)
    if isinstance(renditions, str) and renditions in storage_definitions():
        return frozenset({"default", renditions})
    return frozenset({"default"})


def wagtail_docs_serve_method() -> str:
    """Wagtail's ``WAGTAILDOCS_SERVE_METHOD``; unset means ``"redirect"`` for B2 storages (Wagtail
    redirects when a storage has URLs and no local paths)."""
    return str(getattr(settings, "WAGTAILDOCS_SERVE_METHOD", None) or "redirect")


def find_application_key(application_key_id: str, *, static: bool = False) -> str:
    """The application key for ``application_key_id``, looked up again in the settings.

    Used when a storage is unpickled: pickles never carry the key. Looks in every
    ``STORAGES[...]["OPTIONS"]`` naming this key id, then in the ``B2_*`` settings.
    """
    for definition in storage_definitions().values():
        options = definition.get("OPTIONS") or {}
        if options.get("application_key_id") == application_key_id and options.get(
            "application_key"
        ):
            return str(options["application_key"])
    if resolve("application_key_id", {}, static=static) == application_key_id:
        key = resolve("application_key", {}, static=static)
        if key:
            return str(key)
    raise B2ConfigurationError(
        f"A pickled B2Storage for key id {application_key_id!r} was loaded, but no "
        "application key for that key id is configured here (pickles never carry the key). "
        f"Set OPTIONS['application_key'] or {_where('application_key', static=static)}.",
        check_id="django_b2.E001",
    )


def use_tz() -> bool:
    """Whether ``USE_TZ`` is on (aware datetimes in UTC)."""
    return bool(settings.USE_TZ)


#: Settings of ``django_b2.direct_upload`` (``B2_DIRECT_UPLOAD_<NAME>``) and their defaults.
DIRECT_UPLOAD_DEFAULTS: Final[Mapping[str, Any]] = {
    "key_id": None,
    "key": None,
    "max_open_tickets": 10,
}


@dataclass(frozen=True)
class DirectUploadSettings:
    """The key browsers' upload tokens are minted with, and the per-user ticket limit.

    Also what ``DirectUpload(upload_key_id=, upload_key=, max_open_tickets=)`` keeps as its
    overrides (``None``: use the setting). The key never shows in a repr.
    """

    key_id: str | None = None
    key: str | None = field(default=None, repr=False)
    max_open_tickets: int | None = None


def direct_upload_settings(overrides: DirectUploadSettings | None = None) -> DirectUploadSettings:
    """``B2_DIRECT_UPLOAD_KEY_ID`` / ``_KEY`` / ``_MAX_OPEN_TICKETS``; ``overrides`` (not None) win.

    Nothing here touches the network: whether the key is restricted to a name prefix is read
    from its authorization when the first upload starts. The key is never bound to a plain
    local variable here, so a traceback of a refused configuration cannot show it.
    """
    given = overrides or DirectUploadSettings()
    found = DirectUploadSettings(
        key_id=_direct_upload_value("key_id", given.key_id),
        key=_direct_upload_value("key", given.key),
        max_open_tickets=_direct_upload_value("max_open_tickets", given.max_open_tickets),
    )
    _check_direct_upload(found)
    return found


def _direct_upload_value(name: str, override: Any) -> Any:
    if override is not None:
        return override
    return getattr(settings, f"B2_DIRECT_UPLOAD_{name.upper()}", DIRECT_UPLOAD_DEFAULTS[name])


def _check_direct_upload(found: DirectUploadSettings) -> None:
    for name in ("key_id", "key"):
        if getattr(found, name) is not None and (
            not isinstance(getattr(found, name), str) or not getattr(found, name)
        ):
            raise B2ConfigurationError(
                f"B2_DIRECT_UPLOAD_{name.upper()} must be a non-empty string or None, not a "
                f"{type(getattr(found, name)).__name__}."
            )
    if (found.key_id is None) != (found.key is None):
        raise B2ConfigurationError(
            "Set both B2_DIRECT_UPLOAD_KEY_ID and B2_DIRECT_UPLOAD_KEY (the restricted key that "
            "browsers' upload tokens come from), or neither."
        )
    limit = found.max_open_tickets
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise B2ConfigurationError(
            f"B2_DIRECT_UPLOAD_MAX_OPEN_TICKETS must be a whole number >= 1, not {limit!r}."
        )
