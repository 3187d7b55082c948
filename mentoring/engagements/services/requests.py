"""Mentoring requests: a seeker's need, before and while invitations cascade."""

from collections.abc import Sequence

from django.db import transaction

from accounts.models import Skill
from core import clock
from core.errors import Conflict, ValidationFailed
from mentoring.engagements.selectors import access_request, active_membership
from mentoring.models import (
    ABSOLUTE_MAX_DURATION_DAYS,
    DEFAULT_DURATION_DAYS,
    MAX_DURATION_DAYS,
    EngagementKind,
    Invitation,
    MentoringRequest,
    Program,
)

MAX_SKILLS = 10


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
    membership = active_membership(seeker)
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
    live or queued invitation is withdrawn. Idempotent on a cancelled request."""
    from mentoring.engagements.services.invitations import notify_invitation_withdrawn

    with transaction.atomic():
        request = access_request(seeker, request_id)
        request = MentoringRequest.objects.select_for_update().get(pk=request.pk)
        if request.state == MentoringRequest.State.CANCELLED:
            return request
        if request.state not in (MentoringRequest.State.OPEN, MentoringRequest.State.INVITING):
            raise Conflict(
                f"This request is {request.get_state_display().lower()} and cannot be cancelled.",
                fields={"state": ["Only open or inviting requests can be cancelled."]},
            )
        at = clock.now()
        live = list(
            Invitation.objects.filter(request=request, state__in=Invitation.LIVE_STATES).select_related(
                "mentor"
            )
        )
        Invitation.objects.filter(
            request=request, state__in=[*Invitation.LIVE_STATES, Invitation.State.QUEUED]
        ).update(state=Invitation.State.WITHDRAWN)
        request.state = MentoringRequest.State.CANCELLED
        request.updated_at = request.closed_at = at
        request.save(update_fields=["state", "updated_at", "closed_at"])
        for invitation in live:
            notify_invitation_withdrawn(invitation, because="the seeker cancelled the request")
    return request
