"""``manage.py b2_keys``: list, create and delete B2 application keys."""

from __future__ import annotations

from typing import Any

from django.core.management import CommandError

from django_b2._pages import every_entry
from django_b2.client import RESTRICTED_KEY_FORBIDDEN_CAPABILITIES, ApplicationKey
from django_b2.client.errors import B2BadRequest, B2NotFound
from django_b2.management.arguments import (
    MAX_KEY_DURATION,
    capability_list,
    positive_int,
)
from django_b2.management.base import B2Command, Subparsers, subcommand
from django_b2.management.output import format_fields, format_table, format_timestamp

SECRET_WARNING = (
    "Warning: this is the only time B2 shows the application key. Store it now; it cannot be "
    "shown again (create a new key if it is lost)."
)


class Command(B2Command):
    help = "Manage B2 application keys with the storage's credentials: list, create, delete."

    def add_subcommands(self, subparsers: Subparsers) -> None:
        self.add_subcommand(subparsers, "list")

        create = self.add_subcommand(subparsers, "create")
        create.add_argument("name", metavar="NAME", help="key name: letters, digits and -")
        create.add_argument(
            "--capabilities",
            type=capability_list,
            required=True,
            metavar="A,B,...",
            help="comma-separated capabilities, e.g. listFiles,readFiles,writeFiles",
        )
        create.add_argument("--bucket", metavar="NAME", help="restrict the key to this bucket")
        create.add_argument(
            "--name-prefix",
            "--prefix",
            dest="prefix",
            metavar="P",
            help="restrict the key to file names starting with P (needs --bucket)",
        )
        create.add_argument(
            "--duration",
            type=positive_int,
            metavar="SECONDS",
            help="the key expires after this many seconds (default: never)",
        )

        delete = self.add_subcommand(subparsers, "delete")
        delete.add_argument("key_id", metavar="KEY_ID")

    # ------------------------------------------------------------------ list

    @subcommand("listKeys", action="list application keys")
    def handle_list(self, options: dict[str, Any]) -> None:
        """List the application keys of the account."""
        client = self.client
        keys: list[ApplicationKey] = every_entry(
            lambda start: client.list_keys(max_key_count=1000, start_application_key_id=start),
            "keys",
            "nextApplicationKeyId",
        )
        self.emit(keys, lambda: self._keys_table(keys))

    def _keys_table(self, keys: list[ApplicationKey]) -> str:
        if not keys:
            return "No application keys."
        names = self._bucket_names({key.get("bucketId") or "" for key in keys} - {""})
        return format_table(
            ["KEY ID", "NAME", "BUCKET", "PREFIX", "EXPIRES (UTC)", "CAPABILITIES"],
            [
                [
                    key["applicationKeyId"],
                    key.get("keyName"),
                    names.get(key.get("bucketId") or "", key.get("bucketId")),
                    key.get("namePrefix"),
                    format_timestamp(key.get("expirationTimestamp")),
                    key.get("capabilities", []),
                ]
                for key in keys
            ],
        )

    def _bucket_names(self, bucket_ids: set[str]) -> dict[str, str]:
        """Bucket id -> name for the table; ids are shown as they are if names can't be listed."""
        if not bucket_ids or "listBuckets" not in self.authorize().capabilities:
            return {}
        buckets = self.client.list_buckets().get("buckets", [])
        return {bucket["bucketId"]: bucket["bucketName"] for bucket in buckets}

    # ------------------------------------------------------------------ create

    @subcommand("writeKeys", action="create an application key")
    def handle_create(self, options: dict[str, Any]) -> None:
        """Create an application key and print its secret once."""
        name: str = options["name"]
        capabilities: list[str] = options["capabilities"]
        bucket_name: str | None = options.get("bucket")
        prefix: str | None = options.get("prefix")
        duration: int | None = options.get("duration")
        if prefix is not None and not bucket_name:
            raise CommandError(
                "--name-prefix needs --bucket: name the bucket the prefix applies to."
            )
        if duration is not None and duration >= MAX_KEY_DURATION:
            raise CommandError(
                f"--duration must be below {MAX_KEY_DURATION} seconds (1000 days); got {duration}."
            )
        if bucket_name:
            not_allowed = sorted(RESTRICTED_KEY_FORBIDDEN_CAPABILITIES.intersection(capabilities))
            if not_allowed:
                raise CommandError(
                    f"A key restricted to one bucket cannot have {', '.join(not_allowed)}; drop "
                    "them from --capabilities or leave out --bucket."
                )
        bucket_id = self.get_bucket(bucket_name)["bucketId"] if bucket_name else None
        try:
            key = self.client.create_key(
                name,
                capabilities,
                valid_duration_in_seconds=duration,
                bucket_id=bucket_id,
                name_prefix=prefix,
            )
        except B2BadRequest as exc:
            raise CommandError(
                f"B2 rejected the key ({exc.message or exc.code}); key names are at most 100 "
                "letters, digits and -."
            ) from exc
        self.stderr.write(SECRET_WARNING)
        self.emit(
            key,
            lambda: format_fields(
                [
                    ("key id", key["applicationKeyId"]),
                    ("application key", key["applicationKey"]),
                    ("name", key.get("keyName")),
                    ("capabilities", key.get("capabilities", [])),
                    ("bucket", bucket_name),
                    ("prefix", key.get("namePrefix")),
                    ("expires (UTC)", format_timestamp(key.get("expirationTimestamp"))),
                ]
            ),
        )

    # ------------------------------------------------------------------ delete

    @subcommand("deleteKeys", action="delete the application key")
    def handle_delete(self, options: dict[str, Any]) -> None:
        """Delete an application key."""
        key_id: str = options["key_id"]
        try:
            key = self.client.delete_key(key_id)
        except (B2BadRequest, B2NotFound) as exc:
            raise CommandError(
                f"No application key with id {key_id} ({exc.message or exc.code}); see the ids "
                "with manage.py b2_keys list."
            ) from exc
        self.emit(key, lambda: f"Deleted application key {key_id} ({key.get('keyName')}).")
