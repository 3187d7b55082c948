"""The chat follows its engagement: connected in ``MessagingConfig.ready()`` to the
engagement domain's signals (``mentoring.engagements.signals``)."""

from messaging.chat.services import conversation_for_engagement, conversation_sync_members


def create_engagement_chat(sender, *, engagement, **kwargs) -> None:
    """Every engagement has its conversation from the start (in the same transaction),
    so pages only ever read it."""
    conversation_for_engagement(engagement=engagement)


def sync_engagement_chat_members(sender, *, engagement_id: int, **kwargs) -> None:
    """The conversation's members stay equal to the engagement's active participants
    (the join/leave frames go out after commit)."""
    conversation_sync_members(engagement_id=engagement_id)


def connect() -> None:
    from mentoring.engagements.signals import engagement_members_changed, engagement_started

    engagement_started.connect(create_engagement_chat, dispatch_uid="messaging.chat.create")
    engagement_members_changed.connect(sync_engagement_chat_members, dispatch_uid="messaging.chat.members")
