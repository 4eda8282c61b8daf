"""Settings for the Django layer: the only module that reads :mod:`django.conf.settings`.

Every option is resolved by :func:`resolve` in this order:

1. the ``STORAGES[alias]["OPTIONS"]`` key (the keyword arguments given to the storage),
2. the ``B2_<NAME>`` setting (static storages first look at ``B2_STATIC_<NAME>``),
3. the default in :data:`DEFAULTS`.

Each option is declared once, as a field of :class:`B2Config` (name, type, default, validation,
the line the settings table shows); :data:`OPTIONS`, :data:`DEFAULTS`, :data:`STATIC_DEFAULTS`
and :func:`load_config` are derived from those fields. The validators themselves (which read no
settings) are in :mod:`django_b2._options`.

:func:`load_config` turns the resolved values into a frozen :class:`B2Config`, rejecting unknown,
missing, invalid and contradictory values with a :class:`B2ConfigurationError` whose message says
what to set. Nothing here touches the network.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Literal, NoReturn

from django.conf import settings

from django_b2 import _options as v
from django_b2._options import (
    MAX_URL_EXPIRE,
    RETRY_FIELDS,
    UNSET,
    B2ConfigurationError,
    FileInfoOption,
    Option,
    PerFile,
    Subject,
    declared,
)
from django_b2._options import option as _option

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
    "cache_backend_path",
    "configured_caches",
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

DELETE_POLICIES: Final = ("hide", "delete_newest", "delete_all")
SIGNED_URL_SCOPES: Final = ("file", "location")
TEST_MODES: Final = (
    "fail_some_uploads",
    "expire_some_account_authorization_tokens",
    "force_cap_exceeded",
)

DeletePolicy = Literal["hide", "delete_newest", "delete_all"]
SignedUrlScope = Literal["file", "location"]


def _auth_cache(value: Any, s: Subject) -> str:
    """A cache alias that is in ``CACHES`` (the one validator that reads settings)."""
    v.expect(s, value, (str,), "a cache alias (a key of CACHES)")
    if value not in configured_caches():
        s.fail(
            f"django_b2 option 'auth_cache' names the cache alias {value!r}, which "
            f"is not in CACHES ({', '.join(sorted(configured_caches())) or 'empty'}). "
            f"Add it to CACHES or set {s.where} to one of them."
        )
    return str(value)


# --------------------------------------------------------------------------- the declaration


@dataclass(frozen=True, kw_only=True)
class B2Config:
    """Resolved, validated options of one storage. ``repr`` never shows the application key.

    Each field declares one option: its name, type, default, validation and the line the
    settings table shows for it. :data:`OPTIONS`, :data:`DEFAULTS` and :func:`load_config` are
    derived from these fields; ``tests/django/test_conf.py`` checks the documented table.
    """

    application_key_id: str = _option(
        check=v.required_string, check_id="django_b2.E001", doc="B2 application key id."
    )
    application_key: str = _option(
        check=v.required_string,
        secret=True,
        check_id="django_b2.E001",
        doc="The key. Never logged, never in `repr`, kept out of migrations (`deconstruct()`) "
        "and of the cache.",
    )
    bucket_name: str = _option(
        check=v.bucket_name,
        check_id="django_b2.E002",
        doc="Bucket (6–63 letters, digits, `-`).",  # noqa: RUF001
    )
    bucket_id: str | None = _option(
        None,
        check=v.optional(str, "a string or None"),
        doc="Saves the one lookup of the id (otherwise taken from a bucket-restricted key, the "
        "shared cache, or `b2_list_buckets` once).",
    )
    api_url: str = _option(
        "https://api.backblazeb2.com",
        check=v.api_url,
        shown_default="`https://api.backblazeb2.com`",
        doc="Where to authorize; the emulator's URL in development.",
    )
    location: str = _option(
        "",
        check=v.location,
        doc='Name prefix for every file of this storage (`"uploads"` → `uploads/<name>`).',
    )
    auth_cache: str = _option(
        "default",
        check=_auth_cache,
        doc="Cache alias for the shared authorization, bucket id and download tokens. Must be "
        "in `CACHES`.",
    )
    file_overwrite: bool = _option(
        False,
        check=v.boolean,
        static_default=True,
        doc="`True`: saving an existing name replaces it (no existence check; one request per "
        "save). `False`: Django's `name_<random>.ext` renaming.",
    )
    delete_policy: DeletePolicy = _option(
        "delete_all",
        check=v.one_of(DELETE_POLICIES),
        doc="`delete_all`: remove every version (bytes gone, nothing billed); `delete_newest`: "
        "remove the newest version (an older one becomes current); `hide`: add a hide marker, "
        "keep all versions. A missing file is never an error.",
    )
    public: bool = _option(
        False,
        check=v.boolean,
        static_default=True,
        doc="`True`: `url()` gives plain URLs (bucket must be `allPublic`). `False`: signed URLs.",
    )
    url_expire: int = _option(
        3600,
        check=v.url_expire,
        check_id="django_b2.E003",
        doc="Lifetime of a signed URL in seconds (1 … 604800): it works at least this long and "
        "stops working at most `max(url_expire / 10, 60)` seconds later.",
    )
    url_token_reuse: int | None = _option(
        None,
        check=v.seconds_or_none,
        doc="Longest extra lifetime of a download token, during which it is reused; never more "
        "than `max(expire / 10, 60)` (the default, `None`). `0` mints a token per URL.",
    )
    signed_url_scope: SignedUrlScope = _option(
        "file",
        check=v.one_of(SIGNED_URL_SCOPES),
        doc="`file`: a URL opens only its own file (and names extending it); `location`: one "
        "token opens the whole `location` (refused on a private storage without `location`).",
    )
    custom_domain: str | None = _option(
        None,
        check=v.custom_domain,
        doc="Host (optionally `https://host:port`) replacing B2's download host in URLs; the "
        "path (`/file/<bucket>/<name>`) and any token stay.",
    )
    large_file_threshold: int | None = _option(
        None,
        check=v.positive_int(allow_none=True),
        shown_default="client default (2 × recommended part size)",  # noqa: RUF001
        doc="Files of this size or more go up as large files. Must be > `part_size`.",
    )
    part_size: int | None = _option(
        None,
        check=v.positive_int(allow_none=True),
        shown_default="B2's recommended size",
        doc="Part size for large files.",
    )
    max_workers: int = _option(
        4,
        check=v.positive_int(),
        doc="Parallel parts per large upload; upload threads of the static storages.",
    )
    large_file_sha1: bool = _option(
        False,
        check=v.boolean,
        doc="Store the whole-file SHA-1 (`large_file_sha1` file info) on large files; costs one "
        "more read of the file (seekable content only).",
    )
    retry: Mapping[str, Any] | None = _option(
        None,
        check=v.retry,
        doc='RetryPolicy fields for the client, e.g. `{"attempts": 8, "deadline": 20}` '
        "(`attempts`, `initial_backoff`, `max_backoff`, `multiplier`, `jitter`, "
        "`max_retry_after`, `deadline`, `connect_deadline`); default for the storage: "
        "`RetryPolicy.for_web_requests()`, a call gives up within 30 s (4 s if B2 refuses "
        "connections) and a Retry-After over 10 s ends it at once; management commands use the "
        "client's looser defaults. See [Reliability](reliability.md).",
    )
    read_block_size: int = _option(
        8 * 1024 * 1024,
        check=v.positive_int(),
        shown_default="`8 MiB`",
        doc="Size of the first ranged GET of a sequential read (later blocks grow 4 times, up to "
        "512 MiB).",
    )
    spool_max_size: int = _option(
        10 * 1024 * 1024,
        check=v.positive_int(),
        shown_default="`10 MiB`",
        doc="Write-mode files and static uploads stay in memory up to this, then spill to disk.",
    )
    cache_control: PerFile = _option(
        None,
        check=v.per_file,
        doc="String or `callable(name) -> str | None`, stored as `b2-cache-control` (served as "
        "`Cache-Control`).",
    )
    content_disposition: PerFile = _option(
        None, check=v.per_file, doc="String or callable, stored as `b2-content-disposition`."
    )
    file_info: FileInfoOption = _option(
        None,
        check=v.file_info,
        doc="Dict (≤ 10 entries) or `callable(name) -> dict`, stored as B2 file info. "
        "`src_last_modified_millis` there is used by `get_modified_time()`.",
    )
    http_options: Mapping[str, Any] | None = _option(
        None,
        check=v.optional(dict, "a dict of requests keyword arguments"),
        doc='Dict merged into every `requests` call (e.g. `{"proxies": ...}`).',
    )
    test_mode: str | None = _option(
        None,
        check=v.one_of(TEST_MODES, allow_none=True),
        doc="B2's `X-Bz-Test-Mode` (`fail_some_uploads`, "
        "`expire_some_account_authorization_tokens`, `force_cap_exceeded`); never in production.",
    )


#: Every option, in the order of the settings table.
OPTIONS: Final[Mapping[str, Option]] = MappingProxyType(declared(B2Config))

DEFAULTS: Final[Mapping[str, Any]] = MappingProxyType(
    {name: option.default for name, option in OPTIONS.items()}
)

#: Defaults that static storages use instead of the ``B2_<NAME>`` settings: static files are
#: collected over and over (overwrite) and are served by plain URLs (CSS refers to them by path).
STATIC_DEFAULTS: Final[Mapping[str, Any]] = MappingProxyType(
    {n: o.static_default for n, o in OPTIONS.items() if o.static_default is not UNSET}
)


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


def _fail(message: str, check_id: str = "django_b2.E005") -> NoReturn:
    raise B2ConfigurationError(message, check_id=check_id)


def load_config(options: Mapping[str, Any], *, static: bool = False) -> B2Config:
    """Resolve and validate every option; raise :class:`B2ConfigurationError` on any problem."""
    for key in options:
        if key not in DEFAULTS:
            _fail(_unknown_message(key) + " Remove or rename it in OPTIONS.")
    values = {name: resolve(name, options, static=static) for name in OPTIONS}
    checked = {
        name: option.check(values[name], _subject(option, static))
        for name, option in OPTIONS.items()
    }
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
