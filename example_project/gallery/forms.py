"""The upload form (the files pass through Django into B2)."""

from __future__ import annotations

from django import forms

from gallery.models import Photo


class PhotoForm(forms.ModelForm):
    class Meta:
        model = Photo
        fields = ["title", "image", "attachment"]
