"""Admin for the engagement domain: browse and search. State moves, participants
and feedback are read-only here — they change only through the services, so
the audit trail and trust evidence stay complete."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from mentoring.models import (
    CohortDraft,
    Commitment,
    Engagement,
    EngagementTransition,
    Feedback,
    Invitation,
    MentoringRequest,
    Milestone,
    Participant,
    Program,
    ProgramParticipant,
)


class ProgramParticipantInline(admin.TabularInline):
    model = ProgramParticipant
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "kind", "default_duration_days", "starts_on", "ends_on"]
    list_filter = ["kind", "organization"]
    search_fields = ["name"]
    raw_id_fields = ["created_by"]
    inlines = [ProgramParticipantInline]


class InvitationInline(ReadOnlyInline):
    model = Invitation
    fields = ["rank", "mentor", "state", "sent_at", "expires_at", "responded_at", "decline_reason"]
    readonly_fields = fields


@admin.register(MentoringRequest)
class MentoringRequestAdmin(admin.ModelAdmin):
    list_display = ["title", "seeker", "organization", "kind", "urgency", "state", "created_at"]
    list_filter = ["state", "kind", "urgency"]
    search_fields = ["title", "seeker__email"]
    readonly_fields = ["state", "created_at", "updated_at", "closed_at"]
    raw_id_fields = ["seeker", "organization", "program"]
    inlines = [InvitationInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["request", "mentor", "rank", "state", "sent_at", "expires_at"]
    list_filter = ["state"]
    search_fields = ["request__title", "mentor__email"]
    readonly_fields = [f.name for f in Invitation._meta.fields]

    def has_add_permission(self, request):
        return False


class ParticipantInline(ReadOnlyInline):
    model = Participant
    fields = ["user", "role", "joined_at", "left_at"]
    readonly_fields = fields


class TransitionInline(ReadOnlyInline):
    model = EngagementTransition
    fields = ["at", "from_state", "to_state", "actor", "reason"]
    readonly_fields = fields


class CommitmentInline(ReadOnlyInline):
    model = Commitment
    fields = ["owner", "text", "due_at", "state", "confirmed_by", "decided_at"]
    readonly_fields = fields


class MilestoneInline(ReadOnlyInline):
    model = Milestone
    fields = ["title", "due_at", "done_at"]
    readonly_fields = fields


@admin.register(Engagement)
class EngagementAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "kind", "state", "starts_at", "ends_at"]
    list_filter = ["state", "kind"]
    search_fields = ["title"]
    readonly_fields = [
        "state",
        "ended_at",
        "extended_once",
        "extension_reason",
        "last_activity_at",
        "reminder_sent_at",
        "request",
        "created_at",
    ]
    raw_id_fields = ["organization", "program", "created_by"]
    inlines = [ParticipantInline, MilestoneInline, CommitmentInline, TransitionInline]

    def has_add_permission(self, request):
        return False


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    """Listed without ratings: raw ratings are for the system, not for browsing."""

    list_display = ["engagement", "submitted_at", "evidence_recorded_at"]
    fields = ["engagement", "submitted_at", "evidence_recorded_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ProgramParticipant)
class ProgramParticipantAdmin(ReadOnlyAdmin):
    list_display = ["program", "user", "role", "joined_at"]
    list_filter = ["role", "program__organization"]
    search_fields = ["program__name", "user__email", "user__full_name"]
    list_select_related = ["program", "user"]


@admin.register(Participant)
class ParticipantAdmin(ReadOnlyAdmin):
    list_display = ["engagement", "user", "role", "joined_at", "left_at"]
    list_filter = ["role", "engagement__kind", "engagement__state"]
    search_fields = ["engagement__title", "user__email", "user__full_name"]
    list_select_related = ["engagement", "user"]


@admin.register(EngagementTransition)
class EngagementTransitionAdmin(ReadOnlyAdmin):
    list_display = ["engagement", "from_state", "to_state", "actor", "reason", "at"]
    list_filter = ["to_state", "from_state"]
    search_fields = ["engagement__title", "reason", "actor__email"]
    list_select_related = ["engagement", "actor"]
    date_hierarchy = "at"


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyAdmin):
    list_display = ["title", "engagement", "due_at", "done_at", "created_by"]
    list_filter = ["engagement__state"]
    search_fields = ["title", "engagement__title"]
    list_select_related = ["engagement", "created_by"]


@admin.register(Commitment)
class CommitmentAdmin(ReadOnlyAdmin):
    list_display = ["text", "engagement", "owner", "state", "due_at", "confirmed_by"]
    list_filter = ["state", "engagement__kind"]
    search_fields = ["text", "engagement__title", "owner__email", "owner__full_name"]
    list_select_related = ["engagement", "owner", "confirmed_by"]


@admin.register(CohortDraft)
class CohortDraftAdmin(ReadOnlyAdmin):
    list_display = [
        "program",
        "state",
        "version",
        "adjustments",
        "engagements_created",
        "created_at",
        "published_at",
    ]
    list_filter = ["state", "program__organization"]
    search_fields = ["program__name"]
    list_select_related = ["program"]
