from django.urls import path

from accounts.views import profiles, workspaces

app_name = "accounts"

workspace_patterns = [
    path("workspace/start/", workspaces.workspace_start, name="workspace_start"),
    path("workspace/members/", workspaces.workspace_members, name="workspace_members"),
    path("join/<str:token>/", workspaces.invite_accept, name="invite_accept"),
]

profile_patterns = [
    path("onboarding/", profiles.onboarding, name="onboarding"),
    path("people/", profiles.directory, name="directory"),
    path("people/<int:user_id>/", profiles.profile_detail, name="profile_detail"),
    path("me/profile/", profiles.profile_edit, name="profile_edit"),
]

urlpatterns = workspace_patterns + profile_patterns
