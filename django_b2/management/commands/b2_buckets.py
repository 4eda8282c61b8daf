"""``manage.py b2_buckets``: list, show, create, update and delete B2 buckets."""

from __future__ import annotations

import concurrent.futures
import json
from typing import Any

from django.core.management import CommandError, CommandParser

from django_b2.client import Bucket, FileVersion
from django_b2.client.errors import B2BadRequest, B2Conflict, B2NotFound
from django_b2.management.arguments import info_dict, key_value, positive_int, read_rules_file
from django_b2.management.base import B2Command, Subparsers, subcommand
from django_b2.management.output import format_fields, format_table

BUCKET_TYPES = ("allPrivate", "allPublic")
DELETE_WORKERS = 8


def _rules(rules: object) -> str | None:
    """Rules on one line (compact JSON), ``None`` when there are none."""
    return json.dumps(rules, sort_keys=True) if rules else None


def _bucket_fields(bucket: Bucket) -> str:
    lock = (bucket.get("fileLockConfiguration") or {}).get("value") or {}
    return format_fields(
        [
            ("name", bucket.get("bucketName")),
            ("id", bucket.get("bucketId")),
            ("type", bucket.get("bucketType")),
            ("revision", bucket.get("revision")),
            ("info", bucket.get("bucketInfo") or {}),
            ("file lock", bool(lock.get("isFileLockEnabled", False))),
            ("CORS rules", _rules(bucket.get("corsRules"))),
            ("lifecycle rules", _rules(bucket.get("lifecycleRules"))),
        ]
    )


class Command(B2Command):
    help = "Manage B2 buckets with the storage's credentials: list, get, create, update, delete."

    def add_subcommands(self, subparsers: Subparsers) -> None:
        self.add_subcommand(subparsers, "list")
        get = self.add_subcommand(subparsers, "get")
        get.add_argument("name", metavar="NAME")

        create = self.add_subcommand(subparsers, "create")
        create.add_argument("name", metavar="NAME")
        self._add_settings_options(create, default_type="allPrivate")

        update = self.add_subcommand(subparsers, "update")
        update.add_argument("name", metavar="NAME")
        self._add_settings_options(update, default_type=None)
        update.add_argument(
            "--if-revision",
            type=positive_int,
            metavar="N",
            help="only update if the bucket's revision is still N (see b2_buckets get)",
        )

        delete = self.add_subcommand(subparsers, "delete")
        delete.add_argument("name", metavar="NAME")
        delete.add_argument(
            "--force",
            action="store_true",
            help="first delete every file version and cancel every unfinished large file",
        )

    @staticmethod
    def _add_settings_options(parser: CommandParser, *, default_type: str | None) -> None:
        parser.add_argument(
            "--type",
            choices=BUCKET_TYPES,
            default=default_type,
            dest="bucket_type",
            help="who may download: allPrivate (needs a token) or allPublic"
            + (" (default: allPrivate)" if default_type else ""),
        )
        parser.add_argument(
            "--info",
            type=key_value,
            action="append",
            metavar="KEY=VALUE",
            help="bucket info entry; repeat for several (e.g. Cache-Control=max-age=3600)",
        )
        parser.add_argument(
            "--cors-file", metavar="FILE", help="JSON file with a list of CORS rules"
        )
        parser.add_argument(
            "--lifecycle-file", metavar="FILE", help="JSON file with a list of lifecycle rules"
        )

    @staticmethod
    def _settings(options: dict[str, Any]) -> dict[str, Any]:
        """The bucket settings named on the command line, read before any network call."""
        settings: dict[str, Any] = {}
        info = info_dict(options.get("info"))
        if info is not None:
            settings["bucket_info"] = info
        if options.get("cors_file"):
            settings["cors_rules"] = read_rules_file(
                options["cors_file"], "corsRules", "--cors-file"
            )
        if options.get("lifecycle_file"):
            settings["lifecycle_rules"] = read_rules_file(
                options["lifecycle_file"], "lifecycleRules", "--lifecycle-file"
            )
        return settings

    # ------------------------------------------------------------------ list / get

    @subcommand("listBuckets", action="list buckets")
    def handle_list(self, options: dict[str, Any]) -> None:
        """List the buckets of the account."""
        client = self.client
        restricted_to = self.authorize().bucket_id
        if restricted_to:
            # A key restricted to one bucket must name it, or B2 refuses the listing.
            response = client.list_buckets(bucket_id=restricted_to)
        else:
            response = client.list_buckets()
        buckets: list[Bucket] = response.get("buckets", [])
        self.emit(
            buckets,
            lambda: (
                format_table(
                    ["NAME", "TYPE", "ID", "REVISION"],
                    [
                        [b["bucketName"], b["bucketType"], b["bucketId"], b.get("revision")]
                        for b in buckets
                    ],
                    right={3},
                )
                if buckets
                else "No buckets."
            ),
        )

    @subcommand("listBuckets", action="read the bucket")
    def handle_get(self, options: dict[str, Any]) -> None:
        """Show one bucket."""
        bucket = self.get_bucket(options["name"])
        self.emit(bucket, lambda: _bucket_fields(bucket))

    # ------------------------------------------------------------------ create / update

    @subcommand("writeBuckets", action="create the bucket")
    def handle_create(self, options: dict[str, Any]) -> None:
        """Create a bucket."""
        name: str = options["name"]
        settings = self._settings(options)
        self.current_bucket = name
        try:
            bucket = self.client.create_bucket(name, options["bucket_type"], **settings)
        except B2BadRequest as exc:
            if exc.code == "duplicate_bucket_name":
                raise CommandError(
                    f"A bucket named {name} already exists (bucket names are shared by all B2 "
                    "accounts); choose another name."
                ) from exc
            if exc.code == "too_many_buckets":
                raise CommandError(
                    "The account already has the most buckets B2 allows (100); delete one with "
                    "manage.py b2_buckets delete NAME first."
                ) from exc
            raise
        self.forget_cached_bucket_id(name)
        self.emit(
            bucket,
            lambda: (
                f"Created bucket {bucket['bucketName']} ({bucket['bucketType']}), "
                f"id {bucket['bucketId']}."
            ),
        )

    @subcommand("listBuckets", "writeBuckets", action="update the bucket")
    def handle_update(self, options: dict[str, Any]) -> None:
        """Change a bucket. Each option given replaces that whole setting (--info replaces all
        bucket info)."""
        name: str = options["name"]
        settings = self._settings(options)
        if options.get("bucket_type"):
            settings["bucket_type"] = options["bucket_type"]
        if not settings:
            raise CommandError(
                "Nothing to update; pass --type, --info, --cors-file or --lifecycle-file."
            )
        bucket_id = self.get_bucket(name)["bucketId"]
        revision = options.get("if_revision")
        try:
            bucket = self.client.update_bucket(bucket_id, if_revision_is=revision, **settings)
        except B2Conflict as exc:
            current = self.get_bucket(name).get("revision")
            raise CommandError(
                f"Bucket {name} is at revision {current}, not {revision}: someone changed it "
                f"meanwhile. Check it with manage.py b2_buckets get {name}, then retry with "
                f"--if-revision {current}."
            ) from exc
        self.emit(
            bucket,
            lambda: (
                f"Updated bucket {bucket['bucketName']}; now at revision {bucket.get('revision')}."
            ),
        )

    # ------------------------------------------------------------------ delete

    @subcommand(
        "listBuckets",
        "deleteBuckets",
        action="delete the bucket",
        # --force also lists, deletes and cancels every file version first
        force=("listBuckets", "listFiles", "deleteFiles", "writeFiles", "deleteBuckets"),
        progress=True,
        confirm=True,
    )
    def handle_delete(self, options: dict[str, Any]) -> None:
        """Delete a bucket. It must be empty unless --force is given."""
        name: str = options["name"]
        bucket_id = self.get_bucket(name)["bucketId"]
        removed = 0
        if options["force"]:
            versions = self._all_versions(bucket_id)
            if versions:
                self.confirm(
                    f"Delete bucket {name} and all {len(versions)} file version(s) and "
                    "unfinished large file(s) in it? This cannot be undone."
                )
            else:
                self.confirm(f"Delete bucket {name}?")
            removed = self._delete_versions(versions)
        try:
            bucket = self.client.delete_bucket(bucket_id)
        except B2BadRequest as exc:
            if exc.code != "cannot_delete_non_empty_bucket":
                raise
            if options["force"]:
                raise CommandError(
                    f"Bucket {name} got new files while it was being emptied; run the command "
                    "again."
                ) from exc
            raise CommandError(
                f"Bucket {name} is not empty; use --force to delete every file version and "
                f"unfinished large file first (manage.py b2_buckets delete {name} --force)."
            ) from exc
        self.forget_cached_bucket_id(name)
        result = {"bucket": bucket, "deleted_file_versions": removed}
        self.emit(
            result,
            lambda: (
                f"Deleted bucket {name}"
                + (f" and {removed} file version(s)." if options["force"] else ".")
            ),
        )

    def _all_versions(self, bucket_id: str) -> list[FileVersion]:
        return [
            version
            for version in self.client.iter_file_versions(bucket_id)
            if version.get("fileId")
        ]

    def _delete_versions(self, versions: list[FileVersion]) -> int:
        client = self.client

        def delete(version: FileVersion) -> None:
            file_id = version["fileId"]
            if not file_id:
                return  # a folder entry; listings without a delimiter have none
            try:
                if version.get("action") == "start":
                    client.cancel_large_file(file_id)
                else:
                    client.delete_file_version(version["fileName"], file_id)
            except B2NotFound:
                pass  # already gone: someone else deleted it, which is what we want

        done = 0
        with (
            self.progress("deleting", len(versions), unit="file") as report,
            concurrent.futures.ThreadPoolExecutor(DELETE_WORKERS) as pool,
        ):
            for future in concurrent.futures.as_completed(
                [pool.submit(delete, version) for version in versions]
            ):
                future.result()
                done += 1
                if report is not None:
                    report(done, len(versions))
        return done
