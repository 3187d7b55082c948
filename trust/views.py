"""HTML adapters for trust: my trust (with disputes), a colleague's card, the
talent manager's dispute queue, distributions and vouching.

Access comes from ``accounts.access``; a ``NotFound`` or ``PermissionDenied`` a view
lets through becomes the 404 or 403 page (``core.html_errors``). Errors that belong on
a form are put on it with ``form_error`` and the page is rendered again."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.access import member_required, talent_manager_required
from accounts.selectors.profiles import workspace_skills
from accounts.selectors.workspaces import active_members
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.html_errors import form_error, form_status, run_form
from trust import selectors
from trust.forms import DecisionForm, DisputeForm, VouchForm, typed
from trust.models import TrustDispute
from trust.services import disputes
from trust.services.vouching import vouch_for


def _my_trust_page(request, *, form: DisputeForm | None = None, status: int = 200):
    context = {
        "card": selectors.trust_card_for(request.user),
        "evidence": selectors.my_evidence(request.user),
        "disputes": selectors.my_disputes(request.user),
        "errors": form.errors if form is not None else {},
        "error_event": typed(form)["event"] if form is not None else None,
        "reason": typed(form)["reason"] if form is not None else "",
    }
    return render(request, "trust/my_trust.html", context, status=status)


@member_required
@require_GET
def my_trust(request):
    return _my_trust_page(request)


@member_required
@require_POST
def dispute_raise(request):
    form = DisputeForm(request.POST)
    form.is_valid()  # every field is optional: the service says what is missing
    try:
        disputes.dispute_raise(
            user=request.user, event_id=form.cleaned_data["event"], reason=form.cleaned_data["reason"]
        )
    except (ValidationFailed, Conflict) as error:  # someone else's item: NotFound, the 404 page
        form_error(form, error)
        return _my_trust_page(request, form=form, status=form_status(form))
    messages.success(request, "Your dispute was sent to a talent manager. You will see the decision here.")
    return redirect("trust:my_trust")


@member_required
@require_GET
def person_trust(request, user_id: int):
    card = selectors.trust_card(request.user, user_id)
    template = "trust/partials/trust_card.html" if request.headers.get("HX-Request") else "trust/person.html"
    return render(request, template, {"card": card, "show_details": True})


def _queue_page(request, membership, *, form=None, error_dispute=None, status: int = 200):
    context = {
        "open_disputes": selectors.dispute_queue(request.user),
        "decided": selectors.dispute_queue(request.user, include_decided=True).exclude(
            state=TrustDispute.State.OPEN
        )[:20],
        "distributions": selectors.distributions(request.user),
        "members": active_members(viewer_membership=membership),
        "skills": workspace_skills(request.user),
        "errors": form.errors if form is not None else {},
        "error_dispute": error_dispute,
        "form": typed(form) if form is not None else {},
    }
    return render(request, "trust/dispute_queue.html", context, status=status)


@talent_manager_required
@require_GET
def dispute_queue(request, membership):
    return _queue_page(request, membership)


@talent_manager_required
@require_POST
def dispute_decide(request, membership, dispute_id: int):
    form = DecisionForm(request.POST)
    form.is_valid()  # every field is optional: the service says what is missing
    try:
        dispute = disputes.dispute_decide(
            manager=request.user,
            dispute_id=dispute_id,
            decision=form.cleaned_data["decision"],
            note=form.cleaned_data["note"],
        )
    except (ValidationFailed, Conflict, PermissionDenied) as error:  # no such dispute: the 404 page
        form_error(form, error)
        return _queue_page(request, membership, form=form, error_dispute=dispute_id, status=form_status(form))
    messages.success(request, f"Dispute {dispute.state}. The person who raised it can see your note.")
    return redirect("trust:dispute_queue")


@talent_manager_required
@require_POST
def vouch(request, membership):
    form = VouchForm(request.POST)

    def vouch_for_target():
        subject, skill = selectors.vouch_target(
            request.user, user_id=form.cleaned_data["user"], skill_id=form.cleaned_data["skill"]
        )
        vouch_for(manager=request.user, subject=subject, skill=skill)
        return subject, skill

    vouched = run_form(form, vouch_for_target)
    if vouched is None:
        return _queue_page(request, membership, form=form, error_dispute="vouch", status=form_status(form))
    subject, skill = vouched
    messages.success(request, f"You vouched for {subject.display_name} in {skill.name}.")
    return redirect("trust:dispute_queue")
