"""The B2 side of a direct upload: hand out upload URLs, then check and finish what arrived.

A browser gets upload URLs and tokens for one file (``b2_get_upload_url`` for a single request,
``b2_start_large_file`` + ``b2_get_upload_part_url`` for parts) and uploads straight to B2. When it
confirms, the server looks at what B2 actually holds under the promised name: the size, the SHA-1
(per part for large files) and the content type must match what was declared, otherwise the upload
is deleted (or the large file cancelled) and refused.

B2 upload tokens are *not* limited to a name: with a ``b2_get_upload_url`` token a browser could
write any name in the bucket. Only the names that pass ``confirm`` are recorded; see
``docs/example.md`` for what that means and how to narrow it further.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django_b2.client._limits import SHA1_HEX
from django_b2.client.errors import B2APIError, B2BadRequest, B2Error, B2NotFound
from django_b2.direct_upload.policy import (
    DirectUploadRefused,
    UploadPlan,
    UploadPolicy,
    UploadRequest,
    plan_upload,
)
from django_b2.direct_upload.tickets import Ticket, dump_ticket

if TYPE_CHECKING:
    from django_b2.client import B2Client
    from django_b2.storage import B2Storage

__all__ = ["ConfirmedUpload", "DirectUploadService", "b2_file_name"]

_PARTS_PAGE = 1000


@dataclass(frozen=True)
class ConfirmedUpload:
    """A file that arrived in B2 as declared. ``name`` is what a ``FileField`` stores."""

    name: str
    b2_name: str
    file_id: str
    size: int
    content_type: str
    original_name: str
    content_sha1: str | None  # None for large files (B2 keeps per-part SHA-1s only)
    part_count: int


def b2_file_name(storage: Any, name: str) -> str:
    """The B2 file name the storage uses for ``name`` (its ``location`` joined in front)."""
    to_b2 = getattr(storage, "b2_name", None)
    if callable(to_b2):
        return str(to_b2(name))
    location = str(getattr(storage, "location", "") or "").strip("/")
    return f"{location}/{name}" if location else name


def _check_sha1(value: object, what: str) -> str:
    if not isinstance(value, str) or not SHA1_HEX.fullmatch(value):
        raise DirectUploadRefused(
            f"{what} must be 40 hexadecimal digits (the SHA-1 of the bytes sent)."
        )
    return value.lower()


class DirectUploadService:
    """Talks to B2 for the direct-upload views; ``storage`` is a ``B2Storage``."""

    def __init__(self, storage: B2Storage, policy: UploadPolicy) -> None:
        self.storage = storage
        self.policy = policy

    @property
    def client(self) -> B2Client:
        return self.storage.client

    # -- start ----------------------------------------------------------------------------

    def plan(self, request: UploadRequest, *, prefix: str) -> UploadPlan:
        auth = self.client.authorization
        config = getattr(self.storage, "config", None)
        return plan_upload(
            self.policy,
            request,
            prefix=prefix,
            location=str(getattr(self.storage, "location", "") or ""),
            configured_part_size=getattr(config, "part_size", None),
            configured_threshold=getattr(config, "large_file_threshold", None),
            recommended_part_size=int(auth.recommended_part_size),
            minimum_part_size=int(auth.absolute_minimum_part_size),
        )

    def start(self, request: UploadRequest, *, user: str, prefix: str) -> dict[str, Any]:
        """Everything the browser needs to upload one file, plus the signed ticket."""
        plan = self.plan(request, prefix=prefix)
        b2_name = b2_file_name(self.storage, plan.name)
        file_id = ""
        if plan.is_large:
            started = self.client.start_large_file(
                self.storage.bucket_id, b2_name, content_type=plan.content_type
            )
            file_id = str(started["fileId"])
            try:
                urls = [
                    self._part_url(file_id)
                    for _ in range(min(self.policy.concurrency, plan.part_count))
                ]
            except B2Error:
                with contextlib.suppress(B2Error):
                    self.client.cancel_large_file(file_id)
                raise
        else:
            urls = [self._upload_url()]
        ticket = Ticket(
            name=plan.name,
            b2_name=b2_name,
            size=plan.size,
            content_type=plan.content_type,
            original_name=plan.original_name,
            user=user,
            file_id=file_id,
            part_size=plan.part_size,
            part_count=plan.part_count,
        )
        return {
            "ticket": dump_ticket(ticket),
            "mode": "large" if plan.is_large else "simple",
            "name": plan.name,
            "fileName": b2_name,
            "fileId": file_id or None,
            "contentType": plan.content_type,
            "size": plan.size,
            "partSize": plan.part_size,
            "partCount": plan.part_count,
            "uploadUrls": urls,
        }

    def _upload_url(self) -> dict[str, str]:
        got = self.client.get_upload_url(self.storage.bucket_id)
        return {"uploadUrl": got["uploadUrl"], "authorizationToken": got["authorizationToken"]}

    def _part_url(self, file_id: str) -> dict[str, str]:
        got = self.client.get_upload_part_url(file_id)
        return {"uploadUrl": got["uploadUrl"], "authorizationToken": got["authorizationToken"]}

    def renew(self, ticket: Ticket) -> dict[str, str]:
        """A fresh upload (or part upload) URL after the browser's one failed."""
        return self._part_url(ticket.file_id) if ticket.is_large else self._upload_url()

    # -- confirm ----------------------------------------------------------------------------

    def confirm(self, ticket: Ticket, body: dict[str, Any]) -> ConfirmedUpload:
        if ticket.is_large:
            return self._confirm_large(ticket, body.get("partSha1"))
        return self._confirm_simple(ticket, _check_sha1(body.get("sha1"), '"sha1"'))

    def _versions(self, b2_name: str) -> list[Mapping[str, Any]]:
        """Every stored version of exactly ``b2_name``, newest first."""
        found = self.client.list_file_versions(
            self.storage.bucket_id, start_file_name=b2_name, prefix=b2_name, max_file_count=100
        )
        return [f for f in found.get("files", []) if f.get("fileName") == b2_name]

    def _delete_versions(self, versions: list[Mapping[str, Any]]) -> None:
        for version in versions:
            with contextlib.suppress(B2NotFound):
                self.client.delete_file_version(version["fileName"], version["fileId"])

    def _confirm_simple(self, ticket: Ticket, sha1: str) -> ConfirmedUpload:
        versions = [v for v in self._versions(ticket.b2_name) if v.get("action") == "upload"]
        if not versions:
            raise DirectUploadRefused(
                "No file has arrived in B2 under the promised name; upload it, then confirm.",
                status=409,
            )
        newest, older = versions[0], versions[1:]
        problem = _mismatch(
            newest,
            size=ticket.size,
            sha1=sha1,
            content_type=ticket.content_type,
        )
        if problem:
            self._delete_versions(versions)
            raise DirectUploadRefused(f"The upload was deleted: {problem}.")
        # Only one upload per ticket is honoured; anything written before it is removed.
        self._delete_versions(older)
        return ConfirmedUpload(
            name=ticket.name,
            b2_name=ticket.b2_name,
            file_id=str(newest["fileId"]),
            size=ticket.size,
            content_type=ticket.content_type,
            original_name=ticket.original_name,
            content_sha1=sha1,
            part_count=0,
        )

    def _stored_parts(self, file_id: str) -> list[Mapping[str, Any]]:
        parts: list[Mapping[str, Any]] = []
        start: int | None = 1
        while start is not None:
            page = self.client.list_parts(
                file_id, start_part_number=start, max_part_count=_PARTS_PAGE
            )
            parts.extend(page.get("parts", []))
            start = page.get("nextPartNumber")
        return parts

    def _confirm_large(self, ticket: Ticket, claimed: object) -> ConfirmedUpload:
        if not isinstance(claimed, list) or len(claimed) != ticket.part_count:
            raise DirectUploadRefused(
                f'"partSha1" must list the SHA-1 of each of the {ticket.part_count} parts in order.'
            )
        sha1s = [_check_sha1(value, f'"partSha1"[{i}]') for i, value in enumerate(claimed)]
        finished = self._finished_version(ticket.file_id)
        if finished is None:
            problem = self._parts_problem(ticket, sha1s)
            if problem:
                self.abort(ticket)
                raise DirectUploadRefused(f"The upload was cancelled: {problem}.")
            try:
                finished = self.client.finish_large_file(ticket.file_id, sha1s)
            except B2BadRequest:
                # A finish that already went through answers 400; look before giving up.
                finished = self._finished_version(ticket.file_id)
                if finished is None:
                    raise
        problem = _mismatch(finished, size=ticket.size, sha1=None, content_type=ticket.content_type)
        if finished.get("fileName") != ticket.b2_name:
            problem = "the stored name is not the promised one"
        if problem:
            self._delete_versions([finished])
            raise DirectUploadRefused(f"The upload was deleted: {problem}.")
        return ConfirmedUpload(
            name=ticket.name,
            b2_name=ticket.b2_name,
            file_id=ticket.file_id,
            size=ticket.size,
            content_type=ticket.content_type,
            original_name=ticket.original_name,
            content_sha1=None,
            part_count=ticket.part_count,
        )

    def _finished_version(self, file_id: str) -> Mapping[str, Any] | None:
        try:
            info: Mapping[str, Any] = self.client.get_file_info(file_id)
        except B2NotFound:
            raise DirectUploadRefused(
                "The large file no longer exists in B2; start the upload again.", status=410
            ) from None
        return info if info.get("action") == "upload" else None

    def _parts_problem(self, ticket: Ticket, sha1s: list[str]) -> str:
        parts = self._stored_parts(ticket.file_id)
        numbers = [int(p["partNumber"]) for p in parts]
        if numbers != list(range(1, ticket.part_count + 1)):
            return f"B2 holds parts {numbers}, expected 1 to {ticket.part_count}"
        for index, part in enumerate(parts):
            last = index == ticket.part_count - 1
            expected = ticket.size - ticket.part_size * index if last else ticket.part_size
            if int(part["contentLength"]) != expected:
                return f"part {index + 1} is {part['contentLength']} bytes, expected {expected}"
            if str(part.get("contentSha1", "")).lower() != sha1s[index]:
                return f"part {index + 1} does not have the SHA-1 the browser computed"
        return ""

    # -- abort ------------------------------------------------------------------------------

    def abort(self, ticket: Ticket) -> bool:
        """Cancel this ticket's large file if it is still unfinished; True if it was cancelled.

        A finished file is never deleted here: the ticket may already have been confirmed and
        the file recorded. (Files that fail ``confirm`` are deleted by ``confirm`` itself.)
        """
        if not ticket.is_large:
            return False
        try:
            if self._finished_version(ticket.file_id) is not None:
                return False
            self.client.cancel_large_file(ticket.file_id)
        except (B2APIError, DirectUploadRefused):
            return False  # already gone
        return True


def _mismatch(version: Mapping[str, Any], *, size: int, sha1: str | None, content_type: str) -> str:
    """Why ``version`` is not the declared file, or ``""`` when it is."""
    length = int(version.get("contentLength", -1))
    if length != size:
        return f"it is {length} bytes but {size} were declared"
    if sha1 is not None:
        stored = str(version.get("contentSha1") or "").lower()
        if stored != sha1:
            return "its SHA-1 is not the one the browser computed"
    stored_type = str(version.get("contentType") or "")
    if stored_type != content_type:
        return f"its content type is {stored_type!r}, not the declared {content_type!r}"
    return ""
