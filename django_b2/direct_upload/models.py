"""Upload tickets kept by the server: what was promised, to whom, where, and how it ended.

A ticket is created by ``start`` before any token leaves the server, so every file a browser can
put in the staging area belongs to a ticket (or is junk that ``clean`` deletes). ``confirm`` moves
a ticket from ``open`` to ``confirmed`` exactly once; the answer it gave is kept, so a repeated
``confirm`` gets the same answer without running ``on_confirm`` again.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models

__all__ = ["UploadTicket"]


class UploadTicket(models.Model):
    class State(models.TextChoices):
        OPEN = "open"
        CONFIRMING = "confirming"  # one confirm is moving the file; others wait
        CONFIRMED = "confirmed"
        FAILED = "failed"  # refused at confirm, or aborted: its staging upload is gone
        EXPIRED = "expired"  # cleaned up after its lifetime

    id = models.CharField(primary_key=True, max_length=32, editable=False)
    endpoint = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    user = models.CharField(max_length=150)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    name = models.TextField()  # final storage-relative name (what a FileField stores)
    b2_name = models.TextField()  # final B2 file name
    staging_name = models.TextField()  # B2 file name the browser uploads to
    large_file_id = models.CharField(max_length=200, blank=True)  # staged large file
    size = models.BigIntegerField()
    content_type = models.CharField(max_length=255)
    original_name = models.TextField()
    part_size = models.BigIntegerField(default=0)
    part_count = models.IntegerField(default=0)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The JSON answer of the confirm, as text: a JSONField would make ``manage.py check`` query
    # the database (to test JSON support) in every project that installs this app.
    result_json = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["user", "state"], name="django_b2_du_user_state")]

    def __str__(self) -> str:
        return f"upload ticket {self.id} ({self.state}) for {self.name}"

    @property
    def is_large(self) -> bool:
        return bool(self.large_file_id)

    @property
    def result(self) -> dict[str, Any]:
        """The answer the confirm gave (empty until confirmed)."""
        loaded: dict[str, Any] = json.loads(self.result_json) if self.result_json else {}
        return loaded
