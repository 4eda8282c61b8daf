"""JSON endpoints for browser uploads straight to B2.

``DirectUpload`` bundles a storage, an :class:`UploadPolicy` and an optional ``on_confirm``
callback, and serves four POST endpoints (CSRF-protected, for authenticated users by default;
send the ``X-CSRFToken`` header)::

    start    {"name", "size", "contentType"}  -> ticket + upload URL(s) and token(s)
    renew    {"ticket"}                       -> a fresh upload URL after one failed
    confirm  {"ticket", "sha1"} or {"ticket", "partSha1": [...]} -> the checked, recorded file
    abort    {"ticket"}                       -> cancels the large file if still unfinished

Mount it like the admin: ``path("uploads/", DirectUpload(...).urls)``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import Storage, storages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_protect

from django_b2.client.errors import B2Error
from django_b2.direct_upload.policy import DirectUploadRefused, UploadPolicy, UploadRequest
from django_b2.direct_upload.service import ConfirmedUpload, DirectUploadService
from django_b2.direct_upload.signals import upload_confirmed
from django_b2.direct_upload.tickets import Ticket, load_ticket
from django_b2.storage import B2Storage

__all__ = ["DirectUpload", "OnConfirm"]

logger = logging.getLogger("django_b2.direct_upload")

OnConfirm = Callable[[HttpRequest, ConfirmedUpload], "Mapping[str, Any] | None"]
View = Callable[[HttpRequest], HttpResponse]


class DirectUpload:
    """One configured set of direct-upload endpoints.

    ``storage`` is a ``STORAGES`` alias or a ``B2Storage`` instance. ``on_confirm(request,
    upload)`` runs after the checks passed (record the file there); a mapping it returns is
    added to the JSON answer. Subclass to change ``has_permission``, ``prefix_for`` or
    ``owner_of``.
    """

    app_name = "b2_direct_upload"

    def __init__(
        self,
        *,
        storage: str | Storage = "default",
        policy: UploadPolicy | None = None,
        on_confirm: OnConfirm | None = None,
        namespace: str = "b2_direct_upload",
    ) -> None:
        self.storage = storage
        self.policy = policy or UploadPolicy()
        self.on_confirm = on_confirm
        self.namespace = namespace

    # -- hooks ----------------------------------------------------------------------------------

    def get_storage(self) -> B2Storage:
        storage = storages[self.storage] if isinstance(self.storage, str) else self.storage
        if not isinstance(storage, B2Storage):
            raise ImproperlyConfigured(
                f"DirectUpload needs a B2Storage, but {self.storage!r} is {storage!r}; pass "
                "storage= the alias of a django_b2.storage.B2Storage in STORAGES (or an instance)."
            )
        return storage

    def get_policy(self, request: HttpRequest) -> UploadPolicy:
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

    def service(self, request: HttpRequest) -> DirectUploadService:
        return DirectUploadService(self.get_storage(), self.get_policy(request))

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
            except B2Error as exc:
                logger.warning("Direct upload: B2 call failed: %s", exc)
                return JsonResponse(
                    {"error": "The storage service refused the request; try again later."},
                    status=502,
                )

        view.__name__ = handler.__name__.lstrip("_")
        # CSRF is checked here too, so the endpoints stay protected without the middleware.
        return csrf_protect(view)

    def _ticket(self, request: HttpRequest, body: Mapping[str, Any]) -> Ticket:
        ticket = load_ticket(body.get("ticket"), max_age=self.get_policy(request).ticket_max_age)
        if ticket.user != self.owner_of(request):
            raise DirectUploadRefused("This upload ticket was issued to another user.", status=403)
        return ticket

    # -- endpoints ------------------------------------------------------------------------------

    def _start(self, request: HttpRequest, body: dict[str, Any]) -> dict[str, Any]:
        wanted = UploadRequest.from_json(body)
        return self.service(request).start(
            wanted, user=self.owner_of(request), prefix=self.prefix_for(request)
        )

    def _renew(self, request: HttpRequest, body: dict[str, Any]) -> dict[str, Any]:
        return self.service(request).renew(self._ticket(request, body))

    def _confirm(self, request: HttpRequest, body: dict[str, Any]) -> dict[str, Any]:
        ticket = self._ticket(request, body)
        upload = self.service(request).confirm(ticket, body)
        answer: dict[str, Any] = {
            "name": upload.name,
            "size": upload.size,
            "contentType": upload.content_type,
            "fileId": upload.file_id,
        }
        if self.on_confirm is not None:
            answer.update(self.on_confirm(request, upload) or {})
        upload_confirmed.send(sender=self.__class__, request=request, upload=upload)
        return answer

    def _abort(self, request: HttpRequest, body: dict[str, Any]) -> dict[str, Any]:
        ticket = self._ticket(request, body)
        return {"name": ticket.name, "cancelled": self.service(request).abort(ticket)}


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise DirectUploadRefused("The request body must be JSON.") from None
    if not isinstance(data, dict):
        raise DirectUploadRefused("The request body must be a JSON object.")
    return data
