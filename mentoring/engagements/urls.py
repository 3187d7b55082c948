"""HTML routes for mentoring (namespace "mentoring"). The core's e-mails link to
``engagement_detail``, ``invitations`` and ``find_mentor``."""

from django.urls import path

from mentoring.engagements import views

app_name = "mentoring"

urlpatterns = [
    path("mentoring/find/", views.find_mentor, name="find_mentor"),
    path("mentoring/needs-me/", views.needs_me_panel, name="needs_me"),
    path("mentoring/requests/", views.my_requests, name="requests"),
    path("mentoring/requests/<int:request_id>/", views.request_detail, name="request_detail"),
    path(
        "mentoring/requests/<int:request_id>/suggestions/",
        views.request_suggestions,
        name="request_suggestions",
    ),
    path("mentoring/requests/<int:request_id>/invite/", views.request_invite, name="request_invite"),
    path("mentoring/requests/<int:request_id>/cancel/", views.request_cancel, name="request_cancel"),
    path("mentoring/people/<int:user_id>/trust-card/", views.trust_card, name="trust_card"),
    path("mentoring/invitations/", views.invitations, name="invitations"),
    path(
        "mentoring/invitations/<int:invitation_id>/accept/", views.invitation_accept, name="invitation_accept"
    ),
    path(
        "mentoring/invitations/<int:invitation_id>/decline/",
        views.invitation_decline,
        name="invitation_decline",
    ),
    path(
        "mentoring/invitations/<int:invitation_id>/clarify/",
        views.invitation_clarify,
        name="invitation_clarify",
    ),
    path(
        "mentoring/invitations/<int:invitation_id>/answer/", views.invitation_answer, name="invitation_answer"
    ),
    path("engagements/", views.engagement_list, name="engagement_list"),
    path("engagements/new-group/", views.group_create, name="group_create"),
    path("engagements/<int:engagement_id>/", views.engagement_detail, name="engagement_detail"),
    path("engagements/<int:engagement_id>/commitments/", views.commitment_add, name="commitment_add"),
    path("engagements/<int:engagement_id>/milestones/", views.milestone_add, name="milestone_add"),
    path("engagements/<int:engagement_id>/extend/", views.engagement_extend, name="engagement_extend"),
    path("engagements/<int:engagement_id>/leave/", views.engagement_leave, name="engagement_leave"),
    path("engagements/<int:engagement_id>/cancel/", views.engagement_cancel, name="engagement_cancel"),
    path("engagements/<int:engagement_id>/finish/", views.engagement_finish, name="engagement_finish"),
    path(
        "engagements/<int:engagement_id>/feedback/<int:ratee_id>/",
        views.feedback_submit,
        name="feedback_submit",
    ),
    path("commitments/<int:commitment_id>/confirm/", views.commitment_confirm, name="commitment_confirm"),
    path("commitments/<int:commitment_id>/release/", views.commitment_release, name="commitment_release"),
    path("milestones/<int:milestone_id>/complete/", views.milestone_complete, name="milestone_complete"),
]
