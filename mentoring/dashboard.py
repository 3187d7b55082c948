"""Talent-manager dashboard reads: workspace-wide figures over a period, with the
previous period of the same length for the trend.

Privacy: everything here is an aggregate or metadata (timestamps, authors,
states). No function reads a message body, a feedback note or any other text
a person wrote in a private conversation.

Every selector takes the acting manager's ``Membership`` (from
``require_manager``) and a ``Period``; each runs ONE query that covers the
current and the previous period together (conditional aggregation, or a
bounded ``values_list`` split in Python for medians), so the overview stays at
a small, fixed number of queries whatever the size of the workspace. Figures
that come out of the same rows share a selector (``request_figures``), because
a second query for the same rows would only cost time.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import (
    Avg,
    Case,
    Count,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Floor, Least, TruncDate, TruncWeek

from accounts.models import Membership
from accounts.selectors.workspaces import require_talent_manager
from mentoring import clock
from mentoring.errors import NotFound, ValidationFailed
from mentoring.models import (
    Commitment,
    Engagement,
    EngagementKind,
    Feedback,
    Invitation,
    MentoringRequest,
    Participant,
    Program,
)
from messaging.models import Conversation, Message
from trust import params as trust_params
from trust.models import TrustScore

PRESET_DAYS = (7, 30, 90)
DEFAULT_DAYS = 30
MAX_RANGE_DAYS = 366
# Activity charts switch from daily to weekly points above this many days.
DAILY_BUCKETS_UP_TO_DAYS = 92


def require_manager(user) -> Membership:
    """The acting talent manager's membership; ``PermissionDenied`` for anyone else."""
    return require_talent_manager(user)


# --- periods ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A half-open UTC interval ``[start, end)`` and the one of equal length just before it."""

    start: datetime
    end: datetime
    label: str
    preset_days: int | None = None

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    @property
    def previous_start(self) -> datetime:
        return self.start - self.length

    @property
    def days(self) -> int:
        return max(1, round(self.length / timedelta(days=1)))

    @property
    def weekly(self) -> bool:
        return self.days > DAILY_BUCKETS_UP_TO_DAYS

    def as_dict(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "previous_start": self.previous_start,
            "days": self.days,
            "label": self.label,
        }


def resolve_period(*, days: int | None = None, start: date | None = None, end: date | None = None) -> Period:
    """A preset (the last 7/30/90 days up to now) or a custom range of whole UTC days,
    ``start`` to ``end`` inclusive. Raises ``ValidationFailed`` naming the field to fix."""
    if start is None and end is None:
        days = DEFAULT_DAYS if days is None else days
        if days not in PRESET_DAYS:
            raise ValidationFailed(
                "Choose a period of 7, 30 or 90 days, or a custom range.",
                fields={"period": [f"Use one of {', '.join(map(str, PRESET_DAYS))}, or give start and end."]},
            )
        end_at = clock.now()
        return Period(
            start=end_at - timedelta(days=days), end=end_at, label=f"Last {days} days", preset_days=days
        )
    if days is not None:
        raise ValidationFailed(
            "Give either a preset period or a custom range, not both.",
            fields={"period": ["Leave the preset empty when you give start and end dates."]},
        )
    errors: dict[str, list[str]] = {}
    if start is None:
        errors["start"] = ["Give the first day of the range (YYYY-MM-DD)."]
    if end is None:
        errors["end"] = ["Give the last day of the range (YYYY-MM-DD)."]
    if not errors and end <= start:
        errors["end"] = ["The end date must be after the start date."]
    if not errors and (end - start).days + 1 > MAX_RANGE_DAYS:
        errors["end"] = [
            f"A range covers at most {MAX_RANGE_DAYS} days; pick an earlier end or a later start."
        ]
    if errors:
        raise ValidationFailed("The date range is not valid.", fields=errors)
    start_at = datetime.combine(start, time.min, tzinfo=UTC)
    end_at = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
    return Period(start=start_at, end=end_at, label=f"{start:%Y-%m-%d} to {end:%Y-%m-%d}")


# --- figures ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One number for the period and the previous period. ``None`` means "no data" (e.g. a
    rate with nothing to divide by), which the page shows as a dash, never as zero."""

    current: float | None
    previous: float | None

    @property
    def direction(self) -> str:
        if self.current is None or self.previous is None or self.current == self.previous:
            return "flat"
        return "up" if self.current > self.previous else "down"

    @property
    def change_percent(self) -> float | None:
        """Relative change against the previous period, in percent (``None`` from zero)."""
        if self.current is None or self.previous in (None, 0):
            return None
        return round((self.current - self.previous) / abs(self.previous) * 100, 1)

    def as_dict(self) -> dict:
        return {
            "current": self.current,
            "previous": self.previous,
            "direction": self.direction,
            "change_percent": self.change_percent,
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _median_hours(values: list[timedelta]) -> float | None:
    if not values:
        return None
    return round(statistics.median(v.total_seconds() for v in values) / 3600, 2)


def _round(value) -> float | None:
    return None if value is None else round(float(value), 2)


def _in(field_name: str, start: datetime, end: datetime) -> Q:
    return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})


def _both(field_name: str, period: Period) -> tuple[Q, Q]:
    return _in(field_name, period.start, period.end), _in(field_name, period.previous_start, period.start)


def _overlapping(start: datetime, end: datetime) -> Q:
    """Engagements that were running at some moment of ``[start, end)``."""
    return Q(starts_at__lt=end) & (Q(ended_at__isnull=True) | Q(ended_at__gt=start))


def engagement_figures(membership: Membership, period: Period) -> dict[str, Figure]:
    """Two figures from one aggregate over the workspace's engagements:

    - ``active_engagements``: running at some moment of the period (started before its
      end, not ended before its start);
    - ``completion_rate``: of the engagements that ended in the period and are settled
      (completed, cancelled or expired), the share that completed. Wrapping-up ones are
      not settled yet, so they count in neither part.
    """
    settled = Q(state__in=[Engagement.State.COMPLETED, Engagement.State.CANCELLED, Engagement.State.EXPIRED])
    completed = Q(state=Engagement.State.COMPLETED)
    now_q, before_q = _both("ended_at", period)
    row = Engagement.objects.filter(organization_id=membership.organization_id).aggregate(
        active=Count("id", filter=_overlapping(period.start, period.end)),
        active_before=Count("id", filter=_overlapping(period.previous_start, period.start)),
        ended=Count("id", filter=now_q & settled),
        completed=Count("id", filter=now_q & completed),
        ended_before=Count("id", filter=before_q & settled),
        completed_before=Count("id", filter=before_q & completed),
    )
    return {
        "active_engagements": Figure(row["active"], row["active_before"]),
        "completion_rate": Figure(
            _rate(row["completed"], row["ended"]), _rate(row["completed_before"], row["ended_before"])
        ),
    }


def request_figures(membership: Membership, period: Period) -> dict[str, Figure]:
    """From the requests created in each period: how many (``new_requests``), the share
    that reached an accepted invitation (``match_rate``) and the median hours from the
    request to that acceptance (``median_hours_to_match``). One bounded query."""
    accepted_at = Subquery(
        Invitation.objects.filter(request_id=OuterRef("pk"), state=Invitation.State.ACCEPTED)
        .order_by("responded_at")
        .values("responded_at")[:1]
    )
    rows = (
        MentoringRequest.objects.filter(organization_id=membership.organization_id)
        .filter(_in("created_at", period.previous_start, period.end))
        .annotate(accepted_at=accepted_at)
        .order_by()
        .values_list("created_at", "accepted_at")
    )
    counts = {True: 0, False: 0}
    waits: dict[bool, list[timedelta]] = {True: [], False: []}
    for created_at, accepted in rows:
        current = created_at >= period.start
        counts[current] += 1
        if accepted is not None:
            waits[current].append(accepted - created_at)
    return {
        "new_requests": Figure(counts[True], counts[False]),
        "match_rate": Figure(_rate(len(waits[True]), counts[True]), _rate(len(waits[False]), counts[False])),
        "median_hours_to_match": Figure(_median_hours(waits[True]), _median_hours(waits[False])),
    }


def median_hours_to_first_answer(membership: Membership, period: Period) -> Figure:
    """For engagements that started in the period: median hours from the start to the
    first message a mentor of that engagement wrote in its chat (metadata only)."""
    # Within a conversation ``seq`` is handed out under a row lock together with
    # ``created_at``, so the first mentor message by seq is the earliest one: the
    # subquery walks the (conversation, seq) index and stops there instead of sorting
    # the chat. Driving from the conversation keeps that index usable.
    mentors = Participant.objects.filter(
        engagement_id=OuterRef(OuterRef("engagement_id")), role=Participant.Role.MENTOR
    ).values("user_id")
    first_answer = Subquery(
        Message.objects.filter(
            conversation_id=OuterRef("pk"),
            created_at__gte=OuterRef("engagement__starts_at"),
            author_id__in=mentors,
        )
        .order_by("seq")
        .values("created_at")[:1]
    )
    rows = (
        Conversation.objects.filter(
            kind=Conversation.Kind.ENGAGEMENT, engagement__organization_id=membership.organization_id
        )
        .filter(_in("engagement__starts_at", period.previous_start, period.end))
        .annotate(first_answer_at=first_answer)
        .order_by()
        .values_list("engagement__starts_at", "first_answer_at")
    )
    waits: dict[bool, list[timedelta]] = {True: [], False: []}
    for starts_at, answered_at in rows:
        if answered_at is not None:  # filtered here, not in SQL, so the subquery runs once per row
            waits[starts_at >= period.start].append(answered_at - starts_at)
    return Figure(_median_hours(waits[True]), _median_hours(waits[False]))


FEEDBACK_FIGURES = ("competence", "responsiveness", "would_work_again")


def feedback_averages(membership: Membership, period: Period) -> dict[str, Figure]:
    """Feedback submitted in the period: mean competence and responsiveness (1–5) and the
    share who would work with the other person again (0–1). Private notes are never read."""
    now_q, before_q = _both("submitted_at", period)
    again = Cast("would_work_again", IntegerField())
    row = Feedback.objects.filter(engagement__organization_id=membership.organization_id).aggregate(
        now_competence=Avg("competence", filter=now_q),
        before_competence=Avg("competence", filter=before_q),
        now_responsiveness=Avg("responsiveness", filter=now_q),
        before_responsiveness=Avg("responsiveness", filter=before_q),
        now_would_work_again=Avg(again, filter=now_q, output_field=FloatField()),
        before_would_work_again=Avg(again, filter=before_q, output_field=FloatField()),
    )
    return {
        name: Figure(_round(row[f"now_{name}"]), _round(row[f"before_{name}"])) for name in FEEDBACK_FIGURES
    }


def commitments_kept_rate(membership: Membership, period: Period) -> Figure:
    """Commitments decided in the period: kept / (kept + missed). Released ones do not count."""
    now_q, before_q = _both("decided_at", period)
    kept, missed = Q(state=Commitment.State.KEPT), Q(state=Commitment.State.MISSED)
    row = Commitment.objects.filter(engagement__organization_id=membership.organization_id).aggregate(
        kept=Count("id", filter=now_q & kept),
        missed=Count("id", filter=now_q & missed),
        kept_before=Count("id", filter=before_q & kept),
        missed_before=Count("id", filter=before_q & missed),
    )
    return Figure(
        _rate(row["kept"], row["kept"] + row["missed"]),
        _rate(row["kept_before"], row["kept_before"] + row["missed_before"]),
    )


def active_members(membership: Membership, period: Period) -> Figure:
    """Distinct people who sent a message, joined an engagement or recorded a commitment in
    the period. One UNION query over (person, is-current-period) pairs."""
    org = membership.organization_id

    def flag(field_name: str):
        return Case(When(**{f"{field_name}__gte": period.start}, then=Value(1)), default=Value(0))

    span = (period.previous_start, period.end)
    messages = (
        Message.objects.filter(conversation__organization_id=org, author__isnull=False)
        .filter(_in("created_at", *span))
        .annotate(person=F("author_id"), current=flag("created_at"))
        .order_by()
        .values_list("person", "current")
    )
    joins = (
        Participant.objects.filter(engagement__organization_id=org)
        .filter(_in("joined_at", *span))
        .annotate(person=F("user_id"), current=flag("joined_at"))
        .order_by()
        .values_list("person", "current")
    )
    commitments = (
        Commitment.objects.filter(engagement__organization_id=org)
        .filter(_in("created_at", *span))
        .annotate(person=F("owner_id"), current=flag("created_at"))
        .order_by()
        .values_list("person", "current")
    )
    people: dict[int, set[int]] = {0: set(), 1: set()}
    for person, current in messages.union(joins, commitments):
        people[current].add(person)
    return Figure(len(people[1]), len(people[0]))


def overview(membership: Membership, period: Period) -> dict[str, Figure]:
    """Every overview figure, keyed by name (the API's field names)."""
    engagements = engagement_figures(membership, period)
    requests = request_figures(membership, period)
    feedback = feedback_averages(membership, period)
    return {
        "active_engagements": engagements["active_engagements"],
        "new_requests": requests["new_requests"],
        "match_rate": requests["match_rate"],
        "median_hours_to_match": requests["median_hours_to_match"],
        "median_hours_to_first_answer": median_hours_to_first_answer(membership, period),
        "completion_rate": engagements["completion_rate"],
        "feedback_competence": feedback["competence"],
        "feedback_responsiveness": feedback["responsiveness"],
        "feedback_would_work_again": feedback["would_work_again"],
        "commitments_kept_rate": commitments_kept_rate(membership, period),
        "active_members": active_members(membership, period),
    }


# --- charts ----------------------------------------------------------------------------------------


def _bucket_starts(period: Period) -> list[date]:
    first = period.start.date()
    last = (period.end - timedelta(microseconds=1)).date()
    if period.weekly:
        first -= timedelta(days=first.weekday())
        step = timedelta(days=7)
    else:
        step = timedelta(days=1)
    buckets, day = [], first
    while day <= last:
        buckets.append(day)
        day += step
    return buckets


def _bucket(period: Period, field_name: str):
    return TruncWeek(field_name) if period.weekly else TruncDate(field_name)


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


@dataclass
class EngagementBreakdown:
    started_per_bucket: dict[date, int] = field(default_factory=dict)
    by_kind_state: dict[str, dict[str, int]] = field(default_factory=dict)


def engagement_breakdown(membership: Membership, period: Period) -> EngagementBreakdown:
    """Engagements running in the period, counted by kind and state, and the ones that
    started in it per day (or week). One grouped query."""
    rows = (
        Engagement.objects.filter(organization_id=membership.organization_id)
        .filter(_overlapping(period.start, period.end))
        .annotate(
            bucket=_bucket(period, "starts_at"),
            started_in_period=Case(When(starts_at__gte=period.start, then=Value(1)), default=Value(0)),
        )
        .order_by()
        .values("kind", "state", "bucket", "started_in_period")
        .annotate(n=Count("id"))
    )
    result = EngagementBreakdown(
        started_per_bucket=dict.fromkeys(_bucket_starts(period), 0),
        by_kind_state={kind: dict.fromkeys(Engagement.State.values, 0) for kind in EngagementKind.values},
    )
    for row in rows:
        result.by_kind_state[row["kind"]][row["state"]] += row["n"]
        if row["started_in_period"]:
            key = _as_date(row["bucket"])
            result.started_per_bucket[key] = result.started_per_bucket.get(key, 0) + row["n"]
    return result


def messages_per_bucket(membership: Membership, period: Period) -> dict[date, int]:
    """How many chat messages were sent per day (or week) of the period — counts only."""
    rows = (
        Message.objects.filter(conversation__organization_id=membership.organization_id)
        .filter(_in("created_at", period.start, period.end))
        .annotate(bucket=_bucket(period, "created_at"))
        .order_by()
        .values("bucket")
        .annotate(n=Count("id"))
    )
    result = dict.fromkeys(_bucket_starts(period), 0)
    for row in rows:
        key = _as_date(row["bucket"])
        result[key] = result.get(key, 0) + row["n"]
    return result


TRUST_DIMENSIONS = (trust_params.INTEGRITY, trust_params.RESPONSIVENESS, trust_params.COMPETENCE)


def trust_histograms(membership: Membership) -> dict[str, dict]:
    """Per dimension, how many established people (enough evidence) have a mean score in each
    tenth of 0–1, and how many are still new. Competence counts one score per person and
    skill. The same buckets as ``trust.selectors.distributions``, in one grouped query."""
    bucket = Least(Cast(Floor(F("mean") * 10), FloatField()), 9.0)
    rows = (
        TrustScore.objects.filter(organization_id=membership.organization_id)
        .filter(Q(skill_key=0) | Q(dimension=trust_params.COMPETENCE))
        .annotate(bucket=bucket)
        .order_by()
        .values("dimension", "bucket")
        .annotate(
            n=Count("id"), new=Count("id", filter=Q(evidence_weight__lt=trust_params.NEWCOMER_EVIDENCE))
        )
    )
    result = {d: {"histogram": [0] * 10, "scores": 0, "new": 0} for d in TRUST_DIMENSIONS}
    for row in rows:
        entry = result.get(row["dimension"])
        if entry is None:
            continue
        entry["histogram"][int(row["bucket"])] += row["n"] - row["new"]
        entry["scores"] += row["n"]
        entry["new"] += row["new"]
    return result


def charts(membership: Membership, period: Period) -> dict:
    """Everything the overview's charts draw, as plain JSON-ready data."""
    breakdown = engagement_breakdown(membership, period)
    messages = messages_per_bucket(membership, period)
    buckets = sorted(set(breakdown.started_per_bucket) | set(messages))
    histograms = trust_histograms(membership)
    return {
        "activity": {
            "bucket": "week" if period.weekly else "day",
            "labels": [b.isoformat() for b in buckets],
            "engagements_started": [breakdown.started_per_bucket.get(b, 0) for b in buckets],
            "messages": [messages.get(b, 0) for b in buckets],
        },
        "by_kind_state": {
            "kinds": list(EngagementKind.values),
            "kind_labels": [str(label) for label in EngagementKind.labels],
            "states": list(Engagement.State.values),
            "state_labels": [str(label) for label in Engagement.State.labels],
            "counts": {
                state: [breakdown.by_kind_state[kind][state] for kind in EngagementKind.values]
                for state in Engagement.State.values
            },
        },
        "trust": {
            "labels": [f"{i / 10:.1f}–{(i + 1) / 10:.1f}" for i in range(10)],
            "dimensions": [{"dimension": d, **histograms[d]} for d in TRUST_DIMENSIONS],
        },
    }


# --- export ----------------------------------------------------------------------------------------


def access_program(membership: Membership, program_id) -> Program:
    """A program of the manager's workspace; one ``NotFound`` for missing and elsewhere."""
    try:
        program_id = int(program_id)
    except (TypeError, ValueError):
        raise NotFound("No such program in this workspace.") from None
    program = Program.objects.filter(pk=program_id, organization_id=membership.organization_id).first()
    if program is None:
        raise NotFound("No such program in this workspace.")
    return program


def engagements_for_export(
    membership: Membership, period: Period, *, program: Program | None = None
) -> QuerySet[Engagement]:
    """Engagements running in the period (optionally of one program) with what the CSV needs:
    the program, people (prefetched per chunk when iterated) and commitment outcomes."""
    qs = Engagement.objects.filter(organization_id=membership.organization_id).filter(
        _overlapping(period.start, period.end)
    )
    if program is not None:
        qs = qs.filter(program_id=program.pk)
    return (
        qs.select_related("program")
        .prefetch_related(
            Prefetch(
                "participants",
                queryset=Participant.objects.select_related("user").order_by("role", "joined_at", "id"),
            )
        )
        .annotate(
            commitments_kept=Count("commitments", filter=Q(commitments__state=Commitment.State.KEPT)),
            commitments_missed=Count("commitments", filter=Q(commitments__state=Commitment.State.MISSED)),
        )
        .order_by("starts_at", "id")
    )


EXPORT_HEADER = (
    "id",
    "kind",
    "state",
    "title",
    "program",
    "starts_at",
    "ends_at",
    "participants",
    "mentors",
    "seekers",
    "commitments_kept",
    "commitments_missed",
)

# Spreadsheet programs run cells that start with these as formulas (CSV injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_PREFIXES) else text


def export_row(engagement: Engagement) -> list:
    people = list(engagement.participants.all())
    mentors = [p.user.display_name for p in people if p.role == Participant.Role.MENTOR]
    seekers = [p.user.display_name for p in people if p.role == Participant.Role.SEEKER]
    return [
        engagement.pk,
        engagement.kind,
        engagement.state,
        _cell(engagement.title),
        _cell(engagement.program.name) if engagement.program else "",
        engagement.starts_at.astimezone(UTC).isoformat(),
        engagement.ends_at.astimezone(UTC).isoformat(),
        len(people),
        _cell("; ".join(mentors)),
        _cell("; ".join(seekers)),
        engagement.commitments_kept,
        engagement.commitments_missed,
    ]
