"""Mentoring requests: a seeker's need, before and while invitations cascade.

A request's state changes only through ``REQUEST_MOVES.move`` on a locked row:

- open → inviting: the seeker sent invitations (``invitations_send``);
- inviting → matched: a mentor accepted (``invitation_accept``);
- inviting → exhausted: every choice declined or timed out (``invitation_send_next``);
  an exhausted request stays so: inviting again asks the same need as a new request;
- open | inviting → cancelled: the seeker withdrew it (``request_cancel``).
"""

from collections.abc import Sequence

from django.db import transaction

from accounts.access import require_membership
from accounts.models import Skill
from core import clock
from core.errors import Conflict, ValidationFailed
from core.transitions import StateMachine
from mentoring.engagements.selectors import access_request
from mentoring.models import (
    ABSOLUTE_MAX_DURATION_DAYS,
    DEFAULT_DURATION_DAYS,
    MAX_DURATION_DAYS,
    EngagementKind,
    MentoringRequest,
    Program,
)

MAX_SKILLS = 10

State = MentoringRequest.State
REQUEST_MOVES = StateMachine(
    State,
    {
        State.OPEN: {State.INVITING, State.CANCELLED},
        State.INVITING: {State.MATCHED, State.EXHAUSTED, State.CANCELLED},
        State.MATCHED: set(),
        State.EXHAUSTED: set(),
        State.CANCELLED: set(),
    },
    noun="request",
)


def request_create(
    *,
    seeker,
    title: str,
    description: str = "",
    skill_ids: Sequence[int] = (),
    kind: str = EngagementKind.SITUATIONAL,
    urgency: str = MentoringRequest.Urgency.NORMAL,
    desired_duration_days: int | None = None,
    program: Program | None = None,
) -> MentoringRequest:
    """A seeker writes down a need. Who may call: any active member (for themself).

    Skills are ids from the seeker's workspace; an id from another workspace is
    treated like one that does not exist (field error on ``skills``). Group
    engagements are not requested through a cascade of invitations: a talent
    manager or a mentor starts them (``group_engagement_create``).
    """
    membership = require_membership(seeker)
    errors: dict[str, list[str]] = {}
    title = " ".join(str(title or "").split())
    description = str(description or "").strip()
    if not title:
        errors["title"] = ["Say in a few words what you need, e.g. “Ship my first Terraform module”."]
    elif len(title) > 160:
        errors["title"] = [f"Use at most 160 characters (this has {len(title)})."]
    if len(description) > 5000:
        errors["description"] = [f"Use at most 5000 characters (this has {len(description)})."]
    if kind not in EngagementKind.values:
        errors["kind"] = ["Choose situational or ongoing."]
    elif kind == EngagementKind.GROUP:
        errors["kind"] = [
            "Group engagements are started by a talent manager or a mentor; choose situational or ongoing."
        ]
    if urgency not in MentoringRequest.Urgency.values:
        errors["urgency"] = [f"Choose one of: {', '.join(MentoringRequest.Urgency.values)}."]
    if desired_duration_days is None and kind in EngagementKind.values:
        desired_duration_days = (
            program.default_duration_days
            if program is not None
            else DEFAULT_DURATION_DAYS[EngagementKind(kind)]
        )
    if "kind" not in errors:
        max_days = MAX_DURATION_DAYS[EngagementKind(kind)]
        try:
            desired_duration_days = int(desired_duration_days)
        except (TypeError, ValueError):
            errors["desired_duration_days"] = [f"Enter a number of days between 1 and {max_days}."]
        else:
            if not 1 <= desired_duration_days <= min(max_days, ABSOLUTE_MAX_DURATION_DAYS):
                errors["desired_duration_days"] = [
                    f"A {kind} engagement lasts between 1 and {max_days} days; "
                    "choose a duration in that range."
                ]
    try:
        wanted = sorted({int(i) for i in skill_ids})
    except (TypeError, ValueError):
        wanted = []
        errors["skills"] = ["Choose skills from this workspace's list."]
    if len(wanted) > MAX_SKILLS:
        errors["skills"] = [f"Choose at most {MAX_SKILLS} skills."]
    skills = list(Skill.objects.filter(pk__in=wanted, organization_id=membership.organization_id))
    if len(skills) != len(wanted) and "skills" not in errors:
        errors["skills"] = ["Some of these skills do not exist in your workspace; choose from its list."]
    if program is not None and program.organization_id != membership.organization_id:
        errors["program"] = ["Choose a program of your workspace."]
    if errors:
        raise ValidationFailed("The request could not be saved.", fields=errors)
    with transaction.atomic():
        at = clock.now()
        request = MentoringRequest.objects.create(
            organization_id=membership.organization_id,
            seeker=seeker,
            program=program,
            title=title,
            description=description,
            kind=kind,
            urgency=urgency,
            desired_duration_days=desired_duration_days,
            created_at=at,
            updated_at=at,
        )
        request.skills.set(skills)
    return request


def request_cancel(*, seeker, request_id) -> MentoringRequest:
    """The seeker withdraws a request that is still open or inviting; every
    live or queued invitation is withdrawn (locked: request row, then its
    invitations). Idempotent on a cancelled request."""
    # invitations.py builds on this module (REQUEST_MOVES, request_create)
    from mentoring.engagements.services.invitations import invitations_withdraw_open

    with transaction.atomic():
        request = access_request(seeker, request_id)
        request = MentoringRequest.objects.select_for_update().get(pk=request.pk)
        if request.state == State.CANCELLED:
            return request
        if not REQUEST_MOVES.can_move(request.state, State.CANCELLED):
            raise Conflict(
                f"This request is {request.get_state_display().lower()} and cannot be cancelled.",
                fields={"state": ["Only open or inviting requests can be cancelled."]},
            )
        REQUEST_MOVES.move(request, State.CANCELLED)
        request.updated_at = request.closed_at = clock.now()
        request.save(update_fields=["state", "updated_at", "closed_at"])
        invitations_withdraw_open(request, because="the seeker cancelled the request")
    return request
