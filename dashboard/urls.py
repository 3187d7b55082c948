"""Dashboard routes: HTML under /manage/ (namespace "dashboard") and the REST API under
/api/manage/ (``api_urlpatterns``), both included from mentoring/config/urls.py."""

from django.urls import path

from dashboard.api import network as insight_api
from dashboard.api import overview as dashboard_api
from dashboard.views import insights as insight_views
from dashboard.views import overview as dashboard_views
from mentoring.programs import views as program_views

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
    # programs and cohorts (mentoring/programs/views.py)
    path("programs/", program_views.program_list, name="programs"),
    path("programs/new/", program_views.program_create, name="program_create"),
    path("programs/<int:program_id>/", program_views.program_detail, name="program_detail"),
    path("programs/<int:program_id>/edit/", program_views.program_edit, name="program_edit"),
    path(
        "programs/<int:program_id>/participants/add/",
        program_views.participant_add,
        name="program_participant_add",
    ),
    path(
        "programs/<int:program_id>/participants/<int:participant_id>/remove/",
        program_views.participant_remove,
        name="program_participant_remove",
    ),
    path(
        "programs/<int:program_id>/participants/upload/",
        program_views.participants_upload,
        name="program_participants_upload",
    ),
    path("programs/<int:program_id>/matching/", program_views.program_matching, name="program_matching"),
    path("programs/<int:program_id>/matching/run/", program_views.matching_run, name="program_matching_run"),
    path(
        "programs/<int:program_id>/matching/reassign/",
        program_views.matching_reassign,
        name="program_matching_reassign",
    ),
    path(
        "programs/<int:program_id>/matching/swap/", program_views.matching_swap, name="program_matching_swap"
    ),
    path(
        "programs/<int:program_id>/matching/discard/",
        program_views.matching_discard,
        name="program_matching_discard",
    ),
    path(
        "programs/<int:program_id>/matching/publish/",
        program_views.matching_publish,
        name="program_matching_publish",
    ),
    path(
        "programs/<int:program_id>/cohorts/<int:draft_id>/",
        program_views.cohort_result,
        name="program_cohort_result",
    ),
]

api_urlpatterns = [
    path("overview", dashboard_api.OverviewView.as_view(), name="api-manage-overview"),
    path("network", insight_api.NetworkView.as_view(), name="api-manage-network"),
]
