"""JSON endpoints for browser uploads straight to B2.

``DirectUpload`` bundles a storage, an :class:`UploadPolicy` and an optional ``on_confirm``
callback, and serves four POST endpoints (CSRF-protected, for authenticated users by default;
send the ``X-CSRFToken`` header)::

    start    {"name", "size", "contentType"}  -> ticket + upload URL(s) and token(s)
    renew    {"ticket"}                       -> a fresh upload URL after one failed
    confirm  {"ticket", "sha1"} or {"ticket", "partSha1": [...]} -> the checked, recorded file
    abort    {"ticket"}                       -> cancels the upload (staging file or large file)

Mount it like the admin: ``path("uploads/", DirectUpload(...).urls)``. Tokens handed to the
browser come from the restricted upload key (``B2_DIRECT_UPLOAD_KEY_ID`` / ``_KEY``); every
ticket is a database row (run ``migrate``), bound to the endpoint's namespace and policy.
"""

from __future__ import annotations

import json
import logging
import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_protect

from django_b2.client.errors import B2Error
from django_b2.conf import B2ConfigurationError, DirectUploadSettings, direct_upload_settings
from django_b2.direct_upload import ledger
from django_b2.direct_upload.models import UploadTicket
from django_b2.direct_upload.policy import DirectUploadRefused, UploadPolicy, UploadRequest
from django_b2.direct_upload.service import ConfirmedUpload, DirectUploadService
from django_b2.direct_upload.signals import upload_confirmed
from django_b2.direct_upload.staging import StagingArea, StagingKeys, final_prefix_of
from django_b2.direct_upload.tickets import load_ticket_id, policy_fingerprint
from django_b2.storage import B2Storage

__all__ = ["DirectUpload", "OnConfirm", "endpoints"]

logger = logging.getLogger("django_b2.direct_upload")

OnConfirm = Callable[[HttpRequest, ConfirmedUpload], "Mapping[str, Any] | None"]
View = Callable[[HttpRequest], HttpResponse]


_registry_lock = threading.Lock()
_registry: weakref.WeakValueDictionary[str, DirectUpload] = weakref.WeakValueDictionary()


def endpoints() -> list[DirectUpload]:
    """Every ``DirectUpload`` built in this process (the URLconf builds them), by namespace."""
    with _registry_lock:
        return [_registry[name] for name in sorted(_registry)]


class DirectUpload:
    """One configured set of direct-upload endpoints.

    ``storage`` is a ``STORAGES`` alias or a ``B2Storage`` instance. ``on_confirm(request,
    upload)`` runs once per ticket, after the checks passed and the file was moved to its final
    name (record the file there); a mapping it returns is added to the JSON answer. The
    ``namespace`` names the endpoint: tickets are only accepted by the endpoint that issued
    them, with the same policy. ``upload_key_id``/``upload_key``/``max_open_tickets`` override
    the ``B2_DIRECT_UPLOAD_*`` settings. Subclass to change ``has_permission``, ``prefix_for``
    or ``owner_of``.
    """

    app_name = "b2_direct_upload"

    def __init__(
        self,
        *,
        storage: str | Storage = "default",
        policy: UploadPolicy | None = None,
        on_confirm: OnConfirm | None = None,
        namespace: str = "b2_direct_upload",
        upload_key_id: str | None = None,
        upload_key: str | None = None,
        max_open_tickets: int | None = None,
    ) -> None:
        self.storage = storage
        self.policy = policy or UploadPolicy()
        self.on_confirm = on_confirm
        self.namespace = namespace
        self._overrides = DirectUploadSettings(
            key_id=upload_key_id, key=upload_key, max_open_tickets=max_open_tickets
        )
        self._staging_keys = StagingKeys()
        with _registry_lock:
            _registry[namespace] = self

    def __repr__(self) -> str:
        return f"DirectUpload(namespace={self.namespace!r}, storage={self.storage!r})"

    # -- hooks ----------------------------------------------------------------------------------

    def get_storage(self) -> B2Storage:
        storage = storages[self.storage] if isinstance(self.storage, str) else self.storage
        if not isinstance(storage, B2Storage):
            raise ImproperlyConfigured(
                f"DirectUpload needs a B2Storage, but {self.storage!r} is {storage!r}; pass "
                "storage= the alias of a django_b2.storage.B2Storage in STORAGES (or an instance)."
            )
        return storage

    def get_policy(self, request: HttpRequest | None) -> UploadPolicy:
        return self.policy

    def has_permission(self, request: HttpRequest) -> bool:
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_authenticated and user.is_active)

    def owner_of(self, request: HttpRequest) -> str:
        """Who a ticket belongs to; renew/confirm/abort must come from the same owner."""
        return str(request.user.pk)

    def prefix_for(self, request: HttpRequest) -> str:
        """The name prefix (relative to the storage location) for this request's uploads."""
        return self.get_policy(request).prefix

    def settings(self) -> DirectUploadSettings:
        """The restricted upload key and the open-ticket limit (settings, then overrides)."""
        return direct_upload_settings(self._overrides)

    def staging_area(self, policy: UploadPolicy | None = None) -> StagingArea:
        """The restricted key's client and prefix; refuses a key that is not restricted."""
        storage = self.get_storage()
        final = final_prefix_of(storage, (policy or self.policy).prefix)
        return self._staging_keys.area(storage, self.settings(), final_prefix=final)

    # -- plumbing -------------------------------------------------------------------------------

    @property
    def urls(self) -> tuple[list[URLPattern], str, str]:
        patterns = [
            path("start/", self._endpoint(self._start), name="start"),
            path("renew/", self._endpoint(self._renew), name="renew"),
            path("confirm/", self._endpoint(self._confirm), name="confirm"),
            path("abort/", self._endpoint(self._abort), name="abort"),
        ]
        return patterns, self.app_name, self.namespace

    def service(self, request: HttpRequest | None) -> DirectUploadService:
        storage = self.get_storage()
        policy = self.get_policy(request)
        prefix = self.prefix_for(request) if request is not None else policy.prefix
        return DirectUploadService(
            storage,
            policy,
            staging=lambda: self.staging_area(policy),
            endpoint=self.namespace,
            fingerprint=policy_fingerprint(
                policy, prefix=prefix, location=str(getattr(storage, "location", "") or "")
            ),
        )

    def _endpoint(self, handler: Callable[[HttpRequest, dict[str, Any]], dict[str, Any]]) -> View:
        def view(request: HttpRequest) -> HttpResponse:
            if request.method != "POST":
                return JsonResponse({"error": "Use POST with a JSON body."}, status=405)
            if not self.has_permission(request):
                return JsonResponse({"error": "Log in to upload files."}, status=403)
            try:
                body = _json_body(request)
                return JsonResponse(handler(request, body))
            except DirectUploadRefused as exc:
                return JsonResponse({"error": exc.message}, status=exc.status)
            except B2ConfigurationError as exc:
                logger.error("Direct upload %r: %s", self.namespace, exc)
                return JsonResponse(
                    {"error": "Direct uploads are not set up on this server; see its log."},
                    status=503,
                )
            except B2Error as exc:
                logger.warning("Direct upload: B2 call failed: %s", exc)
                return JsonResponse(
                    {"error": "The storage service refused the request; try again later."},
                    status=502,
                )

        view.__name__ = handler.__name__.lstrip("_")
        # CSRF is checked here too, so the endpoints stay protected without the middleware.
        return csrf_protect(view)

    def _ticket(
        self, request: HttpRequest, body: Mapping[str, Any], service: DirectUploadService
    ) -> UploadTicket:
        ticket_id = load_ticket_id(
            body.get("ticket"), max_age=self.get_policy(request).ticket_max_age
        )
        ticket: UploadTicket | None = UploadTicket.objects.filter(pk=ticket_id).first()
        if ticket is None:
            raise DirectUploadRefused(
                "The upload ticket is not known here (expired and cleaned up?); start the "
                "upload again.",
                status=410,
            )
        if ticket.user != self.owner_of(request):
            raise DirectUploadRefused("This upload ticket was issued to another user.", status=403)
        if ticket.endpoint != service.endpoint or ticket.fingerprint != service.fingerprint:
            raise DirectUploadRefused(
                "This upload ticket was issued by another upload endpoint (or under other "
                "limits); start the upload again here.",
                status=403,
            )
        return ticket

    # -- endpoints ------------------------------------------------------------------------------

    def _start(self, request: HttpRequest, body: dict[str, Any]) -> dict[str, Any]:
        wanted = UploadRequest.from_json(body)
        return self.service(request).start(
            wanted,
            user=self.owner_of(request),
            prefix=self.prefix_for(request),
            max_open=self.settings().max_open_tickets or 1,  # validated: never None here
            now=timezone.now(),
        )

    def _renew(self, request: HttpRequest, body: dict[str, Any]) -> dict[str, Any]:
        service = self.service(request)
        ticket = self._ticket(request, body, service)
        _require_open(ticket)
        return service.renew(ticket)

    def _confirm(self, request: HttpRequest, body: dict[str, Any]) -> dict[str, Any]:
        service = self.service(request)
        ticket = self._ticket(request, body, service)
        if ticket.state == UploadTicket.State.CONFIRMED:
            return ticket.result
        _require_usable(ticket)
        if not ledger.claim(ticket, timezone.now()):
            ticket.refresh_from_db()
            if ticket.state == UploadTicket.State.CONFIRMED:
                return ticket.result
            _require_usable(ticket)
            raise DirectUploadRefused(
                "This upload is being confirmed by another request; try again in a moment.",
                status=409,
            )
        try:
            problem = service.recheck(ticket, prefix=self.prefix_for(request))
            if problem:
                service.discard_staging(ticket)
                raise DirectUploadRefused(f"The upload was deleted: {problem}.", final=True)
            upload = service.confirm(ticket, body)
            with transaction.atomic():
                answer: dict[str, Any] = {
                    "name": upload.name,
                    "size": upload.size,
                    "contentType": upload.content_type,
                    "fileId": upload.file_id,
                }
                if self.on_confirm is not None:
                    answer.update(self.on_confirm(request, upload) or {})
                ledger.finish(ticket, UploadTicket.State.CONFIRMED, answer)
        except DirectUploadRefused as exc:
            if exc.final:
                ledger.finish(ticket, UploadTicket.State.FAILED)
            else:
                ledger.release(ticket)
            raise
        except BaseException:
            ledger.release(ticket)
            raise
        upload_confirmed.send(sender=self.__class__, request=request, upload=upload)
        return answer

    def _abort(self, request: HttpRequest, body: dict[str, Any]) -> dict[str, Any]:
        service = self.service(request)
        ticket = self._ticket(request, body, service)
        if ticket.state != UploadTicket.State.OPEN or not ledger.claim(ticket, timezone.now()):
            return {"name": ticket.name, "cancelled": False}
        try:
            removed = service.discard_staging(ticket)
        except BaseException:
            ledger.release(ticket)
            raise
        ledger.finish(ticket, UploadTicket.State.FAILED)
        return {"name": ticket.name, "cancelled": removed > 0}


def _require_usable(ticket: UploadTicket) -> None:
    if ticket.state in (UploadTicket.State.FAILED, UploadTicket.State.EXPIRED):
        raise DirectUploadRefused(
            "This upload was refused, cancelled or has expired; start the upload again.",
            status=410,
        )


def _require_open(ticket: UploadTicket) -> None:
    _require_usable(ticket)
    if ticket.state != UploadTicket.State.OPEN:
        raise DirectUploadRefused("This upload is already confirmed; nothing to renew.", status=409)


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise DirectUploadRefused("The request body must be JSON.") from None
    if not isinstance(data, dict):
        raise DirectUploadRefused("The request body must be a JSON object.")
    return data
