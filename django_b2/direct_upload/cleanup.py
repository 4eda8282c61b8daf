"""Nothing unconfirmed lives forever: expired tickets' uploads and stray staging files go.

:func:`clean_direct_uploads` is what ``manage.py b2_direct_uploads clean`` runs; call it from any
scheduler (cron, Celery beat, ...). For every ``DirectUpload`` of the URLconf it

1. takes the tickets whose lifetime is over: cancels their unfinished large files, deletes their
   staging versions (and, for tickets never confirmed, any copy at the final name), then deletes
   the ticket rows;
2. lists the staging prefix and removes every version and unfinished large file that does not
   belong to a live ticket (uploads made with an old token after ``confirm``, names no ticket
   promised, leftovers of a crash).

A ticket that a ``confirm`` is working on right now is left for the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.urls import get_resolver
from django.utils import timezone

from django_b2.client.errors import B2Error
from django_b2.conf import B2ConfigurationError
from django_b2.direct_upload.ledger import CLAIM_TIMEOUT
from django_b2.direct_upload.models import UploadTicket
from django_b2.direct_upload.service import DirectUploadService
from django_b2.direct_upload.views import DirectUpload, endpoints

__all__ = ["CleanupReport", "clean_direct_uploads", "clean_endpoint"]

logger = logging.getLogger("django_b2.direct_upload")

State = UploadTicket.State
_LIVE = (State.OPEN, State.CONFIRMING)


@dataclass
class CleanupReport:
    """What one cleanup removed."""

    expired_tickets: int = 0
    staging_removed: int = 0  # versions deleted and large files cancelled for expired tickets
    stray_removed: int = 0  # staging versions / large files that no live ticket owns
    final_removed: int = 0  # final copies of tickets that were never confirmed
    skipped: list[str] = field(default_factory=list)  # endpoints that could not be swept

    def add(self, other: CleanupReport) -> None:
        self.expired_tickets += other.expired_tickets
        self.staging_removed += other.staging_removed
        self.stray_removed += other.stray_removed
        self.final_removed += other.final_removed
        self.skipped.extend(other.skipped)


def clean_direct_uploads(
    *, now: datetime | None = None, uploads: Iterable[DirectUpload] | None = None
) -> CleanupReport:
    """Clean every direct-upload endpoint (those of the URLconf unless ``uploads`` is given)."""
    if uploads is None:
        get_resolver().url_patterns  # noqa: B018 - builds the URLconf's DirectUpload endpoints
        uploads = endpoints()
    moment = now or timezone.now()
    report = CleanupReport()
    swept: set[tuple[str, str]] = set()
    for upload in uploads:
        report.add(clean_endpoint(upload, now=moment, swept=swept))
    return report


def clean_endpoint(
    upload: DirectUpload, *, now: datetime, swept: set[tuple[str, str]] | None = None
) -> CleanupReport:
    """Clean one endpoint: its expired tickets, then (once per staging prefix) stray files."""
    report = CleanupReport()
    try:
        service = upload.service(None)
    except ImproperlyConfigured as exc:
        report.skipped.append(f"{upload.namespace}: {exc}")
        return report
    expired = UploadTicket.objects.filter(endpoint=upload.namespace, expires_at__lte=now)
    for ticket in expired:
        busy = ticket.state == State.CONFIRMING and (
            ticket.claimed_at is not None and ticket.claimed_at > now - CLAIM_TIMEOUT
        )
        if busy:
            continue
        if ticket.state != State.CONFIRMED:
            report.staging_removed += service.discard_staging(ticket)
            report.final_removed += service.discard_final(ticket)
        UploadTicket.objects.filter(pk=ticket.pk).delete()
        report.expired_tickets += 1
    try:
        area = upload.staging_area()
    except (B2ConfigurationError, B2Error) as exc:
        # One endpoint whose upload key is refused must not stop the others' cleanup.
        logger.warning("Direct uploads %r: staging not swept: %s", upload.namespace, exc)
        report.skipped.append(f"{upload.namespace}: {exc}")
        return report
    place = (service.storage.bucket_id, area.prefix)
    if swept is not None:
        if place in swept:
            return report
        swept.add(place)
    try:
        report.stray_removed += _sweep(service, area.prefix, now)
    except B2Error as exc:
        logger.warning("Direct uploads %r: staging sweep stopped: %s", upload.namespace, exc)
        report.skipped.append(f"{upload.namespace}: {exc}")
    return report


def _sweep(service: DirectUploadService, prefix: str, now: datetime) -> int:
    client = service.client
    bucket_id = service.storage.bucket_id
    removed = 0
    # Page by page: deleting what was already listed does not move the next page's start.
    for version in client.iter_file_versions(bucket_id, prefix=prefix):
        if _owned(version, prefix, now):
            continue
        removed += service.delete_versions([version])
    return removed


def _owned(version: Any, prefix: str, now: datetime) -> bool:
    """Whether ``version`` is the staging upload of a live ticket."""
    name = str(version.get("fileName", ""))
    ticket_id = name[len(prefix) :].partition("/")[0]
    ticket = UploadTicket.objects.filter(pk=ticket_id, state__in=_LIVE, expires_at__gt=now).first()
    if ticket is None or ticket.staging_name != name:
        return False
    if version.get("action") == "start":
        return bool(ticket.large_file_id == version.get("fileId"))
    return True
