"""Find a mentor and the seeker's requests: the need form, a request's page with its
suggestions and invitations, inviting, cancelling and answering a mentor's question."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import member_required
from core.errors import DomainError
from core.html_errors import form_status, run_form
from core.idempotency import form_token, submit_once
from mentoring.engagements import selectors
from mentoring.engagements.forms import AnswerForm, InviteForm, NeedForm
from mentoring.engagements.lookups import workspace_people
from mentoring.engagements.matching import suggestions_for_request
from mentoring.engagements.services import invitations as invitation_services
from mentoring.engagements.services import requests as request_services
from mentoring.models import MentoringRequest


def _is_htmx(request) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


@member_required
@require_http_methods(["GET", "POST"])
def find_mentor(request):
    """The need form. A valid need becomes a MentoringRequest; its page shows suggestions."""
    form = NeedForm(request.POST or None, viewer=request.user)
    if request.method == "POST":
        url = submit_once(request, lambda: _create_request(request, form))  # once per page
        if url is not None:
            return redirect(url)
    recent = selectors.requests_for(request.user)[:5]
    return render(
        request,
        "mentoring/find_mentor.html",
        {"form": form, "recent": recent, "form_token": form_token(request)},
        status=form_status(form) if form.is_bound else 200,
    )


def _create_request(request, form) -> str | None:
    need = run_form(
        form,
        lambda: request_services.request_create(
            seeker=request.user,
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
            skill_ids=[skill.pk for skill in form.skills],
            kind=form.cleaned_data["kind"],
            urgency=form.cleaned_data["urgency"],
            desired_duration_days=form.cleaned_data["desired_duration_days"],
        ),
        rename={"skills": "primary_skill"},
    )
    return None if need is None else reverse("mentoring:request_detail", args=[need.pk])


def _suggestions_context(request, need, invite_form=None) -> dict:
    suggestions = []
    if need.state in (MentoringRequest.State.OPEN, MentoringRequest.State.EXHAUSTED):
        suggestions = suggestions_for_request(seeker=request.user, request=need)
    if invite_form is None:
        invite_form = InviteForm(mentors=[s.user for s in suggestions])
    return {"need": need, "suggestions": suggestions, "invite_form": invite_form}


def _request_page(request, need, *, invite_form=None, answer_form=None, status=200):
    context = _suggestions_context(request, need, invite_form)
    context.update(
        {
            "invitations": list(need.invitations.select_related("mentor").order_by("rank")),
            # at most one invitation per request is live, so one answer form is enough
            "answer_form": answer_form or AnswerForm(),
            "cancellable": need.state in (MentoringRequest.State.OPEN, MentoringRequest.State.INVITING),
        }
    )
    return render(request, "mentoring/request_detail.html", context, status=status)


@member_required
def request_detail(request, request_id):
    """A request's status and, while nobody is invited (or all said no), ranked suggestions."""
    need = selectors.access_request(request.user, request_id)
    return _request_page(request, need)


@member_required
def request_suggestions(request, request_id):
    """The suggestions partial (htmx refresh); the full page without htmx."""
    need = selectors.access_request(request.user, request_id)
    if not _is_htmx(request):
        return redirect("mentoring:request_detail", need.pk)
    response = render(request, "mentoring/partials/suggestions.html", _suggestions_context(request, need))
    patch_vary_headers(response, ["HX-Request"])
    return response


@member_required
def trust_card(request, user_id):
    """One person's trust card (htmx partial, loaded when a suggestion's card is opened).
    The trust app scopes it: someone outside the viewer's workspace renders nothing."""
    return render(request, "mentoring/partials/trust_card.html", {"person": user_id})


@member_required
@require_POST
def request_invite(request, request_id):
    """Send invitations in the chosen order. For an exhausted request the service asks
    the same need again as a new request; the page that follows is that request's."""
    need = selectors.access_request(request.user, request_id)
    posted = [request.POST.get(name) for name in ("first", "second", "third") if request.POST.get(name)]
    try:
        posted_people = workspace_people(request.user, posted, field="first")
    except DomainError:  # the form names the unknown choice
        posted_people = []
    suggested = [s.user for s in _suggestions_context(request, need)["suggestions"]]
    form = InviteForm(request.POST, mentors=list({u.pk: u for u in [*suggested, *posted_people]}.values()))
    invitations = run_form(
        form,
        lambda: invitation_services.invitations_send(
            seeker=request.user, request_id=need.pk, mentors=form.ordered
        ),
        rename={"mentors": "first"},
    )
    if invitations is None:
        return _request_page(request, need, invite_form=form, status=form_status(form))
    first = form.ordered[0].display_name
    messages.success(request, f"Invitation sent to {first}. We'll ask your next choice if they can't help.")
    return redirect("mentoring:request_detail", invitations[0].request_id)


@member_required
@require_POST
def request_cancel(request, request_id):
    """Cancel the request (a refusal is shown on the page the form came from)."""
    need = selectors.access_request(request.user, request_id)
    request_services.request_cancel(seeker=request.user, request_id=need.pk)
    messages.success(request, "Request cancelled; the invitations were withdrawn.")
    return redirect("mentoring:request_detail", need.pk)


@member_required
@require_POST
def invitation_answer(request, invitation_id):
    """The seeker answers a mentor's clarifying question."""
    invitation = selectors.access_invitation(request.user, invitation_id, side="seeker")
    form = AnswerForm(request.POST)
    answered = run_form(
        form,
        lambda: invitation_services.invitation_answer_clarification(
            seeker=request.user, invitation_id=invitation.pk, answer=form.cleaned_data["answer"]
        ),
    )
    if answered is None:
        need = selectors.access_request(request.user, invitation.request_id)
        return _request_page(request, need, answer_form=form, status=form_status(form))
    messages.success(request, f"Answer sent to {invitation.mentor.display_name}.")
    return redirect("mentoring:request_detail", invitation.request_id)


@member_required
def my_requests(request):
    """The seeker's requests and where each stands."""
    return render(request, "mentoring/requests.html", {"requests": selectors.requests_for(request.user)})
