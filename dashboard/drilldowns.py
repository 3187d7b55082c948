"""Drill-downs: the rows behind each overview figure, for the same period (metadata
only: people, dates, states and counts, never what anyone wrote). Each read is one
query per page whatever the size of the workspace (counts as subqueries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from accounts.models import Membership, User
from core.errors import ValidationFailed
from dashboard.period import Period, in_period, overlapping, utc_day
from mentoring.models import Commitment, Engagement, Feedback, Invitation, MentoringRequest, Participant
from messaging.models import Answer, MessageActivityDay, Question, RoutingAttempt

DRILL_SCOPES = {
    "running": "Running at some moment of the period",
    "started": "Started in the period",
    "ended": "Ended in the period (completed, cancelled or expired)",
    "feedback": "With feedback submitted in the period",
    "commitments": "With a commitment kept or missed in the period",
}
REQUEST_OUTCOMES = {
    "all": "Every request created in the period",
    "matched": "Matched (an invitation was accepted)",
    "unmatched": "Not matched (yet)",
}
QUESTION_OUTCOMES = {
    "all": "Every network question asked in the period",
    "answered": "Answered",
    "unanswered": "Not answered yet",
    "routed": "Routed to people",
}


def drill_engagements(
    membership: Membership, period: Period, *, scope: str = "running", kind: str = "", state: str = ""
) -> QuerySet[Engagement]:
    """The engagements behind the engagement figures and charts: ``scope`` (one of
    ``DRILL_SCOPES``), optionally one kind and one state, newest start first, with the
    counts a row shows as subqueries (one query per page whatever its size)."""
    if scope not in DRILL_SCOPES:
        raise ValidationFailed("Unknown scope.", fields={"scope": [f"Use one of {', '.join(DRILL_SCOPES)}."]})
    settled = [Engagement.State.COMPLETED, Engagement.State.CANCELLED, Engagement.State.EXPIRED]
    filters = {
        "running": overlapping(period.start, period.end),
        "started": in_period("starts_at", period.start, period.end),
        "ended": in_period("ended_at", period.start, period.end) & Q(state__in=settled),
        "feedback": Exists(
            Feedback.objects.filter(engagement_id=OuterRef("pk")).filter(
                in_period("submitted_at", period.start, period.end)
            )
        ),
        "commitments": Exists(
            Commitment.objects.filter(
                engagement_id=OuterRef("pk"), state__in=[Commitment.State.KEPT, Commitment.State.MISSED]
            ).filter(in_period("decided_at", period.start, period.end))
        ),
    }
    qs = Engagement.objects.filter(organization_id=membership.organization_id).filter(filters[scope])
    if kind:
        qs = qs.filter(kind=kind)
    if state:
        qs = qs.filter(state=state)

    def count(model, **conditions):
        return Coalesce(
            Subquery(
                model.objects.filter(engagement_id=OuterRef("pk"), **conditions)
                .order_by()
                .values("engagement_id")
                .annotate(n=Count("id"))
                .values("n")[:1],
                output_field=IntegerField(),
            ),
            0,
        )

    return qs.annotate(
        people=count(Participant),
        kept=count(Commitment, state=Commitment.State.KEPT),
        missed=count(Commitment, state=Commitment.State.MISSED),
        first_reply_at=F("chat_first_reply__replied_at"),
    ).order_by("-starts_at", "-id")


def drill_requests(
    membership: Membership, period: Period, *, outcome: str = "all"
) -> QuerySet[MentoringRequest]:
    """The requests behind "new requests", "match rate" and "time to match": created in the
    period, with when an invitation was accepted (``accepted_at``) and the seeker."""
    if outcome not in REQUEST_OUTCOMES:
        raise ValidationFailed(
            "Unknown outcome.", fields={"outcome": [f"Use one of {', '.join(REQUEST_OUTCOMES)}."]}
        )
    accepted_at = Subquery(
        Invitation.objects.filter(request_id=OuterRef("pk"), state=Invitation.State.ACCEPTED)
        .order_by("responded_at")
        .values("responded_at")[:1]
    )
    qs = (
        MentoringRequest.objects.filter(organization_id=membership.organization_id)
        .filter(in_period("created_at", period.start, period.end))
        .annotate(accepted_at=accepted_at)
        .select_related("seeker")
    )
    if outcome == "matched":
        qs = qs.filter(accepted_at__isnull=False)
    elif outcome == "unmatched":
        qs = qs.filter(accepted_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def drill_questions(membership: Membership, period: Period, *, outcome: str = "all") -> QuerySet[Question]:
    """The network questions behind the question figures: asked in the period, with the
    first answer's time and the routing counts (attempts, answered in the window)."""
    if outcome not in QUESTION_OUTCOMES:
        raise ValidationFailed(
            "Unknown outcome.", fields={"outcome": [f"Use one of {', '.join(QUESTION_OUTCOMES)}."]}
        )
    first_answer = Subquery(
        Answer.objects.filter(question_id=OuterRef("pk")).order_by("created_at").values("created_at")[:1]
    )

    def attempts(**conditions):
        return Coalesce(
            Subquery(
                RoutingAttempt.objects.filter(question_id=OuterRef("pk"), **conditions)
                .order_by()
                .values("question_id")
                .annotate(n=Count("id"))
                .values("n")[:1],
                output_field=IntegerField(),
            ),
            0,
        )

    qs = (
        Question.objects.filter(organization_id=membership.organization_id, scope=Question.Scope.NETWORK)
        .filter(in_period("created_at", period.start, period.end))
        .annotate(
            first_answer_at=first_answer,
            attempts=attempts(),
            answered_in_window=attempts(outcome=RoutingAttempt.Outcome.ANSWERED),
        )
    )
    if outcome == "answered":
        qs = qs.filter(first_answer_at__isnull=False)
    elif outcome == "unanswered":
        qs = qs.filter(first_answer_at__isnull=True)
    elif outcome == "routed":
        qs = qs.filter(attempts__gt=0)
    return qs.order_by("-created_at", "-id")


@dataclass
class ActivePerson:
    user: object
    messages: int
    joined: int
    commitments: int


def _totals_by(queryset, key: str, total=None) -> dict:
    """{key value: total} over ``queryset`` (a row count unless ``total`` says otherwise)."""
    total = total if total is not None else Count("id")
    return dict(queryset.order_by().values(key).annotate(n=total).values_list(key, "n"))


class ActivePeople:
    """The people behind "active members", as a sequence Django's ``Paginator`` can page:
    the count and each page's ids come from the same UNION as the figure (ordered by id),
    and only the page's people get their names and counts (three grouped queries)."""

    def __init__(self, membership: Membership, period: Period):
        self.membership, self.period = membership, period
        self.pairs = _active_pairs(membership, period.start, period.end, period.start).order_by("person")

    def count(self) -> int:
        return self.pairs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("ActivePeople is read a page (a slice) at a time.")
        ids = [person for person, _ in self.pairs[index]]
        return self._people(ids)

    def _people(self, ids: list[int]) -> list[ActivePerson]:
        if not ids:
            return []
        org, period = self.membership.organization_id, self.period
        messages = _totals_by(
            MessageActivityDay.objects.filter(
                organization_id=org,
                author_id__in=ids,
                day__gte=utc_day(period.start),
                day__lt=utc_day(period.end),
            ),
            "author_id",
            Sum("messages"),
        )
        joined = _totals_by(
            Participant.objects.filter(engagement__organization_id=org, user_id__in=ids).filter(
                in_period("joined_at", period.start, period.end)
            ),
            "user_id",
        )
        commitments = _totals_by(
            Commitment.objects.filter(engagement__organization_id=org, owner_id__in=ids).filter(
                in_period("created_at", period.start, period.end)
            ),
            "owner_id",
        )
        users = User.objects.in_bulk(ids)
        return [
            ActivePerson(users[i], messages.get(i, 0), joined.get(i, 0), commitments.get(i, 0))
            for i in ids
            if i in users
        ]


def drill_people(membership: Membership, period: Period) -> ActivePeople:
    """The people behind "active members" in the period (metadata: how many messages, joins
    and commitments — never what they wrote)."""
    return ActivePeople(membership, period)


def _active_pairs(membership: Membership, start: datetime, end: datetime, current_from: datetime) -> QuerySet:
    """(person, is_current) pairs of everyone who sent a message (the daily rollup), joined an
    engagement or recorded a commitment in ``[start, end)``; ``is_current`` = from
    ``current_from`` on. A UNION (not ALL): each pair once. The people drill-down pages
    through it (the overview's count reads the monthly bitmaps instead)."""
    org = membership.organization_id

    def people(queryset, person: str, when: str, since):
        """(person, 1 when the row is from ``since`` on else 0) of each row."""
        is_current = Case(When(**{f"{when}__gte": since}, then=Value(1)), default=Value(0))
        return (
            queryset.annotate(person=F(person), is_current=is_current)
            .order_by()
            .values_list("person", "is_current")
        )

    messages = people(
        MessageActivityDay.objects.filter(organization_id=org, day__gte=utc_day(start), day__lt=utc_day(end)),
        "author_id",
        "day",
        utc_day(current_from),
    )
    joins = people(
        Participant.objects.filter(engagement__organization_id=org).filter(
            in_period("joined_at", start, end)
        ),
        "user_id",
        "joined_at",
        current_from,
    )
    commitments = people(
        Commitment.objects.filter(engagement__organization_id=org).filter(
            in_period("created_at", start, end)
        ),
        "owner_id",
        "created_at",
        current_from,
    )
    return messages.union(joins, commitments)
