"""Home's "what needs me now", for the engagement domain: invitations to answer,
commitments due or overdue (mine to keep, others' to confirm), feedback I owe and
engagements ending soon. Reads only, always the viewer's own; a fixed number of
queries whatever the counts."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q

from core import clock
from mentoring.engagements import selectors
from mentoring.models import Commitment, Engagement, Feedback, Invitation, Participant

SOON = timedelta(days=7)
LIMIT = 6


@dataclass
class NeedsMe:
    invitations: list = field(default_factory=list)
    commitments_due: list = field(default_factory=list)
    to_confirm: list = field(default_factory=list)
    feedback_owed: list = field(default_factory=list)
    ending_soon: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(
            len(items)
            for items in (
                self.invitations,
                self.commitments_due,
                self.to_confirm,
                self.feedback_owed,
                self.ending_soon,
            )
        )


def _mine(user):
    return Exists(
        Participant.objects.filter(engagement=OuterRef("engagement"), user=user, left_at__isnull=True)
    )


def needs_me(user, *, now: datetime | None = None) -> NeedsMe:
    """What ``user`` should act on now, each list soonest first (at most ``LIMIT`` each)."""
    now = now or clock.now()
    open_commitments = Commitment.objects.filter(
        state=Commitment.State.OPEN, engagement__state=Engagement.State.ACTIVE
    ).select_related("engagement", "owner")
    in_my_engagements = Exists(
        Participant.objects.filter(engagement=OuterRef("pk"), user=user, left_at__isnull=True)
    )
    unrated = Participant.objects.filter(engagement=OuterRef("pk"), left_at__isnull=True).exclude(user=user)
    unrated = unrated.exclude(
        Exists(Feedback.objects.filter(engagement=OuterRef("engagement"), rater=user, ratee=OuterRef("user")))
    )
    return NeedsMe(
        invitations=list(selectors.invitations_inbox(user).filter(state__in=Invitation.LIVE_STATES)[:LIMIT]),
        commitments_due=list(
            open_commitments.filter(owner=user, due_at__lte=now + SOON).order_by("due_at", "pk")[:LIMIT]
        ),
        to_confirm=list(
            open_commitments.filter(_mine(user), due_at__lte=now)
            .exclude(owner=user)
            .order_by("due_at", "pk")[:LIMIT]
        ),
        feedback_owed=list(
            Engagement.objects.filter(in_my_engagements, state=Engagement.State.WRAPPING_UP)
            .filter(Exists(unrated))
            .order_by("ends_at", "pk")[:LIMIT]
        ),
        ending_soon=list(
            Engagement.objects.filter(in_my_engagements, state=Engagement.State.ACTIVE)
            .filter(Q(ends_at__lte=now + SOON), ends_at__gt=now)
            .order_by("ends_at", "pk")[:LIMIT]
        ),
    )
