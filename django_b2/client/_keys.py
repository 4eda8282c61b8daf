"""Application-key calls of ``B2Client``: create, delete and list keys."""

from __future__ import annotations

import logging
from functools import partial

from ._core import ClientCore, require_id
from ._limits import MAX_LIST_COUNT
from ._resend import Tracked, confirmed, read_before, unless_maybe_acted
from ._transport import HttpOptions
from ._types import ApplicationKey, CreatedApplicationKey, ListKeysResponse
from ._validation import (
    validate_capabilities,
    validate_count,
    validate_key_duration,
    validate_key_name,
    validate_prefix,
)
from .errors import B2BadRequest, B2TransportError, B2ValidationError

logger = logging.getLogger("django_b2.client")


class KeyCalls(ClientCore):
    """Application-key calls (mixed into :class:`~django_b2.client.B2Client`)."""

    def create_key(
        self,
        key_name: str,
        capabilities: list[str],
        *,
        valid_duration_in_seconds: int | None = None,
        bucket_id: str | None = None,
        name_prefix: str | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> CreatedApplicationKey:
        """Create a key. Never resent once B2 may have received it: a lost answer raises the
        transport error with a message saying how to find the key that may have been made."""
        validate_key_name(key_name)
        caps = validate_capabilities(capabilities, bucket_restricted=bucket_id is not None)
        if valid_duration_in_seconds is not None:
            validate_key_duration(valid_duration_in_seconds)
        if bucket_id is not None:
            require_id("bucket_id", bucket_id)
        if name_prefix is not None:
            validate_prefix(name_prefix, "name_prefix")
            if bucket_id is None:
                raise B2ValidationError("name_prefix needs bucket_id=... (API v3)")
        body = {
            "keyName": key_name,
            "capabilities": caps,
            "validDurationInSeconds": valid_duration_in_seconds,
            "bucketId": bucket_id,
            "namePrefix": name_prefix,
        }
        try:
            return self._post(
                CreatedApplicationKey,
                "b2_create_key",
                body,
                http,
                http_override,
                account=True,
                retry_if=unless_maybe_acted,
            )
        except B2TransportError as exc:
            if not exc.may_have_reached:
                raise
            raise type(exc)(
                f"b2_create_key got no answer ({exc}), so B2 may have created key {key_name!r}; "
                "it was not sent again, which could make a second key. Look for it with "
                "`manage.py b2_keys list` or B2Client.list_keys(), delete it (its secret is "
                "shown only once), then create the key again."
            ) from exc

    def delete_key(
        self,
        application_key_id: str,
        *,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> ApplicationKey:
        """Delete a key; B2 answers with the deleted key (without its secret).

        The key is read first (one ``b2_list_keys``, if this key may list keys): when an
        attempt's answer is lost and the resend hears ``bad_request`` (B2's answer for a key
        that does not exist) while a second read finds the key gone, the lost attempt deleted
        it, and the key as read just before the call is returned. A key that did not exist
        before the call still raises :class:`B2BadRequest`.
        """
        require_id("application_key_id", application_key_id)
        body = {"applicationKeyId": application_key_id}
        listed = partial(self._listed_key, application_key_id, http, http_override)
        before = read_before(listed)
        call = Tracked()
        try:
            return self._post(
                ApplicationKey, "b2_delete_key", body, http, http_override, tracked=call
            )
        except B2BadRequest as exc:
            # B2 answers a missing key with a plain bad_request: only a read says it is gone.
            if exc.code != "bad_request" or not call.maybe_acted or before is None:
                raise
            if not confirmed(lambda: listed() is None):
                raise
            logger.info(
                "key %s was deleted by an attempt whose answer was lost", body["applicationKeyId"]
            )
            return before

    def _listed_key(
        self, key_id: str, http: HttpOptions | None, http_override: HttpOptions | None
    ) -> ApplicationKey | None:
        keys = self.list_keys(
            start_application_key_id=key_id, max_key_count=1, http=http, http_override=http_override
        )["keys"]
        return keys[0] if keys and keys[0]["applicationKeyId"] == key_id else None

    def list_keys(
        self,
        *,
        max_key_count: int | None = None,
        start_application_key_id: str | None = None,
        http: HttpOptions | None = None,
        http_override: HttpOptions | None = None,
    ) -> ListKeysResponse:
        if max_key_count is not None:
            validate_count("max_key_count", max_key_count, MAX_LIST_COUNT)
        body = {"maxKeyCount": max_key_count, "startApplicationKeyId": start_application_key_id}
        return self._post(ListKeysResponse, "b2_list_keys", body, http, http_override, account=True)
