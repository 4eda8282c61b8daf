"""``manage.py b2_large_files``: list unfinished large files, their parts, and cancel them."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from django.core.management import CommandError

from django_b2._pages import every_entry
from django_b2.client import CancelLargeFileResponse, FileVersion, Part
from django_b2.client.errors import B2BadRequest, B2NotFound
from django_b2.management.arguments import non_negative_float
from django_b2.management.base import B2Command, Subparsers, subcommand
from django_b2.management.output import format_table, format_timestamp


def now_millis() -> int:
    """The current time in B2's milliseconds (a function so tests can move the clock)."""
    return int(time.time() * 1000)


class Command(B2Command):
    help = (
        "Unfinished large files of a bucket (default: the storage's bucket): list, parts, cancel."
    )

    def add_subcommands(self, subparsers: Subparsers) -> None:
        ls = self.add_subcommand(subparsers, "list")
        ls.add_argument("--prefix", default=None, metavar="P", help="only names starting with P")

        parts = self.add_subcommand(subparsers, "parts")
        parts.add_argument("file_id", metavar="FILE_ID")

        cancel = self.add_subcommand(subparsers, "cancel")
        cancel.add_argument("file_id", nargs="?", metavar="FILE_ID")
        cancel.add_argument(
            "--all", action="store_true", help="cancel every unfinished large file of the bucket"
        )
        cancel.add_argument(
            "--older-than",
            type=non_negative_float,
            metavar="HOURS",
            help="with --all: only those started more than HOURS ago",
        )

    def _unfinished(self, bucket_id: str, prefix: str | None) -> list[FileVersion]:
        client = self.client
        files: list[FileVersion] = every_entry(
            lambda start: client.list_unfinished_large_files(
                bucket_id, name_prefix=prefix, start_file_id=start, max_file_count=100
            ),
            "files",
            "nextFileId",
        )
        return files

    @staticmethod
    def _table(files: list[FileVersion]) -> str:
        if not files:
            return "No unfinished large files."
        return format_table(
            ["FILE ID", "NAME", "STARTED (UTC)"],
            [
                [entry["fileId"], entry["fileName"], format_timestamp(entry.get("uploadTimestamp"))]
                for entry in files
            ],
        )

    # ------------------------------------------------------------------ list / parts

    @subcommand("listFiles", action="list unfinished large files", bucket=True)
    def handle_list(self, options: dict[str, Any]) -> None:
        """List unfinished large files, oldest first."""
        prefix: str | None = options.get("prefix") or self.authorize().name_prefix
        _, bucket_id = self.target_id(prefix)
        files = self._unfinished(bucket_id, prefix)
        self.emit(files, lambda: self._table(files))

    def _no_such_file(self, file_id: str, exc: Exception) -> CommandError:
        return CommandError(
            f"No unfinished large file with id {file_id} ({exc}); see the ids with "
            "manage.py b2_large_files list."
        )

    @subcommand("writeFiles", action="list the parts")
    def handle_parts(self, options: dict[str, Any]) -> None:
        """List the uploaded parts of an unfinished large file."""
        file_id: str = options["file_id"]
        client = self.client
        try:
            parts: list[Part] = every_entry(
                lambda start: client.list_parts(
                    file_id, start_part_number=start, max_part_count=1000
                ),
                "parts",
                "nextPartNumber",
            )
        except (B2BadRequest, B2NotFound) as exc:
            raise self._no_such_file(file_id, exc) from exc
        total = sum(int(part.get("contentLength", 0)) for part in parts)
        self.emit(
            parts,
            lambda: (
                (
                    format_table(
                        ["PART", "SIZE", "SHA-1", "UPLOADED (UTC)"],
                        [
                            [
                                part["partNumber"],
                                part.get("contentLength"),
                                part.get("contentSha1"),
                                format_timestamp(part.get("uploadTimestamp")),
                            ]
                            for part in parts
                        ],
                        right={0, 1},
                    )
                    + f"\n{len(parts)} part(s), {total} bytes."
                )
                if parts
                else "No parts uploaded yet."
            ),
        )

    # ------------------------------------------------------------------ cancel

    @subcommand(
        "writeFiles",
        action="cancel the large file",
        all=("listFiles", "writeFiles"),
        bucket=True,
        progress=True,
        confirm=True,
    )
    def handle_cancel(self, options: dict[str, Any]) -> None:
        """Cancel an unfinished large file (FILE_ID), or all of them with --all."""
        file_id: str | None = options.get("file_id")
        everything: bool = options["all"]
        older_than: float | None = options.get("older_than")
        if file_id and everything:
            raise CommandError("Give either FILE_ID or --all, not both.")
        if not file_id and not everything:
            raise CommandError(
                "Give the FILE_ID of the large file to cancel, or --all to cancel every "
                "unfinished large file (see manage.py b2_large_files list)."
            )
        if older_than is not None and not everything:
            raise CommandError("--older-than only works with --all.")
        if file_id:
            try:
                cancelled = [self.client.cancel_large_file(file_id)]
            except (B2BadRequest, B2NotFound) as exc:
                raise self._no_such_file(file_id, exc) from exc
        else:
            cancelled = self._cancel_all(older_than)
        self.emit(cancelled, lambda: f"Cancelled {len(cancelled)} unfinished large file(s).")

    def _cancel_all(self, older_than: float | None) -> list[CancelLargeFileResponse]:
        prefix = self.authorize().name_prefix
        bucket, bucket_id = self.target_id(prefix)
        files = self._unfinished(bucket_id, prefix)
        if older_than is not None:
            cutoff = now_millis() - int(older_than * 3_600_000)
            files = [entry for entry in files if int(entry.get("uploadTimestamp", 0)) < cutoff]
        if not files:
            return []
        age = f" started more than {older_than:g} hour(s) ago" if older_than is not None else ""
        self.confirm(f"Cancel {len(files)} unfinished large file(s){age} in bucket {bucket}?")
        client = self.client
        cancelled: list[CancelLargeFileResponse] = []
        with self.progress("cancelling", len(files), unit="file") as report:
            for entry in files:
                file_id = entry["fileId"]
                # finished or cancelled meanwhile: nothing left to cancel
                with contextlib.suppress(B2BadRequest, B2NotFound):
                    if file_id:
                        cancelled.append(client.cancel_large_file(file_id))
                if report is not None:
                    report(len(cancelled), len(files))
        return cancelled
