"""HTML pages: home, find a mentor, requests, invitations inbox, engagements.

Adapters only: parse a form, call one selector or service, render or redirect
(POST → redirect → GET). Service errors land on the form field they name;
"not found" (missing or not yours) is a 404 page.
"""

from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST

from accounts.middleware import membership_of
from accounts.selectors import profiles as profile_selectors
from accounts.selectors import workspaces as workspace_selectors
from core import clock
from core.errors import DomainError, NotFound
from core.markdown import render_markdown
from mentoring.engagements import selectors
from mentoring.engagements.forms import (
    AnswerForm,
    ClarifyForm,
    CommitmentForm,
    ConfirmForm,
    DeclineForm,
    ExtendForm,
    FeedbackForm,
    GroupEngagementForm,
    InviteForm,
    MilestoneForm,
    NeedForm,
    ReasonForm,
    RequiredReasonForm,
    apply_domain_error,
)
from mentoring.engagements.lookups import workspace_people, workspace_skills
from mentoring.engagements.matching import suggestions_for_request
from mentoring.engagements.services import commitments as commitment_services
from mentoring.engagements.services import engagements as engagement_services
from mentoring.engagements.services import feedback as feedback_services
from mentoring.engagements.services import invitations as invitation_services
from mentoring.engagements.services import requests as request_services
from mentoring.models import Engagement, Invitation, MentoringRequest, Participant

ENGAGEMENTS_PER_PAGE = 20


def home(request):
    """Landing page for visitors; a member's home page otherwise."""
    if not request.user.is_authenticated:
        return render(request, "landing.html")
    membership = membership_of(request)
    if membership is None:
        return redirect("accounts:workspace_start")
    if request.user.profile.onboarded_at is None:
        return redirect("accounts:onboarding")
    return render(request, "home.html", {"profile": request.user.profile})


def member_page(view):
    """Logged in with an active workspace membership (else log in / start one);
    a domain NotFound becomes the 404 page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.get_full_path()}")
        if membership_of(request) is None:
            return redirect("accounts:workspace_start")
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(error.message) from None

    return wrapper


def _status_of(error: DomainError) -> int:
    return error.status if error.status != 404 else 400


def _tz(request) -> str:
    return request.user.profile.timezone or "UTC"


def _is_htmx(request) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


# --- Find a mentor ------------------------------------------------------------------------


@member_page
@require_http_methods(["GET", "POST"])
def find_mentor(request):
    """The need form. A valid need becomes a MentoringRequest; its page shows suggestions."""
    form = NeedForm(request.POST or None, viewer=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                need = request_services.request_create(
                    seeker=request.user,
                    title=data["title"],
                    description=data["description"],
                    skill_ids=[skill.pk for skill in form.skills],
                    kind=data["kind"],
                    urgency=data["urgency"],
                    desired_duration_days=data["desired_duration_days"],
                )
            except DomainError as error:
                if "skills" in error.fields:
                    error.fields["primary_skill"] = error.fields.pop("skills")
                apply_domain_error(form, error)
                status = _status_of(error)
            else:
                return redirect("mentoring:request_detail", need.pk)
        else:
            status = 400
    recent = selectors.requests_for(request.user)[:5]
    return render(request, "mentoring/find_mentor.html", {"form": form, "recent": recent}, status=status)


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


@member_page
def request_detail(request, request_id):
    """A request's status and, while nobody is invited (or all said no), ranked suggestions."""
    need = selectors.access_request(request.user, request_id)
    return _request_page(request, need)


@member_page
def request_suggestions(request, request_id):
    """The suggestions partial (htmx refresh); the full page without htmx."""
    need = selectors.access_request(request.user, request_id)
    if not _is_htmx(request):
        return redirect("mentoring:request_detail", need.pk)
    response = render(request, "mentoring/partials/suggestions.html", _suggestions_context(request, need))
    patch_vary_headers(response, ["HX-Request"])
    return response


@member_page
def trust_card(request, user_id):
    """One person's trust card (htmx partial, loaded when a suggestion's card is opened).
    The trust app scopes it: someone outside the viewer's workspace renders nothing."""
    return render(request, "mentoring/partials/trust_card.html", {"person": user_id})


@member_page
@require_POST
def request_invite(request, request_id):
    """Send invitations in the chosen order. For an exhausted request the same need is
    asked again as a new request (one transaction: both or nothing)."""
    need = selectors.access_request(request.user, request_id)
    posted = [request.POST.get(name) for name in ("first", "second", "third") if request.POST.get(name)]
    try:
        posted_people = workspace_people(request.user, posted, field="first")
    except DomainError:
        posted_people = []
    suggested = [s.user for s in _suggestions_context(request, need)["suggestions"]]
    form = InviteForm(request.POST, mentors=list({u.pk: u for u in [*suggested, *posted_people]}.values()))
    if not form.is_valid():
        return _request_page(request, need, invite_form=form, status=400)
    try:
        with transaction.atomic():
            target = need
            if need.state == MentoringRequest.State.EXHAUSTED:
                target = request_services.request_create(
                    seeker=request.user,
                    title=need.title,
                    description=need.description,
                    skill_ids=[skill.pk for skill in need.skills.all()],
                    kind=need.kind,
                    urgency=need.urgency,
                    desired_duration_days=need.desired_duration_days,
                    program=need.program,
                )
            invitation_services.invitations_send(
                seeker=request.user, request_id=target.pk, mentors=form.ordered
            )
    except DomainError as error:
        if "mentors" in error.fields:
            error.fields["first"] = error.fields.pop("mentors")
        apply_domain_error(form, error)
        return _request_page(request, need, invite_form=form, status=_status_of(error))
    first = form.ordered[0].display_name
    messages.success(request, f"Invitation sent to {first}. We'll ask your next choice if they can't help.")
    return redirect("mentoring:request_detail", target.pk)


@member_page
@require_POST
def request_cancel(request, request_id):
    need = selectors.access_request(request.user, request_id)
    try:
        request_services.request_cancel(seeker=request.user, request_id=need.pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Request cancelled; the invitations were withdrawn.")
    return redirect("mentoring:request_detail", need.pk)


@member_page
@require_POST
def invitation_answer(request, invitation_id):
    """The seeker answers a mentor's clarifying question."""
    invitation = selectors.access_invitation(request.user, invitation_id)
    if invitation.request.seeker_id != request.user.pk:
        raise Http404("No such invitation.")
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            invitation_services.invitation_answer_clarification(
                seeker=request.user, invitation_id=invitation.pk, answer=form.cleaned_data["answer"]
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, f"Answer sent to {invitation.mentor.display_name}.")
            return redirect("mentoring:request_detail", invitation.request_id)
    need = selectors.access_request(request.user, invitation.request_id)
    return _request_page(request, need, answer_form=form, status=400)


@member_page
def my_requests(request):
    """The seeker's requests and where each stands."""
    return render(request, "mentoring/requests.html", {"requests": selectors.requests_for(request.user)})


# --- Invitations inbox ----------------------------------------------------------------------


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


@member_page
def invitations(request):
    """Mentors: invitations waiting for an answer, and past ones."""
    return _inbox_page(request)


@member_page
@require_POST
def invitation_accept(request, invitation_id):
    try:
        engagement = invitation_services.invitation_accept(mentor=request.user, invitation_id=invitation_id)
    except NotFound:
        raise
    except DomainError as error:
        return _inbox_page(
            request, forms={("accept", int(invitation_id)): error.message}, status=error.status
        )
    messages.success(request, "Accepted: your engagement has started.")
    return redirect("mentoring:engagement_detail", engagement.pk)


@member_page
@require_POST
def invitation_decline(request, invitation_id):
    form = DeclineForm(request.POST, prefix=f"decline-{invitation_id}")
    if form.is_valid():
        try:
            invitation_services.invitation_decline(
                mentor=request.user, invitation_id=invitation_id, reason=form.cleaned_data["reason"]
            )
        except NotFound:
            raise
        except DomainError as error:
            apply_domain_error(form, error)
            return _inbox_page(request, forms={("decline", int(invitation_id)): form}, status=error.status)
        messages.success(request, "Declined. Thank you for answering quickly — the seeker is told.")
        return redirect("mentoring:invitations")
    return _inbox_page(request, forms={("decline", int(invitation_id)): form}, status=400)


@member_page
@require_POST
def invitation_clarify(request, invitation_id):
    form = ClarifyForm(request.POST, prefix=f"clarify-{invitation_id}")
    if form.is_valid():
        try:
            invitation_services.invitation_clarify(
                mentor=request.user, invitation_id=invitation_id, question=form.cleaned_data["question"]
            )
        except NotFound:
            raise
        except DomainError as error:
            apply_domain_error(form, error)
            return _inbox_page(request, forms={("clarify", int(invitation_id)): form}, status=error.status)
        messages.success(request, "Question sent. The invitation waits for the seeker's answer.")
        return redirect("mentoring:invitations")
    return _inbox_page(request, forms={("clarify", int(invitation_id)): form}, status=400)


# --- Engagements ----------------------------------------------------------------------------


@member_page
def engagement_list(request):
    """My engagements, newest first (paginated)."""
    state = request.GET.get("state") or None
    if state is not None and state not in Engagement.State.values:
        state = None
    page = Paginator(selectors.engagements_for(request.user, state), ENGAGEMENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "mentoring/engagement_list.html",
        {"page": page, "state": state, "states": Engagement.State.choices},
    )


def _engagement_forms(request, engagement, overrides: dict) -> dict:
    tz = _tz(request)
    forms = {
        "commitment_form": CommitmentForm(tz_name=tz, prefix="commitment"),
        "milestone_form": MilestoneForm(tz_name=tz, prefix="milestone"),
        "extend_form": ExtendForm(tz_name=tz, prefix="extend"),
        "leave_form": ReasonForm(prefix="leave"),
        "cancel_form": RequiredReasonForm(prefix="cancel"),
        "finish_form": ReasonForm(prefix="finish"),
    }
    forms.update({k: v for k, v in overrides.items() if not k.startswith("feedback:")})
    if engagement.is_ended and engagement.state in (Engagement.State.WRAPPING_UP, Engagement.State.COMPLETED):
        owed = _feedback_owed(request.user, engagement)
        forms["feedback_forms"] = [
            overrides.get(f"feedback:{person.pk}") or FeedbackForm(ratee=person) for person in owed
        ]
    else:
        forms["feedback_forms"] = []
    return forms


def _feedback_owed(user, engagement) -> list:
    if not any(p.user_id == user.pk and p.left_at is None for p in engagement.participants.all()):
        return []
    return selectors.feedback_owed_by(user, engagement)


def _engagement_page(request, engagement_id, *, overrides=None, status=200):
    engagement = selectors.access_engagement(request.user, engagement_id)
    participants = list(engagement.participants.all())
    me = next((p for p in participants if p.user_id == request.user.pk and p.left_at is None), None)
    context = {
        "engagement": engagement,
        "participants": participants,
        "me": me,
        "is_mentor": bool(me and me.role == Participant.Role.MENTOR),
        "timeline": list(selectors.engagement_timeline(engagement)),
        "commitments": list(selectors.commitments_for(engagement))
        if engagement.viewer_is_participant
        else [],
        "milestones": list(selectors.milestones_for(engagement)) if engagement.viewer_is_participant else [],
        "now": clock.now(),
        "goal_html": render_markdown(engagement.goal),
        "is_active": engagement.state == Engagement.State.ACTIVE,
        "can_extend": engagement.state == Engagement.State.ACTIVE and not engagement.extended_once and me,
        "error_summary": (overrides or {}).get("error"),
    }
    if me is not None:
        context.update(_engagement_forms(request, engagement, overrides or {}))
    return render(request, "mentoring/engagement_detail.html", context, status=status)


@member_page
def engagement_detail(request, engagement_id):
    """Goal, dates, state, people with trust cards, commitments, milestones, timeline, wrap-up."""
    return _engagement_page(request, engagement_id)


def _engagement_action(
    request,
    engagement_id,
    *,
    call,
    success,
    form=None,
    form_key=None,
    invalid_message=None,
    redirect_to="mentoring:engagement_detail",
):
    """The one POST flow of the engagement page: a valid form (or none) → the
    service → redirect with a message; otherwise the page again with the form's
    errors and the service's status code. ``success`` is a text, or a function
    of what the service returned. NotFound propagates (one answer for missing
    and not-yours)."""
    if form is not None and not form.is_valid():
        overrides = {form_key: form} if form_key else {}
        if invalid_message:
            overrides["error"] = invalid_message
        return _engagement_page(request, engagement_id, overrides=overrides, status=400)
    try:
        result = call(form.cleaned_data if form is not None else {})
    except NotFound:
        raise
    except DomainError as error:
        overrides = {"error": error.message}
        if form is not None and form_key:
            apply_domain_error(form, error)
            overrides[form_key] = form
        return _engagement_page(request, engagement_id, overrides=overrides, status=error.status)
    messages.success(request, success(result) if callable(success) else success)
    if redirect_to == "mentoring:engagement_detail":
        return redirect(redirect_to, engagement_id)
    return redirect(redirect_to)


@member_page
@require_POST
def commitment_add(request, engagement_id):
    return _engagement_action(
        request,
        engagement_id,
        form=CommitmentForm(request.POST, tz_name=_tz(request), prefix="commitment"),
        form_key="commitment_form",
        call=lambda d: commitment_services.commitment_record(
            actor=request.user, engagement_id=engagement_id, text=d["text"], due_at=d["due_at"]
        ),
        success="Commitment recorded. Your counterpart confirms it when it is done.",
    )


@member_page
@require_POST
def commitment_confirm(request, commitment_id):
    return _engagement_action(
        request,
        selectors.engagement_id_of(request.user, commitment_id=commitment_id),
        form=ConfirmForm(request.POST),
        invalid_message="Choose kept or missed.",
        call=lambda d: commitment_services.commitment_confirm(
            actor=request.user, commitment_id=commitment_id, kept=d["kept"]
        ),
        success=lambda commitment: f"Marked {commitment.state}. Thank you — it counts toward trust.",
    )


@member_page
@require_POST
def commitment_release(request, commitment_id):
    return _engagement_action(
        request,
        selectors.engagement_id_of(request.user, commitment_id=commitment_id),
        call=lambda d: commitment_services.commitment_release(
            actor=request.user, commitment_id=commitment_id
        ),
        success="Commitment released.",
    )


@member_page
@require_POST
def milestone_add(request, engagement_id):
    return _engagement_action(
        request,
        engagement_id,
        form=MilestoneForm(request.POST, tz_name=_tz(request), prefix="milestone"),
        form_key="milestone_form",
        call=lambda d: engagement_services.milestone_add(
            actor=request.user, engagement_id=engagement_id, title=d["title"], due_at=d["due_on"]
        ),
        success="Milestone added.",
    )


@member_page
@require_POST
def milestone_complete(request, milestone_id):
    return _engagement_action(
        request,
        selectors.engagement_id_of(request.user, milestone_id=milestone_id),
        call=lambda d: engagement_services.milestone_complete(actor=request.user, milestone_id=milestone_id),
        success="Milestone done.",
    )


@member_page
@require_POST
def engagement_extend(request, engagement_id):
    return _engagement_action(
        request,
        engagement_id,
        form=ExtendForm(request.POST, tz_name=_tz(request), prefix="extend"),
        form_key="extend_form",
        call=lambda d: engagement_services.engagement_extend(
            actor=request.user, engagement_id=engagement_id, ends_at=d["ends_on"], reason=d["reason"]
        ),
        success="Extended. This was the one extension this engagement gets.",
    )


@member_page
@require_POST
def engagement_leave(request, engagement_id):
    return _engagement_action(
        request,
        engagement_id,
        form=ReasonForm(request.POST, prefix="leave"),
        form_key="leave_form",
        call=lambda d: engagement_services.participant_leave(
            actor=request.user, engagement_id=engagement_id, reason=d["reason"]
        ),
        success="You left the group engagement.",
        redirect_to="mentoring:engagement_list",
    )


@member_page
@require_POST
def engagement_cancel(request, engagement_id):
    return _engagement_action(
        request,
        engagement_id,
        form=RequiredReasonForm(request.POST, prefix="cancel"),
        form_key="cancel_form",
        call=lambda d: engagement_services.engagement_cancel(
            actor=request.user, engagement_id=engagement_id, reason=d["reason"]
        ),
        success="Engagement cancelled.",
    )


@member_page
@require_POST
def engagement_finish(request, engagement_id):
    return _engagement_action(
        request,
        engagement_id,
        form=ReasonForm(request.POST, prefix="finish"),
        form_key="finish_form",
        call=lambda d: engagement_services.engagement_finish_early(
            actor=request.user, engagement_id=engagement_id, reason=d["reason"]
        ),
        success="Wrapping up: please leave feedback for the people you worked with.",
    )


@member_page
@require_POST
def feedback_submit(request, engagement_id, ratee_id):
    engagement = selectors.access_engagement(request.user, engagement_id)
    ratee = next((p.user for p in engagement.participants.all() if p.user_id == int(ratee_id)), None)
    if ratee is None:
        raise NotFound("No such participant.")
    form = FeedbackForm(request.POST, ratee=ratee)
    return _engagement_action(
        request,
        engagement_id,
        form=form,
        form_key=f"feedback:{ratee.pk}",
        call=lambda d: feedback_services.feedback_submit(
            rater=request.user,
            engagement_id=engagement_id,
            ratee=ratee,
            competence=d["competence"],
            respectful=d["respectful"],
            honest=d["honest"],
            responsiveness=d["responsiveness"],
            would_work_again=d["would_work_again"],
            private_note=d["private_note"],
        ),
        success=f"Feedback about {ratee.display_name} saved. It stays hidden until they rated you too, "
        "or a week after the end.",
    )


# --- Group engagements ----------------------------------------------------------------------


def _group_form(request, data=None):
    membership = membership_of(request)
    people = workspace_selectors.active_members(viewer_membership=membership)
    skills = profile_selectors.workspace_skills(request.user)
    return GroupEngagementForm(data, people=people, skills=skills, tz_name=_tz(request))


@member_page
@require_http_methods(["GET", "POST"])
def group_create(request):
    """Talent managers, or a mentor taking part, start a group engagement (≥ 3 people)."""
    membership = membership_of(request)
    allowed = membership.is_talent_manager or request.user.profile.open_to_mentor
    form = _group_form(request, request.POST or None)
    status = 200 if allowed else 403
    if request.method == "POST" and allowed:
        if form.is_valid():
            data = form.cleaned_data
            try:
                engagement = engagement_services.group_engagement_create(
                    actor=request.user,
                    title=data["title"],
                    goal=data["goal"],
                    mentors=workspace_people(request.user, data["mentors"], field="mentors"),
                    seekers=workspace_people(request.user, data["seekers"], field="seekers"),
                    skills=workspace_skills(request.user, data["skills"]),
                    ends_at=data["ends_on"],
                )
            except DomainError as error:
                if "participants" in error.fields:
                    error.fields["seekers"] = error.fields.pop("participants")
                if "ends_at" in error.fields:
                    error.fields["ends_on"] = error.fields.pop("ends_at")
                apply_domain_error(form, error)
                status = _status_of(error)
            else:
                messages.success(request, "Group engagement started; everyone was told.")
                return redirect("mentoring:engagement_detail", engagement.pk)
        else:
            status = 400
    return render(
        request,
        "mentoring/group_create.html",
        {"form": form, "allowed": allowed, "default_end": clock.now() + timedelta(days=30)},
        status=status,
    )
