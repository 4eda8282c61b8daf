"""A DRF API over :class:`~tests.integrations.siteapp.models.Report`."""

from __future__ import annotations

from rest_framework import serializers, viewsets
from rest_framework.parsers import FormParser, MultiPartParser

from .siteapp.models import Report


class ReportSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Report
        fields = ["id", "title", "file"]


class ReportViewSet(viewsets.ModelViewSet):  # type: ignore[type-arg]
    queryset = Report.objects.all()
    serializer_class = ReportSerializer
    parser_classes = [MultiPartParser, FormParser]
    authentication_classes: list[type] = []
    permission_classes: list[type] = []
