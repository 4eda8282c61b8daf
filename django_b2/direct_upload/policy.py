"""What a browser may upload: the name prefix, the size limit, part sizes, content types.

Everything here is pure: it checks the browser's request and forces the final file name under
the configured prefix before any network call is made.
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field, replace

from django.core.exceptions import SuspiciousFileOperation
from django.utils.text import get_valid_filename

from django_b2.client._limits import MAX_FILE_NAME_BYTES, MAX_PARTS
from django_b2.client._plan import choose_part_size, choose_threshold, plan_parts

__all__ = [
    "BROWSER_PART_SIZE",
    "MAX_PARTS",
    "DirectUploadRefused",
    "UploadPlan",
    "UploadPolicy",
    "UploadRequest",
    "plan_upload",
]

#: Default part size for browsers (each upload worker holds one part in memory), unless the
#: policy or the storage says otherwise; never below the server's minimum part size.
BROWSER_PART_SIZE = 25_000_000
MAX_BASENAME_CHARS = 100
_TOKEN = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
_CONTENT_TYPE = re.compile(rf"^{_TOKEN}/{_TOKEN}$")
_FALLBACK_CONTENT_TYPE = "application/octet-stream"


class DirectUploadRefused(Exception):
    """A request the server will not honour; ``message`` says what the caller should change.

    ``final`` marks a refusal that ended the ticket (its upload was deleted or cancelled).
    """

    def __init__(self, message: str, status: int = 400, *, final: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.final = final


@dataclass(frozen=True)
class UploadPolicy:
    """Limits applied to every direct upload.

    ``prefix`` is relative to the storage's ``location``; every accepted file is stored as
    ``<prefix><random hex>/<cleaned original name>``. ``part_size`` defaults (``None``) to the
    storage's ``part_size``, then to B2's recommended part size capped at 25 MB (a browser holds
    ``concurrency`` parts in memory); ``large_file_threshold`` (files of this size or more go in
    parts) to the storage's setting, then to twice the part size. Both then follow the client's
    part plan (:mod:`django_b2.client._plan`), as the storage's uploads do. ``content_types``
    limits the accepted MIME types (``"image/*"`` style wildcards allowed); empty means any.
    """

    prefix: str = "direct-uploads/"
    max_size: int = 100_000_000
    part_size: int | None = None
    large_file_threshold: int | None = None
    concurrency: int = 3
    ticket_max_age: int = 3600
    content_types: Collection[str] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        prefix = self.prefix
        if not prefix or prefix.startswith("/") or "\\" in prefix or ".." in prefix.split("/"):
            raise ValueError(
                f"UploadPolicy prefix {prefix!r} is not usable: give a relative name prefix "
                "such as 'direct-uploads/' (no leading '/', no '..', no backslash)."
            )
        if not prefix.endswith("/"):
            object.__setattr__(self, "prefix", prefix + "/")
        for name in ("max_size", "concurrency", "ticket_max_age"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"UploadPolicy {name} must be a positive integer, not {value!r}.")
        for name in ("part_size", "large_file_threshold"):
            value = getattr(self, name)
            bad = isinstance(value, bool) or not isinstance(value, int) or value < 1
            if value is not None and bad:
                raise ValueError(
                    f"UploadPolicy {name} must be a positive integer or None, not {value!r}."
                )
        object.__setattr__(self, "content_types", tuple(self.content_types))

    def accepts_content_type(self, content_type: str) -> bool:
        if not self.content_types:
            return True
        main = content_type.split("/", 1)[0]
        return any(
            allowed == content_type or (allowed.endswith("/*") and allowed[:-2] == main)
            for allowed in self.content_types
        )


@dataclass(frozen=True)
class UploadRequest:
    """The browser's request, checked: original name, size and content type."""

    original_name: str
    size: int
    content_type: str

    @classmethod
    def from_json(cls, data: object) -> UploadRequest:
        if not isinstance(data, dict):
            raise DirectUploadRefused(
                'Send a JSON object such as {"name": "photo.jpg", "size": 1234, '
                '"contentType": "image/jpeg"}.'
            )
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise DirectUploadRefused('"name" must be the file\'s name as a non-empty string.')
        size = data.get("size")
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise DirectUploadRefused('"size" must be the file size in bytes (an integer >= 0).')
        content_type = data.get("contentType") or ""
        if not isinstance(content_type, str):
            raise DirectUploadRefused('"contentType" must be a MIME type string or empty.')
        content_type = content_type.strip().lower()
        if not content_type:
            content_type = mimetypes.guess_type(name)[0] or _FALLBACK_CONTENT_TYPE
        if not _CONTENT_TYPE.match(content_type):
            raise DirectUploadRefused(
                f'"contentType" {content_type!r} is not a MIME type such as "image/png".'
            )
        return cls(original_name=name, size=size, content_type=content_type)


@dataclass(frozen=True)
class UploadPlan:
    """How one accepted file goes to B2."""

    name: str  # relative to the storage location; what a FileField stores
    size: int
    content_type: str
    original_name: str
    part_size: int  # 0 for a single-request upload
    part_count: int  # 0 for a single-request upload

    @property
    def is_large(self) -> bool:
        return self.part_count > 0


def clean_basename(original: str) -> str:
    """The last path segment of ``original``, reduced to safe characters."""
    base = re.split(r"[/\\]", original)[-1].strip()
    try:
        cleaned = get_valid_filename(base)
    except SuspiciousFileOperation:
        cleaned = ""
    cleaned = cleaned.lstrip(".")
    if not cleaned:
        cleaned = "upload"
    if len(cleaned) > MAX_BASENAME_CHARS:
        stem, ext = posixpath.splitext(cleaned)
        ext = ext[:16]
        cleaned = stem[: MAX_BASENAME_CHARS - len(ext)] + ext
    return cleaned


def plan_upload(
    policy: UploadPolicy,
    request: UploadRequest,
    *,
    prefix: str,
    location: str,
    configured_part_size: int | None,
    configured_threshold: int | None,
    recommended_part_size: int,
    minimum_part_size: int,
) -> UploadPlan:
    """Check ``request`` against ``policy`` and pick the name and the upload method."""
    if request.size > policy.max_size:
        raise DirectUploadRefused(
            f"The file is {request.size} bytes; the limit is {policy.max_size} bytes. "
            "Choose a smaller file.",
            status=413,
        )
    if not policy.accepts_content_type(request.content_type):
        allowed = ", ".join(policy.content_types)
        raise DirectUploadRefused(
            f"Files of type {request.content_type!r} are not accepted here; allowed: {allowed}."
        )
    name = f"{prefix}{uuid.uuid4().hex}/{clean_basename(request.original_name)}"
    full = posixpath.join(location, name) if location else name
    if len(full.encode("utf-8")) > MAX_FILE_NAME_BYTES:
        raise DirectUploadRefused("The file name is too long; rename the file and try again.")
    # The client's part plan, with the browser's cap (it holds a part in memory) as an input.
    part_size = choose_part_size(
        policy.part_size or configured_part_size,
        recommended=min(recommended_part_size, BROWSER_PART_SIZE),
        minimum=minimum_part_size,
        size=request.size,
    )
    # The client's rule too: a file of the threshold or more goes in parts.
    threshold = choose_threshold(
        policy.large_file_threshold or configured_threshold,
        recommended=part_size,
        minimum=minimum_part_size,
    )
    plan = UploadPlan(name, request.size, request.content_type, request.original_name, 0, 0)
    if request.size < threshold:
        return plan
    parts = plan_parts(request.size, part_size)
    return replace(plan, part_size=parts[0].length, part_count=len(parts))
