"""Dashboard routes: HTML under /manage/ (namespace "dashboard") and the REST API under
/api/manage/ (``api_urlpatterns``), both included from mentoring/urls.py."""

from django.urls import path

from mentoring import dashboard_api, dashboard_views

app_name = "dashboard"

urlpatterns = [
    path("", dashboard_views.overview, name="overview"),
    path("export/engagements.csv", dashboard_views.export_engagements, name="export_engagements"),
]

api_urlpatterns = [
    path("overview", dashboard_api.OverviewView.as_view(), name="api-manage-overview"),
]
