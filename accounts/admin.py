"""Django admin for every accounts model. The audit log is read-only: it is a
record of what happened, not something to edit."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts.models import (
    AuditEntry,
    Expertise,
    InviteLink,
    LearningGoal,
    Membership,
    Organization,
    Profile,
    ScimIdentity,
    ScimToken,
    Skill,
    SkillAlias,
    SsoConnection,
    User,
    UserSession,
    WorkspaceDomain,
)
from core.admin import ReadOnlyAdmin


class TandemUserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email",)


class TandemUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class MembershipInline(admin.StackedInline):
    model = Membership
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["organization", "invited_by"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = TandemUserChangeForm
    add_form = TandemUserCreationForm
    ordering = ["email"]
    list_display = ["email", "full_name", "workspace", "is_active", "is_staff", "date_joined", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser", "membership__organization", "membership__role"]
    search_fields = ["email", "full_name"]
    list_select_related = ["membership__organization"]
    readonly_fields = ["date_joined", "last_login"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("full_name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    @admin.display(description="Workspace", ordering="membership__organization__name")
    def workspace(self, obj):
        membership = getattr(obj, "membership", None)
        return membership.organization.name if membership else "—"


class WorkspaceDomainInline(admin.TabularInline):
    model = WorkspaceDomain
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_by", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["name", "slug", "domains__domain"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["created_by"]
    date_hierarchy = "created_at"
    inlines = [WorkspaceDomainInline]


@admin.register(WorkspaceDomain)
class WorkspaceDomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "organization", "created_at"]
    list_filter = ["organization"]
    search_fields = ["domain", "organization__name"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "is_active", "joined_at", "deactivated_at"]
    list_filter = ["role", "is_active", "organization"]
    search_fields = ["user__email", "user__full_name", "organization__name"]
    list_select_related = ["user", "organization"]
    autocomplete_fields = ["user", "organization", "invited_by"]
    date_hierarchy = "joined_at"


@admin.register(InviteLink)
class InviteLinkAdmin(admin.ModelAdmin):
    list_display = ["organization", "note", "status", "use_count", "max_uses", "created_by", "expires_at"]
    list_filter = ["organization", "revoked_at", "expires_at"]
    search_fields = ["note", "organization__name", "created_by__email", "token"]
    list_select_related = ["organization", "created_by"]
    readonly_fields = ["token", "use_count", "created_at"]
    autocomplete_fields = ["organization", "created_by"]

    @admin.display(description="Status")
    def status(self, obj):
        return obj.status


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "headline",
        "timezone",
        "capacity",
        "open_to_mentor",
        "seeking",
        "is_away",
        "onboarded_at",
    ]
    list_filter = ["open_to_mentor", "seeking", "is_away", "work_mode", "cadence", "feedback_style"]
    search_fields = ["user__email", "user__full_name", "headline", "bio"]
    list_select_related = ["user"]
    readonly_fields = ["bio_html", "utc_week_mask", "updated_at"]
    autocomplete_fields = ["user"]


class SkillAliasInline(admin.TabularInline):
    model = SkillAlias
    extra = 0
    fields = ["name", "organization"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "organization", "created_at"]
    list_filter = ["organization"]
    search_fields = ["name", "slug", "aliases__name", "description"]
    list_select_related = ["organization"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["organization"]
    inlines = [SkillAliasInline]


@admin.register(SkillAlias)
class SkillAliasAdmin(admin.ModelAdmin):
    list_display = ["name", "skill", "organization"]
    list_filter = ["organization"]
    search_fields = ["name", "skill__name"]
    list_select_related = ["skill", "organization"]
    autocomplete_fields = ["skill", "organization"]


@admin.register(Expertise)
class ExpertiseAdmin(admin.ModelAdmin):
    list_display = ["user", "skill", "level", "years"]
    list_filter = ["level", "skill__organization"]
    search_fields = ["user__email", "user__full_name", "skill__name"]
    list_select_related = ["user", "skill"]
    autocomplete_fields = ["user", "skill"]


@admin.register(LearningGoal)
class LearningGoalAdmin(admin.ModelAdmin):
    list_display = ["user", "skill", "note", "created_at"]
    list_filter = ["skill__organization"]
    search_fields = ["user__email", "user__full_name", "skill__name", "note"]
    list_select_related = ["user", "skill"]
    autocomplete_fields = ["user", "skill"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "organization", "actor", "action", "target_type", "target_id"]
    list_filter = ["action", "organization", "target_type"]
    search_fields = ["action", "actor__email", "target_id", "organization__name"]
    list_select_related = ["organization", "actor"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    readonly_fields = ["user", "session_key", "created_at"]

    def has_add_permission(self, request):
        return False


# --- company sign-in and provisioning: read-only (talent managers change them in the product,
# through the services that check and audit every change; the client secret is never shown)


@admin.register(SsoConnection)
class SsoConnectionAdmin(ReadOnlyAdmin):
    list_display = ["organization", "protocol", "enabled", "sso_required", "break_glass_user", "updated_at"]
    list_filter = ["protocol", "enabled", "sso_required"]
    search_fields = ["organization__name", "oidc_issuer", "saml_idp_entity_id"]
    list_select_related = ["organization", "break_glass_user"]
    exclude = ["oidc_client_secret"]


@admin.register(ScimToken)
class ScimTokenAdmin(ReadOnlyAdmin):
    list_display = [
        "prefix",
        "organization",
        "note",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    search_fields = ["prefix", "note", "organization__name"]
    list_select_related = ["organization", "created_by"]
    exclude = ["digest"]


@admin.register(ScimIdentity)
class ScimIdentityAdmin(ReadOnlyAdmin):
    list_display = ["user_name", "organization", "user", "external_id", "version", "updated_at", "deleted_at"]
    search_fields = ["user_name", "external_id", "user__email"]
    list_select_related = ["organization", "user"]
