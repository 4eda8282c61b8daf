"""Settings for the Django layer: the only module that reads :mod:`django.conf.settings`.

Every option is resolved by :func:`resolve` in this order:

1. the ``STORAGES[alias]["OPTIONS"]`` key (the keyword arguments given to the storage),
2. the ``B2_<NAME>`` setting (static storages first look at ``B2_STATIC_<NAME>``),
3. the default in :data:`DEFAULTS`.

:func:`load_config` turns the resolved values into a frozen :class:`B2Config`, rejecting unknown,
missing, invalid and contradictory values with a :class:`B2ConfigurationError` whose message says
what to set. Nothing here touches the network.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = [
    "DEFAULTS",
    "DELETE_POLICIES",
    "DIRECT_UPLOAD_DEFAULTS",
    "MAX_URL_EXPIRE",
    "RETRY_FIELDS",
    "SIGNED_URL_SCOPES",
    "STATIC_DEFAULTS",
    "TEST_MODES",
    "B2Config",
    "B2ConfigurationError",
    "DirectUploadSettings",
    "cache_backend_path",
    "configured_caches",
    "direct_upload_settings",
    "find_application_key",
    "load_config",
    "resolve",
    "setting_names",
    "storage_definitions",
    "use_tz",
]

#: Longest lifetime B2 accepts for a download authorization (seconds).
MAX_URL_EXPIRE: Final = 604_800
DELETE_POLICIES: Final = ("hide", "delete_newest", "delete_all")
SIGNED_URL_SCOPES: Final = ("location", "file")
TEST_MODES: Final = (
    "fail_some_uploads",
    "expire_some_account_authorization_tokens",
    "force_cap_exceeded",
)

DeletePolicy = Literal["hide", "delete_newest", "delete_all"]
SignedUrlScope = Literal["location", "file"]
PerFile = str | Callable[[str], str | None] | None
FileInfoOption = Mapping[str, str] | Callable[[str], Mapping[str, str] | None] | None

DEFAULTS: Final[Mapping[str, Any]] = {
    "application_key_id": None,
    "application_key": None,
    "bucket_name": None,
    "bucket_id": None,
    "api_url": "https://api.backblazeb2.com",
    "location": "",
    "auth_cache": "default",
    "file_overwrite": False,
    "delete_policy": "delete_all",
    "public": False,
    "url_expire": 3600,
    "url_token_reuse": 3600,
    "signed_url_scope": "location",
    "custom_domain": None,
    "large_file_threshold": None,
    "part_size": None,
    "max_workers": 4,
    "large_file_sha1": False,
    "read_block_size": 8 * 1024 * 1024,
    "spool_max_size": 10 * 1024 * 1024,
    "cache_control": None,
    "content_disposition": None,
    "file_info": None,
    "http_options": None,
    "retry": None,
    "test_mode": None,
}

#: Defaults that static storages use instead of the ``B2_<NAME>`` settings: static files are
#: collected over and over (overwrite) and are served by plain URLs (CSS refers to them by path).
STATIC_DEFAULTS: Final[Mapping[str, Any]] = {"public": True, "file_overwrite": True}

_REQUIRED: Final = ("application_key_id", "application_key", "bucket_name")
_CHECK_IDS: Final[Mapping[str, str]] = {
    "application_key_id": "django_b2.E001",
    "application_key": "django_b2.E001",
    "bucket_name": "django_b2.E002",
    "url_expire": "django_b2.E003",
}
_BUCKET_NAME_RE: Final = re.compile(r"^[A-Za-z0-9-]{6,63}$")
_HOST_RE: Final = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


class B2ConfigurationError(ImproperlyConfigured):
    """A django_b2 option is unknown, missing, invalid or contradicts another one.

    ``check_id`` names the system check (``django_b2.E00N``) that reports the same problem.
    """

    def __init__(self, message: str, *, check_id: str = "django_b2.E005") -> None:
        super().__init__(message)
        self.check_id = check_id

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_error, (str(self), self.check_id))


def _rebuild_error(message: str, check_id: str) -> B2ConfigurationError:
    return B2ConfigurationError(message, check_id=check_id)


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


@dataclass(frozen=True)
class B2Config:
    """Resolved, validated options of one storage. ``repr`` never shows the application key."""

    application_key_id: str
    application_key: str = field(repr=False)
    bucket_name: str
    bucket_id: str | None
    api_url: str
    location: str
    auth_cache: str
    file_overwrite: bool
    delete_policy: DeletePolicy
    public: bool
    url_expire: int
    url_token_reuse: int
    signed_url_scope: SignedUrlScope
    custom_domain: str | None
    large_file_threshold: int | None
    part_size: int | None
    max_workers: int
    large_file_sha1: bool
    read_block_size: int
    spool_max_size: int
    cache_control: PerFile
    content_disposition: PerFile
    file_info: FileInfoOption
    http_options: Mapping[str, Any] | None
    retry: Mapping[str, Any] | None
    test_mode: str | None


_SECRET_NAMES: Final = frozenset({"application_key"})


def _fail(message: str, name: str | None = None, check_id: str | None = None) -> None:
    raise B2ConfigurationError(
        message, check_id=check_id or (_CHECK_IDS.get(name, "") if name else "") or "django_b2.E005"
    )


def _shown(name: str, value: Any) -> str:
    """``repr(value)`` for messages; only the type for a secret (a wrong type may still be it)."""
    if name in _SECRET_NAMES:
        return f"a {type(value).__name__} (value not shown)"
    return repr(value)


def _expect(name: str, value: Any, kinds: tuple[type, ...], what: str, static: bool) -> None:
    # bool is an int subclass: True is not a valid worker count or timeout.
    ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
    if not ok:
        _fail(
            f"django_b2 option {name!r} must be {what}, got {_shown(name, value)}. "
            f"Set {_where(name, static=static)} to {what}.",
            name,
        )


def _positive_int(name: str, value: Any, static: bool, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    _expect(name, value, (int,), "a positive integer", static)
    if value <= 0:
        _fail(
            f"django_b2 option {name!r} must be a positive integer, got {value!r}. "
            f"Set {_where(name, static=static)} to a value above 0.",
            name,
        )


def _per_file(name: str, value: Any, static: bool) -> None:
    if value is not None and not isinstance(value, str) and not callable(value):
        _fail(
            f"django_b2 option {name!r} must be a string, a callable(name) returning a string "
            f"or None, or None; got {value!r}. Fix {_where(name, static=static)}.",
            name,
        )


def _normalize_custom_domain(value: str, static: bool) -> str:
    """Return ``scheme://host[:port]`` for a ``custom_domain`` given with or without scheme."""
    candidate = value if "://" in value else f"https://{value}"
    parts = urlsplit(candidate)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or not _HOST_RE.match(parts.netloc)
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        _fail(
            f"django_b2 option 'custom_domain' must be a host name such as 'cdn.example.com' "
            f"(optionally with 'https://' and a port, without a path), got {value!r}. "
            f"Fix {_where('custom_domain', static=static)}.",
            "custom_domain",
        )
    return f"{parts.scheme}://{parts.netloc}"


def load_config(options: Mapping[str, Any], *, static: bool = False) -> B2Config:
    """Resolve and validate every option; raise :class:`B2ConfigurationError` on any problem."""
    for key in options:
        if key not in DEFAULTS:
            _fail(_unknown_message(key) + " Remove or rename it in OPTIONS.")
    values = {name: resolve(name, options, static=static) for name in DEFAULTS}

    for name in _REQUIRED:
        value = values[name]
        if value is None or value == "":
            _fail(
                f"django_b2 needs {name!r}. Set {_where(name, static=static)}.",
                name,
            )
        _expect(name, value, (str,), "a non-empty string", static)
    if not _BUCKET_NAME_RE.match(values["bucket_name"]) or values["bucket_name"].startswith("b2-"):
        _fail(
            f"django_b2 option 'bucket_name' is not a valid B2 bucket name: "
            f"{values['bucket_name']!r} (6-63 letters, digits or '-', not starting with 'b2-'). "
            f"Fix {_where('bucket_name', static=static)}.",
            "bucket_name",
        )
    if values["bucket_id"] is not None:
        _expect("bucket_id", values["bucket_id"], (str,), "a string or None", static)

    _expect("api_url", values["api_url"], (str,), "a URL string", static)
    api = urlsplit(values["api_url"])
    if api.scheme not in ("http", "https") or not api.netloc:
        _fail(
            f"django_b2 option 'api_url' must be an http(s) URL such as "
            f"'https://api.backblazeb2.com', got {values['api_url']!r}. "
            f"Fix {_where('api_url', static=static)}.",
            "api_url",
        )
    api_url = values["api_url"].rstrip("/")

    _expect("location", values["location"], (str,), "a string", static)
    location = values["location"].strip("/")
    if "//" in location or "\\" in location or any(ord(c) < 32 or ord(c) == 127 for c in location):
        _fail(
            f"django_b2 option 'location' must be a '/'-separated name prefix without '//', "
            f"backslashes or control characters, got {values['location']!r}. "
            f"Fix {_where('location', static=static)}.",
            "location",
        )

    _expect("auth_cache", values["auth_cache"], (str,), "a cache alias (a key of CACHES)", static)
    if values["auth_cache"] not in configured_caches():
        _fail(
            f"django_b2 option 'auth_cache' names the cache alias {values['auth_cache']!r}, which "
            f"is not in CACHES ({', '.join(sorted(configured_caches())) or 'empty'}). "
            f"Add it to CACHES or set {_where('auth_cache', static=static)} to one of them.",
            "auth_cache",
        )
    for name in ("file_overwrite", "public", "large_file_sha1"):
        _expect(name, values[name], (bool,), "True or False", static)
    if values["delete_policy"] not in DELETE_POLICIES:
        _fail(
            f"django_b2 option 'delete_policy' must be one of {', '.join(DELETE_POLICIES)}; "
            f"got {values['delete_policy']!r}. Fix {_where('delete_policy', static=static)}.",
            "delete_policy",
        )
    if values["signed_url_scope"] not in SIGNED_URL_SCOPES:
        _fail(
            f"django_b2 option 'signed_url_scope' must be one of "
            f"{', '.join(SIGNED_URL_SCOPES)}; got {values['signed_url_scope']!r}. "
            f"Fix {_where('signed_url_scope', static=static)}.",
            "signed_url_scope",
        )
    _positive_int("url_expire", values["url_expire"], static)
    if values["url_expire"] > MAX_URL_EXPIRE:
        _fail(
            f"django_b2 option 'url_expire' is {values['url_expire']} s, but B2 signs URLs for "
            f"at most {MAX_URL_EXPIRE} s (7 days). Set {_where('url_expire', static=static)} "
            f"to {MAX_URL_EXPIRE} or less.",
            "url_expire",
        )
    _expect("url_token_reuse", values["url_token_reuse"], (int,), "an integer >= 0", static)
    if values["url_token_reuse"] < 0:
        _fail(
            f"django_b2 option 'url_token_reuse' must be >= 0 seconds, got "
            f"{values['url_token_reuse']!r}. Fix {_where('url_token_reuse', static=static)}.",
            "url_token_reuse",
        )
    custom_domain = values["custom_domain"]
    if custom_domain is not None:
        _expect("custom_domain", custom_domain, (str,), "a host name", static)
        custom_domain = _normalize_custom_domain(custom_domain, static)

    for name in ("large_file_threshold", "part_size"):
        _positive_int(name, values[name], static, allow_none=True)
    for name in ("max_workers", "read_block_size", "spool_max_size"):
        _positive_int(name, values[name], static)
    for name in ("cache_control", "content_disposition"):
        _per_file(name, values[name], static)
    file_info = values["file_info"]
    if file_info is not None and not isinstance(file_info, Mapping) and not callable(file_info):
        _fail(
            f"django_b2 option 'file_info' must be a dict of str to str or a callable(name) "
            f"returning one; got {file_info!r}. Fix {_where('file_info', static=static)}.",
            "file_info",
        )
    if isinstance(file_info, Mapping):
        if len(file_info) > 10 or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in file_info.items()
        ):
            _fail(
                "django_b2 option 'file_info' must map at most 10 string keys to string values "
                f"(a B2 limit); got {file_info!r}. Fix {_where('file_info', static=static)}.",
                "file_info",
            )
        file_info = dict(file_info)
    http_options = values["http_options"]
    if http_options is not None:
        _expect(
            "http_options", http_options, (dict,), "a dict of requests keyword arguments", static
        )
    test_mode = values["test_mode"]
    if test_mode is not None and test_mode not in TEST_MODES:
        _fail(
            f"django_b2 option 'test_mode' must be None or one of {', '.join(TEST_MODES)}; got "
            f"{test_mode!r}. Fix {_where('test_mode', static=static)}.",
            "test_mode",
        )

    _check_contradictions(values, file_info, static)

    return B2Config(
        application_key_id=values["application_key_id"],
        application_key=values["application_key"],
        bucket_name=values["bucket_name"],
        bucket_id=values["bucket_id"],
        api_url=api_url,
        location=location,
        auth_cache=values["auth_cache"],
        file_overwrite=values["file_overwrite"],
        delete_policy=values["delete_policy"],
        public=values["public"],
        url_expire=values["url_expire"],
        url_token_reuse=values["url_token_reuse"],
        signed_url_scope=values["signed_url_scope"],
        custom_domain=custom_domain,
        large_file_threshold=values["large_file_threshold"],
        part_size=values["part_size"],
        max_workers=values["max_workers"],
        large_file_sha1=values["large_file_sha1"],
        read_block_size=values["read_block_size"],
        spool_max_size=values["spool_max_size"],
        cache_control=values["cache_control"],
        content_disposition=values["content_disposition"],
        file_info=file_info,
        http_options=http_options,
        retry=_retry_option(values["retry"], static),
        test_mode=test_mode,
    )


#: Fields of ``django_b2.client.RetryPolicy`` that the ``retry`` option may set.
RETRY_FIELDS: Final = (
    "attempts",
    "initial_backoff",
    "max_backoff",
    "multiplier",
    "jitter",
    "max_retry_after",
)


def _retry_option(value: Any, static: bool) -> dict[str, Any] | None:
    """``retry``: a dict of RetryPolicy fields, e.g. ``{"attempts": 8, "max_backoff": 30}``."""
    if value is None:
        return None
    where = _where("retry", static=static)
    if not isinstance(value, Mapping):
        _fail(
            f"django_b2 option 'retry' must be a dict of RetryPolicy fields "
            f"({', '.join(RETRY_FIELDS)}); got {value!r}. Fix {where}.",
            "retry",
        )
    for key, number in value.items():
        if key not in RETRY_FIELDS:
            close = difflib.get_close_matches(str(key), RETRY_FIELDS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            _fail(
                f"django_b2 option 'retry' has an unknown field {key!r}; it takes "
                f"{', '.join(RETRY_FIELDS)}.{hint} Fix {where}.",
                "retry",
            )
        if isinstance(number, bool) or not isinstance(number, int | float) or number < 0:
            _fail(
                f"django_b2 option retry[{key!r}] must be a number >= 0, got {number!r}. "
                f"Fix {where}.",
                "retry",
            )
    if "attempts" in value and (not isinstance(value["attempts"], int) or value["attempts"] < 1):
        _fail(
            f"django_b2 option retry['attempts'] counts every try, the first included: a whole "
            f"number >= 1, got {value['attempts']!r}. Fix {where}.",
            "retry",
        )
    return dict(value)


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
    """The key browsers' upload tokens are minted with, and the per-user ticket limit."""

    key_id: str | None = None
    key: str | None = field(default=None, repr=False)
    max_open_tickets: int = 10


def direct_upload_settings(**overrides: Any) -> DirectUploadSettings:
    """``B2_DIRECT_UPLOAD_KEY_ID`` / ``_KEY`` / ``_MAX_OPEN_TICKETS``; ``overrides`` (not None) win.

    Nothing here touches the network: whether the key is restricted to a name prefix is read
    from its authorization when the first upload starts.
    """
    values: dict[str, Any] = {}
    for name, default in DIRECT_UPLOAD_DEFAULTS.items():
        value = overrides.get(name)
        if value is None:
            value = getattr(settings, f"B2_DIRECT_UPLOAD_{name.upper()}", default)
        values[name] = value
    for name in ("key_id", "key"):
        if values[name] is not None and (not isinstance(values[name], str) or not values[name]):
            raise B2ConfigurationError(
                f"B2_DIRECT_UPLOAD_{name.upper()} must be a non-empty string or None, not a "
                f"{type(values[name]).__name__}."
            )
    if (values["key_id"] is None) != (values["key"] is None):
        raise B2ConfigurationError(
            "Set both B2_DIRECT_UPLOAD_KEY_ID and B2_DIRECT_UPLOAD_KEY (the restricted key that "
            "browsers' upload tokens come from), or neither."
        )
    limit = values["max_open_tickets"]
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise B2ConfigurationError(
            f"B2_DIRECT_UPLOAD_MAX_OPEN_TICKETS must be a whole number >= 1, not {limit!r}."
        )
    return DirectUploadSettings(**values)
