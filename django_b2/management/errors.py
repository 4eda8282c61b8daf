"""Turn B2 errors into :class:`~django.core.management.CommandError` messages that say what to do.

B2 answers a missing capability, a key restricted to another bucket and a name outside the key's
prefix all with the same ``401 unauthorized``; :func:`explain_b2_error` tells them apart using the
capabilities and restrictions that ``b2_authorize_account`` reported for the key in use.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.management import CommandError

from django_b2.client import AccountAuthorization
from django_b2.client.errors import (
    B2APIError,
    B2AuthTokenExpired,
    B2CapExceeded,
    B2Error,
    B2Forbidden,
    B2IntegrityError,
    B2TooManyRequests,
    B2TransportError,
    B2Unauthorized,
    B2ValidationError,
)

__all__ = ["explain_b2_error", "missing_bucket_error", "restriction_problem"]


def missing_bucket_error(name: str) -> CommandError:
    """The message for a bucket that does not exist (or that the key cannot see)."""
    return CommandError(
        f"No bucket named {name}; create it with manage.py b2_buckets create {name}"
    )


def restriction_problem(
    authorization: AccountAuthorization, bucket_name: str | None, file_name: str | None
) -> str | None:
    """Why a restricted key may not use ``bucket_name`` / ``file_name``, or ``None``."""
    allowed = authorization.bucket_name
    if allowed and bucket_name and bucket_name != allowed:
        return (
            f"The application key in use is restricted to bucket {allowed!r} and cannot use "
            f"bucket {bucket_name!r}; work on {allowed} or set a key for {bucket_name} in the "
            "storage OPTIONS."
        )
    prefix = authorization.name_prefix
    if prefix and file_name is not None and not file_name.startswith(prefix):
        return (
            f"The application key in use only allows file names starting with {prefix!r}, "
            f"and {file_name!r} does not; use a name under that prefix or a key without it."
        )
    return None


def _unauthorized(
    exc: B2Unauthorized,
    action: str,
    needed: Sequence[str],
    authorization: AccountAuthorization | None,
    bucket_name: str | None,
    file_name: str | None,
) -> str:
    if authorization is None:
        return (
            f"B2 refused the application key ({exc}); check OPTIONS['application_key_id'] and "
            "OPTIONS['application_key'] of the storage (or B2_APPLICATION_KEY_ID / "
            "B2_APPLICATION_KEY)."
        )
    held = set(authorization.capabilities)
    missing = [name for name in needed if name not in held]
    if missing:
        names = ", ".join(missing)
        noun = "capability" if len(missing) == 1 else "capabilities"
        return (
            f"The application key in use lacks the {names} {noun} needed to {action} "
            f"(it has: {', '.join(sorted(held)) or 'none'}). Use a key that has {names}, "
            f"e.g. create one with manage.py b2_keys create NAME --capabilities {','.join(missing)}"
            " and set it in the storage OPTIONS."
        )
    restriction = restriction_problem(authorization, bucket_name, file_name)
    if restriction:
        return restriction
    return f"B2 did not allow the application key in use to {action}: {exc}"


def explain_b2_error(
    exc: B2Error,
    *,
    action: str,
    needed: Sequence[str] = (),
    authorization: AccountAuthorization | None = None,
    bucket_name: str | None = None,
    file_name: str | None = None,
    api_url: str | None = None,
) -> CommandError:
    """A :class:`CommandError` for ``exc`` raised while trying to ``action`` (a verb phrase).

    ``needed`` lists the capabilities the action needs; ``authorization`` is the key's
    authorization when it was obtained (``None`` when authorizing itself failed).
    """
    if isinstance(exc, B2ValidationError):
        return CommandError(str(exc))
    if isinstance(exc, B2Unauthorized) and not isinstance(exc, B2AuthTokenExpired):
        return CommandError(
            _unauthorized(exc, action, needed, authorization, bucket_name, file_name)
        )
    if isinstance(exc, B2CapExceeded):
        return CommandError(
            f"Could not {action}: a B2 account cap is reached ({exc.code}). Raise the cap in the "
            "Backblaze web console (Caps & Alerts) and try again."
        )
    if isinstance(exc, B2Forbidden):
        return CommandError(
            f"Could not {action}: B2 denied access ({exc}). Files under Object Lock retention or "
            "legal hold cannot be changed until it ends."
        )
    if isinstance(exc, B2TooManyRequests):
        return CommandError(
            f"Could not {action}: B2 is rate limiting this account ({exc}); wait "
            "a minute and try again."
        )
    if isinstance(exc, B2TransportError):
        where = f" at {api_url}" if api_url else ""
        if exc.may_have_reached:
            # The request was sent: B2 may have carried it out (the error says what to check).
            return CommandError(f"Got no answer from B2{where} to {action}: {exc}")
        return CommandError(
            f"Could not reach B2{where} to {action}: {exc}. Check the network and the storage's "
            "api_url (B2_API_URL)."
        )
    if isinstance(exc, B2IntegrityError):
        return CommandError(
            f"Could not {action}: the data failed its integrity check ({exc}); try again."
        )
    if isinstance(exc, B2APIError):
        return CommandError(f"Could not {action}: B2 answered {exc}")
    return CommandError(f"Could not {action}: {exc}")
