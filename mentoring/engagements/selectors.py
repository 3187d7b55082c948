"""Reads for the engagement domain, always scoped to the viewer.

Every fetch by id goes through an access function that answers "not found"
for both "does not exist" and "not yours" (``access_engagement``,
``access_invitation``, ``access_request``). Membership and role checks are
``accounts.access``'s.
"""

from datetime import datetime, timedelta

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.access import active_membership, require_membership
from core import clock
from core.errors import NotFound, PermissionDenied
from core.lookups import AnyOf
from mentoring.models import (
    FEEDBACK_WINDOW,
    Commitment,
    Engagement,
    Feedback,
    Invitation,
    MentoringRequest,
    Milestone,
    Participant,
)

# An engagement occupies a mentor's capacity while it is active; wrapping up is
# only feedback and does not.
LOAD_STATES = (Engagement.State.ACTIVE,)


# --- Load and capacity -------------------------------------------------------


def mentoring_now() -> QuerySet[Participant]:
    """The one definition of mentor load: mentor seats in engagements that occupy the
    mentor's capacity (active ones), not left. Every load figure counts these rows."""
    return Participant.objects.filter(
        role=Participant.Role.MENTOR, left_at__isnull=True, engagement__state__in=LOAD_STATES
    )


def mentor_loads(user_ids) -> dict[int, int]:
    """How many engagements each of ``user_ids`` currently mentors (absent: none), one query."""
    return dict(
        mentoring_now()
        .filter(AnyOf("user_id", user_ids))
        .order_by()
        .values("user_id")
        .annotate(n=Count("id"))
        .values_list("user_id", "n")
    )


def mentor_load_subquery(user_ref: str = "pk") -> Coalesce:
    """A subquery expression: how many engagements the user (``OuterRef(user_ref)``)
    currently mentors. Annotate candidate lists with it (matching uses it)."""
    counted = (
        mentoring_now()
        .filter(user=OuterRef(user_ref))
        .order_by()
        .values("user")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def mentor_load(user) -> int:
    """Engagements the user is currently an active mentor in."""
    return mentoring_now().filter(user=user).count()


def mentor_capacity_left(user) -> int:
    return max(0, user.profile.capacity - mentor_load(user))


# --- Engagements -------------------------------------------------------------


def _engagement_joins(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("program", "organization").prefetch_related(
        Prefetch(
            "participants",
            queryset=Participant.objects.select_related("user", "user__profile").order_by(
                "role", "joined_at"
            ),
        ),
        "skills",
    )


def access_engagement(user, engagement_id) -> Engagement:
    """The engagement if ``user`` may read it, else NotFound (same for missing).

    Participants (current and former) read it; talent managers of its
    workspace read it too (metadata only — they never get conversation
    content; ``viewer_is_participant`` tells views which one applies).
    """
    membership = active_membership(user)
    if membership is None:
        raise NotFound("No such engagement.")
    try:
        engagement = _engagement_joins(
            Engagement.objects.filter(organization_id=membership.organization_id)
        ).get(pk=int(engagement_id))
    except (Engagement.DoesNotExist, TypeError, ValueError):
        raise NotFound("No such engagement.") from None
    engagement.viewer_is_participant = any(p.user_id == user.pk for p in engagement.participants.all())
    if not engagement.viewer_is_participant and not membership.is_talent_manager:
        raise NotFound("No such engagement.")
    return engagement


def access_engagement_of(user, *, commitment_id=None, milestone_id=None) -> Engagement:
    """The engagement a commitment or milestone belongs to, if ``user`` may read that
    engagement (``access_engagement``); NotFound (the same answer) otherwise."""
    model, pk = (Commitment, commitment_id) if commitment_id is not None else (Milestone, milestone_id)
    try:
        engagement_id = model.objects.filter(pk=int(pk)).values_list("engagement_id", flat=True).first()
    except (TypeError, ValueError):
        engagement_id = None
    if engagement_id is None:
        raise NotFound(f"No such {model._meta.verbose_name}.")
    return access_engagement(user, engagement_id)


def engagements_for(user, state: str | None = None) -> QuerySet:
    """Engagements ``user`` takes or took part in, newest first, with participants,
    their profiles, skills and program loaded (a constant number of queries)."""
    queryset = Engagement.objects.filter(
        Exists(Participant.objects.filter(engagement=OuterRef("pk"), user=user))
    ).order_by("-starts_at", "-id")
    if state is not None:
        if state not in Engagement.State.values:
            raise NotFound("No such engagement state.")
        queryset = queryset.filter(state=state)
    return _engagement_joins(queryset)


def engagements_in_workspace(user, state: str | None = None) -> QuerySet:
    """Every engagement of the viewer's workspace (talent managers only): metadata for dashboards."""
    membership = require_membership(user)
    if not membership.is_talent_manager:
        raise PermissionDenied("Only talent managers see every engagement in the workspace.")
    queryset = Engagement.objects.filter(organization_id=membership.organization_id)
    if state is not None:
        queryset = queryset.filter(state=state)
    return _engagement_joins(queryset.order_by("-starts_at", "-id"))


def active_participants(engagement: Engagement) -> QuerySet:
    return engagement.participants.filter(left_at__isnull=True).select_related("user")


def engagement_timeline(engagement: Engagement) -> QuerySet:
    return engagement.transitions.select_related("actor").order_by("at", "id")


def commitments_for(engagement: Engagement) -> QuerySet:
    return engagement.commitments.select_related("owner", "confirmed_by").order_by("due_at", "id")


def milestones_for(engagement: Engagement) -> QuerySet:
    return engagement.milestones.order_by("due_at", "id")


def engagements_due_to_end(at: datetime) -> QuerySet:
    """Active engagements whose end date passed (the beat wraps them up or expires them),
    oldest end first."""
    return Engagement.objects.filter(state=Engagement.State.ACTIVE, ends_at__lte=at).order_by("ends_at")


def engagements_due_to_complete(at: datetime) -> QuerySet:
    """Wrapping-up engagements whose feedback window closed, oldest first."""
    return Engagement.objects.filter(
        state=Engagement.State.WRAPPING_UP, ended_at__lte=at - FEEDBACK_WINDOW
    ).order_by("ended_at")


def engagements_due_for_reminder(at: datetime, lead: timedelta) -> QuerySet:
    """Active engagements ending within ``lead`` whose participants were not reminded yet."""
    return Engagement.objects.filter(
        state=Engagement.State.ACTIVE, reminder_sent_at__isnull=True, ends_at__gt=at, ends_at__lte=at + lead
    )


def overdue_commitments(at: datetime | None = None) -> QuerySet:
    """Open commitments past their due time whose counterparts were not yet prompted."""
    return Commitment.objects.filter(
        state=Commitment.State.OPEN, due_at__lte=at or clock.now(), overdue_prompted_at__isnull=True
    ).select_related("engagement", "owner")


# --- Requests and invitations ------------------------------------------------


def access_request(user, request_id) -> MentoringRequest:
    """The seeker's own request, else NotFound."""
    try:
        return MentoringRequest.objects.prefetch_related("skills").get(pk=int(request_id), seeker=user)
    except (MentoringRequest.DoesNotExist, TypeError, ValueError):
        raise NotFound("No such request.") from None


def requests_for(seeker, state: str | None = None) -> QuerySet:
    queryset = MentoringRequest.objects.filter(seeker=seeker).prefetch_related(
        "skills",
        Prefetch("invitations", queryset=Invitation.objects.select_related("mentor").order_by("rank")),
    )
    if state is not None:
        queryset = queryset.filter(state=state)
    return queryset.order_by("-created_at", "-id")


def exhausted_requests_for(seeker) -> QuerySet:
    """Requests where every chosen mentor declined or timed out: the seeker should
    be told and shown fresh suggestions (pages read this)."""
    return requests_for(seeker, MentoringRequest.State.EXHAUSTED)


def access_invitation(user, invitation_id, *, side: str | None = None) -> Invitation:
    """An invitation addressed to ``user`` that was actually sent (not queued), or
    one on ``user``'s own request; otherwise NotFound. ``side="mentor"`` accepts only
    the first, ``side="seeker"`` only the second."""
    try:
        invitation = Invitation.objects.select_related("request", "request__seeker", "mentor").get(
            pk=int(invitation_id)
        )
    except (Invitation.DoesNotExist, TypeError, ValueError):
        raise NotFound("No such invitation.") from None
    is_mentor = invitation.mentor_id == user.pk and invitation.state != Invitation.State.QUEUED
    is_seeker = invitation.request.seeker_id == user.pk
    allowed = {"mentor": is_mentor, "seeker": is_seeker, None: is_mentor or is_seeker}[side]
    if not allowed:
        raise NotFound("No such invitation.")
    return invitation


def invitations_inbox(mentor, *, include_answered: bool = False) -> QuerySet:
    """Invitations sent to ``mentor``: live ones (pending or clarifying) first by
    expiry; with ``include_answered`` also past ones. Queued ones are never shown."""
    states = list(Invitation.LIVE_STATES)
    if include_answered:
        states += [
            Invitation.State.ACCEPTED,
            Invitation.State.DECLINED,
            Invitation.State.EXPIRED,
            Invitation.State.WITHDRAWN,
        ]
    return (
        Invitation.objects.filter(mentor=mentor, state__in=states)
        .select_related("request", "request__seeker", "request__seeker__profile")
        .prefetch_related("request__skills")
        .order_by("expires_at", "id")
    )


def invitations_due_to_expire(at: datetime | None = None) -> QuerySet:
    return Invitation.objects.filter(state__in=Invitation.LIVE_STATES, expires_at__lte=at or clock.now())


# --- Feedback ----------------------------------------------------------------


def feedback_reveal_condition(at: datetime | None = None) -> Q:
    """Feedback is revealed once the ratee also rated the rater in that engagement,
    or FEEDBACK_WINDOW after the engagement ended."""
    reciprocal = Feedback.objects.filter(
        engagement=OuterRef("engagement"), rater=OuterRef("ratee"), ratee=OuterRef("rater")
    )
    return Q(Exists(reciprocal)) | Q(engagement__ended_at__lte=(at or clock.now()) - FEEDBACK_WINDOW)


def feedback_revealed_about(user, at: datetime | None = None) -> QuerySet:
    """Feedback about ``user`` that the double blind lets them see (as part of
    their trust explanation). The rater is never exposed by callers that show it."""
    return (
        Feedback.objects.filter(ratee=user)
        .filter(feedback_reveal_condition(at))
        .select_related("engagement")
        .order_by("-submitted_at", "-id")
    )


def feedback_awaiting_evidence(at: datetime | None = None) -> QuerySet:
    """Revealed feedback not yet turned into trust evidence."""
    return Feedback.objects.filter(evidence_recorded_at__isnull=True).filter(feedback_reveal_condition(at))


def feedback_owed_by(user, engagement: Engagement) -> list:
    """The other participants ``user`` has not rated yet in ``engagement``."""
    rated = set(Feedback.objects.filter(engagement=engagement, rater=user).values_list("ratee_id", flat=True))
    others = {
        p.user_id: p.user for p in engagement.participants.select_related("user") if p.user_id != user.pk
    }
    return [person for uid, person in others.items() if uid not in rated]
