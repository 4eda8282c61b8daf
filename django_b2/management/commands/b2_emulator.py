"""``manage.py b2_emulator``: the local B2 emulator (flags of ``python -m django_b2.emulator``)."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Sequence
from typing import Any

from django.core.management import BaseCommand, CommandError, CommandParser

EMULATOR_MAIN = "django_b2.emulator.__main__"


class _PassThroughParser(CommandParser):
    """Keeps Django's own options and hands every other argument to the emulator."""

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        parsed, rest = self.parse_known_args(args, namespace)
        parsed.emulator_args = list(rest)
        return parsed


class Command(BaseCommand):
    help = (
        "Run the local B2 emulator until Ctrl-C. Takes the flags of python -m django_b2.emulator "
        "(--host, --port, --data-dir, --key-id/--key, --min-part-size, fault rates, ...)."
    )
    requires_system_checks = []

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.__class__ = _PassThroughParser
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        emulator_help = importlib.import_module(EMULATOR_MAIN).build_parser().format_help()
        parser.epilog = "Every other argument goes to the emulator:\n\n" + emulator_help
        return parser

    def handle(self, *args: Any, **options: Any) -> None:
        argv = [*args, *options.get("emulator_args", [])]
        # The emulator is standard-library only: this runs its own entry point, nothing more.
        emulator_main: Callable[[list[str]], int] = importlib.import_module(EMULATOR_MAIN).main
        try:
            status = emulator_main(argv)
        except SystemExit as exc:  # the emulator's argparse rejected an argument
            code = exc.code if isinstance(exc.code, int) else 2
            if code == 0:
                return  # --help
            raise CommandError(
                f"The emulator did not start (bad arguments: {' '.join(argv) or 'none'}); see "
                "manage.py b2_emulator --help.",
                returncode=code,
            ) from None
        if status:
            raise CommandError(f"The emulator stopped with status {status}.", returncode=status)
