"""What the chat panel shows (templates/messaging/_chat_panel_body.html): read by
the conversation page and by ``{% chat_panel %}`` on the engagement page."""

import uuid

from core import clock
from messaging.chat import selectors, services
from messaging.sockets import presence

PANEL_HISTORY = 50


def chat_panel_context(user, conversation, *, before=None, body="", error=None, next_url="") -> dict:
    """The last 50 messages (or the 50 before ``before``; a bad cursor is
    ValidationFailed), the members with their read marks and presence, and a fresh
    client_id for the no-JS form (so a double submit stores one message)."""
    rendered_at = clock.now()  # before reading: later edits are replayed by resume
    page = selectors.history(conversation, before=before, limit=PANEL_HISTORY)
    members = selectors.conversation_members(conversation)
    me = next((m for m in members if m.user_id == user.pk), None)
    people = presence.presence_of([m.user_id for m in members])
    for member in members:
        member.last_read_seq = getattr(getattr(member, "read_state", None), "last_read_seq", 0)
        member.presence = people[member.user_id]
    closed = (
        bool(conversation.engagement_id)
        and conversation.engagement.state not in services.OPEN_ENGAGEMENT_STATES
    )
    return {
        "rendered_at": rendered_at,
        "conversation": conversation,
        "chat_messages": page.messages,
        "older_before": page.messages[0].seq if page.messages and page.messages[0].seq > 1 else None,
        "is_latest": before is None,
        "members": members,
        "my_last_read_seq": me.last_read_seq if me else 0,
        "client_id": uuid.uuid4(),
        "body": body,
        "error": error,
        "closed": closed,
        "next_url": next_url,
    }
