"""The base class of the ``b2_*`` management commands.

A :class:`B2Command` handles each subcommand in a ``handle_<name>`` method that declares it with
:func:`subcommand` (help, what it does, the capabilities that takes, the shared options it uses)
and adds the subcommands' own arguments in :meth:`add_subcommands`. The base class adds the
shared options, finds the storage (``--storage ALIAS``), authorizes once through the storage's
client (so the cached authorization in the Django cache is reused), and turns every B2 error into
a :class:`~django.core.management.CommandError` that says what to do. :class:`OutputCommand`, its
base, holds what every ``b2_*`` command shares (``--json`` output, notes, progress bars,
confirmation); ``b2_migrate`` uses it directly.
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import InvalidStorageError, Storage, storages
from django.core.management import BaseCommand, CommandError, CommandParser

from django_b2 import conf
from django_b2.client import AccountAuthorization, B2Client, Bucket
from django_b2.client.errors import B2AuthTokenExpired, B2Error, B2NotFound, B2Unauthorized
from django_b2.management.errors import (
    explain_b2_error,
    missing_bucket_error,
    restriction_problem,
)
from django_b2.management.output import dumps_json
from django_b2.management.progress import ProgressCallback, progress_bar
from django_b2.storage import BUCKET_ID_CACHE_PREFIX, B2Storage

__all__ = ["B2Command", "OutputCommand", "Subparsers", "b2_storage", "find_storage", "subcommand"]

Subparsers: TypeAlias = "argparse._SubParsersAction[CommandParser]"

#: Django's own options, accepted after the subcommand too (``... ls --settings=x --traceback``).
_DJANGO_OPTIONS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (("--settings",), {}),
    (("--pythonpath",), {}),
    (("--traceback",), {"action": "store_true"}),
    (("--no-color",), {"action": "store_true"}),
    (("--force-color",), {"action": "store_true"}),
    (("-v", "--verbosity"), {"type": int, "choices": [0, 1, 2, 3]}),
)


def find_storage(alias: str, option: str) -> Storage:
    """The storage ``alias`` of ``settings.STORAGES``, or a CommandError naming ``option``."""
    try:
        return storages[alias]
    except InvalidStorageError:
        known = ", ".join(sorted(conf.storage_definitions())) or "none"
        raise CommandError(
            f"No storage named {alias!r} in settings.STORAGES (defined: {known}); "
            f"pass {option} with the alias of a django_b2 storage."
        ) from None
    except ImproperlyConfigured as exc:
        raise CommandError(f"Storage {alias!r} is not configured correctly: {exc}") from exc


def b2_storage(alias: str, option: str) -> B2Storage:
    """The django_b2 storage ``alias``, or a CommandError naming ``option``."""
    storage = find_storage(alias, option)
    if not isinstance(storage, B2Storage):
        kind = f"{type(storage).__module__}.{type(storage).__qualname__}"
        raise CommandError(
            f"Storage {alias!r} is a {kind}, not a django_b2.storage.B2Storage; pass "
            f"{option} with the alias of a django_b2 storage."
        )
    return storage


class OutputCommand(BaseCommand):
    """What every ``b2_*`` command shares: ``--json`` output, notes, progress bars, questions.

    ``handle`` must set :attr:`options` first.
    """

    # The commands talk to B2 only; model/database checks would just slow them down.
    requires_system_checks = []

    options: dict[str, Any]

    @property
    def json_output(self) -> bool:
        return bool(self.options.get("json"))

    def emit(self, data: Any, text: Callable[[], str]) -> None:
        """Print ``data`` as JSON with ``--json``, else the human text ``text()``."""
        self.stdout.write(dumps_json(data) if self.json_output else text())

    def note(self, message: str) -> None:
        """A human remark that must not spoil ``--json`` output: stdout normally, else stderr."""
        (self.stderr if self.json_output else self.stdout).write(message)

    @property
    def draws_progress(self) -> bool:
        """Whether progress bars are wanted: a terminal, and no ``--no-progress``."""
        return not self.options.get("no_progress") and self.stdout.isatty()

    def progress(
        self, description: str, total: int | None, unit: str = "B"
    ) -> AbstractContextManager[ProgressCallback | None]:
        return progress_bar(
            enabled=self.draws_progress,
            stream=self.stderr,
            description=description,
            total=total,
            unit=unit,
        )

    def confirm(self, question: str) -> None:
        """Ask ``question`` on stdin unless ``--yes``; anything but y/yes aborts."""
        if self.options.get("yes"):
            return
        try:
            answer = input(f"{question} [y/N] ")
        except EOFError:
            raise CommandError(
                "No answer to the confirmation question (stdin is closed); pass --yes to go "
                "ahead without asking."
            ) from None
        if answer.strip().lower() not in {"y", "yes"}:
            raise CommandError("Aborted; nothing was changed. Pass --yes to skip the question.")


@dataclass(frozen=True)
class _Subcommand:
    """A subcommand, as its handler declares it (see :func:`subcommand`)."""

    help: str
    action: str
    capabilities: tuple[str, ...]
    #: option -> the capabilities needed instead when that option is given (``--force``)
    with_option: Mapping[str, tuple[str, ...]]
    bucket: bool
    progress: bool
    confirm: bool


_Handler = TypeVar("_Handler", bound=Callable[..., None])


def subcommand(
    *capabilities: str,
    action: str,
    bucket: bool = False,
    progress: bool = False,
    confirm: bool = False,
    **with_option: tuple[str, ...],
) -> Callable[[_Handler], _Handler]:
    """Declare a ``handle_<name>`` method as the subcommand ``name``, in one place.

    Its docstring is the subcommand's help. ``action`` is what it does as a verb phrase ("list
    buckets") and ``capabilities`` what that needs; ``option=(...)`` gives the capabilities
    needed instead when that option is given (``force=...`` for ``--force``). Both explain a
    ``401 unauthorized``. ``bucket``, ``progress`` and ``confirm`` add the shared ``--bucket``,
    ``--no-progress`` and ``--yes`` options (see :meth:`B2Command.add_subcommand`).
    """

    def mark(handler: _Handler) -> _Handler:
        declared = _Subcommand(
            help=" ".join((handler.__doc__ or "").split()),
            action=action,
            capabilities=capabilities,
            with_option=with_option,
            bucket=bucket,
            progress=progress,
            confirm=confirm,
        )
        setattr(handler, "b2_subcommand", declared)  # noqa: B010
        return handler

    return mark


def _declared(handler: Callable[..., None]) -> _Subcommand | None:
    found = getattr(handler, "b2_subcommand", None)
    return found if isinstance(found, _Subcommand) else None


class B2Command(OutputCommand):
    """Shared plumbing: subcommands, options, storage and client, bucket lookup, errors."""

    _authorization: AccountAuthorization | None
    _storage: B2Storage | None
    _command_client: B2Client | None = None

    # ---------------------------------------------------------------- arguments

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(
            dest="subcommand", metavar="SUBCOMMAND", required=True, title="subcommands"
        )
        self.add_subcommands(subparsers)

    def add_subcommands(self, subparsers: Subparsers) -> None:
        raise NotImplementedError

    def add_subcommand(self, subparsers: Subparsers, name: str) -> CommandParser:
        """The subparser of ``name`` (see :func:`subcommand`): its help, ``--storage``,
        ``--json`` and the shared options its handler asks for."""
        declared = _declared(self._handler(name))
        if declared is None:
            raise TypeError(f"handle_{name.replace('-', '_')} is not marked with @subcommand")
        help_text = declared.help
        parser: CommandParser = subparsers.add_parser(name, help=help_text, description=help_text)
        parser.add_argument(
            "--storage",
            default="default",
            metavar="ALIAS",
            help='alias of a django_b2 storage in settings.STORAGES (default: "default")',
        )
        if declared.bucket:
            parser.add_argument(
                "--bucket",
                metavar="NAME",
                help="bucket to use (default: the bucket_name of the storage)",
            )
        parser.add_argument(
            "--json", action="store_true", help="print machine-readable JSON instead of a table"
        )
        if declared.progress:
            parser.add_argument(
                "--no-progress", action="store_true", help="do not draw a progress bar"
            )
        if declared.confirm:
            parser.add_argument(
                "--yes", "-y", action="store_true", help="do not ask for confirmation"
            )
        for flags, kwargs in _DJANGO_OPTIONS:
            # SUPPRESS: set only when given here, so the value before the subcommand stays.
            parser.add_argument(*flags, default=argparse.SUPPRESS, help=argparse.SUPPRESS, **kwargs)
        return parser

    # ---------------------------------------------------------------- dispatch

    def handle(self, *args: Any, **options: Any) -> None:
        self.options = options
        self._authorization = None
        self._storage = None
        self.current_bucket: str | None = None
        self.current_file: str | None = None
        subcommand: str = options["subcommand"]
        handler = self._handler(subcommand)
        self._command_client = None
        try:
            handler(options)
        except B2Error as exc:
            declared = _declared(handler)
            raise explain_b2_error(
                exc,
                action=declared.action if declared else subcommand,
                needed=self.capabilities_for(subcommand, options),
                authorization=self._authorization,
                bucket_name=self.current_bucket,
                file_name=self.current_file,
                api_url=self._api_url(),
            ) from exc
        finally:
            if self._command_client is not None:
                self._command_client.close()
                self._command_client = None

    def _api_url(self) -> str | None:
        if self._authorization is not None:
            return self._authorization.api_url
        if self._storage is not None:
            return str(self._storage.config.api_url)
        return None

    def _handler(self, subcommand: str) -> Callable[[dict[str, Any]], None]:
        handler: Callable[[dict[str, Any]], None] = getattr(
            self, "handle_" + subcommand.replace("-", "_")
        )
        return handler

    def capabilities_for(self, subcommand: str, options: dict[str, Any]) -> tuple[str, ...]:
        """What ``subcommand`` needs with ``options`` (see :func:`subcommand`)."""
        declared = _declared(self._handler(subcommand))
        if declared is None:
            return ()
        for option, needed in declared.with_option.items():
            if options.get(option):
                return needed
        return declared.capabilities

    # ---------------------------------------------------------------- storage, client, bucket

    @property
    def storage(self) -> B2Storage:
        if self._storage is None:
            self._storage = b2_storage(self.options["storage"], "--storage")
        return self._storage

    @property
    def client(self) -> B2Client:
        """The storage's client, authorized (from the shared cache when possible)."""
        self.authorize()
        return self._client()

    def _client(self) -> B2Client:
        """The command's own client (see :meth:`B2Storage.command_client`), built once."""
        if self._command_client is not None:
            return self._command_client
        try:
            self._command_client = self.storage.command_client()
            return self._command_client
        except ImproperlyConfigured as exc:
            raise CommandError(
                f"Storage {self.options['storage']!r} is not configured correctly: {exc}"
            ) from exc

    def authorize(self) -> AccountAuthorization:
        """The key's authorization; a failure here is reported as a problem with the key."""
        if self._authorization is None:
            self._authorization = self._client().authorization
        return self._authorization

    def bucket_name(self) -> str:
        """``--bucket`` or the storage's bucket."""
        name: str | None = self.options.get("bucket")
        if not name:
            name = self.storage.bucket_name
        self.current_bucket = name
        return name

    def target(self, file_name: str | None) -> str:
        """The bucket to work on (:meth:`bucket_name`), once the key may use ``file_name`` in it.

        Notes what the command works on, and refuses early what the key's restrictions forbid:
        a key restricted to a bucket or a name prefix says so when it is authorized, so a name
        outside it fails here with a clear message instead of a bare ``401`` from B2 (which
        uploads would first retry on fresh URLs).
        """
        bucket_name = self.bucket_name()
        self.current_file = file_name
        problem = restriction_problem(self.authorize(), bucket_name, file_name)
        if problem:
            raise CommandError(problem)
        return bucket_name

    def target_id(self, file_name: str | None) -> tuple[str, str]:
        """:meth:`target` and the bucket's id."""
        bucket_name = self.target(file_name)
        return bucket_name, self.bucket_id(bucket_name)

    def get_bucket(self, name: str) -> Bucket:
        """The bucket called ``name``, or a CommandError saying how to create it."""
        self.current_bucket = name
        client = self.client
        try:
            return client.get_bucket(bucket_name=name)
        except B2NotFound:
            raise missing_bucket_error(name) from None
        except B2Unauthorized as exc:
            if isinstance(exc, B2AuthTokenExpired):
                raise
            raise explain_b2_error(
                exc,
                action=f"look up bucket {name}",
                needed=("listBuckets",),
                authorization=self._authorization,
                bucket_name=name,
            ) from exc

    def bucket_id(self, name: str) -> str:
        """The id of bucket ``name``, looked up afresh.

        Not ``storage.bucket_id``: that value is cached (in the process and the shared cache),
        and a command must see a bucket that was just deleted or re-created as it is now.
        """
        authorization = self.authorize()
        if authorization.bucket_id and authorization.bucket_name == name:
            return authorization.bucket_id  # a key restricted to this bucket: no lookup needed
        return self.get_bucket(name)["bucketId"]

    def forget_cached_bucket_id(self, name: str) -> None:
        """Drop the storage's shared-cache entry for bucket ``name`` after it was created/deleted,
        so workers that share the cache look the id up again."""
        storage = self.storage
        if name != storage.bucket_name:
            return
        material = f"{self.authorize().account_id}\0{name}".encode()
        storage.cache.delete(BUCKET_ID_CACHE_PREFIX + hashlib.sha256(material).hexdigest())
