"""Settings for the Django layer: the only module that reads :mod:`django.conf.settings`.

Every option is resolved by :func:`resolve` in this order:

1. the ``STORAGES[alias]["OPTIONS"]`` key (the keyword arguments given to the storage),
2. the ``B2_<NAME>`` setting (static storages first look at ``B2_STATIC_<NAME>``),
3. the default in :data:`DEFAULTS`.

Each option is declared once, as a field of :class:`B2Config` (name, type, default, validation,
the line the settings table shows); :data:`OPTIONS`, :data:`DEFAULTS`, :data:`STATIC_DEFAULTS`
and :func:`load_config` are derived from those fields.

:func:`load_config` turns the resolved values into a frozen :class:`B2Config`, rejecting unknown,
missing, invalid and contradictory values with a :class:`B2ConfigurationError` whose message says
what to set. Nothing here touches the network.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from types import MappingProxyType
from typing import Any, Final, Literal, NoReturn, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

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
]

#: Longest lifetime B2 accepts for a download authorization (seconds).
MAX_URL_EXPIRE: Final = 604_800
DELETE_POLICIES: Final = ("hide", "delete_newest", "delete_all")
SIGNED_URL_SCOPES: Final = ("file", "location")
TEST_MODES: Final = (
    "fail_some_uploads",
    "expire_some_account_authorization_tokens",
    "force_cap_exceeded",
)

DeletePolicy = Literal["hide", "delete_newest", "delete_all"]
SignedUrlScope = Literal["file", "location"]
PerFile = str | Callable[[str], str | None] | None
FileInfoOption = Mapping[str, str] | Callable[[str], Mapping[str, str] | None] | None

#: Fields of ``django_b2.client.RetryPolicy`` that the ``retry`` option may set.
RETRY_FIELDS: Final = (
    "attempts",
    "initial_backoff",
    "max_backoff",
    "multiplier",
    "jitter",
    "max_retry_after",
    "deadline",
    "connect_deadline",
)

_BUCKET_NAME_RE: Final = re.compile(r"^[A-Za-z0-9-]{6,63}$")
_HOST_RE: Final = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$")

#: A validator: ``check(name, value, static)`` returns the value to keep or raises
#: :class:`B2ConfigurationError` saying what to set.
Check = Callable[[str, Any, bool], Any]


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


# --------------------------------------------------------------------------- validators


def _fail(message: str, name: str | None = None, check_id: str | None = None) -> NoReturn:
    if check_id is None:
        check_id = (
            OPTIONS[name].check_id if name is not None and name in OPTIONS else "django_b2.E005"
        )
    raise B2ConfigurationError(message, check_id=check_id)


def _shown(name: str, value: Any) -> str:
    """``repr(value)`` for messages; only the type for a secret (a wrong type may still be it)."""
    if name in OPTIONS and OPTIONS[name].secret:
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


def _required_string(name: str, value: Any, static: bool) -> str:
    if value is None or value == "":
        _fail(f"django_b2 needs {name!r}. Set {_where(name, static=static)}.", name)
    _expect(name, value, (str,), "a non-empty string", static)
    return str(value)


def _bucket_name(name: str, value: Any, static: bool) -> str:
    bucket = _required_string(name, value, static)
    if not _BUCKET_NAME_RE.match(bucket) or bucket.startswith("b2-"):
        _fail(
            f"django_b2 option 'bucket_name' is not a valid B2 bucket name: "
            f"{bucket!r} (6-63 letters, digits or '-', not starting with 'b2-'). "
            f"Fix {_where(name, static=static)}.",
            name,
        )
    return bucket


def _optional(kind: type, what: str) -> Check:
    """None, or a value of ``kind`` (described as ``what`` in the message)."""

    def check(name: str, value: Any, static: bool) -> Any:
        if value is not None:
            _expect(name, value, (kind,), what, static)
        return value

    return check


def _boolean(name: str, value: Any, static: bool) -> bool:
    _expect(name, value, (bool,), "True or False", static)
    return bool(value)


def _api_url(name: str, value: Any, static: bool) -> str:
    _expect(name, value, (str,), "a URL string", static)
    api = urlsplit(value)
    if api.scheme not in ("http", "https") or not api.netloc:
        _fail(
            f"django_b2 option 'api_url' must be an http(s) URL such as "
            f"'https://api.backblazeb2.com', got {value!r}. "
            f"Fix {_where(name, static=static)}.",
            name,
        )
    return str(value).rstrip("/")


def _location(name: str, value: Any, static: bool) -> str:
    _expect(name, value, (str,), "a string", static)
    location = str(value).strip("/")
    if "//" in location or "\\" in location or any(ord(c) < 32 or ord(c) == 127 for c in location):
        _fail(
            f"django_b2 option 'location' must be a '/'-separated name prefix without '//', "
            f"backslashes or control characters, got {value!r}. "
            f"Fix {_where(name, static=static)}.",
            name,
        )
    return location


def _auth_cache(name: str, value: Any, static: bool) -> str:
    _expect(name, value, (str,), "a cache alias (a key of CACHES)", static)
    if value not in configured_caches():
        _fail(
            f"django_b2 option 'auth_cache' names the cache alias {value!r}, which "
            f"is not in CACHES ({', '.join(sorted(configured_caches())) or 'empty'}). "
            f"Add it to CACHES or set {_where(name, static=static)} to one of them.",
            name,
        )
    return str(value)


def _one_of(choices: tuple[str, ...], *, allow_none: bool = False) -> Check:
    """One of ``choices`` (or None when ``allow_none``)."""

    def check(name: str, value: Any, static: bool) -> Any:
        if value not in choices and not (allow_none and value is None):
            _fail(
                f"django_b2 option {name!r} must be {'None or ' if allow_none else ''}one of "
                f"{', '.join(choices)}; got {value!r}. Fix {_where(name, static=static)}.",
                name,
            )
        return value

    return check


def _positive_int(*, allow_none: bool = False) -> Check:
    """An integer above 0 (or None when ``allow_none``)."""

    def check(name: str, value: Any, static: bool) -> Any:
        if value is None and allow_none:
            return None
        _expect(name, value, (int,), "a positive integer", static)
        if value <= 0:
            _fail(
                f"django_b2 option {name!r} must be a positive integer, got {value!r}. "
                f"Set {_where(name, static=static)} to a value above 0.",
                name,
            )
        return value

    return check


def _url_expire(name: str, value: Any, static: bool) -> int:
    value = _positive_int()(name, value, static)
    if value > MAX_URL_EXPIRE:
        _fail(
            f"django_b2 option 'url_expire' is {value} s, but B2 signs URLs for "
            f"at most {MAX_URL_EXPIRE} s (7 days). Set {_where(name, static=static)} "
            f"to {MAX_URL_EXPIRE} or less.",
            name,
        )
    return int(value)


def _seconds_or_none(name: str, value: Any, static: bool) -> int | None:
    if value is None:
        return None
    _expect(name, value, (int,), "None or an integer >= 0", static)
    if value < 0:
        _fail(
            f"django_b2 option {name!r} must be >= 0 seconds, got "
            f"{value!r}. Fix {_where(name, static=static)}.",
            name,
        )
    return int(value)


def _custom_domain(name: str, value: Any, static: bool) -> str | None:
    """``scheme://host[:port]`` for a ``custom_domain`` given with or without scheme."""
    if value is None:
        return None
    _expect(name, value, (str,), "a host name", static)
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
            f"Fix {_where(name, static=static)}.",
            name,
        )
    return f"{parts.scheme}://{parts.netloc}"


def _per_file(name: str, value: Any, static: bool) -> PerFile:
    if value is not None and not isinstance(value, str) and not callable(value):
        _fail(
            f"django_b2 option {name!r} must be a string, a callable(name) returning a string "
            f"or None, or None; got {value!r}. Fix {_where(name, static=static)}.",
            name,
        )
    return cast(PerFile, value)


def _file_info(name: str, value: Any, static: bool) -> FileInfoOption:
    if value is not None and not isinstance(value, Mapping) and not callable(value):
        _fail(
            f"django_b2 option 'file_info' must be a dict of str to str or a callable(name) "
            f"returning one; got {value!r}. Fix {_where(name, static=static)}.",
            name,
        )
    if isinstance(value, Mapping):
        if len(value) > 10 or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            _fail(
                "django_b2 option 'file_info' must map at most 10 string keys to string values "
                f"(a B2 limit); got {value!r}. Fix {_where(name, static=static)}.",
                name,
            )
        return dict(value)
    return cast(FileInfoOption, value)


def _retry(name: str, value: Any, static: bool) -> dict[str, Any] | None:
    """``retry``: a dict of RetryPolicy fields, e.g. ``{"attempts": 8, "max_backoff": 30}``."""
    if value is None:
        return None
    where = _where(name, static=static)
    if not isinstance(value, Mapping):
        _fail(
            f"django_b2 option 'retry' must be a dict of RetryPolicy fields "
            f"({', '.join(RETRY_FIELDS)}); got {value!r}. Fix {where}.",
            name,
        )
    for key, number in value.items():
        if key not in RETRY_FIELDS:
            close = difflib.get_close_matches(str(key), RETRY_FIELDS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            _fail(
                f"django_b2 option 'retry' has an unknown field {key!r}; it takes "
                f"{', '.join(RETRY_FIELDS)}.{hint} Fix {where}.",
                name,
            )
        if isinstance(number, bool) or not isinstance(number, int | float) or number < 0:
            _fail(
                f"django_b2 option retry[{key!r}] must be a number >= 0, got {number!r}. "
                f"Fix {where}.",
                name,
            )
    for key in ("deadline", "connect_deadline"):
        if key in value and not value[key] > 0:
            _fail(
                f"django_b2 option retry[{key!r}] is the seconds one call may take in all; it "
                f"must be > 0, got {value[key]!r}. Fix {where}.",
                name,
            )
    if "attempts" in value and (not isinstance(value["attempts"], int) or value["attempts"] < 1):
        _fail(
            f"django_b2 option retry['attempts'] counts every try, the first included: a whole "
            f"number >= 1, got {value['attempts']!r}. Fix {where}.",
            name,
        )
    return dict(value)


# --------------------------------------------------------------------------- the declaration

_SPEC: Final = "django_b2.option"
_UNSET: Final[Any] = object()


@dataclass(frozen=True)
class Option:
    """Everything about one option: read from the :class:`B2Config` field that declares it."""

    name: str
    default: Any
    type: str
    check: Check
    doc: str
    required: bool = False
    secret: bool = False
    static_default: Any = _UNSET
    check_id: str = "django_b2.E005"
    #: How the settings table shows the default ("" = derived from ``default``).
    shown_default: str = ""

    @property
    def setting(self) -> str:
        """The ``B2_<NAME>`` setting."""
        return f"B2_{self.name.upper()}"

    @property
    def table_default(self) -> str:
        """The "Default" cell of the settings table."""
        if self.shown_default:
            shown = self.shown_default
        elif self.required:
            shown = "required"
        elif isinstance(self.default, str):
            shown = f'`"{self.default}"`'
        else:
            shown = f"`{self.default!r}`"
        if self.static_default is not _UNSET:
            shown += f" (static: `{self.static_default!r}`)"
        return shown


def _option(
    default: Any = _UNSET,
    *,
    check: Check,
    doc: str,
    secret: bool = False,
    static_default: Any = _UNSET,
    check_id: str = "django_b2.E005",
    shown_default: str = "",
) -> Any:
    """Declare one :class:`B2Config` field as an option (no ``default``: required)."""
    spec = {
        "check": check,
        "doc": doc,
        "required": default is _UNSET,
        "secret": secret,
        "static_default": static_default,
        "check_id": check_id,
        "shown_default": shown_default,
    }
    if default is _UNSET:
        return field(repr=not secret, metadata={_SPEC: spec})
    return field(default=default, repr=not secret, metadata={_SPEC: spec})


@dataclass(frozen=True, kw_only=True)
class B2Config:
    """Resolved, validated options of one storage. ``repr`` never shows the application key.

    Each field declares one option: its name, type, default, validation and the line the
    settings table shows for it. :data:`OPTIONS`, :data:`DEFAULTS` and :func:`load_config` are
    derived from these fields; ``tests/django/test_conf.py`` checks the documented table.
    """

    application_key_id: str = _option(
        check=_required_string, check_id="django_b2.E001", doc="B2 application key id."
    )
    application_key: str = _option(
        check=_required_string,
        secret=True,
        check_id="django_b2.E001",
        doc="The key. Never logged, never in `repr`, kept out of migrations (`deconstruct()`) "
        "and of the cache.",
    )
    bucket_name: str = _option(
        check=_bucket_name,
        check_id="django_b2.E002",
        doc="Bucket (6–63 letters, digits, `-`).",  # noqa: RUF001
    )
    bucket_id: str | None = _option(
        None,
        check=_optional(str, "a string or None"),
        doc="Saves the one lookup of the id (otherwise taken from a bucket-restricted key, the "
        "shared cache, or `b2_list_buckets` once).",
    )
    api_url: str = _option(
        "https://api.backblazeb2.com",
        check=_api_url,
        shown_default="`https://api.backblazeb2.com`",
        doc="Where to authorize; the emulator's URL in development.",
    )
    location: str = _option(
        "",
        check=_location,
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
        check=_boolean,
        static_default=True,
        doc="`True`: saving an existing name replaces it (no existence check; one request per "
        "save). `False`: Django's `name_<random>.ext` renaming.",
    )
    delete_policy: DeletePolicy = _option(
        "delete_all",
        check=_one_of(DELETE_POLICIES),
        doc="`delete_all`: remove every version (bytes gone, nothing billed); `delete_newest`: "
        "remove the newest version (an older one becomes current); `hide`: add a hide marker, "
        "keep all versions. A missing file is never an error.",
    )
    public: bool = _option(
        False,
        check=_boolean,
        static_default=True,
        doc="`True`: `url()` gives plain URLs (bucket must be `allPublic`). `False`: signed URLs.",
    )
    url_expire: int = _option(
        3600,
        check=_url_expire,
        check_id="django_b2.E003",
        doc="Lifetime of a signed URL in seconds (1 … 604800): it works at least this long and "
        "stops working at most `max(url_expire / 10, 60)` seconds later.",
    )
    url_token_reuse: int | None = _option(
        None,
        check=_seconds_or_none,
        doc="Longest extra lifetime of a download token, during which it is reused; never more "
        "than `max(expire / 10, 60)` (the default, `None`). `0` mints a token per URL.",
    )
    signed_url_scope: SignedUrlScope = _option(
        "file",
        check=_one_of(SIGNED_URL_SCOPES),
        doc="`file`: a URL opens only its own file (and names extending it); `location`: one "
        "token opens the whole `location` (refused on a private storage without `location`).",
    )
    custom_domain: str | None = _option(
        None,
        check=_custom_domain,
        doc="Host (optionally `https://host:port`) replacing B2's download host in URLs; the "
        "path (`/file/<bucket>/<name>`) and any token stay.",
    )
    large_file_threshold: int | None = _option(
        None,
        check=_positive_int(allow_none=True),
        shown_default="client default (2 × recommended part size)",  # noqa: RUF001
        doc="Files of this size or more go up as large files. Must be > `part_size`.",
    )
    part_size: int | None = _option(
        None,
        check=_positive_int(allow_none=True),
        shown_default="B2's recommended size",
        doc="Part size for large files.",
    )
    max_workers: int = _option(
        4,
        check=_positive_int(),
        doc="Parallel parts per large upload; upload threads of the static storages.",
    )
    large_file_sha1: bool = _option(
        False,
        check=_boolean,
        doc="Store the whole-file SHA-1 (`large_file_sha1` file info) on large files; costs one "
        "more read of the file (seekable content only).",
    )
    retry: Mapping[str, Any] | None = _option(
        None,
        check=_retry,
        doc='RetryPolicy fields for the client, e.g. `{"attempts": 8, "deadline": 20}` '
        "(`attempts`, `initial_backoff`, `max_backoff`, `multiplier`, `jitter`, "
        "`max_retry_after`, `deadline`, `connect_deadline`); default for the storage: "
        "`RetryPolicy.for_web_requests()`, a call gives up within 30 s (4 s if B2 refuses "
        "connections) and a Retry-After over 10 s ends it at once; management commands use the "
        "client's looser defaults. See [Reliability](reliability.md).",
    )
    read_block_size: int = _option(
        8 * 1024 * 1024,
        check=_positive_int(),
        shown_default="`8 MiB`",
        doc="Size of the first ranged GET of a sequential read (later blocks grow 4 times, up to "
        "512 MiB).",
    )
    spool_max_size: int = _option(
        10 * 1024 * 1024,
        check=_positive_int(),
        shown_default="`10 MiB`",
        doc="Write-mode files and static uploads stay in memory up to this, then spill to disk.",
    )
    cache_control: PerFile = _option(
        None,
        check=_per_file,
        doc="String or `callable(name) -> str | None`, stored as `b2-cache-control` (served as "
        "`Cache-Control`).",
    )
    content_disposition: PerFile = _option(
        None, check=_per_file, doc="String or callable, stored as `b2-content-disposition`."
    )
    file_info: FileInfoOption = _option(
        None,
        check=_file_info,
        doc="Dict (≤ 10 entries) or `callable(name) -> dict`, stored as B2 file info. "
        "`src_last_modified_millis` there is used by `get_modified_time()`.",
    )
    http_options: Mapping[str, Any] | None = _option(
        None,
        check=_optional(dict, "a dict of requests keyword arguments"),
        doc='Dict merged into every `requests` call (e.g. `{"proxies": ...}`).',
    )
    test_mode: str | None = _option(
        None,
        check=_one_of(TEST_MODES, allow_none=True),
        doc="B2's `X-Bz-Test-Mode` (`fail_some_uploads`, "
        "`expire_some_account_authorization_tokens`, `force_cap_exceeded`); never in production.",
    )


def _declared() -> dict[str, Option]:
    options: dict[str, Option] = {}
    for f in fields(B2Config):
        spec = f.metadata[_SPEC]
        default = None if f.default is MISSING else f.default
        options[f.name] = Option(name=f.name, default=default, type=str(f.type), **spec)
    return options


#: Every option, in the order of the settings table.
OPTIONS: Final[Mapping[str, Option]] = MappingProxyType(_declared())

DEFAULTS: Final[Mapping[str, Any]] = MappingProxyType(
    {name: option.default for name, option in OPTIONS.items()}
)

#: Defaults that static storages use instead of the ``B2_<NAME>`` settings: static files are
#: collected over and over (overwrite) and are served by plain URLs (CSS refers to them by path).
STATIC_DEFAULTS: Final[Mapping[str, Any]] = MappingProxyType(
    {n: o.static_default for n, o in OPTIONS.items() if o.static_default is not _UNSET}
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


def load_config(options: Mapping[str, Any], *, static: bool = False) -> B2Config:
    """Resolve and validate every option; raise :class:`B2ConfigurationError` on any problem."""
    for key in options:
        if key not in DEFAULTS:
            _fail(_unknown_message(key) + " Remove or rename it in OPTIONS.")
    values = {name: resolve(name, options, static=static) for name in OPTIONS}
    checked = {name: option.check(name, values[name], static) for name, option in OPTIONS.items()}
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
