"""Default endpoints: ``path("b2-uploads/", include("django_b2.direct_upload.urls"))``.

They use the ``"default"`` storage and the default :class:`UploadPolicy`; connect to the
``upload_confirmed`` signal to record files. For other limits build your own
``path("uploads/", DirectUpload(policy=UploadPolicy(...)).urls)``.
"""

from __future__ import annotations

from django_b2.direct_upload.views import DirectUpload

__all__ = ["app_name", "urlpatterns"]

urlpatterns, app_name, _namespace = DirectUpload().urls
