"""Signed upload tickets: what the server promised one browser, kept by the browser.

The server keeps no state between "start" and "confirm": the ticket carries the forced file name,
the declared size and type, the large file's id and the user it was issued to, signed with
Django's ``SECRET_KEY`` (``django.core.signing``). A changed or expired ticket is refused.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.core import signing

from django_b2.direct_upload.policy import DirectUploadRefused

__all__ = ["Ticket", "dump_ticket", "load_ticket"]

_SALT = "django_b2.direct_upload.ticket"


@dataclass(frozen=True)
class Ticket:
    name: str  # storage-relative name
    b2_name: str  # full B2 file name (location + name)
    size: int
    content_type: str
    original_name: str
    user: str  # str(user.pk)
    file_id: str  # large file id, "" for a single-request upload
    part_size: int
    part_count: int

    @property
    def is_large(self) -> bool:
        return bool(self.file_id)


def dump_ticket(ticket: Ticket) -> str:
    return signing.dumps(asdict(ticket), salt=_SALT, compress=True)


def load_ticket(value: object, *, max_age: int) -> Ticket:
    if not isinstance(value, str) or not value:
        raise DirectUploadRefused('"ticket" is missing: send the ticket that "start" returned.')
    try:
        data: Any = signing.loads(value, salt=_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise DirectUploadRefused(
            "The upload ticket has expired; start the upload again.", status=410
        ) from None
    except signing.BadSignature:
        raise DirectUploadRefused(
            "The upload ticket is not valid; start the upload again.", status=400
        ) from None
    try:
        return Ticket(**data)
    except TypeError:
        raise DirectUploadRefused(
            "The upload ticket is not valid; start the upload again.", status=400
        ) from None
