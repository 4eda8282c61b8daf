"""Prepare the demo: the private bucket with CORS rules, the database, the admin user."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import storages
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from django_b2.client.errors import B2NotFound
from django_b2.direct_upload import cors_rules


class Command(BaseCommand):
    help = "Create the demo bucket (private, CORS for the site), migrate, create the admin user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", default="b2-demo-admin")
        parser.add_argument(
            "--origin",
            action="append",
            dest="origins",
            help="Site origin allowed to upload to the bucket (repeatable; default: DEMO_ORIGINS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        origins = options["origins"] or settings.DEMO_ORIGINS
        self.ensure_bucket(origins)
        call_command("migrate", interactive=False, verbosity=0)
        self.ensure_admin(options["username"], options["password"])

    def ensure_bucket(self, origins: list[str]) -> None:
        storage: Any = storages["default"]
        client = storage.client
        name = storage.bucket_name
        rules = cors_rules(origins)
        try:
            bucket = client.get_bucket(bucket_name=name)
        except B2NotFound:
            client.create_bucket(name, "allPrivate", cors_rules=rules)
            self.stdout.write(f"Created private bucket {name} (CORS: {', '.join(origins)}).")
            return
        if bucket.get("corsRules") != rules or bucket.get("bucketType") != "allPrivate":
            client.update_bucket(bucket["bucketId"], bucket_type="allPrivate", cors_rules=rules)
            self.stdout.write(f"Updated bucket {name} (private, CORS: {', '.join(origins)}).")

    def ensure_admin(self, username: str, password: str) -> None:
        users = get_user_model()
        if users.objects.filter(username=username).exists():
            return
        users.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(f"Created superuser {username}.")
