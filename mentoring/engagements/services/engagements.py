"""Engagements: the state machine, creation, participants, extension, ending early.

The state of an engagement changes only through ``engagement_transition``,
which locks the row, checks ``ENGAGEMENT_MOVES`` and writes an
``EngagementTransition`` audit row. Every other service calls it: those here,
the calendar's (``engagement_deadlines``: end dates, wrap-up, reminders) and
feedback's. Milestones are in ``milestones``.
"""

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import transaction

from accounts.access import is_talent_manager_of, require_membership
from accounts.models import Skill
from core import clock
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.transitions import StateMachine
from mentoring.engagements.signals import engagement_members_changed, engagement_started
from mentoring.models import (
    DEFAULT_DURATION_DAYS,
    MAX_DURATION_DAYS,
    MIN_GROUP_SIZE,
    Engagement,
    EngagementKind,
    EngagementTransition,
    Participant,
    Program,
)
from messaging.notifications.notify import notify, page_link

logger = logging.getLogger("mentoring.engagements")

State = Engagement.State

# The explicit map of allowed moves. Anything not listed is a Conflict.
#   active      → wrapping_up  the end date passed (beat) or the participants finished early
#   active      → expired      the end date passed and nobody ever engaged (no activity)
#   active      → cancelled    a participant or talent manager called it off; the last mentor left
#   wrapping_up → completed    the feedback window closed, or everyone rated everyone
#   wrapping_up → cancelled    called off during wrap-up (feedback already given stays)
ENGAGEMENT_MOVES = StateMachine(
    State,
    {
        State.ACTIVE: {State.WRAPPING_UP, State.EXPIRED, State.CANCELLED},
        State.WRAPPING_UP: {State.COMPLETED, State.CANCELLED},
        State.COMPLETED: set(),
        State.CANCELLED: set(),
        State.EXPIRED: set(),
    },
    noun="engagement",
)

REASON_MAX = 500


def engagement_link(engagement_id: int) -> str:
    return page_link("mentoring:engagement_detail", engagement_id, fallback=f"/engagements/{engagement_id}/")


def engagement_transition(
    *, engagement: Engagement, to_state: str, actor=None, reason: str = ""
) -> Engagement:
    """Move ``engagement`` to ``to_state``: the one way its state changes.

    Locks the engagement row (``select_for_update``) inside its own
    transaction, re-reads the current state, checks ``ENGAGEMENT_MOVES``
    (Conflict if the move is not allowed, including a move to the current
    state), writes one ``EngagementTransition`` and sets ``ended_at`` when the
    engagement leaves ``active``. Guard: ``expired`` is only for engagements
    nobody engaged in (``last_activity_at`` empty). Who may ask for the move
    is the caller's business. Returns the refreshed engagement.
    """
    if to_state not in State.values:
        raise ValidationFailed(
            "Unknown engagement state.", fields={"to_state": [f"Use one of: {', '.join(State.values)}."]}
        )
    reason = (reason or "").strip()[:REASON_MAX]
    with transaction.atomic():
        locked = Engagement.objects.select_for_update().get(pk=engagement.pk)
        from_state = locked.state
        try:
            ENGAGEMENT_MOVES.check(from_state, to_state)
        except Conflict as refused:  # the same check, in words that fit "engagement"
            raise Conflict(
                f"An engagement that is {State(from_state).label.lower()} cannot become "
                f"{State(to_state).label.lower()}.",
                fields=refused.fields,
            ) from None
        if to_state == State.EXPIRED and locked.last_activity_at is not None:
            raise Conflict(
                "People engaged in this engagement, so it cannot expire; wrap it up instead.",
                fields={"state": ["Expiry is only for engagements nobody took part in."]},
            )
        at = clock.now()
        ENGAGEMENT_MOVES.move(locked, to_state)
        update_fields = ["state"]
        if from_state == State.ACTIVE:
            locked.ended_at = at
            update_fields.append("ended_at")
        locked.save(update_fields=update_fields)
        EngagementTransition.objects.create(
            engagement=locked, from_state=from_state, to_state=to_state, actor=actor, reason=reason, at=at
        )
    logger.info("engagement %s: %s → %s (%s)", locked.pk, from_state, to_state, reason)
    return locked


# --- Durations ---------------------------------------------------------------


def validate_span(*, kind: str, starts_at: datetime, ends_at: datetime, field: str = "ends_at") -> None:
    """End after start and within the kind's maximum, else ValidationFailed naming ``field``."""
    if ends_at <= starts_at:
        raise ValidationFailed(
            "The end must be after the start.", fields={field: ["Choose an end date after the start date."]}
        )
    max_days = MAX_DURATION_DAYS[EngagementKind(kind)]
    if ends_at - starts_at > timedelta(days=max_days):
        raise ValidationFailed(
            f"A {kind} engagement lasts at most {max_days} days.",
            fields={field: [f"Choose an end date at most {max_days} days after the start."]},
        )


def default_ends_at(*, kind: str, starts_at: datetime, duration_days: int | None = None) -> datetime:
    return starts_at + timedelta(days=duration_days or DEFAULT_DURATION_DAYS[EngagementKind(kind)])


# --- Creation ----------------------------------------------------------------


def engagement_create(
    *,
    organization,
    kind: str,
    title: str,
    goal: str,
    starts_at: datetime,
    ends_at: datetime,
    people: Sequence[tuple[object, str]],
    skills: Iterable[Skill] = (),
    created_by=None,
    program: Program | None = None,
    request=None,
) -> Engagement:
    """Create an engagement with its participants, its chat and the creation audit row
    (for ``group_engagement_create`` and ``invitation_accept``). Checks the span; the
    callers validate the rest and hold the transaction."""
    validate_span(kind=kind, starts_at=starts_at, ends_at=ends_at)
    engagement = Engagement.objects.create(
        organization=organization,
        program=program,
        request=request,
        kind=kind,
        title=title,
        goal=goal,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=created_by,
        created_at=clock.now(),
    )
    engagement.skills.set(list(skills))
    Participant.objects.bulk_create(
        [
            Participant(engagement=engagement, user=user, role=role, joined_at=starts_at)
            for user, role in people
        ]
    )
    EngagementTransition.objects.create(
        engagement=engagement, from_state="", to_state=State.ACTIVE, actor=created_by, reason="created"
    )
    _create_chat(engagement)
    return engagement


def _create_chat(engagement: Engagement) -> None:
    """Every engagement has its conversation from the start (in the same
    transaction), so pages only ever read it."""
    engagement_started.send(sender=Engagement, engagement=engagement)


def clean_text(value, *, field: str, label: str, max_length: int, required: bool) -> str:
    cleaned = str(value or "").strip()
    if required and not cleaned:
        raise ValidationFailed(f"{label} is required.", fields={field: [f"Enter {label.lower()}."]})
    if len(cleaned) > max_length:
        raise ValidationFailed(
            f"{label} is too long.",
            fields={field: [f"Use at most {max_length} characters (this has {len(cleaned)})."]},
        )
    return cleaned


def group_engagement_create(
    *,
    actor,
    title: str,
    goal: str = "",
    mentors: Sequence,
    seekers: Sequence,
    skills: Sequence[Skill] = (),
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    program: Program | None = None,
) -> Engagement:
    """Start a group engagement (at least MIN_GROUP_SIZE distinct people, at least one mentor).

    Who may call: a talent manager of the workspace, or a member who is open to
    mentoring and lists themself among ``mentors``. Everyone must be an active
    member of the actor's workspace; skills and program must belong to it.
    Everyone is told after commit.
    """
    membership = require_membership(actor)
    organization = membership.organization
    title = clean_text(title, field="title", label="A title", max_length=160, required=True)
    goal = clean_text(goal, field="goal", label="The goal", max_length=5000, required=False)
    mentors = list(dict.fromkeys(mentors))
    seekers = list(dict.fromkeys(seekers))
    errors: dict[str, list[str]] = {}
    if not mentors:
        errors.setdefault("mentors", []).append("Add at least one mentor.")
    both = {u.pk for u in mentors} & {u.pk for u in seekers}
    if both:
        errors.setdefault("seekers", []).append(
            "Someone cannot be both mentor and seeker; pick one role each."
        )
    people = [(u, Participant.Role.MENTOR) for u in mentors] + [(u, Participant.Role.SEEKER) for u in seekers]
    if len({u.pk for u, _ in people}) < MIN_GROUP_SIZE:
        errors.setdefault("participants", []).append(
            f"A group engagement needs at least {MIN_GROUP_SIZE} people; add more mentors or seekers."
        )
    for user, role in people:
        other = getattr(user, "membership", None)
        if other is None or not other.is_active or other.organization_id != organization.pk:
            field = "mentors" if role == Participant.Role.MENTOR else "seekers"
            errors.setdefault(field, []).append(f"{user.display_name} is not a member of this workspace.")
    if not membership.is_talent_manager and (
        actor.pk not in {u.pk for u in mentors} or not actor.profile.open_to_mentor
    ):
        raise PermissionDenied(
            "Only a talent manager or a mentor taking part can start a group engagement.",
            fields={
                "mentors": ["Add yourself as a mentor (and be open to mentoring), or ask a talent manager."]
            },
        )
    skills = list(skills)
    if any(skill.organization_id != organization.pk for skill in skills):
        errors.setdefault("skills", []).append("Choose skills from this workspace's list.")
    if program is not None and program.organization_id != organization.pk:
        errors.setdefault("program", []).append("Choose a program of this workspace.")
    if errors:
        raise ValidationFailed("The group engagement could not be created.", fields=errors)
    starts_at = starts_at or clock.now()
    if ends_at is None:
        duration = program.default_duration_days if program is not None else None
        ends_at = default_ends_at(kind=EngagementKind.GROUP, starts_at=starts_at, duration_days=duration)
    with transaction.atomic():
        engagement = engagement_create(
            organization=organization,
            kind=EngagementKind.GROUP,
            title=title,
            goal=goal,
            starts_at=starts_at,
            ends_at=ends_at,
            people=people,
            skills=skills,
            created_by=actor,
            program=program,
        )
        notify(
            recipients=[u for u, _ in people if u.pk != actor.pk],
            kind="engagement.started",
            subject=f"You were added to the group engagement “{title}”",
            body=f"{actor.display_name} started “{title}” and added you.",
            link=engagement_link(engagement.pk),
        )
    return engagement


# --- Participation -----------------------------------------------------------


def participant_engagement(user, engagement_id, *, lock: bool = False) -> Engagement:
    """The engagement if ``user`` is an active participant, else NotFound (missing and
    not-yours read the same). With ``lock`` the row is ``select_for_update``-ed;
    call it inside a transaction then."""
    queryset = Engagement.objects.all()
    if lock:
        queryset = queryset.select_for_update()
    try:
        engagement = queryset.get(pk=int(engagement_id))
    except (Engagement.DoesNotExist, TypeError, ValueError):
        raise NotFound("No such engagement.") from None
    if not Participant.objects.filter(engagement=engagement, user=user, left_at__isnull=True).exists():
        raise NotFound("No such engagement.")
    return engagement


def engagement_touch(*, engagement: Engagement, at: datetime | None = None) -> None:
    """Record that people engaged (a commitment, a milestone, a message). Messaging calls this."""
    Engagement.objects.filter(pk=engagement.pk).update(last_activity_at=at or clock.now())


def participant_add(*, actor, engagement_id, user, role: str) -> Participant:
    """Add ``user`` to a group engagement. Who may call: a talent manager of its
    workspace or an active mentor in it. The user must be an active member of
    the same workspace and not already in it."""
    if role not in Participant.Role.values:
        raise ValidationFailed("Unknown role.", fields={"role": ["Choose mentor or seeker."]})
    with transaction.atomic():
        engagement = _engagement_for_manager_or_mentor(actor, engagement_id)
        if engagement.kind != EngagementKind.GROUP:
            raise ValidationFailed(
                "Only group engagements take more people.",
                fields={"user": ["Start a group engagement instead."]},
            )
        if engagement.state != State.ACTIVE:
            raise Conflict("People can only join an active engagement.")
        other = getattr(user, "membership", None)
        if other is None or not other.is_active or other.organization_id != engagement.organization_id:
            raise ValidationFailed(
                "That person is not in this workspace.",
                fields={"user": ["Choose a member of this workspace."]},
            )
        if Participant.objects.filter(engagement=engagement, user=user, left_at__isnull=True).exists():
            raise Conflict(
                f"{user.display_name} is already taking part.", fields={"user": ["They are already in it."]}
            )
        participant = Participant.objects.create(
            engagement=engagement, user=user, role=role, joined_at=clock.now()
        )
        _sync_chat_members(engagement.pk)
        notify(
            recipients=[user],
            kind="engagement.joined",
            subject=f"You were added to “{engagement.title}”",
            body=f"{actor.display_name} added you as {role}.",
            link=engagement_link(engagement.pk),
        )
    return participant


def _sync_chat_members(engagement_id: int) -> None:
    """Keep the engagement's chat members equal to its active participants, in
    the same transaction (messaging fans out the join/leave after commit)."""
    engagement_members_changed.send(sender=Engagement, engagement_id=engagement_id)


def _engagement_for_manager_or_mentor(actor, engagement_id) -> Engagement:
    try:
        engagement = Engagement.objects.select_for_update().get(pk=int(engagement_id))
    except (Engagement.DoesNotExist, TypeError, ValueError):
        raise NotFound("No such engagement.") from None
    if is_talent_manager_of(actor, engagement.organization_id):
        return engagement
    is_mentor = Participant.objects.filter(
        engagement=engagement, user=actor, role=Participant.Role.MENTOR, left_at__isnull=True
    ).exists()
    if is_mentor:
        return engagement
    if Participant.objects.filter(engagement=engagement, user=actor, left_at__isnull=True).exists():
        raise PermissionDenied("Only a mentor in this engagement or a talent manager can do that.")
    raise NotFound("No such engagement.")


def participant_leave(*, actor, engagement_id, reason: str = "") -> Engagement:
    """``actor`` leaves a group engagement (situational and ongoing ones are
    cancelled instead). When the last mentor leaves, the engagement ends:
    it wraps up if people engaged, otherwise it is cancelled."""
    with transaction.atomic():
        engagement = participant_engagement(actor, engagement_id, lock=True)
        if engagement.kind != EngagementKind.GROUP:
            raise ValidationFailed(
                "Leave is for group engagements.",
                fields={"engagement": ["Cancel the engagement instead (it has only two sides)."]},
            )
        if engagement.state != State.ACTIVE:
            raise Conflict("This engagement already ended; there is nothing to leave.")
        at = clock.now()
        Participant.objects.filter(engagement=engagement, user=actor, left_at__isnull=True).update(left_at=at)
        _sync_chat_members(engagement.pk)
        mentors_left = Participant.objects.filter(
            engagement=engagement, role=Participant.Role.MENTOR, left_at__isnull=True
        ).exists()
        if not mentors_left:
            to_state = State.WRAPPING_UP if engagement.last_activity_at else State.CANCELLED
            engagement = engagement_transition(
                engagement=engagement, to_state=to_state, actor=actor, reason="the last mentor left"
            )
            notify_participants(
                engagement,
                exclude=actor,
                kind="engagement.ended",
                subject=f"“{engagement.title}” ended",
                body="The last mentor left, so the engagement ended.",
            )
    return engagement


def notify_participants(engagement: Engagement, *, exclude=None, kind: str, subject: str, body: str) -> None:
    people = [
        p.user
        for p in engagement.participants.filter(left_at__isnull=True).select_related("user")
        if exclude is None or p.user_id != exclude.pk
    ]
    notify(recipients=people, kind=kind, subject=subject, body=body, link=engagement_link(engagement.pk))


# --- Moves requested by people ------------------------------------------------


def extension_apply(
    engagement: Engagement, *, ends_at: datetime, reason: str, field: str = "ends_at"
) -> datetime:
    """The extension rules, on an engagement locked by the caller's transaction: active,
    not extended before, a later end within its kind's maximum (counted from the start).
    Moves the end, keeps the reason, re-arms the end reminder; returns the previous end.
    ``field`` names the form field an error points at. Participants
    (``engagement_extend``) and talent managers (``dashboard_actions.attention_extend``)
    both go through here."""
    if engagement.state != State.ACTIVE:
        raise Conflict("Only an active engagement can be extended.", fields={field: ["It already ended."]})
    if engagement.extended_once:
        raise Conflict(
            "This engagement was already extended once.",
            fields={field: ["An engagement can be extended only once; start a new one to continue."]},
        )
    if ends_at <= engagement.ends_at:
        raise ValidationFailed(
            "An extension must move the end later.",
            fields={field: [f"Choose a date after the current end ({engagement.ends_at:%Y-%m-%d})."]},
        )
    validate_span(kind=engagement.kind, starts_at=engagement.starts_at, ends_at=ends_at, field=field)
    previous = engagement.ends_at
    engagement.ends_at = ends_at
    engagement.extended_once = True
    engagement.extension_reason = reason
    engagement.reminder_sent_at = None  # remind again before the new end
    engagement.save(update_fields=["ends_at", "extended_once", "extension_reason", "reminder_sent_at"])
    logger.info("engagement %s extended from %s to %s", engagement.pk, previous, ends_at)
    return previous


def engagement_extend(*, actor, engagement_id, ends_at: datetime, reason: str) -> Engagement:
    """Extend an active engagement once, with a reason, to a later end date within
    its kind's maximum (counted from the start). Participants only."""
    reason = clean_text(reason, field="reason", label="A reason", max_length=1000, required=True)
    with transaction.atomic():
        engagement = participant_engagement(actor, engagement_id, lock=True)
        extension_apply(engagement, ends_at=ends_at, reason=reason)
        notify_participants(
            engagement,
            exclude=actor,
            kind="engagement.extended",
            subject=f"“{engagement.title}” was extended",
            body=f"{actor.display_name} extended it to {ends_at:%Y-%m-%d}: {reason}",
        )
    return engagement


def engagement_cancel(*, actor, engagement_id, reason: str) -> Engagement:
    """Call off an active or wrapping-up engagement. Who may call: an active
    participant, or a talent manager of its workspace. A reason is required."""
    reason = clean_text(reason, field="reason", label="A reason", max_length=REASON_MAX, required=True)
    with transaction.atomic():
        try:
            engagement = Engagement.objects.select_for_update().get(pk=int(engagement_id))
        except (Engagement.DoesNotExist, TypeError, ValueError):
            raise NotFound("No such engagement.") from None
        is_participant = Participant.objects.filter(
            engagement=engagement, user=actor, left_at__isnull=True
        ).exists()
        if not is_participant and not is_talent_manager_of(actor, engagement.organization_id):
            raise NotFound("No such engagement.")
        engagement = engagement_transition(
            engagement=engagement, to_state=State.CANCELLED, actor=actor, reason=reason
        )
        notify_participants(
            engagement,
            exclude=actor,
            kind="engagement.cancelled",
            subject=f"“{engagement.title}” was cancelled",
            body=f"{actor.display_name} cancelled it: {reason}",
        )
    return engagement


def engagement_finish_early(*, actor, engagement_id, reason: str = "") -> Engagement:
    """A participant ends an active engagement before its end date: it wraps up
    (feedback opens) if people engaged, otherwise the move is refused."""
    with transaction.atomic():
        engagement = participant_engagement(actor, engagement_id, lock=True)
        if engagement.last_activity_at is None:
            raise Conflict(
                "Nothing happened in this engagement yet; cancel it instead of wrapping it up.",
                fields={"state": ["Record a commitment or milestone first, or cancel."]},
            )
        engagement = engagement_transition(
            engagement=engagement,
            to_state=State.WRAPPING_UP,
            actor=actor,
            reason=(reason or "finished early").strip(),
        )
        notify_participants(
            engagement,
            exclude=actor,
            kind="engagement.wrapping_up",
            subject=f"“{engagement.title}” is wrapping up",
            body="Please leave feedback for the people you worked with.",
        )
    return engagement
