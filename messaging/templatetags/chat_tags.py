"""``{% chat_panel %}``: the chat of the engagement (or conversation) in the
template context, for its current members; nothing for anyone else (talent
managers see engagement metadata, never the conversation).

Read-only: rendering a page never writes. Engagements get their conversation
when they start (``messaging.chat.receivers`` on ``engagement_started``);
an older engagement without one (or a participant not yet among its members)
gets an "Open the chat" button that POSTs to ``messaging:engagement_chat_open``,
which creates or syncs it."""

from django import template

from core.errors import NotFound
from messaging.chat import selectors
from messaging.chat.panel import chat_panel_context
from messaging.models import Conversation

register = template.Library()


@register.inclusion_tag("messaging/_chat_panel_body.html", takes_context=True)
def chat_panel(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"chat": None}
    if context.get("chat"):
        return {"chat": context["chat"], "request": request, "csrf_token": context.get("csrf_token")}
    conversation = context.get("conversation")
    engagement = context.get("engagement")
    missing = {
        "chat": None,
        "chat_missing": engagement,
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
    if conversation is None and engagement is not None:
        is_participant = any(
            p.user_id == user.pk and p.left_at is None for p in engagement.participants.all()
        )
        if not is_participant:
            return {"chat": None, "not_member": True}
        conversation = Conversation.objects.filter(engagement_id=engagement.pk).first()
        if conversation is None:
            return missing
    if conversation is None:
        return {"chat": None}
    try:
        conversation = selectors.access_conversation(user, conversation.pk)
    except NotFound:
        # a participant whose membership was never synced: the same button fixes it
        return missing if engagement is not None else {"chat": None, "not_member": True}
    chat = chat_panel_context(user, conversation, next_url=request.get_full_path())
    return {"chat": chat, "request": request, "csrf_token": context.get("csrf_token")}
