"""Wagtail hook: documents served by redirect keep their ``Content-Disposition`` on B2.

Wagtail serves a document on a storage without local paths by redirecting to ``file.url``, which
loses the ``Content-Disposition`` its streaming view would send (``attachment; filename=...``,
or ``inline`` for the types in ``WAGTAILDOCS_INLINE_CONTENT_TYPES``). Wagtail imports this module
by itself (``django_b2`` is an installed app); for documents on a :class:`B2Storage` served by
redirect, it redirects to a URL signed with the document's disposition, which B2 then sends.

The hook runs after every other ``before_serve_document`` hook (its order is high), so Wagtail's
privacy checks on collections still decide first.
"""

from __future__ import annotations

from typing import Any, Final

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from wagtail import hooks
from wagtail.documents.models import document_served

from . import conf
from .storage import B2Storage

#: After Wagtail's own hooks (order 0), whichever app registered them.
HOOK_ORDER: Final = 1000


@hooks.register("before_serve_document", order=HOOK_ORDER)  # type: ignore[untyped-decorator]
def redirect_with_content_disposition(document: Any, request: HttpRequest) -> HttpResponse | None:
    """Redirect to a URL that makes B2 send the document's ``Content-Disposition``."""
    storage = document.file.storage
    if not isinstance(storage, B2Storage):
        return None
    if conf.wagtail_docs_serve_method() not in ("redirect", "direct"):
        return None
    # Wagtail's view sends this signal before it redirects; returning a response here skips it.
    document_served.send(sender=type(document), instance=document, request=request)
    url = storage.url(document.file.name, content_disposition=document.content_disposition)
    return HttpResponseRedirect(url)
