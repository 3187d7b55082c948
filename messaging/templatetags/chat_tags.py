"""``{% chat_panel %}``: the chat of the engagement (or conversation) in the
template context, for its current members; nothing for anyone else (talent
managers see engagement metadata, never the conversation).

Read-only: rendering a page never writes. Engagements get their conversation
when they start (``messaging.chat.receivers`` on ``engagement_started``);
an older engagement without one (or a participant not yet among its members)
gets an "Open the chat" button that POSTs to ``messaging:engagement_chat_open``,
which creates or syncs it.

``{% message_prototypes as prototypes %}``: stand-ins the panel renders
templates/messaging/_message.html with into its ``<template>`` elements, so the
live chat (static/js/chat-message.js) fills clones of the same markup the
history is rendered with."""

from datetime import UTC, datetime
from types import SimpleNamespace

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


@register.simple_tag
def message_prototypes() -> dict:
    """A message with every optional part ("(edited)", the reply link), live and
    deleted. Ids are blank (never a real ``data-seq``) and there is no author, so
    the prototype is nobody's ("mine" is the script's to set)."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)

    def prototype(*, deleted: bool):
        return SimpleNamespace(
            conversation_id="",
            seq="",
            client_id="",
            author=None,
            author_id=None,
            created_at=epoch,
            edited_at=None if deleted else epoch,
            deleted_at=epoch if deleted else None,
            reply_to_id=True,
            reply_to=SimpleNamespace(seq=""),
            body_html="",
        )

    return {"live": prototype(deleted=False), "deleted": prototype(deleted=True)}
