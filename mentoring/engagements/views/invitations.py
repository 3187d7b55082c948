"""The mentor's invitations inbox: live invitations with accept, decline and
ask-a-question, and past ones."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import member_required
from core.errors import Conflict
from core.html_errors import form_status, run_form
from mentoring.engagements import selectors
from mentoring.engagements.forms import ClarifyForm, DeclineForm
from mentoring.engagements.services import invitations as invitation_services
from mentoring.models import Invitation


def _inbox_page(request, *, forms=None, status=200):
    live = list(selectors.invitations_inbox(request.user))
    past = [
        invitation
        for invitation in selectors.invitations_inbox(request.user, include_answered=True)
        if invitation.state not in Invitation.LIVE_STATES
    ][:20]
    forms = forms or {}
    for invitation in live:
        invitation.decline_form = forms.get(("decline", invitation.pk)) or DeclineForm(
            prefix=f"decline-{invitation.pk}"
        )
        invitation.clarify_form = forms.get(("clarify", invitation.pk)) or ClarifyForm(
            prefix=f"clarify-{invitation.pk}"
        )
        invitation.accept_error = forms.get(("accept", invitation.pk))
    return render(
        request,
        "mentoring/invitations.html",
        {"live": live, "past": past, "capacity_left": selectors.mentor_capacity_left(request.user)},
        status=status,
    )


@member_required
def invitations(request):
    """Mentors: invitations waiting for an answer, and past ones."""
    return _inbox_page(request)


@member_required
@require_POST
def invitation_accept(request, invitation_id):
    """Accept: the engagement starts. An expired, taken or answered invitation (or no
    capacity left) is explained next to it; missing or not yours is the 404 page."""
    try:
        engagement = invitation_services.invitation_accept(mentor=request.user, invitation_id=invitation_id)
    except Conflict as error:
        return _inbox_page(
            request, forms={("accept", int(invitation_id)): error.message}, status=error.status
        )
    messages.success(request, "Accepted: your engagement has started.")
    return redirect("mentoring:engagement_detail", engagement.pk)


@member_required
@require_POST
def invitation_decline(request, invitation_id):
    invitation = selectors.access_invitation(request.user, invitation_id, side="mentor")
    form = DeclineForm(request.POST, prefix=f"decline-{invitation.pk}")
    declined = run_form(
        form,
        lambda: invitation_services.invitation_decline(
            mentor=request.user, invitation_id=invitation.pk, reason=form.cleaned_data["reason"]
        ),
    )
    if declined is None:
        return _inbox_page(request, forms={("decline", invitation.pk): form}, status=form_status(form))
    messages.success(request, "Declined. Thank you for answering quickly — the seeker is told.")
    return redirect("mentoring:invitations")


@member_required
@require_POST
def invitation_clarify(request, invitation_id):
    invitation = selectors.access_invitation(request.user, invitation_id, side="mentor")
    form = ClarifyForm(request.POST, prefix=f"clarify-{invitation.pk}")
    asked = run_form(
        form,
        lambda: invitation_services.invitation_clarify(
            mentor=request.user, invitation_id=invitation.pk, question=form.cleaned_data["question"]
        ),
    )
    if asked is None:
        return _inbox_page(request, forms={("clarify", invitation.pk): form}, status=form_status(form))
    messages.success(request, "Question sent. The invitation waits for the seeker's answer.")
    return redirect("mentoring:invitations")
