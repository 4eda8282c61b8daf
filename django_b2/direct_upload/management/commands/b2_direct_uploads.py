"""``manage.py b2_direct_uploads clean``: remove expired and stray direct uploads (schedule it)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.core.management import BaseCommand, CommandError, CommandParser

from django_b2.client.errors import B2Error
from django_b2.direct_upload.cleanup import clean_direct_uploads


class Command(BaseCommand):
    help = (
        "clean: cancel unfinished large files and delete staging files of expired direct-upload "
        "tickets, and staging files no live ticket owns. Run it from a scheduler (e.g. hourly)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="clean")
        clean = sub.add_parser("clean", help="remove expired and stray direct uploads")
        clean.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = clean_direct_uploads()
        except B2Error as exc:
            raise CommandError(f"B2 refused a cleanup call: {exc}. Run the cleanup again.") from exc
        if options.get("json"):
            self.stdout.write(json.dumps(asdict(report), sort_keys=True))
            return
        self.stdout.write(
            f"Expired tickets: {report.expired_tickets}; staging uploads removed: "
            f"{report.staging_removed}; stray staging files removed: {report.stray_removed}; "
            f"unconfirmed final copies removed: {report.final_removed}."
        )
        for problem in report.skipped:
            self.stderr.write(f"Not swept: {problem}")
