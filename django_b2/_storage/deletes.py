"""``Deletes``: deleting a name as the ``delete_policy`` option says.

The policies are told in :mod:`django_b2.storage`; a missing file is never an error.
"""

from __future__ import annotations

from django_b2.client.errors import B2BadRequest, B2NotFound

from .reads import Reads

__all__ = ["Deletes"]


class Deletes(Reads):
    """``delete()`` of :class:`~django_b2.storage.B2Storage`."""

    def delete(self, name: str) -> None:
        key = self.b2_name(name)
        self._forget(key)
        try:
            self._delete_key(key)
        finally:
            self._forget(key)

    def _delete_key(self, key: str) -> None:
        policy = self.config.delete_policy
        client = self.client
        try:
            if policy == "hide":
                try:
                    client.hide_file(self.bucket_id, key)
                except B2BadRequest as exc:
                    if exc.code != "already_hidden":
                        raise
            elif policy == "delete_newest":
                info = client.get_file_info_by_name(self.bucket_name, key)
                client.delete_file_version(key, str(info["fileId"]))
            else:
                for version in list(self._versions(key)):
                    try:
                        client.delete_file_version(key, str(version["fileId"]))
                    except B2NotFound:
                        continue  # deleted concurrently
        except B2NotFound:
            return
