"""Admin for messaging: metadata only, read-only. Message bodies are private to
the conversation's members (DESIGN §1: nobody outside reads chat content), and
every change goes through the services so seq, read marks and the fan-out stay
consistent."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from messaging.models import (
    Conversation,
    ConversationMember,
    Message,
    MessageMention,
    Notification,
    NotificationPreference,
    ReadState,
)


class MemberInline(ReadOnlyInline):
    model = ConversationMember
    fields = ["user", "joined_at", "left_at"]
    readonly_fields = fields


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "organization", "engagement", "last_seq", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["organization", "engagement"]
    search_fields = ["engagement__title"]
    inlines = [MemberInline]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    # no body: metadata for support (ordering, duplicates, tombstones), never content
    fields = [
        "conversation",
        "seq",
        "author",
        "client_id",
        "reply_to",
        "created_at",
        "edited_at",
        "deleted_at",
    ]
    list_display = ["conversation", "seq", "author", "created_at", "edited_at", "deleted_at"]
    list_select_related = ["author"]
    raw_id_fields = ["conversation", "author", "reply_to"]
    search_fields = ["client_id"]


@admin.register(ReadState)
class ReadStateAdmin(ReadOnlyAdmin):
    list_display = ["conversation", "member", "last_read_seq", "updated_at"]
    list_select_related = ["member__user"]


@admin.register(ConversationMember)
class ConversationMemberAdmin(ReadOnlyAdmin):
    list_display = ["conversation", "user", "joined_at", "left_at"]
    list_filter = ["conversation__kind"]
    search_fields = ["user__email", "user__full_name"]
    list_select_related = ["conversation", "user"]


@admin.register(MessageMention)
class MessageMentionAdmin(ReadOnlyAdmin):
    """Who was mentioned where (the message text itself stays private)."""

    list_display = ["message", "user", "created_at"]
    search_fields = ["user__email", "user__full_name"]
    list_select_related = ["message", "user"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "kind", "title", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind", "organization"]
    search_fields = ["recipient__email", "recipient__full_name", "title"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "unread_email_delay_minutes", "updated_at"]
    search_fields = ["user__email", "user__full_name"]
    list_select_related = ["user"]


# --- questions and answers (metadata only; bodies are read in the product) ------------

from messaging.models import Answer, AnswerVote, Question  # noqa: E402


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdmin):
    list_display = ("id", "organization", "author", "scope", "state", "created_at", "resolved_at")
    list_filter = ("scope", "state")
    fields = ("organization", "author", "scope", "engagement", "state", "accepted_answer", "created_at")
    raw_id_fields = ("author", "engagement", "accepted_answer")


@admin.register(Answer)
class AnswerAdmin(ReadOnlyAdmin):
    list_display = ("id", "question", "author", "accepted", "helpful_count", "created_at")
    list_filter = ("accepted",)
    fields = (
        "question",
        "author",
        "accepted",
        "first_accepted_at",
        "helpful_count",
        "created_at",
        "edited_at",
    )


@admin.register(AnswerVote)
class AnswerVoteAdmin(ReadOnlyAdmin):
    list_display = ("id", "answer", "voter", "created_at")


# --- routing ("ask the network"): who was asked, why, and what came of it -------------

from messaging.models import RoutingAttempt  # noqa: E402


@admin.register(RoutingAttempt)
class RoutingAttemptAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "question",
        "candidate",
        "wave",
        "rank",
        "score",
        "exploration",
        "outcome",
        "notified_at",
        "window_ends_at",
        "responded_at",
    )
    list_filter = ("outcome", "exploration", "wave")
    search_fields = ("candidate__email", "candidate__full_name")
    list_select_related = ("candidate",)
    raw_id_fields = ("question", "candidate", "referred_by", "answer")
    date_hierarchy = "notified_at"


# --- activity rollup (dashboard metadata: counts and times, never content) ------------

from messaging.models import ChatFirstReply, MemberActivityMonth, MessageActivityDay  # noqa: E402


@admin.register(MessageActivityDay)
class MessageActivityDayAdmin(ReadOnlyAdmin):
    list_display = ("day", "organization", "author", "messages")
    list_filter = ("day",)
    search_fields = ("author__email", "author__full_name")
    list_select_related = ("organization", "author")
    raw_id_fields = ("organization", "author")
    date_hierarchy = "day"


@admin.register(MemberActivityMonth)
class MemberActivityMonthAdmin(ReadOnlyAdmin):
    list_display = ("month", "organization", "author", "days")
    list_filter = ("month",)
    search_fields = ("author__email", "author__full_name")
    list_select_related = ("organization", "author")
    raw_id_fields = ("organization", "author")
    date_hierarchy = "month"


@admin.register(ChatFirstReply)
class ChatFirstReplyAdmin(ReadOnlyAdmin):
    list_display = ("engagement", "conversation", "replied_at")
    raw_id_fields = ("conversation", "engagement")
    date_hierarchy = "replied_at"


from messaging.vectors import ExpertiseVector, QuestionVector  # noqa: E402


@admin.register(QuestionVector)
class QuestionVectorAdmin(ReadOnlyAdmin):
    """Kept by the routing worker; read-only here (the vector bytes are not shown)."""

    list_display = ["question", "organization", "created_at"]
    list_filter = ["organization"]
    search_fields = ["question__title"]
    exclude = ["vector"]


@admin.register(ExpertiseVector)
class ExpertiseVectorAdmin(ReadOnlyAdmin):
    list_display = ["user", "organization", "answered_well", "updated_at"]
    list_filter = ["organization"]
    search_fields = ["user__email", "user__full_name"]
    exclude = ["vector"]
