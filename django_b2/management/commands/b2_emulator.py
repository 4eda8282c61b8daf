"""``manage.py b2_emulator``: the local B2 emulator (flags of ``python -m django_b2.emulator``)."""

from __future__ import annotations

import argparse
import importlib
from typing import Any

from django.core.management import BaseCommand, CommandError, CommandParser


class _PassThroughParser(CommandParser):
    """Keeps Django's own options and hands every other argument to the emulator."""

    def parse_args(  # type: ignore[override]
        self, args: list[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        parsed, rest = self.parse_known_args(args, namespace)
        parsed.emulator_args = list(rest)
        return parsed


class Command(BaseCommand):
    help = (
        "Run the local B2 emulator until Ctrl-C. Takes the flags of python -m django_b2.emulator "
        "(--host, --port, --data-dir, --key-id/--key, --min-part-size, --seed, fault rates...); "
        "see python -m django_b2.emulator --help."
    )
    requires_system_checks = []

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.__class__ = _PassThroughParser
        parser.epilog = "Every other flag is passed to python -m django_b2.emulator."
        return parser

    def handle(self, *args: Any, **options: Any) -> None:
        argv = [*args, *options.get("emulator_args", [])]
        # The emulator is standard-library only; nothing of the client or Django goes into it.
        emulator_main = importlib.import_module("django_b2.emulator.__main__").main
        status = emulator_main(argv)
        if status:
            raise CommandError(f"The emulator stopped with status {status}.", returncode=status)
