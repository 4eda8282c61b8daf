"""``manage.py b2_migrate``: copy a site's files to a django_b2 storage (see docs/migrate.md)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from django.core.management import CommandError, CommandParser

from django_b2.client import B2Error
from django_b2.management.arguments import field_list, positive_int
from django_b2.management.base import OutputCommand, b2_storage, find_storage
from django_b2.management.errors import explain_b2_error
from django_b2.management.output import format_size
from django_b2.migrate import (
    B2Source,
    DirectorySource,
    JournalError,
    MigrationSummary,
    Source,
    StorageSource,
    migrate,
)
from django_b2.migrate.sources import describe
from django_b2.references import NameSpool, iter_field_names
from django_b2.storage import B2Storage

#: Failures listed in the human output (all are in --json and in the journal).
_SHOWN_FAILURES = 20


class Command(OutputCommand):
    help = (
        "Copy files to a django_b2 storage from another storage (--from ALIAS) or a directory "
        "(--from-dir PATH): parallel, resumable (--journal), verified by SHA-1; files already "
        "there with the same size and SHA-1 are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        origin = parser.add_mutually_exclusive_group(required=True)
        origin.add_argument(
            "--from", dest="source", metavar="ALIAS", help="storage alias in settings.STORAGES"
        )
        origin.add_argument("--from-dir", metavar="PATH", help="a local directory to copy")
        parser.add_argument(
            "--to",
            default="default",
            metavar="ALIAS",
            help='alias of the django_b2 storage to copy into (default: "default")',
        )
        parser.add_argument(
            "--fields",
            nargs="+",
            metavar="APP.MODEL.FIELD",
            help="copy only the files these FileFields/ImageFields refer to",
        )
        parser.add_argument(
            "--workers", type=positive_int, default=4, metavar="N", help="files copied at once"
        )
        parser.add_argument(
            "--attempts",
            type=positive_int,
            default=3,
            metavar="N",
            help="tries per file before it is reported as failed (default: 3)",
        )
        parser.add_argument(
            "--journal",
            metavar="PATH",
            help="SQLite journal of confirmed files (default: b2_migrate-<hash>.sqlite3 in the "
            "current directory, named after the source and the destination)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would be copied; change nothing"
        )
        parser.add_argument(
            "--json", action="store_true", help="print the summary as JSON on stdout"
        )
        parser.add_argument("--no-progress", action="store_true", help="draw no progress bar")

    # ------------------------------------------------------------------ set-up

    def _source(self, options: dict[str, Any], destination: B2Storage) -> Source:
        if options["from_dir"]:
            try:
                return DirectorySource(options["from_dir"])
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        alias: str = options["source"]
        storage = find_storage(alias, "--from")
        if storage is destination:
            raise CommandError(
                f"--from {alias} and --to {options['to']} are the same storage; copy between "
                "two different storages."
            )
        if isinstance(storage, B2Storage):
            return B2Source(storage)
        return StorageSource(storage, alias)

    @staticmethod
    def _journal_path(options: dict[str, Any], source: Source, destination: B2Storage) -> str:
        if options["journal"]:
            return str(options["journal"])
        target = describe(destination)
        digest = hashlib.sha256(f"{source.description}\0{target}".encode()).hexdigest()[:12]
        return str(Path.cwd() / f"b2_migrate-{digest}.sqlite3")

    # ------------------------------------------------------------------ run

    def handle(self, *args: Any, **options: Any) -> None:
        self.options = options
        destination = b2_storage(options["to"], "--to")
        source = self._source(options, destination)
        fields = field_list(options["fields"] or [])
        journal = self._journal_path(options, source, destination)
        target = f"b2://{destination.bucket_name}/{destination.location}".rstrip("/")
        what = "Would copy" if options["dry_run"] else "Copying"
        self.note(
            f"{what} {source.description} to {target}"
            + ("" if options["dry_run"] else f"; journal: {journal}")
        )
        try:
            with ExitStack() as stack:
                names: Iterator[str] | None = None
                if fields:
                    spool = stack.enter_context(NameSpool())
                    for field in fields:
                        spool.add_all(iter_field_names(field))
                    names = (name.decode("utf-8", "surrogatepass") for name in spool.sorted())
                files_bar = stack.enter_context(self.progress("files", None, unit="file"))
                bytes_bar = stack.enter_context(self.progress("sent", None))

                def progress(summary: MigrationSummary) -> None:
                    if files_bar is not None:
                        files_bar(summary.files, None)
                    if bytes_bar is not None:
                        bytes_bar(summary.bytes_sent, None)

                summary = migrate(
                    source,
                    destination,
                    journal=journal,
                    names=names,
                    workers=options["workers"],
                    attempts=options["attempts"],
                    dry_run=options["dry_run"],
                    progress=progress if self.draws_progress else None,
                )
        except JournalError as exc:
            raise CommandError(str(exc)) from None
        except B2Error as exc:
            raise explain_b2_error(
                exc,
                action="migrate the files",
                needed=("listFiles", "readFiles", "writeFiles"),
                bucket_name=destination.bucket_name,
                api_url=str(destination.config.api_url),
            ) from exc
        self.emit(summary.to_json(), lambda: _summary_text(summary))
        if summary.failed:
            raise CommandError(
                f"{summary.failed} file(s) could not be copied (listed above, and in the "
                f"journal {journal}); fix the cause and run the same command again: confirmed "
                "files are not sent again."
            )


def _summary_text(summary: MigrationSummary) -> str:
    verb = "Would copy" if summary.dry_run else "Copied"
    server = f" ({summary.server_side} server-side)" if summary.server_side else ""
    lines = [
        f"{verb} {summary.copied} file(s){server}, {format_size(summary.bytes)}; skipped "
        f"{summary.skipped} already there; {summary.failed} failed; "
        f"{summary.missing} missing at the source; {summary.seconds:.1f} s."
    ]
    for name, error in summary.failures[:_SHOWN_FAILURES]:
        lines.append(f"  failed: {name}: {error}")
    if summary.failed > _SHOWN_FAILURES:
        lines.append(f"  ... and {summary.failed - _SHOWN_FAILURES} more (see --json)")
    for name in summary.missing_names[:_SHOWN_FAILURES]:
        lines.append(f"  missing: {name}")
    return "\n".join(lines)
