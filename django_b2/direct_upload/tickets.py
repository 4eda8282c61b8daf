"""Ticket strings the browser carries between "start" and "confirm", and policy fingerprints.

The ticket string is the id of an :class:`~django_b2.direct_upload.models.UploadTicket` row
signed with Django's ``SECRET_KEY`` (``django.core.signing``) and dated: a changed or expired
ticket is refused before the database is asked. What was promised (names, size, type, endpoint,
policy fingerprint, owner) lives in the row, never in the browser.
"""

from __future__ import annotations

import hashlib
import json
import secrets

from django.core import signing

from django_b2.direct_upload.policy import DirectUploadRefused, UploadPolicy

__all__ = ["dump_ticket", "load_ticket_id", "new_ticket_id", "policy_fingerprint"]

_SALT = "django_b2.direct_upload.ticket.v2"


def new_ticket_id() -> str:
    return secrets.token_hex(16)


def dump_ticket(ticket_id: str) -> str:
    return signing.dumps(ticket_id, salt=_SALT)


def load_ticket_id(value: object, *, max_age: int) -> str:
    if not isinstance(value, str) or not value:
        raise DirectUploadRefused('"ticket" is missing: send the ticket that "start" returned.')
    try:
        data: object = signing.loads(value, salt=_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise DirectUploadRefused(
            "The upload ticket has expired; start the upload again.", status=410
        ) from None
    except signing.BadSignature:
        raise DirectUploadRefused(
            "The upload ticket is not valid; start the upload again.", status=400
        ) from None
    if not isinstance(data, str):
        raise DirectUploadRefused("The upload ticket is not valid; start the upload again.")
    return data


def policy_fingerprint(policy: UploadPolicy, *, prefix: str, location: str) -> str:
    """A digest of what an endpoint accepts: final name prefix, content types, size limit."""
    described = {
        "location": location,
        "prefix": prefix,
        "content_types": sorted(policy.content_types),
        "max_size": policy.max_size,
    }
    encoded = json.dumps(described, sort_keys=True).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()
