from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.sso import views as sso_views
from dashboard import urls as dashboard_urls
from mentoring.config import health
from mentoring.engagements import views

api_patterns = [
    path("", include("accounts.api_urls")),
    path("", include("mentoring.engagements.api_urls")),
    path("", include("messaging.api_urls")),
    path("trust/", include("trust.api_urls")),
    path("manage/", include(dashboard_urls.api_urlpatterns)),
]

urlpatterns = [
    path("", views.home, name="home"),
    # before allauth's own route: the same step with a clear page for a replayed SAML response
    path("accounts/saml/<str:organization_slug>/acs/finish/", sso_views.saml_finish_acs),
    path("healthz", health.ready, name="healthz"),
    path("healthz/live", health.live, name="healthz-live"),
    path("healthz/ready", health.ready, name="healthz-ready"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("mentoring.engagements.urls")),
    path("", include("messaging.urls")),
    path("trust/", include("trust.urls")),
    path("manage/", include("dashboard.urls")),
    path("api/", include(api_patterns)),
    path("scim/v2/", include("accounts.scim.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # the split view serves its start-up script as a file: no inline script under our CSP
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
