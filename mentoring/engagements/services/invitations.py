"""Invitations and their cascade.

A seeker ranks up to three mentors. Rank 1 gets a pending invitation with a
deadline; the rest wait as ``queued``. A decline or a timeout makes the next
queued one pending; when none is left the request is ``exhausted`` and the
seeker is told. Accepting creates the engagement and withdraws the rest.

An invitation's state changes only through ``INVITATION_MOVES.move`` (and its
request's through ``REQUEST_MOVES``) on rows locked in this order everywhere:
request row, then invitation rows, then the mentor's profile row (capacity).
Timeouts run on Celery: a countdown task scheduled on commit per invitation, plus a
beat sweep that catches anything missed (``mentoring.engagements.tasks``); both call
``invitation_expire``.
"""

import logging
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import transaction

from accounts.access import require_talent_manager
from accounts.models import Membership, Profile
from accounts.working_hours import working_deadline
from core import clock
from core.errors import Conflict, NotFound, ValidationFailed
from core.transitions import StateMachine
from mentoring.engagements import evidence
from mentoring.engagements.selectors import access_invitation, access_request, mentor_load
from mentoring.engagements.services.engagements import default_ends_at, engagement_create, engagement_link
from mentoring.engagements.services.requests import REQUEST_MOVES, request_create
from mentoring.models import (
    MAX_INVITATIONS_PER_REQUEST,
    Engagement,
    EngagementKind,
    Invitation,
    MentoringRequest,
    Participant,
)
from messaging.notifications.notify import notify, page_link

logger = logging.getLogger("mentoring.invitations")

DEFAULT_TIMEOUT_HOURS = 24
DEFAULT_ONGOING_TIMEOUT_HOURS = 72
TEXT_MAX = 1000

State = Invitation.State
RequestState = MentoringRequest.State
# The explicit map of allowed moves. Anything not listed is a Conflict.
#   queued     → pending     its turn came (rank order)
#   pending    → accepted | declined | clarifying   the mentor answered
#   clarifying → pending     the seeker answered the question
#   pending | clarifying → expired   the window closed
#   queued | pending | clarifying → withdrawn   the request was matched, cancelled or passed on
INVITATION_MOVES = StateMachine(
    State,
    {
        State.QUEUED: {State.PENDING, State.WITHDRAWN},
        State.PENDING: {State.ACCEPTED, State.DECLINED, State.CLARIFYING, State.EXPIRED, State.WITHDRAWN},
        State.CLARIFYING: {State.PENDING, State.EXPIRED, State.WITHDRAWN},
        State.ACCEPTED: set(),
        State.DECLINED: set(),
        State.EXPIRED: set(),
        State.WITHDRAWN: set(),
    },
    noun="invitation",
)


def invitation_window(kind: str) -> timedelta:
    """How long a mentor has to answer (and a seeker to answer a clarifying question).

    Settings (read with defaults, so none is required): TANDEM_INVITATION_TIMEOUT_HOURS
    (situational and group, default 24) and TANDEM_ONGOING_INVITATION_TIMEOUT_HOURS
    (ongoing, default 72: a six-month commitment deserves a longer think)."""
    if kind == EngagementKind.ONGOING:
        hours = getattr(settings, "TANDEM_ONGOING_INVITATION_TIMEOUT_HOURS", DEFAULT_ONGOING_TIMEOUT_HOURS)
    else:
        hours = getattr(settings, "TANDEM_INVITATION_TIMEOUT_HOURS", DEFAULT_TIMEOUT_HOURS)
    return timedelta(hours=float(hours))


# The mentor's window counts their working time, like routing: a 24-hour window is
# 480 working minutes (one working day) of the mentor's own week, and never shorter
# than the wall-clock window; without working hours set it is the wall-clock window.
WORKING_MINUTES_PER_WINDOW_HOUR = 20


def invitation_deadline(*, mentor_id: int, start, kind: str):
    """When an invitation sent to ``mentor_id`` at ``start`` times out (docs/engagements.md):
    an invitation sent on Friday evening does not expire before the mentor worked a day."""
    window = invitation_window(kind)
    mask = Profile.objects.filter(user_id=mentor_id).values_list("utc_week_mask", flat=True).first() or ""
    minutes = window.total_seconds() / 3600 * WORKING_MINUTES_PER_WINDOW_HOUR
    return max(start + window, working_deadline(mask, start, minutes))


def _mentor_problem(*, seeker, mentor, organization_id: int) -> str | None:
    """Why ``mentor`` cannot be invited by ``seeker`` right now, or None."""
    name = mentor.display_name
    if mentor.pk == seeker.pk:
        return "You cannot invite yourself; choose someone else."
    # Read fresh rows: the user objects handed in may carry stale cached relations.
    membership = Membership.objects.filter(user_id=mentor.pk).first()
    if membership is None or not membership.is_active or membership.organization_id != organization_id:
        return f"{name} is not in your workspace."
    profile = Profile.objects.get(user_id=mentor.pk)
    if not profile.open_to_mentor:
        return f"{name} is not open to mentoring right now; choose someone else."
    if profile.is_away:
        return f"{name} is away right now; choose someone else."
    if profile.capacity - mentor_load(mentor) <= 0:
        return f"{name} has no capacity left (mentoring {profile.capacity} already); choose someone else."
    return None


def invitations_send(*, seeker, request_id, mentors: Sequence) -> list[Invitation]:
    """The seeker ranks 1–3 mentors for an open request; rank 1 is invited at once.

    Checks each mentor (not the seeker, same workspace, open to mentoring, not
    away, capacity left) and rejects the whole list with a field error on
    ``mentors`` naming each problem. The request row is locked; nothing is
    written unless every check passes. An exhausted request (every choice said
    no) is asked again: the same need becomes a new request, in the same
    transaction, and the invitations go to it (their ``request`` is the new one).
    Any other request that is no longer open is a Conflict: invitations go out once
    per request. After commit the first mentor is told and the timeout task is scheduled.
    """
    mentors = list(mentors)
    errors: list[str] = []
    if not mentors:
        errors.append("Choose at least one mentor.")
    if len(mentors) > MAX_INVITATIONS_PER_REQUEST:
        errors.append(f"Choose at most {MAX_INVITATIONS_PER_REQUEST} mentors, in the order you prefer.")
    if len({m.pk for m in mentors}) != len(mentors):
        errors.append("Each mentor can appear only once in your list.")
    if errors:
        raise ValidationFailed("The invitations could not be sent.", fields={"mentors": errors})
    with transaction.atomic():
        request = access_request(seeker, request_id)
        request = MentoringRequest.objects.select_for_update().get(pk=request.pk)
        if request.state not in (RequestState.OPEN, RequestState.EXHAUSTED):
            raise Conflict(
                f"This request is {request.get_state_display().lower()}; "
                "invitations go out once per request.",
                fields={"request": ["Create a new request to invite other mentors."]},
            )
        problems = [
            problem
            for mentor in mentors
            if (
                problem := _mentor_problem(
                    seeker=seeker, mentor=mentor, organization_id=request.organization_id
                )
            )
        ]
        if problems:
            raise ValidationFailed("Some of these mentors cannot be invited.", fields={"mentors": problems})
        if request.state == RequestState.EXHAUSTED:
            request = _ask_again(request)
        at = clock.now()
        Invitation.objects.bulk_create(
            [
                Invitation(request=request, mentor=mentor, rank=rank, created_at=at)
                for rank, mentor in enumerate(mentors, start=1)
            ]
        )
        REQUEST_MOVES.move(request, RequestState.INVITING)
        request.updated_at = at
        request.save(update_fields=["state", "updated_at"])
        invitation_send_next(request)
    return list(Invitation.objects.filter(request=request).select_related("mentor").order_by("rank"))


def _ask_again(exhausted: MentoringRequest) -> MentoringRequest:
    """The same need as a new open request (the exhausted one stays as the record of who
    said no). Inside the caller's transaction, so a refused invitation list keeps neither."""
    again = request_create(
        seeker=exhausted.seeker,
        title=exhausted.title,
        description=exhausted.description,
        skill_ids=[skill.pk for skill in exhausted.skills.all()],
        kind=exhausted.kind,
        urgency=exhausted.urgency,
        desired_duration_days=exhausted.desired_duration_days,
        program=exhausted.program,
    )
    logger.info("request %s asked again as request %s", exhausted.pk, again.pk)
    return MentoringRequest.objects.select_for_update().get(pk=again.pk)


def invitation_send_next(request: MentoringRequest) -> Invitation | None:
    """Make the best-ranked queued invitation pending, or mark the request exhausted.
    The request row must be locked by the caller."""
    invitation = (
        Invitation.objects.select_for_update()
        .filter(request=request, state=State.QUEUED)
        .order_by("rank")
        .first()
    )
    at = clock.now()
    if invitation is None:
        REQUEST_MOVES.move(request, RequestState.EXHAUSTED)
        request.updated_at = request.closed_at = at
        request.save(update_fields=["state", "updated_at", "closed_at"])
        logger.info("request %s exhausted: every chosen mentor declined or timed out", request.pk)
        notify(
            recipients=[request.seeker],
            kind="request.exhausted",
            subject=f"No one could take “{request.title}” this time",
            body="Every mentor you chose declined or did not answer in time. "
            "Have a look at fresh suggestions and invite someone else.",
            link=page_link("mentoring:find_mentor", fallback="/mentoring/find/"),
        )
        return None
    INVITATION_MOVES.move(invitation, State.PENDING)
    invitation.sent_at = at
    invitation.expires_at = invitation_deadline(mentor_id=invitation.mentor_id, start=at, kind=request.kind)
    invitation.save(update_fields=["state", "sent_at", "expires_at"])
    _announce(invitation, request)
    return invitation


def _announce(invitation: Invitation, request: MentoringRequest) -> None:
    notify(
        recipients=[invitation.mentor],
        kind="invitation.received",
        subject=f"{request.seeker.display_name} asks for your help: {request.title}",
        body=f"{request.description}\n\nPlease accept, decline or ask a question by "
        f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC.",
        link=page_link("mentoring:invitations", fallback="/mentoring/invitations/"),
    )
    _schedule_timeout(invitation)


def _schedule_timeout(invitation: Invitation) -> None:
    # the tasks module builds on these services, so it is read when first needed
    from mentoring.engagements.tasks import invitation_timeout

    invitation_id = invitation.pk
    countdown = max(0.0, (invitation.expires_at - clock.now()).total_seconds())
    transaction.on_commit(lambda: invitation_timeout.apply_async(args=[invitation_id], countdown=countdown))


def _lock_for_answer(mentor, invitation_id) -> tuple[MentoringRequest, Invitation]:
    """Lock request then invitation; the invitation must be addressed to ``mentor`` and sent."""
    found = access_invitation(mentor, invitation_id, side="mentor")
    request = MentoringRequest.objects.select_for_update().get(pk=found.request_id)
    invitation = Invitation.objects.select_for_update().select_related("mentor").get(pk=found.pk)
    return request, invitation


def _refuse_unless_pending(invitation: Invitation, request: MentoringRequest, *, action: str) -> None:
    at = clock.now()
    if invitation.state == State.EXPIRED or (
        invitation.state in Invitation.LIVE_STATES and invitation.expires_at <= at
    ):
        raise Conflict(
            f"This invitation expired at {invitation.expires_at:%Y-%m-%d %H:%M} UTC, so it can no longer be "
            f"{action}; the request has moved on.",
            code="invitation_expired",
        )
    if invitation.state == State.WITHDRAWN or request.state in (RequestState.MATCHED, RequestState.CANCELLED):
        raise Conflict(
            "This invitation was already taken by another mentor or withdrawn by the seeker.",
            code="invitation_taken",
        )
    if invitation.state in (State.ACCEPTED, State.DECLINED):
        raise Conflict(f"You already {invitation.state} this invitation.", code="invitation_answered")
    if invitation.state == State.CLARIFYING:
        raise Conflict(
            "You asked the seeker a question; wait for the answer before you decide.",
            code="invitation_clarifying",
        )


def invitation_accept(*, mentor, invitation_id) -> Engagement:
    """The mentor accepts a pending invitation before it expires.

    Locks the request, the invitation and the mentor's profile (so two accepts
    cannot both take the last capacity slot). Creates the engagement (kind,
    skills, duration from the request) with seeker and mentor as participants,
    withdraws the other invitations, marks the request matched and records
    responsiveness evidence. Expired, taken or answered invitations → Conflict.
    """
    with transaction.atomic():
        request, invitation = _lock_for_answer(mentor, invitation_id)
        _refuse_unless_pending(invitation, request, action="accepted")
        profile = Profile.objects.select_for_update().get(user=mentor)
        if profile.capacity - mentor_load(mentor) <= 0:
            raise Conflict(
                "You have no capacity left for another engagement; decline or finish one first.",
                code="no_capacity",
            )
        at = clock.now()
        INVITATION_MOVES.move(invitation, State.ACCEPTED)
        invitation.responded_at = at
        invitation.save(update_fields=["state", "responded_at"])
        _withdraw(Invitation.objects.filter(request=request, state=State.QUEUED))
        REQUEST_MOVES.move(request, RequestState.MATCHED)
        request.updated_at = request.closed_at = at
        request.save(update_fields=["state", "updated_at", "closed_at"])
        engagement = engagement_create(
            organization=request.organization,
            kind=request.kind,
            title=request.title,
            goal=request.description,
            starts_at=at,
            ends_at=default_ends_at(
                kind=request.kind, starts_at=at, duration_days=request.desired_duration_days
            ),
            people=[(request.seeker, Participant.Role.SEEKER), (mentor, Participant.Role.MENTOR)],
            skills=request.skills.all(),
            created_by=mentor,
            program=request.program,
            request=request,
        )
        evidence.invitation_answered(invitation=invitation, on_time=True, at=at)
        notify(
            recipients=[request.seeker],
            kind="invitation.accepted",
            subject=f"{mentor.display_name} accepted: {request.title}",
            body="Your engagement has started.",
            link=engagement_link(engagement.pk),
        )
    return engagement


def invitation_decline(*, mentor, invitation_id, reason: str) -> Invitation:
    """The mentor declines with a reason; the next choice is invited (or the request
    is exhausted). A decline in time is responsive (evidence 1)."""
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Tell the seeker why.", fields={"reason": ["Give a short reason, e.g. “On leave next week”."]}
        )
    if len(reason) > TEXT_MAX:
        raise ValidationFailed(
            "The reason is too long.", fields={"reason": [f"Use at most {TEXT_MAX} characters."]}
        )
    with transaction.atomic():
        request, invitation = _lock_for_answer(mentor, invitation_id)
        _refuse_unless_pending(invitation, request, action="declined")
        at = clock.now()
        INVITATION_MOVES.move(invitation, State.DECLINED)
        invitation.decline_reason = reason
        invitation.responded_at = at
        invitation.save(update_fields=["state", "decline_reason", "responded_at"])
        evidence.invitation_answered(invitation=invitation, on_time=True, at=at)
        notify(
            recipients=[request.seeker],
            kind="invitation.declined",
            subject=f"{mentor.display_name} cannot help with “{request.title}”",
            body=f"Their reason: {reason}\n\nWe are asking your next choice.",
        )
        invitation_send_next(request)
    return invitation


def invitation_clarify(*, mentor, invitation_id, question: str) -> Invitation:
    """The mentor asks the seeker a question before deciding. The mentor's clock
    stops (responsive, evidence 1); the seeker gets a fresh window to answer,
    after which the invitation expires and the cascade moves on."""
    question = str(question or "").strip()
    if not question:
        raise ValidationFailed("Ask a question.", fields={"question": ["Write the question for the seeker."]})
    if len(question) > 2000:
        raise ValidationFailed(
            "The question is too long.", fields={"question": ["Use at most 2000 characters."]}
        )
    with transaction.atomic():
        request, invitation = _lock_for_answer(mentor, invitation_id)
        _refuse_unless_pending(invitation, request, action="answered")
        at = clock.now()
        INVITATION_MOVES.move(invitation, State.CLARIFYING)
        invitation.clarification_question = question
        invitation.responded_at = at
        invitation.expires_at = at + invitation_window(request.kind)
        invitation.save(update_fields=["state", "clarification_question", "responded_at", "expires_at"])
        evidence.invitation_answered(invitation=invitation, on_time=True, at=at)
        notify(
            recipients=[request.seeker],
            kind="invitation.clarifying",
            subject=f"{mentor.display_name} has a question about “{request.title}”",
            body=f"{question}\n\nAnswer by {invitation.expires_at:%Y-%m-%d %H:%M} UTC.",
        )
        _schedule_timeout(invitation)
    return invitation


def invitation_answer_clarification(*, seeker, invitation_id, answer: str) -> Invitation:
    """The seeker answers the mentor's question; the invitation is pending again
    with a fresh window for the mentor."""
    answer = str(answer or "").strip()
    if not answer:
        raise ValidationFailed("Write an answer.", fields={"answer": ["Answer the mentor's question."]})
    if len(answer) > 2000:
        raise ValidationFailed("The answer is too long.", fields={"answer": ["Use at most 2000 characters."]})
    with transaction.atomic():
        found = access_invitation(seeker, invitation_id, side="seeker")
        request = MentoringRequest.objects.select_for_update().get(pk=found.request_id)
        invitation = Invitation.objects.select_for_update().select_related("mentor").get(pk=found.pk)
        if invitation.state != State.CLARIFYING:
            raise Conflict("There is no open question on this invitation.")
        at = clock.now()
        if invitation.expires_at <= at:
            raise Conflict("You answered too late: this invitation expired and the request moved on.")
        INVITATION_MOVES.move(invitation, State.PENDING)
        invitation.clarification_answer = answer
        invitation.expires_at = invitation_deadline(
            mentor_id=invitation.mentor_id, start=at, kind=request.kind
        )
        invitation.save(update_fields=["state", "clarification_answer", "expires_at"])
        _announce(invitation, request)
    return invitation


def invitation_expire(*, invitation_id: int) -> Invitation | None:
    """Expire a live invitation whose deadline passed, and cascade.

    Called by the countdown task and the beat sweep; idempotent (a missing row,
    an answered invitation or one not yet due changes nothing). A pending
    invitation that timed out is responsiveness evidence 0 for the mentor,
    unless the mentor already answered it with a question (evidence is one per
    invitation); a clarifying one timed out on the seeker, so the mentor gets none.
    """
    with transaction.atomic():
        found = Invitation.objects.filter(pk=invitation_id).values_list("request_id", flat=True).first()
        if found is None:
            return None
        request = MentoringRequest.objects.select_for_update().get(pk=found)
        invitation = Invitation.objects.select_for_update().select_related("mentor").get(pk=invitation_id)
        if invitation.state not in Invitation.LIVE_STATES or invitation.expires_at > clock.now():
            return invitation
        # Responsiveness is recorded once per invitation: a mentor who already
        # answered with a question was responsive, whatever happens next.
        timed_out_on_mentor = invitation.state == State.PENDING and not invitation.clarification_question
        INVITATION_MOVES.move(invitation, State.EXPIRED)
        invitation.save(update_fields=["state"])
        if timed_out_on_mentor:
            evidence.invitation_answered(invitation=invitation, on_time=False, at=invitation.expires_at)
        notify(
            recipients=[invitation.mentor],
            kind="invitation.expired",
            subject=f"The invitation “{request.title}” timed out",
            body="It has been passed to someone else. No action needed.",
        )
        invitation_send_next(request)
    return invitation


# --- Withdrawal ----------------------------------------------------------------------


def _withdraw(invitations) -> list[Invitation]:
    """Lock ``invitations`` (a queryset of one request's rows; its request row is locked
    by the caller) and withdraw each. Returns them with the state they left in
    ``previous_state``."""
    rows = list(invitations.select_for_update(of=("self",)).select_related("mentor", "request"))
    for invitation in rows:
        invitation.previous_state = INVITATION_MOVES.move(invitation, State.WITHDRAWN)
    Invitation.objects.bulk_update(rows, ["state"])
    return rows


def invitations_withdraw_open(request: MentoringRequest, *, because: str) -> None:
    """Withdraw every live or queued invitation of ``request`` (locked by the caller, e.g.
    ``request_cancel``); the mentor of the live one is told after commit."""
    withdrawn = _withdraw(
        Invitation.objects.filter(request=request, state__in=[*Invitation.LIVE_STATES, State.QUEUED])
    )
    for invitation in withdrawn:
        if invitation.previous_state in Invitation.LIVE_STATES:
            notify_invitation_withdrawn(invitation, because=because)


def invitation_lock_live(*, organization_id: int, invitation_id) -> tuple[MentoringRequest, Invitation]:
    """For a talent manager's move on a stuck cascade, inside the caller's transaction: lock
    the request, then the invitation ``invitation_id`` of workspace ``organization_id``
    (NotFound for a missing one and another workspace's alike). Conflict unless the
    invitation is live on an inviting request. Returns ``(request, invitation)``."""
    found = (
        Invitation.objects.filter(pk=invitation_id, request__organization_id=organization_id)
        .values_list("request_id", flat=True)
        .first()
    )
    if found is None:
        raise NotFound("No such invitation in this workspace.")
    request = MentoringRequest.objects.select_for_update().get(pk=found)
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("mentor", "request")
        .get(pk=invitation_id)
    )
    if invitation.state not in Invitation.LIVE_STATES or request.state != RequestState.INVITING:
        raise Conflict(
            "This invitation is no longer waiting; the cascade already moved on.",
            fields={"invitation_id": ["Reload the attention list."]},
        )
    return request, invitation


def invitation_withdraw(*, actor, invitation_id, reason: str = "") -> Invitation:
    """A talent manager moves a stuck cascade on: the live invitation is withdrawn (the
    mentor is told, no responsiveness evidence either way) and the seeker's next choice
    is invited — or the request is exhausted and the seeker told.

    Who may call: a talent manager (PermissionDenied otherwise) of the request's
    workspace (NotFound for another's). Locks the request, then the invitation. Conflict
    unless the invitation is live on an inviting request. One whose deadline already
    passed should be expired instead (``invitation_expire``), so the missed answer
    counts. ``reason`` is kept in the log; the caller audits it. Returns the invitation.
    """
    membership = require_talent_manager(actor)
    with transaction.atomic():
        request, invitation = invitation_lock_live(
            organization_id=membership.organization_id, invitation_id=invitation_id
        )
        INVITATION_MOVES.move(invitation, State.WITHDRAWN)
        invitation.responded_at = clock.now()
        invitation.save(update_fields=["state", "responded_at"])
        logger.info("invitation %s withdrawn by %s: %s", invitation.pk, actor.pk, reason or "no reason given")
        notify_invitation_withdrawn(invitation, because="a talent manager passed the request on")
        invitation_send_next(request)
    return invitation


def notify_invitation_withdrawn(invitation: Invitation, *, because: str) -> None:
    notify(
        recipients=[invitation.mentor],
        kind="invitation.withdrawn",
        subject=f"The invitation “{invitation.request.title}” was withdrawn",
        body=f"No action needed: {because}.",
    )
