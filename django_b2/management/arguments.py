"""Argument helpers for the management commands.

The ``argparse`` types raise :class:`argparse.ArgumentTypeError`, which Django's parser turns into
a :class:`~django.core.management.CommandError` (``call_command``) or a usage error with exit
status 2 (the shell). Everything here runs before any network call.
"""

from __future__ import annotations

import argparse
import difflib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.management import CommandError
from django.db.models import FileField

from django_b2.client import KEY_CAPABILITIES
from django_b2.client._limits import MAX_KEY_DURATION_SECONDS
from django_b2.references import parse_field

__all__ = [
    "MAX_KEY_DURATION",
    "capability_list",
    "duration",
    "field_list",
    "info_dict",
    "key_value",
    "non_negative_float",
    "positive_int",
    "read_rules_file",
]

#: ``validDurationInSeconds`` of ``b2_create_key`` must stay below 1000 days.
MAX_KEY_DURATION = MAX_KEY_DURATION_SECONDS


def key_value(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` -> ``(KEY, VALUE)``; the value may be empty or contain ``=``."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


def info_dict(pairs: Sequence[tuple[str, str]] | None) -> dict[str, str] | None:
    """Collect ``--info K=V`` pairs; ``None`` when the option was not given. Rejects repeats."""
    if pairs is None:
        return None
    result: dict[str, str] = {}
    for key, value in pairs:
        if key in result:
            raise CommandError(f"--info {key} is given twice; pass each key once.")
        result[key] = value
    return result


def field_list(labels: Sequence[str]) -> list[FileField]:
    """``--fields app.Model.field ...`` -> the model fields (checked against the app registry)."""
    try:
        return [parse_field(label) for label in labels]
    except ValueError as exc:
        raise CommandError(f"--fields: {exc}") from None


def capability_list(text: str) -> list[str]:
    """``a,b,c`` -> a list of B2 capabilities, each checked against the known names."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError(
            "no capabilities given; pass a comma-separated list such as listFiles,readFiles"
        )
    known = list(KEY_CAPABILITIES)
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise argparse.ArgumentTypeError(
                f"unknown capability {name!r}; {hint}known capabilities: {', '.join(known)}"
            )
    return list(dict.fromkeys(names))


def positive_int(text: str) -> int:
    """An integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def non_negative_float(text: str) -> float:
    """A number >= 0 (``1.5`` allowed)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number of at least 0, got {text}")
    return value


def read_rules_file(path: str, field: str, option: str) -> list[dict[str, Any]]:
    """Load a JSON list of CORS or lifecycle rules.

    The file holds either the list itself or an object with the list under ``field``
    (``corsRules`` / ``lifecycleRules``), so the output of ``b2_buckets get NAME --json`` can be
    edited and passed back.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"Cannot read {option} {path}: {exc.strerror or exc}.") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CommandError(f"{option} {path} is not valid JSON: {exc}.") from exc
    if isinstance(data, dict) and field in data:
        data = data[field]
    if not isinstance(data, list) or not all(isinstance(rule, dict) for rule in data):
        raise CommandError(
            f"{option} {path} must hold a JSON list of rule objects "
            f'(or an object with a "{field}" list); see README.md, "Management commands".'
        )
    return data


_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def duration(text: str) -> float:
    """``7d``, ``12h``, ``30m``, ``45s``, ``2w`` or a plain number of seconds -> seconds."""
    value = text.strip().lower()
    unit = _DURATION_UNITS.get(value[-1:]) if value else None
    number = value[:-1] if unit is not None else value
    try:
        amount = float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a duration such as 7d, 12h, 30m or 45s, got {text!r}"
        ) from None
    if not amount >= 0 or amount == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a duration of at least 0, got {text!r}")
    return amount * (unit or 1)
