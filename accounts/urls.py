from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("workspace/start/", views.workspace_start, name="workspace_start"),
    path("workspace/members/", views.workspace_members, name="workspace_members"),
    path("join/<str:token>/", views.invite_accept, name="invite_accept"),
    path("onboarding/", views.onboarding, name="onboarding"),
    path("people/", views.directory, name="directory"),
    path("people/<int:user_id>/", views.profile_detail, name="profile_detail"),
    path("me/profile/", views.profile_edit, name="profile_edit"),
]
