"""Reads for messaging, always scoped to the viewer.

Every fetch by id goes through ``access_conversation``: a conversation that
does not exist and one the viewer is not a member of get the same NotFound.
"""

from dataclasses import dataclass

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from core.errors import NotFound, ValidationFailed
from messaging.models import Conversation, ConversationMember, Message, ReadState

HISTORY_DEFAULT_LIMIT = 50
HISTORY_MAX_LIMIT = 200
MESSAGE_JOINS = ("author", "reply_to")


def _conversation_id(value) -> int:
    try:
        conversation_id = int(value)
    except (TypeError, ValueError):
        raise NotFound("No such conversation.") from None
    if isinstance(value, bool) or conversation_id < 1:
        raise NotFound("No such conversation.")
    return conversation_id


def access_conversation(user, conversation_id) -> Conversation:
    """The conversation if ``user`` is a current member, else NotFound (the same
    answer for a conversation that does not exist)."""
    conversation_id = _conversation_id(conversation_id)
    if not getattr(user, "is_authenticated", False):
        raise NotFound("No such conversation.")
    try:
        return Conversation.objects.select_related("engagement").get(
            pk=conversation_id, members__user=user, members__left_at__isnull=True
        )
    except Conversation.DoesNotExist:
        raise NotFound("No such conversation.") from None


def conversation_sizes_for(user) -> dict[int, int]:
    """``{conversation id: current members}`` for every conversation ``user`` is a
    current member of (the socket subscribes to these; the size decides how presence
    fans out), in one query."""
    return dict(
        ConversationMember.objects.filter(user=user, left_at__isnull=True)
        .annotate(
            size=Subquery(
                ConversationMember.objects.filter(conversation=OuterRef("conversation"), left_at__isnull=True)
                .order_by()
                .values("conversation")
                .annotate(n=Count("pk"))
                .values("n")[:1],
                output_field=IntegerField(),
            )
        )
        .order_by("conversation_id")
        .values_list("conversation_id", "size")
    )


def conversation_size(conversation_id: int) -> int:
    return ConversationMember.objects.filter(conversation_id=conversation_id, left_at__isnull=True).count()


def _my_last_read(user) -> Coalesce:
    return Coalesce(
        Subquery(
            ReadState.objects.filter(conversation=OuterRef("pk"), member__user=user).values("last_read_seq")[
                :1
            ],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def _unread_subquery(user) -> Coalesce:
    """Messages after my read mark, not mine, not deleted."""
    unread = (
        Message.objects.filter(
            conversation=OuterRef("pk"), seq__gt=OuterRef("my_last_read_seq"), deleted_at__isnull=True
        )
        .exclude(author=user)
        .order_by()
        .values("conversation")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(unread, output_field=IntegerField()), Value(0))


def conversations_for(user) -> QuerySet:
    """The user's conversations, newest activity first, each annotated with
    ``my_last_read_seq`` and ``unread_count``, with the engagement loaded and the
    current members (and their users) prefetched: two queries whatever the count."""
    return (
        Conversation.objects.filter(members__user=user, members__left_at__isnull=True)
        .select_related("engagement")
        .annotate(my_last_read_seq=_my_last_read(user))
        .annotate(unread_count=_unread_subquery(user))
        .prefetch_related(
            Prefetch(
                "members",
                queryset=ConversationMember.objects.filter(left_at__isnull=True)
                .select_related("user", "read_state")
                .order_by("joined_at", "pk"),
                to_attr="current_members",
            )
        )
        .order_by(F("last_message_at").desc(nulls_last=True), "-created_at", "-pk")
    )


def unread_counts(user) -> dict[int, int]:
    """``{conversation_id: unread}`` for every conversation of ``user``, in one query."""
    rows = (
        Conversation.objects.filter(members__user=user, members__left_at__isnull=True)
        .annotate(my_last_read_seq=_my_last_read(user))
        .annotate(unread_count=_unread_subquery(user))
        .values_list("pk", "unread_count")
    )
    return dict(rows)


def conversation_members(conversation: Conversation) -> list[ConversationMember]:
    """Current members with their user and read state (for read receipts)."""
    return list(
        ConversationMember.objects.filter(conversation=conversation, left_at__isnull=True)
        .select_related("user", "read_state")
        .order_by("joined_at", "pk")
    )


def member_user_ids(conversation_id: int) -> list[int]:
    return list(
        ConversationMember.objects.filter(conversation_id=conversation_id, left_at__isnull=True).values_list(
            "user_id", flat=True
        )
    )


@dataclass
class HistoryPage:
    messages: list[Message]
    has_more: bool  # more in the direction asked (older for ``before``, newer for ``after``)


def _cursor(value, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(
            f"{field} must be a message seq.", fields={field: ["Give a whole number ≥ 0."]}
        ) from None
    if isinstance(value, bool) or number < 0:
        raise ValidationFailed(
            f"{field} must be a message seq.", fields={field: ["Give a whole number ≥ 0."]}
        )
    return number


def history(
    conversation: Conversation, *, before=None, after=None, limit=HISTORY_DEFAULT_LIMIT
) -> HistoryPage:
    """A page of messages in ``seq`` order (tombstones included, so the numbering
    has no holes). ``before``: the newest ``limit`` with a smaller seq (the default
    with neither: the latest ``limit``); ``after``: the oldest ``limit`` with a
    larger seq. Two cursors at once is a field error. One query."""
    before = _cursor(before, "before")
    after = _cursor(after, "after")
    if before is not None and after is not None:
        raise ValidationFailed(
            "Page by before or by after, not both.", fields={"after": ["Drop before or after."]}
        )
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        raise ValidationFailed("limit must be a number.", fields={"limit": ["Give 1–200."]}) from None
    if not 1 <= limit <= HISTORY_MAX_LIMIT:
        raise ValidationFailed("limit is out of range.", fields={"limit": [f"Give 1–{HISTORY_MAX_LIMIT}."]})

    queryset = Message.objects.filter(conversation=conversation).select_related(*MESSAGE_JOINS)
    if after is not None:
        rows = list(queryset.filter(seq__gt=after).order_by("seq")[: limit + 1])
        return HistoryPage(messages=rows[:limit], has_more=len(rows) > limit)
    if before is not None:
        queryset = queryset.filter(seq__lt=before)
    rows = list(queryset.order_by("-seq")[: limit + 1])
    return HistoryPage(messages=list(reversed(rows[:limit])), has_more=len(rows) > limit)


def message_in(conversation: Conversation, seq) -> Message:
    try:
        seq = int(seq)
        return Message.objects.select_related(*MESSAGE_JOINS).get(conversation=conversation, seq=seq)
    except (TypeError, ValueError, Message.DoesNotExist):
        raise NotFound("No such message.") from None


def conversation_detail(user, conversation_id) -> Conversation:
    """One conversation with the same annotations as ``conversations_for``; NotFound
    for missing and not-a-member alike."""
    conversation_id = _conversation_id(conversation_id)
    conversation = (
        conversations_for(user).filter(pk=conversation_id).first() if user.is_authenticated else None
    )
    if conversation is None:
        raise NotFound("No such conversation.")
    return conversation


def engagements_with_stale_members() -> list[int]:
    """Engagement ids whose conversation members differ from the active participants
    (someone joined without being a member, or a member left the engagement). One
    query; the beat safety net (``messaging.sync_conversation_members``) uses it."""
    from django.db.models import Exists, Q

    from mentoring.models import Participant

    joined_not_member = Participant.objects.filter(
        engagement=OuterRef("engagement"), left_at__isnull=True
    ).exclude(
        Exists(
            ConversationMember.objects.filter(
                conversation=OuterRef(OuterRef("pk")), user=OuterRef("user"), left_at__isnull=True
            )
        )
    )
    member_not_participant = ConversationMember.objects.filter(
        conversation=OuterRef("pk"), left_at__isnull=True
    ).exclude(
        Exists(
            Participant.objects.filter(
                engagement=OuterRef(OuterRef("engagement")), user=OuterRef("user"), left_at__isnull=True
            )
        )
    )
    return list(
        Conversation.objects.filter(engagement__isnull=False)
        .filter(Q(Exists(joined_not_member)) | Q(Exists(member_not_participant)))
        .values_list("engagement_id", flat=True)
    )


def changed_since(conversation: Conversation, *, up_to_seq: int, since, limit: int) -> list[Message]:
    """Messages up to ``up_to_seq`` edited or deleted at or after ``since`` (what a
    client that was away missed besides new seqs), in seq order, at most ``limit``."""
    from django.db.models import Q

    return list(
        Message.objects.filter(conversation=conversation, seq__lte=up_to_seq)
        .filter(Q(edited_at__gte=since) | Q(deleted_at__gte=since))
        .select_related(*MESSAGE_JOINS)
        .order_by("seq")[:limit]
    )
