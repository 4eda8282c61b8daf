"""``B2Storage``: a Django storage on Backblaze B2's native API.

Nothing here talks to B2 at import, at construction, during ``migrate`` or ``check``: the
:class:`~django_b2.client.B2Client` is built on first use and the bucket id is looked up once.

Error mapping: ``B2NotFound`` becomes :class:`FileNotFoundError` (``False`` in :meth:`exists`,
success in :meth:`delete`); every other B2 failure propagates as a ``B2Error``.

Delete policy (``delete_policy`` option):

* ``"delete_all"`` (default) deletes every version of the name, hide markers included, so the
  bytes are gone and no storage is billed afterwards;
* ``"delete_newest"`` deletes only the newest version, so an older one (if any) becomes current;
* ``"hide"`` adds a hide marker: the name disappears but every version stays (for buckets with
  lifecycle rules or Object Lock, or when deletes must be undoable).

A missing file is never an error for :meth:`delete`.

A bucket that does not exist (a misspelt ``bucket_name``) raises the same
:class:`~django_b2.conf.B2ConfigurationError` from every call, reads included: B2 answers 404 for
a missing bucket as for a missing file, so a 404 is checked against the bucket once.

``exists()``, ``size()``, ``get_modified_time()`` and ``get_created_time()`` of one name share one
HEAD request (see :mod:`django_b2.head_memo`): its answer is remembered for at most a second and
forgotten as soon as this storage writes or deletes the name.

Saving without ``file_overwrite`` (the default) is safe against concurrent saves of one name: see
:meth:`B2Storage.save` and ``docs/storage-behaviour.md``.

The class is put together from the parts in :mod:`django_b2._storage` (the client and bucket,
names, reads, uploads, saves, deletes: one module each); this module adds its construction,
pickling and ``repr``.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import threading
from typing import Any, Final

from django.utils.deconstruct import deconstructible

from django_b2 import conf

from ._storage.bucket import BUCKET_ID_CACHE_PREFIX
from ._storage.bucket import WEB_TIMEOUT as WEB_TIMEOUT
from ._storage.deletes import Deletes
from ._storage.reads import LISTING_PAGE_SIZE, datetime_from_millis
from ._storage.saves import Saves
from .head_memo import HeadMemo

__all__ = [
    "BUCKET_ID_CACHE_PREFIX",
    "LISTING_PAGE_SIZE",
    "B2Storage",
    "datetime_from_millis",
]

_SECRET_OPTIONS: Final = ("application_key",)


@deconstructible(path="django_b2.storage.B2Storage")
class B2Storage(Saves, Deletes):
    """Files on a B2 bucket.

    Options: see :mod:`django_b2.conf` and the README section "The Django storage".
    """

    #: Static storages resolve ``B2_STATIC_<NAME>`` first and default to public, overwriting.
    static_defaults: bool = False

    def __init__(self, **options: Any) -> None:
        # @deconstructible recorded the arguments for migrations: keep the key out of them.
        self._constructor_args = (
            (),
            {k: v for k, v in options.items() if k not in _SECRET_OPTIONS},
        )
        if "application_key" not in options and options.get("application_key_id"):
            # Rebuilt from deconstruct() (which leaves the key out), as Wagtail does to delete
            # files in a task: take the key configured for this key id, as unpickling does.
            with contextlib.suppress(conf.B2ConfigurationError):
                key = conf.find_application_key(
                    options["application_key_id"], static=self.static_defaults
                )
                options = {**options, "application_key": key}
        self.config = conf.load_config(options, static=self.static_defaults)
        self._lock = threading.RLock()
        self._client = None
        self._bucket_id = self.config.bucket_id
        self._heads = HeadMemo()

    # -- migrations / pickling -------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        # A pickle may end up in a cache, a queue or a file: it never carries the key, which
        # is looked up again in the settings when the pickle is loaded.
        state = self.__dict__.copy()
        state["_lock"] = None
        state["_client"] = None
        state["_heads"] = HeadMemo()
        state["config"] = dataclasses.replace(self.config, application_key="")
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()
        if not self.config.application_key:
            key = conf.find_application_key(
                self.config.application_key_id, static=self.static_defaults
            )
            self.config = dataclasses.replace(self.config, application_key=key)

    def __deepcopy__(self, memo: dict[int, Any]) -> B2Storage:
        # An in-memory copy: the same (frozen) config, key included; a client of its own.
        state = copy.deepcopy(self.__getstate__(), memo)
        state["config"] = self.config
        clone = type(self).__new__(type(self))
        clone.__setstate__(state)
        return clone

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(bucket_name={self.config.bucket_name!r}, "
            f"location={self.config.location!r})"
        )
