"""The B2 side of a direct upload: hand out staging tokens, then check and move what arrived.

A browser gets tokens that can only write inside the staging prefix: a ``b2_get_upload_url``
token of the restricted upload key for a single request, or ``b2_get_upload_part_url`` tokens
(each bound to one large file, started in staging) for parts. When it confirms, the server looks
at what B2 holds under the staging name: the size, the SHA-1 (per part for large files), the
content type and the file info must be what was declared, otherwise the upload is deleted (or the
large file cancelled) and refused. A file that passes is copied server-side under the main key to
its final name (``b2_copy_file``, or ``b2_copy_part`` per part for large files), then every
staging version is deleted: no browser token can change what a record points to.
"""

from __future__ import annotations

import contextlib
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django_b2._pages import every_entry, versions_of
from django_b2.client._limits import MAX_FILE_NAME_BYTES, SHA1_HEX
from django_b2.client.errors import B2APIError, B2BadRequest, B2Error, B2NotFound
from django_b2.direct_upload import ledger
from django_b2.direct_upload.models import UploadTicket
from django_b2.direct_upload.policy import (
    DirectUploadRefused,
    UploadPlan,
    UploadPolicy,
    UploadRequest,
    plan_upload,
)
from django_b2.direct_upload.staging import StagingArea
from django_b2.direct_upload.tickets import dump_ticket, new_ticket_id

if TYPE_CHECKING:
    from django_b2.client import B2Client
    from django_b2.storage import B2Storage

__all__ = ["ConfirmedUpload", "DirectUploadService", "b2_file_name"]

_PARTS_PAGE = 1000
_VERSIONS_PAGE = 100


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
    """Talks to B2 for the direct-upload views; ``storage`` is a ``B2Storage``.

    ``staging`` returns the staging area (the restricted key's client and prefix); it is only
    called when tokens are handed out, so ``confirm``, ``abort`` and cleanup work with the main
    key alone.
    """

    def __init__(
        self,
        storage: B2Storage,
        policy: UploadPolicy,
        *,
        staging: Callable[[], StagingArea],
        endpoint: str = "",
        fingerprint: str = "",
    ) -> None:
        self.storage = storage
        self.policy = policy
        self.staging = staging
        self.endpoint = endpoint
        self.fingerprint = fingerprint

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

    def start(
        self, request: UploadRequest, *, user: str, prefix: str, max_open: int, now: datetime
    ) -> dict[str, Any]:
        """Record a ticket, then hand out staging tokens for one file.

        The open-ticket limit is checked before any B2 call, and again under a per-user lock
        right before the ticket is recorded, so racing requests cannot go over it.
        """
        _check_limit(user, now, max_open)
        plan = self.plan(request, prefix=prefix)
        area = self.staging()
        ticket_id = new_ticket_id()
        staging_name = f"{area.prefix}{ticket_id}/{posixpath.basename(plan.name)}"
        if len(staging_name.encode("utf-8")) > MAX_FILE_NAME_BYTES:
            raise DirectUploadRefused("The file name is too long; rename the file and try again.")
        with ledger.user_lock(self.storage.cache, user):
            _check_limit(user, now, max_open)
            ticket = self._record(ticket_id, user, plan, staging_name, now)
        try:
            urls = self._first_urls(ticket, plan, area)
        except B2Error:
            ledger.finish(ticket, UploadTicket.State.FAILED)
            raise
        return {
            "ticket": dump_ticket(ticket.id),
            "mode": "large" if plan.is_large else "simple",
            "name": plan.name,
            "fileName": staging_name,
            "fileId": ticket.large_file_id or None,
            "contentType": plan.content_type,
            "size": plan.size,
            "partSize": plan.part_size,
            "partCount": plan.part_count,
            "uploadUrls": urls,
        }

    def _record(
        self, ticket_id: str, user: str, plan: UploadPlan, staging_name: str, now: datetime
    ) -> UploadTicket:
        ticket: UploadTicket = UploadTicket.objects.create(
            id=ticket_id,
            endpoint=self.endpoint,
            fingerprint=self.fingerprint,
            user=user,
            name=plan.name,
            b2_name=b2_file_name(self.storage, plan.name),
            staging_name=staging_name,
            size=plan.size,
            content_type=plan.content_type,
            original_name=plan.original_name,
            part_size=plan.part_size,
            part_count=plan.part_count,
            created_at=now,
            expires_at=now + timedelta(seconds=self.policy.ticket_max_age),
        )
        return ticket

    def _first_urls(
        self, ticket: UploadTicket, plan: UploadPlan, area: StagingArea
    ) -> list[dict[str, str]]:
        if not plan.is_large:
            return [self._upload_url(area)]
        started = area.client.start_large_file(
            self.storage.bucket_id, ticket.staging_name, content_type=plan.content_type
        )
        ticket.large_file_id = str(started["fileId"])
        UploadTicket.objects.filter(pk=ticket.pk).update(large_file_id=ticket.large_file_id)
        try:
            return [
                self._part_url(area, ticket.large_file_id)
                for _ in range(min(self.policy.concurrency, plan.part_count))
            ]
        except B2Error:
            with contextlib.suppress(B2Error):
                self.client.cancel_large_file(ticket.large_file_id)
            raise

    def _upload_url(self, area: StagingArea) -> dict[str, str]:
        got = area.client.get_upload_url(self.storage.bucket_id)
        return {"uploadUrl": got["uploadUrl"], "authorizationToken": got["authorizationToken"]}

    @staticmethod
    def _part_url(area: StagingArea, file_id: str) -> dict[str, str]:
        got = area.client.get_upload_part_url(file_id)
        return {"uploadUrl": got["uploadUrl"], "authorizationToken": got["authorizationToken"]}

    def renew(self, ticket: UploadTicket) -> dict[str, str]:
        """A fresh upload (or part upload) URL after the browser's one failed."""
        area = self.staging()
        if ticket.is_large:
            return self._part_url(area, ticket.large_file_id)
        return self._upload_url(area)

    # -- policy ---------------------------------------------------------------------------

    def recheck(self, ticket: UploadTicket, *, prefix: str) -> str:
        """Why the current policy no longer accepts ``ticket`` ("" when it does)."""
        if ticket.size > self.policy.max_size:
            return f"the file is {ticket.size} bytes; the limit is {self.policy.max_size} bytes"
        if not self.policy.accepts_content_type(ticket.content_type):
            return f"files of type {ticket.content_type!r} are not accepted here"
        if not ticket.name.startswith(prefix):
            return "the file's name is outside this endpoint's prefix"
        return ""

    # -- confirm --------------------------------------------------------------------------

    def confirm(self, ticket: UploadTicket, body: Mapping[str, Any]) -> ConfirmedUpload:
        """Check what arrived in staging and move it to the final name (ticket claimed)."""
        if ticket.is_large:
            claimed = body.get("partSha1")
            if not isinstance(claimed, list) or len(claimed) != ticket.part_count:
                raise DirectUploadRefused(
                    f'"partSha1" must list the SHA-1 of each of the {ticket.part_count} parts '
                    "in order."
                )
            sha1s = [_check_sha1(value, f'"partSha1"[{i}]') for i, value in enumerate(claimed)]
            return self._confirm_large(ticket, sha1s)
        return self._confirm_simple(ticket, _check_sha1(body.get("sha1"), '"sha1"'))

    def _versions(self, b2_name: str) -> list[Mapping[str, Any]]:
        """Every stored version of exactly ``b2_name``, newest first."""
        found = versions_of(self.client, self.storage.bucket_id, b2_name, page_size=_VERSIONS_PAGE)
        return list(found)

    def delete_versions(self, versions: list[Mapping[str, Any]]) -> int:
        """Delete ``versions``; an unfinished large file among them is cancelled."""
        deleted = 0
        for version in versions:
            if version.get("action") == "start":
                with contextlib.suppress(B2APIError):
                    self.client.cancel_large_file(str(version["fileId"]))
                    deleted += 1
                continue
            with contextlib.suppress(B2NotFound):
                self.client.delete_file_version(version["fileName"], version["fileId"])
                deleted += 1
        return deleted

    def _confirmed(self, ticket: UploadTicket, file_id: str, sha1: str | None) -> ConfirmedUpload:
        return ConfirmedUpload(
            name=ticket.name,
            b2_name=ticket.b2_name,
            file_id=file_id,
            size=ticket.size,
            content_type=ticket.content_type,
            original_name=ticket.original_name,
            content_sha1=sha1,
            part_count=ticket.part_count,
        )

    def _already_moved(self, ticket: UploadTicket, sha1: str | None) -> ConfirmedUpload | None:
        """The final copy, when an earlier confirm of this ticket made it and then stopped.

        Unfinished large files at the final name (a copy that stopped half-way) are cancelled.
        """
        versions = self._versions(ticket.b2_name)
        self.delete_versions([v for v in versions if v.get("action") == "start"])
        final = [v for v in versions if v.get("action") == "upload"]
        if not final:
            return None
        newest = final[0]
        if _mismatch(newest, size=ticket.size, sha1=sha1, content_type=ticket.content_type):
            self.delete_versions(final)  # not ours to keep: only this ticket writes this name
            return None
        self.delete_versions(final[1:])
        self.discard_staging(ticket, unfinished=False)
        return self._confirmed(ticket, str(newest["fileId"]), sha1)

    def _confirm_simple(self, ticket: UploadTicket, sha1: str) -> ConfirmedUpload:
        moved = self._already_moved(ticket, sha1)
        if moved is not None:
            return moved
        staged = self._versions(ticket.staging_name)
        uploads = [v for v in staged if v.get("action") == "upload"]
        if not uploads:
            raise DirectUploadRefused(
                "No file has arrived in B2 under the promised name; upload it, then confirm.",
                status=409,
            )
        newest = uploads[0]
        problem = _mismatch(
            newest, size=ticket.size, sha1=sha1, content_type=ticket.content_type
        ) or _info_problem(newest)
        if problem:
            self.delete_versions(staged)
            raise DirectUploadRefused(f"The upload was deleted: {problem}.", final=True)
        copied = self.client.copy_file(
            str(newest["fileId"]),
            ticket.b2_name,
            metadata_directive="REPLACE",
            content_type=ticket.content_type,
            file_info={},
        )
        self.discard_staging(ticket)
        return self._confirmed(ticket, str(copied["fileId"]), sha1)

    def _confirm_large(self, ticket: UploadTicket, sha1s: list[str]) -> ConfirmedUpload:
        moved = self._already_moved(ticket, None)
        if moved is not None:
            return moved
        finished = self._finished_version(ticket.large_file_id)
        if finished is None:
            problem = self._parts_problem(ticket, sha1s)
            if problem:
                self.discard_staging(ticket)
                raise DirectUploadRefused(f"The upload was cancelled: {problem}.", final=True)
            try:
                finished = self.client.finish_large_file(ticket.large_file_id, sha1s)
            except B2BadRequest:
                # A finish that already went through answers 400; look before giving up.
                finished = self._finished_version(ticket.large_file_id)
                if finished is None:
                    raise
        problem = _mismatch(
            finished, size=ticket.size, sha1=None, content_type=ticket.content_type
        ) or _info_problem(finished)
        if finished.get("fileName") != ticket.staging_name:
            problem = "the stored name is not the promised one"
        if problem:
            self.discard_staging(ticket)
            raise DirectUploadRefused(f"The upload was deleted: {problem}.", final=True)
        file_id = self._copy_in_parts(ticket, str(finished["fileId"]))
        self.discard_staging(ticket, unfinished=False)
        return self._confirmed(ticket, file_id, None)

    def _copy_in_parts(self, ticket: UploadTicket, source_id: str) -> str:
        """``b2_copy_part`` the staged file, part by part, into a new large file."""
        started = self.client.start_large_file(
            self.storage.bucket_id, ticket.b2_name, content_type=ticket.content_type, file_info={}
        )
        target = str(started["fileId"])
        try:
            copied = []
            for index in range(ticket.part_count):
                first = index * ticket.part_size
                last = min(first + ticket.part_size, ticket.size) - 1
                part = self.client.copy_part(source_id, target, index + 1, range=(first, last))
                copied.append(str(part["contentSha1"]))
            self.client.finish_large_file(target, copied)
        except B2Error:
            with contextlib.suppress(B2Error):
                self.client.cancel_large_file(target)
            raise
        return target

    def _finished_version(self, file_id: str) -> Mapping[str, Any] | None:
        try:
            info: Mapping[str, Any] = self.client.get_file_info(file_id)
        except B2NotFound:
            raise DirectUploadRefused(
                "The large file no longer exists in B2; start the upload again.",
                status=410,
                final=True,
            ) from None
        return info if info.get("action") == "upload" else None

    def _parts_problem(self, ticket: UploadTicket, sha1s: list[str]) -> str:
        parts: list[Mapping[str, Any]] = every_entry(
            lambda start: self.client.list_parts(
                ticket.large_file_id, start_part_number=start, max_part_count=_PARTS_PAGE
            ),
            "parts",
            "nextPartNumber",
        )
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

    # -- abort and clean up -----------------------------------------------------------------

    def discard_staging(self, ticket: UploadTicket, *, unfinished: bool = True) -> int:
        """Cancel the ticket's staged large file (``unfinished``: it may still be unfinished) and
        delete every staging version.

        Returns how many things were removed. The final name is never touched here.
        """
        removed = 0
        if ticket.is_large and unfinished:
            with contextlib.suppress(B2APIError):
                self.client.cancel_large_file(ticket.large_file_id)
                removed += 1
        versions = self._versions(ticket.staging_name)
        if removed:  # the cancelled large file may still be listed for a moment
            versions = [v for v in versions if v.get("fileId") != ticket.large_file_id]
        return removed + self.delete_versions(versions)

    def discard_final(self, ticket: UploadTicket) -> int:
        """Delete (or cancel, if unfinished) the final copy of a ticket that was never confirmed:
        nothing records it."""
        return self.delete_versions(self._versions(ticket.b2_name))


def _check_limit(user: str, now: datetime, max_open: int) -> None:
    if ledger.count_open(user, now) >= max_open:
        raise DirectUploadRefused(
            f"You already have {max_open} uploads in progress; finish or cancel one (or wait "
            "until it expires), then try again.",
            status=429,
        )


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


def _info_problem(version: Mapping[str, Any]) -> str:
    """File info the server did not set (it sets none): headers a download would serve."""
    info = version.get("fileInfo") or {}
    if info:
        return f"it carries file info the server did not set ({', '.join(sorted(info))})"
    return ""
