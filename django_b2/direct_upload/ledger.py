"""Ticket rows: count a user's open ones, claim one for ``confirm``, record how it ended.

Every state change is one conditional ``UPDATE`` so that two requests racing on the same ticket
cannot both win: only one ``confirm`` moves the file and runs ``on_confirm``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import BaseCache
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q

from django_b2.cache import cache_lock
from django_b2.direct_upload.models import UploadTicket
from django_b2.direct_upload.policy import DirectUploadRefused

__all__ = [
    "CLAIM_TIMEOUT",
    "USER_LOCK_WAIT",
    "claim",
    "count_open",
    "finish",
    "release",
    "user_lock",
    "user_lock_key",
]

#: A ``confirm`` that claimed a ticket and then died (process killed) leaves it "confirming";
#: after this long another ``confirm`` may take it over.
CLAIM_TIMEOUT = timedelta(minutes=10)

#: Seconds a ``start`` waits for another ``start`` of the same user before answering 429.
USER_LOCK_WAIT = 10.0

State = UploadTicket.State


def user_lock_key(user: str) -> str:
    return f"django_b2:direct_upload:user:{user}"


def count_open(user: str, now: datetime) -> int:
    """Tickets of ``user`` that are still usable (open or being confirmed, not expired)."""
    found: int = UploadTicket.objects.filter(
        user=user, state__in=(State.OPEN, State.CONFIRMING), expires_at__gt=now
    ).count()
    return found


@contextmanager
def user_lock(cache: BaseCache, user: str) -> Iterator[None]:
    """Serialize one user's ``start`` requests (count, then insert) across workers.

    Uses the storage's shared cache (``cache.add`` is atomic on Redis, Memcached, the database
    and local-memory caches). If the lock stays taken for ``USER_LOCK_WAIT`` seconds the request
    is refused (429) rather than risk going over the limit.
    """
    with cache_lock(cache, user_lock_key(user), timeout=30, wait=USER_LOCK_WAIT) as held:
        if not held:
            raise DirectUploadRefused(
                "Too many uploads are starting at once; try again in a moment.", status=429
            )
        yield


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


def finish(ticket: UploadTicket, state: str, result: Mapping[str, Any] | None = None) -> None:
    """Record how ``ticket`` ended: confirmed (with the answer given), failed or expired."""
    encoded = json.dumps(dict(result), cls=DjangoJSONEncoder) if result is not None else ""
    UploadTicket.objects.filter(pk=ticket.pk).update(state=state, result_json=encoded)
    ticket.state, ticket.result_json = state, encoded
