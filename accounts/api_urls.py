"""REST routes for accounts (mounted under /api/)."""

from django.urls import path

from accounts import api

urlpatterns = [
    path("me", api.MeView.as_view(), name="api-me"),
    path("me/token", api.MeTokenView.as_view(), name="api-me-token"),
    path("me/expertise", api.MeExpertiseView.as_view(), name="api-me-expertise"),
    path("me/expertise/<int:skill_id>", api.MeExpertiseDetailView.as_view(), name="api-me-expertise-detail"),
    path("me/learning-goals", api.MeLearningGoalsView.as_view(), name="api-me-goals"),
    path(
        "me/learning-goals/<int:skill_id>",
        api.MeLearningGoalDetailView.as_view(),
        name="api-me-goal-detail",
    ),
    path("profiles", api.ProfileListView.as_view(), name="api-profile-list"),
    path("profiles/<int:user_id>", api.ProfileDetailView.as_view(), name="api-profile-detail"),
    path("skills", api.SkillListView.as_view(), name="api-skill-list"),
]
