"""The project's URLs plus the trust routes, mounted the way mentoring/config/urls.py will mount them."""

from django.urls import include, path

from mentoring.config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("trust/", include("trust.urls")),
    path("api/trust/", include("trust.api_urls")),
    *project_urlpatterns,
]
