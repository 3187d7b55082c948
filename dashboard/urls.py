"""Dashboard routes: HTML under /manage/ (namespace "dashboard") and the REST API under
/api/manage/ (``api_urlpatterns``), both included from mentoring/config/urls.py."""

from django.urls import include, path

from dashboard.api import network as insight_api
from dashboard.api import overview as dashboard_api
from dashboard.views import insights as insight_views
from dashboard.views import overview as dashboard_views
from mentoring.programs import urls as program_urls

app_name = "dashboard"

urlpatterns = [
    path("", dashboard_views.overview, name="overview"),
    path("export/engagements.csv", dashboard_views.export_engagements, name="export_engagements"),
    # skills, network, attention and exports (dashboard/views/insights.py)
    path("skills/", insight_views.skills, name="skills"),
    path("skills/<int:skill_id>/", insight_views.skill_detail, name="skill_detail"),
    path("network/", insight_views.network, name="network"),
    path("attention/", insight_views.attention, name="attention"),
    path("attention/<str:action>/", insight_views.attention_act, name="attention_act"),
    path("exports/", insight_views.exports, name="exports"),
    path("export/participation.csv", insight_views.export_participation, name="export_participation"),
    path("export/kpis.csv", insight_views.export_kpis, name="export_kpis"),
    path("export/skills.csv", insight_views.export_skills, name="export_skills"),
    # drill-downs behind the overview's figures (dashboard/views/overview.py)
    path("engagements/", dashboard_views.drill_engagements, name="drill_engagements"),
    path("requests/", dashboard_views.drill_requests, name="drill_requests"),
    path("questions/", dashboard_views.drill_questions, name="drill_questions"),
    path("people/", dashboard_views.drill_people, name="drill_people"),
    # programs and cohorts (mentoring/programs/urls.py; the names stay in this namespace)
    path("programs/", include(program_urls)),
]

api_urlpatterns = [
    path("overview", dashboard_api.OverviewView.as_view(), name="api-manage-overview"),
    path("network", insight_api.NetworkView.as_view(), name="api-manage-network"),
]
