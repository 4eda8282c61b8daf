"""How a django_b2 option is declared, the validators of its value and the error they raise.

Declaring: :func:`option` and :class:`Option`; one validator per kind of value.

Each validator takes the value and the :class:`Subject` (the option's name, where it is set,
its system-check id) and returns the value to keep or raises :class:`B2ConfigurationError`
saying what to set. :mod:`django_b2.conf` declares which option uses which.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Final, NoReturn, cast
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from django_b2.client._limits import MAX_DOWNLOAD_AUTH_SECONDS

__all__ = [
    "MAX_URL_EXPIRE",
    "RETRY_FIELDS",
    "SPEC",
    "UNSET",
    "B2ConfigurationError",
    "Check",
    "FileInfoOption",
    "Option",
    "PerFile",
    "Subject",
    "api_url",
    "boolean",
    "bucket_name",
    "cache_alias",
    "custom_domain",
    "declared",
    "expect",
    "file_info",
    "location",
    "one_of",
    "option",
    "optional",
    "per_file",
    "positive_int",
    "required_string",
    "retry",
    "seconds_or_none",
    "url_expire",
]

PerFile = str | Callable[[str], str | None] | None
FileInfoOption = Mapping[str, str] | Callable[[str], Mapping[str, str] | None] | None

#: Longest lifetime B2 accepts for a download authorization (seconds).
MAX_URL_EXPIRE: Final = MAX_DOWNLOAD_AUTH_SECONDS

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


@dataclass(frozen=True)
class Subject:
    """The option a validator checks: its name, where it is set (for messages), its check id."""

    name: str
    where: str
    check_id: str = "django_b2.E005"
    secret: bool = False

    def fail(self, message: str) -> NoReturn:
        raise B2ConfigurationError(message, check_id=self.check_id)


#: A validator: ``check(value, subject)`` returns the value to keep or raises
#: :class:`B2ConfigurationError`.
Check = Callable[[Any, Subject], Any]


def _shown(s: Subject, value: Any) -> str:
    """``repr(value)`` for messages; only the type for a secret (a wrong type may still be it)."""
    if s.secret:
        return f"a {type(value).__name__} (value not shown)"
    return repr(value)


def expect(s: Subject, value: Any, kinds: tuple[type, ...], what: str) -> None:
    # bool is an int subclass: True is not a valid worker count or timeout.
    ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
    if not ok:
        s.fail(
            f"django_b2 option {s.name!r} must be {what}, got {_shown(s, value)}. "
            f"Set {s.where} to {what}."
        )


def required_string(value: Any, s: Subject) -> str:
    if value is None or value == "":
        s.fail(f"django_b2 needs {s.name!r}. Set {s.where}.")
    expect(s, value, (str,), "a non-empty string")
    return str(value)


def cache_alias(value: Any, s: Subject) -> str:
    """A cache alias (that ``CACHES`` has it is checked where the settings are read: conf)."""
    expect(s, value, (str,), "a cache alias (a key of CACHES)")
    return str(value)


def bucket_name(value: Any, s: Subject) -> str:
    bucket = required_string(value, s)
    if not _BUCKET_NAME_RE.match(bucket) or bucket.startswith("b2-"):
        s.fail(
            f"django_b2 option 'bucket_name' is not a valid B2 bucket name: "
            f"{bucket!r} (6-63 letters, digits or '-', not starting with 'b2-'). "
            f"Fix {s.where}."
        )
    return bucket


def optional(kind: type, what: str) -> Check:
    """None, or a value of ``kind`` (described as ``what`` in the message)."""

    def check(value: Any, s: Subject) -> Any:
        if value is not None:
            expect(s, value, (kind,), what)
        return value

    return check


def boolean(value: Any, s: Subject) -> bool:
    expect(s, value, (bool,), "True or False")
    return bool(value)


def api_url(value: Any, s: Subject) -> str:
    expect(s, value, (str,), "a URL string")
    api = urlsplit(value)
    if api.scheme not in ("http", "https") or not api.netloc:
        s.fail(
            f"django_b2 option 'api_url' must be an http(s) URL such as "
            f"'https://api.backblazeb2.com', got {value!r}. "
            f"Fix {s.where}."
        )
    return str(value).rstrip("/")


def location(value: Any, s: Subject) -> str:
    expect(s, value, (str,), "a string")
    location = str(value).strip("/")
    if "//" in location or "\\" in location or any(ord(c) < 32 or ord(c) == 127 for c in location):
        s.fail(
            f"django_b2 option 'location' must be a '/'-separated name prefix without '//', "
            f"backslashes or control characters, got {value!r}. "
            f"Fix {s.where}."
        )
    return location


def one_of(choices: tuple[str, ...], *, allow_none: bool = False) -> Check:
    """One of ``choices`` (or None when ``allow_none``)."""

    def check(value: Any, s: Subject) -> Any:
        if value not in choices and not (allow_none and value is None):
            s.fail(
                f"django_b2 option {s.name!r} must be {'None or ' if allow_none else ''}one of "
                f"{', '.join(choices)}; got {value!r}. Fix {s.where}."
            )
        return value

    return check


def positive_int(*, allow_none: bool = False) -> Check:
    """An integer above 0 (or None when ``allow_none``)."""

    def check(value: Any, s: Subject) -> Any:
        if value is None and allow_none:
            return None
        expect(s, value, (int,), "a positive integer")
        if value <= 0:
            s.fail(
                f"django_b2 option {s.name!r} must be a positive integer, got {value!r}. "
                f"Set {s.where} to a value above 0."
            )
        return value

    return check


def url_expire(value: Any, s: Subject) -> int:
    value = positive_int()(value, s)
    if value > MAX_URL_EXPIRE:
        s.fail(
            f"django_b2 option 'url_expire' is {value} s, but B2 signs URLs for "
            f"at most {MAX_URL_EXPIRE} s (7 days). Set {s.where} "
            f"to {MAX_URL_EXPIRE} or less."
        )
    return int(value)


def seconds_or_none(value: Any, s: Subject) -> int | None:
    if value is None:
        return None
    expect(s, value, (int,), "None or an integer >= 0")
    if value < 0:
        s.fail(f"django_b2 option {s.name!r} must be >= 0 seconds, got {value!r}. Fix {s.where}.")
    return int(value)


def custom_domain(value: Any, s: Subject) -> str | None:
    """``scheme://host[:port]`` for a ``custom_domain`` given with or without scheme."""
    if value is None:
        return None
    expect(s, value, (str,), "a host name")
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
        s.fail(
            f"django_b2 option 'custom_domain' must be a host name such as 'cdn.example.com' "
            f"(optionally with 'https://' and a port, without a path), got {value!r}. "
            f"Fix {s.where}."
        )
    return f"{parts.scheme}://{parts.netloc}"


def per_file(value: Any, s: Subject) -> PerFile:
    if value is not None and not isinstance(value, str) and not callable(value):
        s.fail(
            f"django_b2 option {s.name!r} must be a string, a callable(name) returning a string "
            f"or None, or None; got {value!r}. Fix {s.where}."
        )
    return cast(PerFile, value)


def file_info(value: Any, s: Subject) -> FileInfoOption:
    if value is not None and not isinstance(value, Mapping) and not callable(value):
        s.fail(
            f"django_b2 option 'file_info' must be a dict of str to str or a callable(name) "
            f"returning one; got {value!r}. Fix {s.where}."
        )
    if isinstance(value, Mapping):
        if len(value) > 10 or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            s.fail(
                "django_b2 option 'file_info' must map at most 10 string keys to string values "
                f"(a B2 limit); got {value!r}. Fix {s.where}."
            )
        return dict(value)
    return cast(FileInfoOption, value)


def retry(value: Any, s: Subject) -> dict[str, Any] | None:
    """``retry``: a dict of RetryPolicy fields, e.g. ``{"attempts": 8, "max_backoff": 30}``."""
    if value is None:
        return None
    where = s.where
    if not isinstance(value, Mapping):
        s.fail(
            f"django_b2 option 'retry' must be a dict of RetryPolicy fields "
            f"({', '.join(RETRY_FIELDS)}); got {value!r}. Fix {where}."
        )
    for key, number in value.items():
        if key not in RETRY_FIELDS:
            close = difflib.get_close_matches(str(key), RETRY_FIELDS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            s.fail(
                f"django_b2 option 'retry' has an unknown field {key!r}; it takes "
                f"{', '.join(RETRY_FIELDS)}.{hint} Fix {where}."
            )
        if isinstance(number, bool) or not isinstance(number, int | float) or number < 0:
            s.fail(
                f"django_b2 option retry[{key!r}] must be a number >= 0, got {number!r}. "
                f"Fix {where}."
            )
    for key in ("deadline", "connect_deadline"):
        if key in value and not value[key] > 0:
            s.fail(
                f"django_b2 option retry[{key!r}] is the seconds one call may take in all; it "
                f"must be > 0, got {value[key]!r}. Fix {where}."
            )
    if "attempts" in value and (not isinstance(value["attempts"], int) or value["attempts"] < 1):
        s.fail(
            f"django_b2 option retry['attempts'] counts every try, the first included: a whole "
            f"number >= 1, got {value['attempts']!r}. Fix {where}."
        )
    return dict(value)


# --------------------------------------------------------------------------- declaring options

SPEC: Final = "django_b2.option"
UNSET: Final[Any] = object()


@dataclass(frozen=True)
class Option:
    """Everything about one option: read from the ``B2Config`` field that declares it."""

    name: str
    default: Any
    type: str
    check: Check
    doc: str
    required: bool = False
    secret: bool = False
    static_default: Any = UNSET
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
        if self.static_default is not UNSET:
            shown += f" (static: `{self.static_default!r}`)"
        return shown


def option(
    default: Any = UNSET,
    *,
    check: Check,
    doc: str,
    secret: bool = False,
    static_default: Any = UNSET,
    check_id: str = "django_b2.E005",
    shown_default: str = "",
) -> Any:
    """Declare one ``B2Config`` field as an option (no ``default``: the option is required)."""
    spec = {
        "check": check,
        "doc": doc,
        "required": default is UNSET,
        "secret": secret,
        "static_default": static_default,
        "check_id": check_id,
        "shown_default": shown_default,
    }
    if default is UNSET:
        return field(repr=not secret, metadata={SPEC: spec})
    return field(default=default, repr=not secret, metadata={SPEC: spec})


def declared(config_class: type) -> dict[str, Option]:
    """The options declared by the fields of ``config_class`` (made with :func:`option`)."""
    options: dict[str, Option] = {}
    for f in fields(config_class):
        spec = f.metadata[SPEC]
        default = None if f.default is MISSING else f.default
        options[f.name] = Option(name=f.name, default=default, type=str(f.type), **spec)
    return options
