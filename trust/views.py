"""HTML adapters for trust: my trust (with disputes), a colleague's card, the
talent manager's dispute queue, distributions and vouching."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.middleware import membership_of
from accounts.models import Skill
from accounts.selectors.profiles import workspace_skills
from accounts.selectors.workspaces import active_members
from core.errors import DomainError, NotFound, PermissionDenied
from trust import selectors, services
from trust.models import TrustDispute


def _member_or_404(request):
    membership = membership_of(request)
    if membership is None:
        raise Http404("You are not in a workspace yet.")
    return membership


def _manager_or_403(request):
    membership = _member_or_404(request)
    if not membership.is_talent_manager:
        raise DjangoPermissionDenied("Only talent managers can see this page.")
    return membership


def _field_errors(error: DomainError) -> dict:
    fields = dict(error.fields)
    if not fields:
        fields["__all__"] = [error.message]
    return fields


def _my_trust_page(request, *, errors=None, error_event=None, reason="", status=200):
    context = {
        "card": selectors.trust_card_for(request.user),
        "evidence": selectors.my_evidence(request.user),
        "disputes": selectors.my_disputes(request.user),
        "errors": errors or {},
        "error_event": error_event,
        "reason": reason,
    }
    return render(request, "trust/my_trust.html", context, status=status)


@login_required
@require_GET
def my_trust(request):
    _member_or_404(request)
    return _my_trust_page(request)


@login_required
@require_POST
def dispute_raise(request):
    _member_or_404(request)
    event_id = request.POST.get("event", "")
    reason = request.POST.get("reason", "")
    try:
        services.dispute_raise(user=request.user, event_id=event_id, reason=reason)
    except NotFound as exc:
        raise Http404(exc.message) from None
    except DomainError as exc:
        return _my_trust_page(
            request, errors=_field_errors(exc), error_event=str(event_id), reason=reason, status=exc.status
        )
    messages.success(request, "Your dispute was sent to a talent manager. You will see the decision here.")
    return redirect("trust:my_trust")


@login_required
@require_GET
def person_trust(request, user_id: int):
    _member_or_404(request)
    try:
        card = selectors.trust_card(request.user, user_id)
    except NotFound:
        raise Http404("No such person.") from None
    template = "trust/partials/trust_card.html" if request.headers.get("HX-Request") else "trust/person.html"
    return render(request, template, {"card": card, "show_details": True})


def _queue_page(request, *, errors=None, error_dispute=None, form=None, status=200):
    membership = _manager_or_403(request)
    context = {
        "open_disputes": selectors.dispute_queue(request.user),
        "decided": selectors.dispute_queue(request.user, include_decided=True).exclude(
            state=TrustDispute.State.OPEN
        )[:20],
        "distributions": selectors.distributions(request.user),
        "members": active_members(viewer_membership=membership),
        "skills": workspace_skills(request.user),
        "errors": errors or {},
        "error_dispute": error_dispute,
        "form": form or {},
    }
    return render(request, "trust/dispute_queue.html", context, status=status)


@login_required
@require_GET
def dispute_queue(request):
    return _queue_page(request)


@login_required
@require_POST
def dispute_decide(request, dispute_id: int):
    _manager_or_403(request)
    decision = request.POST.get("decision", "")
    note = request.POST.get("note", "")
    try:
        dispute = services.dispute_decide(
            manager=request.user, dispute_id=dispute_id, decision=decision, note=note
        )
    except NotFound as exc:
        raise Http404(exc.message) from None
    except PermissionDenied as exc:
        return _queue_page(request, errors={"__all__": [exc.message]}, error_dispute=dispute_id, status=403)
    except DomainError as exc:
        return _queue_page(
            request,
            errors=_field_errors(exc),
            error_dispute=dispute_id,
            form={"note": note, "decision": decision},
            status=exc.status,
        )
    messages.success(request, f"Dispute {dispute.state}. The person who raised it can see your note.")
    return redirect("trust:dispute_queue")


@login_required
@require_POST
def vouch(request):
    membership = _manager_or_403(request)
    form = {"user": request.POST.get("user", ""), "skill": request.POST.get("skill", "")}
    try:
        try:
            subject = selectors.access_member(request.user, form["user"])
        except NotFound:
            raise NotFound(
                "No such person.", fields={"user": ["Choose a member of your workspace."]}
            ) from None
        skill = Skill.objects.filter(
            pk=int(form["skill"]) if form["skill"].isdigit() else None,
            organization_id=membership.organization_id,
        ).first()
        if skill is None:
            raise NotFound("No such skill.", fields={"skill": ["Choose a skill of your workspace."]})
        services.vouch_for(manager=request.user, subject=subject, skill=skill)
    except DomainError as exc:
        return _queue_page(
            request, errors=_field_errors(exc), error_dispute="vouch", form=form, status=exc.status
        )
    messages.success(request, f"You vouched for {subject.display_name} in {skill.name}.")
    return redirect("trust:dispute_queue")
