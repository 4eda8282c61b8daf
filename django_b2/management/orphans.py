"""``b2_files orphans``: report (and delete) orphaned files, or rows whose file is missing."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from typing import Any

from django.core.management import CommandError

from django_b2.management.arguments import duration, field_list
from django_b2.management.base import B2Command, Subparsers, subcommand
from django_b2.management.output import dumps_json, format_size, format_timestamp
from django_b2.orphans import (
    DEFAULT_OLDER_THAN,
    DeleteStats,
    OrderError,
    ScanStats,
    StoredFile,
    delete_orphans,
    find_missing,
    find_orphans,
)
from django_b2.references import fields_using

__all__ = ["OrphansMixin"]


def _age(seconds: float) -> str:
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


class OrphansMixin(B2Command):
    """The ``orphans`` subcommand of ``b2_files``."""

    def add_orphans_subcommand(self, subparsers: Subparsers) -> None:
        orphans = self.add_subcommand(subparsers, "orphans")
        orphans.add_argument(
            "--missing",
            action="store_true",
            help="list names that rows refer to and the bucket lacks (broken links) instead",
        )
        orphans.add_argument(
            "--delete",
            action="store_true",
            help="delete the orphans (per the storage's delete_policy), after asking",
        )
        orphans.add_argument(
            "--older-than",
            type=duration,
            default=DEFAULT_OLDER_THAN,
            metavar="AGE",
            help="only files uploaded longer ago than AGE (7d, 12h, 30m, 45s; default: 1d): "
            "younger ones may be uploads whose row is not saved yet",
        )
        orphans.add_argument(
            "--fields",
            nargs="+",
            metavar="APP.MODEL.FIELD",
            help="the fields that refer to the storage's files (default: every FileField and "
            "ImageField whose storage is this one)",
        )

    def _orphan_fields(self, options: dict[str, Any]) -> list[Any]:
        storage = self.storage
        if options.get("fields"):
            return field_list(options["fields"])
        fields = fields_using(storage)
        if not fields:
            raise CommandError(
                f"No FileField or ImageField uses storage {options['storage']!r}, so every file "
                "would count as an orphan; pass --fields app.Model.field to name the fields that "
                "refer to its files."
            )
        return fields

    def _write(self, text: str) -> None:
        self.stdout.write(text, ending="")

    @subcommand(
        "listFiles",
        action="find orphaned files",
        delete=("listFiles", "deleteFiles", "writeFiles"),
        confirm=True,
    )
    def handle_orphans(self, options: dict[str, Any]) -> None:
        """List the files under the storage's location that no FileField/ImageField row refers
        to (or, with --missing, the rows whose file is not there)."""
        if options["missing"] and options["delete"]:
            raise CommandError("--missing lists broken links and deletes nothing; drop --delete.")
        if options["delete"] and self.json_output and not options["yes"]:
            raise CommandError("--delete with --json needs --yes (the question would spoil JSON).")
        fields = self._orphan_fields(options)
        storage = self.storage
        prefix = storage.name_prefix
        self.target(prefix or None)
        stats = ScanStats()
        try:
            if options["missing"]:
                self._report_missing(find_missing(storage, fields=fields, stats=stats), stats)
            else:
                self._orphans(options, fields, stats)
        except OrderError as exc:
            raise CommandError(str(exc)) from None

    def _where(self) -> str:
        storage = self.storage
        return f"b2://{storage.bucket_name}/{storage.location}".rstrip("/")

    def _report_missing(self, names: Iterator[str], stats: ScanStats) -> None:
        if self.json_output:
            self._write('{"missing": [')
            for index, name in enumerate(names):
                self._write(("," if index else "") + "\n  " + json.dumps(name, ensure_ascii=False))
            self._write('\n], "summary": ' + dumps_json(stats.to_json()) + "}\n")
            return
        for name in names:
            self.stdout.write(name)
        self.stdout.write(
            f"{stats.missing} name(s) referenced by {', '.join(stats.fields)} are missing from "
            f"{self._where()} ({stats.references} distinct names, {stats.files} files listed)."
        )

    def _orphans(self, options: dict[str, Any], fields: list[Any], stats: ScanStats) -> None:
        storage = self.storage
        older_than: float = options["older_than"]
        found = find_orphans(storage, fields=fields, older_than=older_than, stats=stats)
        spool = None
        if options["delete"]:
            handle, spool = tempfile.mkstemp(prefix="django_b2-orphans-", suffix=".jsonl")
            os.close(handle)
        try:
            self._list_orphans(found, stats, spool, older_than)
            if spool is None or not stats.orphans:
                if not self.json_output:
                    self._orphans_summary(stats, older_than)
                return
            if not self.json_output:
                self._orphans_summary(stats, older_than)
            self.confirm(
                f"Delete {stats.orphans} orphaned file(s) ({format_size(stats.orphan_bytes)}) "
                f"from {self._where()} (delete_policy {storage.config.delete_policy!r})?"
            )
            result = delete_orphans(
                storage, _read_spool(spool), fields=fields, older_than=older_than
            )
        finally:
            if spool is not None:
                os.unlink(spool)
        self._deleted(result, stats)

    def _list_orphans(
        self, found: Iterator[StoredFile], stats: ScanStats, spool: str | None, older_than: float
    ) -> None:
        out = open(spool, "w", encoding="utf-8") if spool else None  # noqa: SIM115
        try:
            if self.json_output:
                self._write('{"orphans": [')
            for index, orphan in enumerate(found):
                if out is not None:
                    out.write(json.dumps(orphan.to_json(), ensure_ascii=False) + "\n")
                if self.json_output:
                    item = json.dumps(orphan.to_json(), ensure_ascii=False, sort_keys=True)
                    self._write(("," if index else "") + "\n  " + item)
                else:
                    self.stdout.write(
                        f"{orphan.name}  {format_size(orphan.size)}  "
                        f"{format_timestamp(orphan.uploaded)}"
                    )
            if self.json_output:
                self._write("\n], " + '"summary": ' + dumps_json(stats.to_json()))
                if spool is None:
                    self._write("}\n")
        finally:
            if out is not None:
                out.close()

    def _orphans_summary(self, stats: ScanStats, older_than: float) -> None:
        young = f"; {stats.young} younger than {_age(older_than)} left out" if stats.young else ""
        self.stdout.write(
            f"{stats.orphans} orphaned file(s), {format_size(stats.orphan_bytes)}, in "
            f"{self._where()} ({stats.files} files listed, {stats.references} names referenced "
            f"by {', '.join(stats.fields)}{young})."
        )

    def _deleted(self, result: DeleteStats, stats: ScanStats) -> None:
        if self.json_output:
            self._write(', "deleted": ' + dumps_json(result.to_json()) + "}\n")
        else:
            self.stdout.write(
                f"Deleted {result.deleted} file(s), {format_size(result.deleted_bytes)}; kept "
                f"{result.kept} (referenced again, changed or too young since the scan); "
                f"{result.gone} already gone; {len(result.failed)} failed."
            )
            for name, error in result.failed[:20]:
                self.stdout.write(f"  failed: {name}: {error}")
        if result.failed:
            raise CommandError(
                f"{len(result.failed)} orphaned file(s) could not be deleted; run the command "
                "again to retry them."
            )


def _read_spool(path: str) -> Iterator[StoredFile]:
    with open(path, encoding="utf-8") as spool:
        for line in spool:
            yield StoredFile.from_json(json.loads(line))
