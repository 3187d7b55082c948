"""HTML for chat: the chat panel (embedded in the engagement page, or on its own
page at /conversations/<id>/) and a plain form POST so sending works without
JavaScript. static/js/chat.js upgrades the same markup to the live socket.
"""

import uuid

from django.contrib import messages as flash
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core import clock
from core.errors import DomainError, NotFound
from mentoring.engagements.views import member_page
from messaging.chat import selectors, services
from messaging.sockets import presence

PANEL_HISTORY = 50


def chat_panel_context(user, conversation, *, before=None, body="", error=None, next_url="") -> dict:
    """What templates/messaging/_chat_panel_body.html needs: the last 50 messages
    (or the 50 before ``before``), the members with their read marks and presence,
    and a fresh client_id for the no-JS form (so a double submit stores one message)."""
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


@member_page
def conversation_page(request, conversation_id):
    conversation = selectors.access_conversation(request.user, conversation_id)
    if conversation.engagement_id and "before" not in request.GET:
        return redirect(
            reverse("mentoring:engagement_detail", args=[conversation.engagement_id]) + "#chat-panel"
        )
    return _page(request, conversation)


def _page(request, conversation, *, status=200, **panel):
    try:
        context = chat_panel_context(
            request.user,
            conversation,
            before=request.GET.get("before"),
            next_url=request.get_full_path(),
            **panel,
        )
    except DomainError as error:  # a bad ?before=
        raise Http404(error.message) from None
    return render(request, "messaging/conversation.html", {"chat": context}, status=status)


@member_page
@require_POST
def message_send(request, conversation_id):
    """The no-JS send. Errors re-render the panel with the text kept."""
    conversation = selectors.access_conversation(request.user, conversation_id)
    body = request.POST.get("body", "")
    try:
        services.message_send(
            conversation_id=conversation.pk,
            author=request.user,
            client_id=request.POST.get("client_id"),
            body=body,
            reply_to_seq=request.POST.get("reply_to") or None,
        )
    except NotFound:
        raise
    except DomainError as error:
        reason = error.message
        if error.fields:
            reason = " ".join([error.message, *[m for msgs in error.fields.values() for m in msgs]])
        return _page(request, conversation, status=error.status, body=body, error=reason)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("messaging:conversation", args=[conversation.pk])
    flash.success(request, "Message sent.")
    return redirect(next_url.split("#")[0] + "#chat-panel")


@member_page
@require_POST
def engagement_chat_open(request, engagement_id):
    """The lazy path for an engagement that has no conversation yet (older
    engagements; new ones get theirs on creation): a participant's POST creates
    it, or brings its members in line, then back to the engagement's chat."""
    from mentoring.engagements.services.engagements import participant_engagement

    engagement = participant_engagement(request.user, engagement_id)
    services.conversation_for_engagement(engagement=engagement)
    return redirect(reverse("mentoring:engagement_detail", args=[engagement.pk]) + "#chat-panel")
