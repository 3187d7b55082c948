"""Programs and cohorts routes under /manage/programs/. Included by ``dashboard.urls``
without a namespace of their own, so the names stay in the "dashboard" namespace
(``dashboard:programs``, ``dashboard:program_detail``, ...), as the templates use them."""

from django.urls import path

from mentoring.programs import views

urlpatterns = [
    path("", views.program_list, name="programs"),
    path("new/", views.program_create, name="program_create"),
    path("<int:program_id>/", views.program_detail, name="program_detail"),
    path("<int:program_id>/edit/", views.program_edit, name="program_edit"),
    path("<int:program_id>/participants/add/", views.participant_add, name="program_participant_add"),
    path(
        "<int:program_id>/participants/<int:participant_id>/remove/",
        views.participant_remove,
        name="program_participant_remove",
    ),
    path(
        "<int:program_id>/participants/upload/",
        views.participants_upload,
        name="program_participants_upload",
    ),
    path("<int:program_id>/matching/", views.program_matching, name="program_matching"),
    path("<int:program_id>/matching/run/", views.matching_run, name="program_matching_run"),
    path("<int:program_id>/matching/reassign/", views.matching_reassign, name="program_matching_reassign"),
    path("<int:program_id>/matching/swap/", views.matching_swap, name="program_matching_swap"),
    path("<int:program_id>/matching/discard/", views.matching_discard, name="program_matching_discard"),
    path("<int:program_id>/matching/publish/", views.matching_publish, name="program_matching_publish"),
    path("<int:program_id>/cohorts/<int:draft_id>/", views.cohort_result, name="program_cohort_result"),
]
