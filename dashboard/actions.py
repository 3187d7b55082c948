"""What a talent manager can do from the dashboard's attention list.

Each action takes the acting manager (an active talent manager — ``PermissionDenied``
otherwise), checks that the target belongs to the manager's workspace (``NotFound``
for missing and elsewhere alike), goes through the engagement, invitation and
notification services that own the change, and writes one audit row
(``dashboard.audit.audit_dashboard``) in the same transaction: nothing is half done
and nothing is done unrecorded.

- ``attention_nudge`` — a notification to the people who can move the item on
  (an engagement's participants, a question's routed candidates still waiting or who
  missed it, an overloaded mentor, the mentor holding a stuck invitation). At most one
  nudge per item per ``NUDGE_COOLDOWN``.
- ``attention_extend`` — extend an idle active engagement by some days, once, within
  its kind's maximum (the same rules as a participant's extension).
- ``attention_close`` — cancel an engagement (``engagement_cancel``).
- ``attention_reassign`` — move a stuck invitation's cascade to the seeker's next
  choice (expired: ``invitation_expire``; still running: withdrawn, then the next).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction

from accounts.access import require_talent_manager
from accounts.models import AuditEntry, Membership, User
from core import clock
from core.errors import Conflict, NotFound, ValidationFailed
from dashboard.audit import audit_dashboard
from mentoring.engagements.selectors import mentor_load
from mentoring.engagements.services.engagements import engagement_cancel, engagement_link, extension_apply
from mentoring.engagements.services.invitations import (
    invitation_expire,
    invitation_lock_live,
    invitation_withdraw,
)
from mentoring.models import Engagement, Invitation, MentoringRequest, Participant
from messaging.models import Question, RoutingAttempt
from messaging.notifications.notify import notify, page_link

logger = logging.getLogger("mentoring.dashboard_actions")

NUDGE_TARGETS = ("engagement", "question", "mentor", "invitation")
NUDGE_COOLDOWN = timedelta(hours=24)
NOTE_MAX = 300
REASON_MAX = 500
MAX_EXTEND_DAYS = 90


def _id(value, *, field: str, label: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(f"Choose a {label}.", fields={field: [f"Give the id of a {label}."]}) from None
    if number <= 0:
        raise ValidationFailed(f"Choose a {label}.", fields={field: [f"Give the id of a {label}."]})
    return number


def _text(value, *, field: str, label: str, max_length: int, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(f"{label} is required.", fields={field: ["A sentence is enough."]})
    if len(text) > max_length:
        raise ValidationFailed(
            f"{label} is too long.", fields={field: [f"Keep it under {max_length} characters."]}
        )
    return text


def _engagement_of(membership: Membership, engagement_id: int, *, lock: bool = False) -> Engagement:
    queryset = Engagement.objects.select_for_update() if lock else Engagement.objects
    engagement = queryset.filter(pk=engagement_id, organization_id=membership.organization_id).first()
    if engagement is None:
        raise NotFound("No such engagement in this workspace.")
    return engagement


# --- nudge --------------------------------------------------------------------------------------


def _nudge_recipients(membership: Membership, target: str, target_id: int) -> tuple[list, str, str, str, str]:
    """(recipients, kind, subject, body, link) for one nudge, after the workspace check."""
    org_id = membership.organization_id
    if target == "engagement":
        engagement = _engagement_of(membership, target_id)
        if engagement.state != Engagement.State.ACTIVE:
            raise Conflict(
                "Only an active engagement can be nudged.", fields={"target": ["It already ended."]}
            )
        people = [
            p.user
            for p in Participant.objects.filter(engagement=engagement, left_at__isnull=True).select_related(
                "user"
            )
        ]
        return (
            people,
            "engagement.nudged",
            f"How is “{engagement.title}” going?",
            "Nothing has happened in this engagement for a while. A short message or a new "
            "commitment keeps it alive; if it has done its job, wrap it up.",
            engagement_link(engagement.pk),
        )
    if target == "question":
        question = Question.objects.filter(
            pk=target_id, organization_id=org_id, scope=Question.Scope.NETWORK
        ).first()
        if question is None:
            raise NotFound("No such question in this workspace.")
        if question.state != Question.State.OPEN:
            raise Conflict("This question already has an answer.", fields={"target": ["Nothing to nudge."]})
        people = [
            attempt.candidate
            for attempt in RoutingAttempt.objects.filter(
                question=question,
                outcome__in=[RoutingAttempt.Outcome.PENDING, RoutingAttempt.Outcome.MISSED],
            ).select_related("candidate")
        ]
        if not people:
            raise Conflict(
                "Nobody routed this question is still waiting on it.",
                fields={"target": ["Open the question and point someone who knows the skill to it."]},
            )
        return (
            people,
            "question.nudged",
            "A question routed to you still has no answer",
            "Someone in your workspace is still waiting. Answer it, or pass or refer it so it "
            "reaches someone else.",
            question.get_absolute_url(),
        )
    if target == "mentor":
        other = Membership.objects.filter(user_id=target_id, organization_id=org_id, is_active=True).first()
        if other is None:
            raise NotFound("No such member in this workspace.")
        person = User.objects.select_related("profile").get(pk=target_id)
        load = mentor_load(person)
        pending = RoutingAttempt.objects.filter(
            candidate=person, outcome=RoutingAttempt.Outcome.PENDING
        ).count()
        return (
            [person],
            "engagement.load",
            "You have a lot on your plate",
            f"You mentor {load} engagement(s) with a capacity of {person.profile.capacity}, and "
            f"{pending} routed question(s) wait for you. Pass the questions you cannot take, "
            "and adjust your capacity or set yourself away if you need a break.",
            page_link("accounts:profile_edit", fallback="/me/profile/"),
        )
    if target == "invitation":
        invitation = (
            Invitation.objects.filter(pk=target_id, request__organization_id=org_id)
            .select_related("request", "mentor")
            .first()
        )
        if invitation is None:
            raise NotFound("No such invitation in this workspace.")
        if invitation.state not in Invitation.LIVE_STATES:
            raise Conflict("This invitation was already answered.", fields={"target": ["Nothing to nudge."]})
        if invitation.state == Invitation.State.CLARIFYING:
            recipients = [invitation.request.seeker]
            subject = "A mentor is waiting for your answer"
            body = "The mentor you invited asked you a question; answer it so they can decide."
            link = page_link(
                "mentoring:request_detail", invitation.request_id, fallback="/mentoring/requests/"
            )
        else:
            recipients = [invitation.mentor]
            subject = f"{invitation.request.seeker.display_name} is waiting for your answer"
            body = "Please accept or decline the invitation, or ask a question, so the request can move on."
            link = page_link("mentoring:invitations", fallback="/mentoring/invitations/")
        return recipients, "invitation.nudged", subject, body, link
    raise ValidationFailed(
        "Unknown thing to nudge.", fields={"target": [f"Use one of: {', '.join(NUDGE_TARGETS)}."]}
    )


def attention_nudge(*, manager, target: str, target_id, note: str = "") -> int:
    """Send a nudge about one attention item; returns how many people were told.

    A manager's optional ``note`` (plain text) is appended. Refused with ``Conflict``
    when the same item was nudged less than ``NUDGE_COOLDOWN`` ago."""
    membership = require_talent_manager(manager)
    if target not in NUDGE_TARGETS:
        raise ValidationFailed(
            "Unknown thing to nudge.", fields={"target": [f"Use one of: {', '.join(NUDGE_TARGETS)}."]}
        )
    target_id = _id(target_id, field="target_id", label=target)
    note = _text(note, field="note", label="A note", max_length=NOTE_MAX, required=False)
    with transaction.atomic():
        recipients, kind, subject, body, link = _nudge_recipients(membership, target, target_id)
        recent = AuditEntry.objects.filter(
            organization_id=membership.organization_id,
            action="dashboard.nudge",
            target_type=target,
            target_id=str(target_id),
            created_at__gte=clock.now() - NUDGE_COOLDOWN,
        ).exists()
        if recent:
            raise Conflict(
                "This was nudged less than a day ago.",
                fields={"target": ["Give people a day to react before nudging again."]},
            )
        if note:
            body = f"{body}\n\n{manager.display_name}: {note}"
        notify(recipients=recipients, kind=kind, subject=subject, body=body, link=link)
        audit_dashboard(
            manager,
            membership,
            action="dashboard.nudge",
            target_type=target,
            target_id=target_id,
            details={"recipients": sorted(u.pk for u in recipients), "note": note},
        )
    logger.info("manager %s nudged %s %s (%d people)", manager.pk, target, target_id, len(recipients))
    return len(recipients)


# --- extend and close ---------------------------------------------------------------------------


def attention_extend(*, manager, engagement_id, days, reason: str) -> Engagement:
    """Extend an active engagement of the workspace by ``days`` (1–90), with a reason.
    The same rules as a participant's extension: once per engagement, and the new end
    within the kind's maximum counted from the start. The participants are told."""
    membership = require_talent_manager(manager)
    engagement_id = _id(engagement_id, field="engagement_id", label="engagement")
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise ValidationFailed(
            "Give a number of days.", fields={"days": [f"Give a whole number, 1 to {MAX_EXTEND_DAYS}."]}
        ) from None
    if not 1 <= days <= MAX_EXTEND_DAYS:
        raise ValidationFailed(
            "Give a number of days.", fields={"days": [f"Give a whole number, 1 to {MAX_EXTEND_DAYS}."]}
        )
    reason = _text(reason, field="reason", label="A reason", max_length=REASON_MAX, required=True)
    with transaction.atomic():
        engagement = _engagement_of(membership, engagement_id, lock=True)
        ends_at = engagement.ends_at + timedelta(days=days)
        previous = extension_apply(engagement, ends_at=ends_at, reason=reason, field="days")
        people = [
            p.user
            for p in Participant.objects.filter(engagement=engagement, left_at__isnull=True).select_related(
                "user"
            )
        ]
        notify(
            recipients=people,
            kind="engagement.extended",
            subject=f"“{engagement.title}” was extended",
            body=f"{manager.display_name} extended it to {ends_at:%Y-%m-%d}: {reason}",
            link=engagement_link(engagement.pk),
        )
        audit_dashboard(
            manager,
            membership,
            action="dashboard.extend",
            target_type="engagement",
            target_id=engagement.pk,
            details={"from": previous.isoformat(), "to": ends_at.isoformat(), "days": days},
        )
    return engagement


def attention_close(*, manager, engagement_id, reason: str) -> Engagement:
    """Cancel an engagement of the workspace (``engagement_cancel``: a reason is required,
    the participants are told), audited."""
    membership = require_talent_manager(manager)
    engagement_id = _id(engagement_id, field="engagement_id", label="engagement")
    reason = _text(reason, field="reason", label="A reason", max_length=REASON_MAX, required=True)
    with transaction.atomic():
        engagement = _engagement_of(membership, engagement_id)
        engagement = engagement_cancel(actor=manager, engagement_id=engagement.pk, reason=reason)
        audit_dashboard(
            manager,
            membership,
            action="dashboard.close",
            target_type="engagement",
            target_id=engagement.pk,
            details={"state": engagement.state},
        )
    return engagement


# --- reassign -----------------------------------------------------------------------------------


def attention_reassign(*, manager, invitation_id, reason: str = "") -> MentoringRequest:
    """Move a stuck cascade on: the live invitation ends (expired when its deadline
    passed, with the usual evidence; withdrawn otherwise) and the seeker's next choice
    is invited — or the request is exhausted and the seeker told. Returns the request."""
    membership = require_talent_manager(manager)
    invitation_id = _id(invitation_id, field="invitation_id", label="invitation")
    reason = _text(reason, field="reason", label="A reason", max_length=REASON_MAX, required=False)
    with transaction.atomic():
        request, invitation = invitation_lock_live(
            organization_id=membership.organization_id, invitation_id=invitation_id
        )
        previous_state = invitation.state
        if invitation.expires_at is not None and invitation.expires_at <= clock.now():
            invitation_expire(invitation_id=invitation.pk)
        else:
            invitation_withdraw(actor=manager, invitation_id=invitation.pk, reason=reason)
        request.refresh_from_db()
        next_live = Invitation.objects.filter(request=request, state__in=Invitation.LIVE_STATES).first()
        audit_dashboard(
            manager,
            membership,
            action="dashboard.reassign",
            target_type="invitation",
            target_id=invitation.pk,
            details={
                "request": request.pk,
                "from_state": previous_state,
                "next_mentor": next_live.mentor_id if next_live else None,
                "request_state": request.state,
                "reason": reason,
            },
        )
    return request
