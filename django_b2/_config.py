"""``B2Config``: every option of a B2 storage, each declared once.

Each field of :class:`B2Config` declares one option: its name, type, default, validator, system
check id and the line the settings table shows for it (see :func:`django_b2._options.option`).
:data:`OPTIONS`, :data:`DEFAULTS` and :data:`STATIC_DEFAULTS` are derived from the fields. Nothing
here reads the settings: :mod:`django_b2.conf` resolves and loads the options (and adds the one
check that needs the settings: ``auth_cache`` must be in ``CACHES``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Literal, TypedDict

from django_b2 import _options as v
from django_b2._options import UNSET, FileInfoOption, Option, PerFile, declared
from django_b2._options import option as _option

__all__ = [
    "DEFAULTS",
    "DELETE_POLICIES",
    "OPTIONS",
    "SIGNED_URL_SCOPES",
    "STATIC_DEFAULTS",
    "TEST_MODES",
    "B2Config",
    "DeletePolicy",
    "SignedUrlScope",
    "UploadTuning",
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


class UploadTuning(TypedDict):
    """How a storage's uploads go up: ``B2Client.upload`` keyword arguments."""

    large_file_threshold: int | None
    part_size: int | None
    max_workers: int


@dataclass(frozen=True, kw_only=True)
class B2Config:
    """Resolved, validated options of one storage. ``repr`` never shows the application key.

    Each field declares one option: its name, type, default, validation and the line the
    settings table shows for it. :data:`OPTIONS`, :data:`DEFAULTS` and :func:`load_config` are
    derived from these fields; ``tests/django/test_settings_table.py`` checks the documented
    table.
    """

    # Its public home, where pickles of a storage's config (made before and after the
    # declaration moved here) look it up.
    __module__ = "django_b2.conf"

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
        check=v.cache_alias,
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

    @property
    def upload_tuning(self) -> UploadTuning:
        """The options every upload of this storage passes to ``B2Client.upload``."""
        return UploadTuning(
            large_file_threshold=self.large_file_threshold,
            part_size=self.part_size,
            max_workers=self.max_workers,
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
