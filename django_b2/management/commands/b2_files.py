"""``manage.py b2_files``: list, upload, download, delete, hide, inspect and share B2 files.

File names are B2 names in the bucket, used as given (the storage's ``location`` is not added),
except for ``orphans``, which works on the storage's files under its ``location`` and the model
fields that use the storage (see docs/migrate.md).
"""

from __future__ import annotations

import os
import tempfile
import time
from itertools import islice
from pathlib import Path
from typing import Any

from django.core.management import CommandError

from django_b2._pages import versions_of
from django_b2.client import FileVersion, download_url_by_name
from django_b2.client._limits import MAX_DOWNLOAD_AUTH_SECONDS
from django_b2.client.errors import B2BadRequest, B2NotFound
from django_b2.management.arguments import info_dict, key_value, positive_int
from django_b2.management.base import B2Command, Subparsers, subcommand
from django_b2.management.orphans import OrphansMixin
from django_b2.management.output import (
    format_fields,
    format_size,
    format_table,
    format_timestamp,
)

#: B2's longest download authorization (7 days).
MAX_URL_SECONDS = MAX_DOWNLOAD_AUTH_SECONDS


class Command(OrphansMixin, B2Command):
    help = (
        "Work with the files of a bucket (default: the storage's bucket): ls, upload, download, "
        "rm, hide, info, url, orphans."
    )

    def add_subcommands(self, subparsers: Subparsers) -> None:
        ls = self.add_subcommand(subparsers, "ls")
        ls.add_argument("prefix", nargs="?", default="", metavar="PREFIX")
        ls.add_argument("--versions", action="store_true", help="show every version")
        ls.add_argument(
            "--recursive", action="store_true", help="list every name instead of folders"
        )

        upload = self.add_subcommand(subparsers, "upload")
        upload.add_argument("path", metavar="PATH", help="local file to upload")
        upload.add_argument("name", metavar="NAME", help="B2 file name")
        upload.add_argument(
            "--content-type",
            default="b2/x-auto",
            metavar="TYPE",
            help="MIME type (default: B2 guesses from the name)",
        )
        upload.add_argument(
            "--info",
            type=key_value,
            action="append",
            metavar="KEY=VALUE",
            help="file info entry; repeat for several",
        )

        download = self.add_subcommand(subparsers, "download")
        download.add_argument("name", metavar="NAME")
        download.add_argument("path", metavar="PATH")
        download.add_argument(
            "--overwrite", action="store_true", help="replace PATH if it already exists"
        )

        rm = self.add_subcommand(subparsers, "rm")
        rm.add_argument("name", metavar="NAME")
        rm.add_argument("--all-versions", action="store_true", help="delete every version of NAME")

        hide = self.add_subcommand(subparsers, "hide")
        hide.add_argument("name", metavar="NAME")

        info = self.add_subcommand(subparsers, "info")
        info.add_argument("name", metavar="NAME")

        url = self.add_subcommand(subparsers, "url")
        url.add_argument("name", metavar="NAME")
        url.add_argument(
            "--expires",
            type=positive_int,
            metavar="S",
            help="seconds the URL of a private file stays valid (default: the storage's "
            "url_expire; at most 604800)",
        )

        self.add_orphans_subcommand(subparsers)

    def _not_found(self, name: str, bucket: str) -> CommandError:
        return CommandError(
            f"No file named {name} in bucket {bucket}; list the files with "
            f"manage.py b2_files ls --bucket {bucket}"
        )

    # ------------------------------------------------------------------ ls

    @subcommand("listFiles", action="list files", bucket=True)
    def handle_ls(self, options: dict[str, Any]) -> None:
        """List file names under PREFIX, one folder level unless --recursive."""
        # A key limited to a name prefix may only list inside it: start there by default.
        prefix: str = options["prefix"] or self.authorize().name_prefix or ""
        _, bucket_id = self.target_id(prefix)
        delimiter = None if options["recursive"] else "/"
        client = self.client
        if options["versions"]:
            files = list(client.iter_file_versions(bucket_id, prefix=prefix, delimiter=delimiter))
        else:
            files = list(client.iter_file_names(bucket_id, prefix=prefix, delimiter=delimiter))
        self.emit(files, lambda: self._files_table(files, versions=options["versions"]))

    @staticmethod
    def _files_table(files: list[FileVersion], *, versions: bool) -> str:
        if not files:
            return "No files."
        rows: list[list[object]] = []
        for entry in files:
            folder = entry.get("action") == "folder"
            size = None if folder else entry.get("contentLength")
            row: list[object] = [entry["fileName"]]
            if versions:
                row.append(entry.get("action"))
            row += [size, format_timestamp(entry.get("uploadTimestamp"))]
            if versions:
                row.append(entry.get("fileId"))
            rows.append(row)
        headers = ["NAME", "SIZE", "UPLOADED (UTC)"]
        right = {1}
        if versions:
            headers = ["NAME", "ACTION", "SIZE", "UPLOADED (UTC)", "FILE ID"]
            right = {2}
        return format_table(headers, rows, right=right)

    # ------------------------------------------------------------------ upload / download

    @subcommand("writeFiles", action="upload the file", bucket=True, progress=True)
    def handle_upload(self, options: dict[str, Any]) -> None:
        """Upload a local file as NAME."""
        path = Path(options["path"])
        name: str = options["name"]
        if not path.is_file():
            raise CommandError(f"No file at {path}; give the path of a local file to upload.")
        file_info = info_dict(options.get("info"))
        bucket, bucket_id = self.target_id(name)
        size = path.stat().st_size
        # Resuming a large upload lists unfinished large files (listFiles); an upload-only key
        # without that capability can still upload, just without resume.
        resume = "listFiles" in self.authorize().capabilities
        with self.progress(name, size) as report:
            version = self.client.upload(
                bucket_id,
                name,
                path,
                content_type=options["content_type"],
                file_info=file_info,
                **self.storage.config.upload_tuning,
                resume=resume,
                progress=report,
            )
        self.emit(
            version,
            lambda: (
                f"Uploaded {path} to b2://{bucket}/{name} ({format_size(size)}), "
                f"file id {version.get('fileId')}."
            ),
        )

    @subcommand("readFiles", action="download the file", bucket=True, progress=True)
    def handle_download(self, options: dict[str, Any]) -> None:
        """Download NAME to PATH (a file, or a directory to keep the base name)."""
        name: str = options["name"]
        target = Path(options["path"])
        if target.is_dir():
            target = target / Path(name).name
        if target.exists() and not options["overwrite"]:
            raise CommandError(f"{target} already exists; pass --overwrite to replace it.")
        if not target.parent.is_dir():
            raise CommandError(f"Directory {target.parent} does not exist; create it first.")
        bucket = self.target(name)
        client = self.client
        # Write next to the target and rename at the end: a failed download leaves no half file.
        handle, partial = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as out, self.progress(name, None) as report:
                info = client.download(
                    bucket_name=bucket, file_name=name, destination=out, progress=report
                )
            os.replace(partial, target)
        except B2NotFound:
            raise self._not_found(name, bucket) from None
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        size = target.stat().st_size
        result = {**info, "path": str(target)}
        self.emit(
            result,
            lambda: f"Downloaded b2://{bucket}/{name} to {target} ({format_size(size)}).",
        )

    # ------------------------------------------------------------------ rm / hide

    @subcommand("listFiles", "deleteFiles", action="delete the file", bucket=True)
    def handle_rm(self, options: dict[str, Any]) -> None:
        """Delete the newest version of NAME (the previous one becomes current)."""
        name: str = options["name"]
        bucket, bucket_id = self.target_id(name)
        client = self.client
        wanted = None if options["all_versions"] else 1  # the newest comes first
        versions = list(islice(versions_of(client, bucket_id, name), wanted))
        if not versions:
            raise self._not_found(name, bucket)
        deleted = []
        for version in versions:
            file_id = version["fileId"]
            if not file_id:
                continue
            try:
                deleted.append(client.delete_file_version(name, file_id))
            except B2NotFound:
                continue  # deleted meanwhile by someone else
        self.emit(
            deleted,
            lambda: f"Deleted {len(deleted)} version(s) of {name} from bucket {bucket}.",
        )

    @subcommand("writeFiles", action="hide the file", bucket=True)
    def handle_hide(self, options: dict[str, Any]) -> None:
        """Hide NAME: it disappears from listings and downloads; versions are kept."""
        name: str = options["name"]
        bucket, bucket_id = self.target_id(name)
        try:
            marker = self.client.hide_file(bucket_id, name)
        except B2NotFound:
            raise self._not_found(name, bucket) from None
        except B2BadRequest as exc:
            if exc.code == "already_hidden":
                raise CommandError(
                    f"{name} is already hidden; delete the hide marker with manage.py b2_files "
                    f"rm {name} to show it again."
                ) from exc
            raise
        self.emit(marker, lambda: f"Hid {name} in bucket {bucket}.")

    # ------------------------------------------------------------------ info / url

    @subcommand("readFiles", action="read the file's information", bucket=True)
    def handle_info(self, options: dict[str, Any]) -> None:
        """Show NAME's information."""
        name: str = options["name"]
        bucket = self.target(name)
        try:
            info = self.client.get_file_info_by_name(bucket, name)
        except B2NotFound:
            raise self._not_found(name, bucket) from None
        self.emit(
            info,
            lambda: format_fields(
                [
                    ("name", info.get("fileName")),
                    ("file id", info.get("fileId")),
                    ("size", f"{info.get('contentLength')} bytes"),
                    ("content type", info.get("contentType")),
                    ("SHA-1", info.get("contentSha1")),
                    ("uploaded (UTC)", format_timestamp(info.get("uploadTimestamp"))),
                    ("info", info.get("fileInfo") or {}),
                ]
            ),
        )

    @subcommand("shareFiles", action="make a download URL", bucket=True)
    def handle_url(self, options: dict[str, Any]) -> None:
        """Print a download URL for NAME; signed for a private bucket."""
        name: str = options["name"]
        expires: int | None = options.get("expires")
        if expires is not None and expires > MAX_URL_SECONDS:
            raise CommandError(
                f"--expires must be at most {MAX_URL_SECONDS} seconds (7 days); got {expires}."
            )
        bucket_name = self.target(name)
        authorization = self.authorize()
        if authorization.bucket_id and "listBuckets" not in authorization.capabilities:
            # A key for this one bucket that may not read its type: a signed URL works for
            # public and private buckets alike.
            public, bucket_id = False, authorization.bucket_id
        else:
            bucket = self.get_bucket(bucket_name)
            public, bucket_id = bucket.get("bucketType") == "allPublic", bucket["bucketId"]
        client = self.client
        if public:
            url = download_url_by_name(authorization.download_url, bucket_name, name)
            result: dict[str, Any] = {"url": url, "expires_in": None, "expires_at": None}
        else:
            seconds = expires if expires is not None else int(self.storage.config.url_expire)
            url = client.signed_download_url(
                bucket_name, name, bucket_id=bucket_id, valid_duration_in_seconds=seconds
            )
            expires_at = int((time.time() + seconds) * 1000)
            result = {"url": url, "expires_in": seconds, "expires_at": expires_at}
        self.emit(result, lambda: url)
