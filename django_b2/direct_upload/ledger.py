"""Ticket rows: count a user's open ones, claim one for ``confirm``, record how it ended.

Every state change is one conditional ``UPDATE`` so that two requests racing on the same ticket
cannot both win: only one ``confirm`` moves the file and runs ``on_confirm``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from django_b2.direct_upload.models import UploadTicket

__all__ = ["CLAIM_TIMEOUT", "claim", "count_open", "finish", "release"]

#: A ``confirm`` that claimed a ticket and then died (process killed) leaves it "confirming";
#: after this long another ``confirm`` may take it over.
CLAIM_TIMEOUT = timedelta(minutes=10)

State = UploadTicket.State


def count_open(user: str, now: datetime) -> int:
    """Tickets of ``user`` that are still usable (open or being confirmed, not expired)."""
    found: int = UploadTicket.objects.filter(
        user=user, state__in=(State.OPEN, State.CONFIRMING), expires_at__gt=now
    ).count()
    return found


def claim(ticket: UploadTicket, now: datetime) -> bool:
    """Take ``ticket`` for one ``confirm``; False if another request holds it."""
    taken = (
        UploadTicket.objects.filter(pk=ticket.pk)
        .filter(Q(state=State.OPEN) | Q(state=State.CONFIRMING, claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(state=State.CONFIRMING, claimed_at=now)
    )
    if taken:
        ticket.state, ticket.claimed_at = State.CONFIRMING, now
    return bool(taken)


def release(ticket: UploadTicket) -> None:
    """Give a claimed ticket back (the confirm can be tried again)."""
    UploadTicket.objects.filter(pk=ticket.pk, state=State.CONFIRMING).update(
        state=State.OPEN, claimed_at=None
    )
    ticket.state, ticket.claimed_at = State.OPEN, None


def finish(ticket: UploadTicket, state: str, result: Any = None) -> None:
    """Record how ``ticket`` ended: confirmed (with the answer given), failed or expired."""
    UploadTicket.objects.filter(pk=ticket.pk).update(state=state, result=result)
    ticket.state, ticket.result = state, result
