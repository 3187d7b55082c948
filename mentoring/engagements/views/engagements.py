"""The engagement pages: my engagements, one engagement (goal, people, commitments,
milestones, timeline, wrap-up), its moves (extend, leave, cancel, finish) and starting
a group engagement. ``engagement_action`` is the one POST flow of the engagement page;
``engagement_form_post`` makes the views that post one of its forms to one service.
Commitments, milestones and feedback (``views.commitments``) post through them too.
"""

from datetime import timedelta

from django import forms as django_forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import member_required, membership_of
from accounts.selectors import profiles as profile_selectors
from accounts.selectors import workspaces as workspace_selectors
from core import clock
from core.html_errors import form_status, run_form
from core.markdown import render_markdown
from mentoring.engagements import selectors
from mentoring.engagements.forms import (
    CommitmentForm,
    ExtendForm,
    FeedbackForm,
    GroupEngagementForm,
    MilestoneForm,
    ReasonForm,
    RequiredReasonForm,
)
from mentoring.engagements.lookups import workspace_people, workspace_skills
from mentoring.engagements.services import engagements as engagement_services
from mentoring.models import Engagement, Participant

ENGAGEMENTS_PER_PAGE = 20
DETAIL = "mentoring:engagement_detail"


def person_tz(request) -> str:
    """The viewer's time zone: dates typed in forms are read in it."""
    return request.user.profile.timezone or "UTC"


@member_required
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


def _feedback_owed(user, engagement) -> list:
    if not any(p.user_id == user.pk and p.left_at is None for p in engagement.participants.all()):
        return []
    return selectors.feedback_owed_by(user, engagement)


def _engagement_forms(request, engagement, overrides: dict) -> dict:
    tz = person_tz(request)
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


def engagement_page(request, engagement, *, overrides=None, status=200):
    """Render the engagement page for ``engagement`` (read through
    ``selectors.access_engagement``), with ``overrides`` (forms with errors, an
    ``error`` summary) in place of the blank forms."""
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
        "viewer_tz": person_tz(request),
        "goal_html": render_markdown(engagement.goal),
        "is_active": engagement.state == Engagement.State.ACTIVE,
        "can_extend": engagement.state == Engagement.State.ACTIVE and not engagement.extended_once and me,
        "error_summary": (overrides or {}).get("error"),
        "error_in_side": not str((overrides or {}).get("error_form") or "feedback:").startswith("feedback:"),
    }
    if me is not None:
        context.update(_engagement_forms(request, engagement, overrides or {}))
    return render(request, "mentoring/engagement_detail.html", context, status=status)


@member_required
def engagement_detail(request, engagement_id):
    """Goal, dates, state, people with trust cards, commitments, milestones, timeline, wrap-up."""
    return engagement_page(request, selectors.access_engagement(request.user, engagement_id))


def engagement_action(
    request,
    engagement,
    *,
    call,
    success,
    form=None,
    form_key=None,
    invalid_message=None,
    redirect_to=DETAIL,
):
    """The one POST flow of the engagement page. ``engagement`` was read through
    ``selectors.access_engagement`` (missing and not-yours: the 404 page). A valid form
    (or none) → ``call(cleaned_data)`` (one service) → redirect with ``success`` (a text,
    or a function of what the service returned); otherwise the page again with the
    form's errors, a summary and the status of the service's error."""
    form = form if form is not None else django_forms.Form(request.POST)
    result = run_form(form, lambda: call(form.cleaned_data))
    if result is None:
        error = getattr(form, "domain_error", None)
        if form_key:
            # the form shows its own errors next to its fields; no summary far above it
            overrides = {form_key: form, "error_form": form_key}
        else:
            overrides = {"error": error.message if error is not None else invalid_message}
        return engagement_page(request, engagement, overrides=overrides, status=form_status(form))
    messages.success(request, success(result) if callable(success) else success)
    if redirect_to == DETAIL:
        return redirect(redirect_to, engagement.pk)
    return redirect(redirect_to)


def engagement_form_post(
    service, form_class, *, prefix: str, fields: dict, success, timed=False, redirect_to=DETAIL
):
    """A POST view of the engagement page's form ``form_class`` (``prefix``; on the page as
    ``<prefix>_form``): the engagement is read through ``selectors.access_engagement``,
    then ``service(actor=, engagement_id=, **{argument: cleaned_data[field] for
    argument, field in fields})`` runs through ``engagement_action``. A ``timed`` form
    reads its dates in the viewer's time zone."""

    @member_required
    @require_POST
    def view(request, engagement_id):
        engagement = selectors.access_engagement(request.user, engagement_id)
        form_kwargs = {"tz_name": person_tz(request)} if timed else {}
        return engagement_action(
            request,
            engagement,
            form=form_class(request.POST, prefix=prefix, **form_kwargs),
            form_key=f"{prefix}_form",
            call=lambda d: service(
                actor=request.user,
                engagement_id=engagement.pk,
                **{argument: d[field] for argument, field in fields.items()},
            ),
            success=success,
            redirect_to=redirect_to,
        )

    return view


engagement_extend = engagement_form_post(
    engagement_services.engagement_extend,
    ExtendForm,
    prefix="extend",
    fields={"ends_at": "ends_on", "reason": "reason"},
    timed=True,
    success="Extended. This was the one extension this engagement gets.",
)
engagement_leave = engagement_form_post(
    engagement_services.participant_leave,
    ReasonForm,
    prefix="leave",
    fields={"reason": "reason"},
    success="You left the group engagement.",
    redirect_to="mentoring:engagement_list",
)
engagement_cancel = engagement_form_post(
    engagement_services.engagement_cancel,
    RequiredReasonForm,
    prefix="cancel",
    fields={"reason": "reason"},
    success="Engagement cancelled.",
)
engagement_finish = engagement_form_post(
    engagement_services.engagement_finish_early,
    ReasonForm,
    prefix="finish",
    fields={"reason": "reason"},
    success="Wrapping up: please leave feedback for the people you worked with.",
)


# --- Group engagements ----------------------------------------------------------------------


@member_required
@require_http_methods(["GET", "POST"])
def group_create(request):
    """Talent managers, or a mentor taking part, start a group engagement (≥ 3 people)."""
    membership = membership_of(request)
    allowed = membership.is_talent_manager or request.user.profile.open_to_mentor
    form = GroupEngagementForm(
        request.POST or None,
        people=workspace_selectors.active_members(viewer_membership=membership),
        skills=profile_selectors.workspace_skills(request.user),
        tz_name=person_tz(request),
        me=request.user,
        can_organise=membership.is_talent_manager,
    )
    status = 200 if allowed else 403
    if request.method == "POST" and allowed:
        engagement = run_form(
            form,
            lambda: engagement_services.group_engagement_create(
                actor=request.user,
                title=form.cleaned_data["title"],
                goal=form.cleaned_data["goal"],
                mentors=workspace_people(request.user, form.cleaned_data["mentors"], field="mentors"),
                seekers=workspace_people(request.user, form.cleaned_data["seekers"], field="seekers"),
                skills=workspace_skills(request.user, form.cleaned_data["skills"]),
                ends_at=form.cleaned_data["ends_on"],
            ),
            rename={"participants": "seekers", "ends_at": "ends_on"},
        )
        if engagement is not None:
            messages.success(request, "Group engagement started; everyone was told.")
            return redirect("mentoring:engagement_detail", engagement.pk)
        status = form_status(form)
    return render(
        request,
        "mentoring/group_create.html",
        {"form": form, "allowed": allowed, "default_end": clock.now() + timedelta(days=30)},
        status=status,
    )
