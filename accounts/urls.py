from django.urls import path

from accounts.sso import views as sso
from accounts.views import profiles, workspaces

app_name = "accounts"

workspace_patterns = [
    path("workspace/start/", workspaces.workspace_start, name="workspace_start"),
    path("workspace/members/", workspaces.workspace_members, name="workspace_members"),
    path("join/<str:token>/", workspaces.invite_accept, name="invite_accept"),
    path(
        "workspace/join/<int:organization_id>/",
        workspaces.workspace_join_domain,
        name="workspace_join_domain",
    ),
    path("workspace/members/<int:membership_id>/role/", workspaces.member_role, name="member_role"),
    path(
        "workspace/members/<int:membership_id>/deactivate/",
        workspaces.member_deactivate,
        name="member_deactivate",
    ),
    path(
        "workspace/members/<int:membership_id>/reactivate/",
        workspaces.member_reactivate,
        name="member_reactivate",
    ),
    path("workspace/invites/", workspaces.workspace_invites, name="workspace_invites"),
    path("workspace/invites/<int:invite_id>/revoke/", workspaces.invite_revoke, name="invite_revoke"),
    path("workspace/domains/", workspaces.workspace_domains, name="workspace_domains"),
    path("workspace/domains/<int:domain_id>/remove/", workspaces.domain_remove, name="domain_remove"),
    path("workspace/audit/", workspaces.workspace_audit, name="workspace_audit"),
    path("workspace/sign-in/", sso.workspace_sso, name="workspace_sso"),
    path("workspace/sign-in/scim-tokens/", sso.scim_token_create, name="scim_token_create"),
    path(
        "workspace/sign-in/scim-tokens/<int:token_id>/revoke/",
        sso.scim_token_revoke,
        name="scim_token_revoke",
    ),
    path("sso/", sso.sso_discover, name="sso_discover"),
    path("workspace/security/", workspaces.workspace_security, name="workspace_security"),
]

profile_patterns = [
    path("onboarding/", profiles.onboarding, name="onboarding"),
    path("onboarding/<int:step>/", profiles.onboarding_step, name="onboarding_step"),
    path("people/", profiles.directory, name="directory"),
    path("people/<int:user_id>/", profiles.profile_detail, name="profile_detail"),
    path("me/profile/", profiles.profile_edit, name="profile_edit"),
    path("skills/autocomplete/", profiles.skills_autocomplete, name="skills_autocomplete"),
]

urlpatterns = workspace_patterns + profile_patterns
