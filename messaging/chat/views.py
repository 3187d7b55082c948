"""HTML for chat: the chat panel (embedded in the engagement page, or on its own
page at /conversations/<id>/) and a plain form POST so sending works without
JavaScript. static/js/chat.js upgrades the same markup to the live socket.

A conversation or engagement that is not the viewer's is the 404 page, a bad
``?before=`` the error page (``core.html_errors``).
"""

from django.contrib import messages as flash
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.access import member_required
from core.errors import DomainError, NotFound
from messaging.chat import selectors, services
from messaging.chat.panel import chat_panel_context


@member_required
def conversation_page(request, conversation_id):
    conversation = selectors.access_conversation(request.user, conversation_id)
    if conversation.engagement_id and "before" not in request.GET:
        return redirect(
            reverse("mentoring:engagement_detail", args=[conversation.engagement_id]) + "#chat-panel"
        )
    return _page(request, conversation)


def _page(request, conversation, *, status=200, **panel):
    context = chat_panel_context(
        request.user,
        conversation,
        before=request.GET.get("before"),
        next_url=request.get_full_path(),
        **panel,
    )
    return render(request, "messaging/conversation.html", {"chat": context}, status=status)


@member_required
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
    except DomainError as error:  # the panel's form, re-rendered with the text and the fix
        reason = error.message
        if error.fields:
            reason = " ".join([error.message, *[m for msgs in error.fields.values() for m in msgs]])
        return _page(request, conversation, status=error.status, body=body, error=reason)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("messaging:conversation", args=[conversation.pk])
    flash.success(request, "Message sent.")
    return redirect(next_url.split("#")[0] + "#chat-panel")


@member_required
@require_POST
def engagement_chat_open(request, engagement_id):
    """The lazy path for an engagement that has no conversation yet (older
    engagements; new ones get theirs on creation): a participant's POST creates
    it, or brings its members in line, then back to the engagement's chat."""
    conversation = services.engagement_chat_open(user=request.user, engagement_id=engagement_id)
    return redirect(reverse("mentoring:engagement_detail", args=[conversation.engagement_id]) + "#chat-panel")


@member_required
@require_GET
def unread_panel(request):
    """Home's "unread conversations" partial (static/js/home.js reloads it live)."""
    unread = [c for c in selectors.conversations_for(request.user) if c.unread_count][:6]
    return render(request, "messaging/_unread_panel.html", {"conversations": unread})
