"""REST routes for the engagement domain (mounted under /api/ by mentoring/config/urls.py)."""

from django.urls import path

from mentoring.engagements import api

urlpatterns = [
    path("requests", api.RequestListView.as_view(), name="api-request-list"),
    path("requests/<int:request_id>", api.RequestDetailView.as_view(), name="api-request-detail"),
    path("requests/<int:request_id>/cancel", api.RequestCancelView.as_view(), name="api-request-cancel"),
    path(
        "requests/<int:request_id>/suggestions",
        api.RequestSuggestionsView.as_view(),
        name="api-request-suggestions",
    ),
    path(
        "requests/<int:request_id>/invitations",
        api.RequestInvitationsView.as_view(),
        name="api-request-invitations",
    ),
    path("invitations", api.InvitationInboxView.as_view(), name="api-invitation-inbox"),
    path(
        "invitations/<int:invitation_id>/accept",
        api.InvitationAcceptView.as_view(),
        name="api-invitation-accept",
    ),
    path(
        "invitations/<int:invitation_id>/decline",
        api.InvitationDeclineView.as_view(),
        name="api-invitation-decline",
    ),
    path(
        "invitations/<int:invitation_id>/clarify",
        api.InvitationClarifyView.as_view(),
        name="api-invitation-clarify",
    ),
    path(
        "invitations/<int:invitation_id>/answer",
        api.InvitationAnswerView.as_view(),
        name="api-invitation-answer",
    ),
    path("engagements", api.EngagementListView.as_view(), name="api-engagement-list"),
    path("engagements/<int:engagement_id>", api.EngagementDetailView.as_view(), name="api-engagement-detail"),
    path(
        "engagements/<int:engagement_id>/extend",
        api.EngagementExtendView.as_view(),
        name="api-engagement-extend",
    ),
    path(
        "engagements/<int:engagement_id>/leave",
        api.EngagementLeaveView.as_view(),
        name="api-engagement-leave",
    ),
    path(
        "engagements/<int:engagement_id>/transition",
        api.EngagementTransitionView.as_view(),
        name="api-engagement-transition",
    ),
    path(
        "engagements/<int:engagement_id>/commitments",
        api.CommitmentCreateView.as_view(),
        name="api-commitment-create",
    ),
    path(
        "engagements/<int:engagement_id>/milestones",
        api.MilestoneCreateView.as_view(),
        name="api-milestone-create",
    ),
    path(
        "engagements/<int:engagement_id>/feedback",
        api.FeedbackCreateView.as_view(),
        name="api-feedback-create",
    ),
    path(
        "commitments/<int:commitment_id>/confirm",
        api.CommitmentConfirmView.as_view(),
        name="api-commitment-confirm",
    ),
    path(
        "commitments/<int:commitment_id>/release",
        api.CommitmentReleaseView.as_view(),
        name="api-commitment-release",
    ),
    path(
        "milestones/<int:milestone_id>/complete",
        api.MilestoneCompleteView.as_view(),
        name="api-milestone-complete",
    ),
]
