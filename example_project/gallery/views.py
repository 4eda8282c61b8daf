"""Gallery pages: the list with signed links, the upload form, and signed-URL redirects."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render

from django_b2.signed_urls import signed_url
from gallery.forms import PhotoForm
from gallery.models import Photo

DEFAULT_LINK_SECONDS = 600
MAX_LINK_SECONDS = 3600
FILE_FIELDS = ("image", "attachment")


@login_required
def index(request: HttpRequest) -> HttpResponse:
    page = Paginator(Photo.objects.select_related("uploaded_by"), 24).get_page(
        request.GET.get("page")
    )
    return render(request, "gallery/index.html", {"page": page})


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    form = PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        photo = form.save(commit=False)
        photo.uploaded_by = request.user
        photo.source = Photo.Source.FORM
        photo.save()
        messages.success(request, f"Uploaded “{photo.title}” to B2.")
        return redirect("gallery:index")
    return render(request, "gallery/upload.html", {"form": form})


@login_required
def download(request: HttpRequest, pk: int, field: str) -> HttpResponseRedirect:
    """Redirect to a short-lived signed B2 URL (``?expires=N`` seconds, 1 to 3600)."""
    if field not in FILE_FIELDS:
        raise Http404("No such file field.")
    photo = get_object_or_404(Photo, pk=pk)
    file = getattr(photo, field)
    if not file:
        raise Http404("This entry has no such file.")
    try:
        expires = int(request.GET.get("expires", DEFAULT_LINK_SECONDS))
    except ValueError:
        expires = DEFAULT_LINK_SECONDS
    expires = min(max(expires, 1), MAX_LINK_SECONDS)
    return HttpResponseRedirect(signed_url(file.storage, file.name, expires))
