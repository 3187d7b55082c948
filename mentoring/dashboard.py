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
from typing import NamedTuple

from django.db import connections
from django.db.models import (
    Avg,
    Case,
    Count,
    DateField,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Floor, Least, TruncWeek

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
from messaging.models import Answer, MessageActivityDay, Question, RoutingAttempt
from trust import params as trust_params
from trust.models import TrustScore, TrustSnapshot

PRESET_DAYS = (7, 30, 90)
DEFAULT_DAYS = 30
MAX_RANGE_DAYS = 366
# Custom ranges start on or after this day (the previous period of equal length must
# still be a valid date; nothing in Tandem is older).
EARLIEST_DAY = date(2000, 1, 1)
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
    """A preset (the last 7/30/90 whole UTC days, today included) or a custom range of whole
    UTC days, ``start`` to ``end`` inclusive. Raises ``ValidationFailed`` naming the field to
    fix: a missing end, an inverted or empty range, more than ``MAX_RANGE_DAYS`` days, a
    start before ``EARLIEST_DAY`` or an end more than a year ahead (dates that would
    overflow are refused here, never in a query)."""
    if start is None and end is None:
        days = DEFAULT_DAYS if days is None else days
        if days not in PRESET_DAYS:
            raise ValidationFailed(
                "Choose a period of 7, 30 or 90 days, or a custom range.",
                fields={"period": [f"Use one of {', '.join(map(str, PRESET_DAYS))}, or give start and end."]},
            )
        # Whole UTC days, today included: the message rollup counts per day, so every
        # figure and chart covers exactly the same days.
        end_at = datetime.combine(
            clock.now().astimezone(UTC).date() + timedelta(days=1), time.min, tzinfo=UTC
        )
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
    if start is not None and start < EARLIEST_DAY:
        errors["start"] = [f"Start on {EARLIEST_DAY:%Y-%m-%d} or later; there is no data before."]
    today = clock.now().astimezone(UTC).date()
    if end is not None and end > today + timedelta(days=MAX_RANGE_DAYS):
        errors["end"] = [
            f"End by {today + timedelta(days=MAX_RANGE_DAYS):%Y-%m-%d} at the latest; "
            "a range cannot lie more than a year ahead."
        ]
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


def _median_hours(seconds: list[float]) -> float | None:
    if not seconds:
        return None
    return round(statistics.median(seconds) / 3600, 2)


class Epoch(Func):
    """A timestamp as float seconds since 1970 (UTC). The figures that split rows in Python
    read timestamps this way: a float loads about ten times faster than an aware datetime,
    which at a few thousand rows is most of the page's time."""

    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra_context):
        if connection.vendor == "postgresql":
            extra_context["template"] = "EXTRACT(EPOCH FROM %(expressions)s)::float8"
        else:  # SQLite keeps UTC text; julianday reads it (to ~50 µs: rounded to the millisecond)
            extra_context["template"] = "ROUND((julianday(%(expressions)s) - 2440587.5) * 86400.0, 3)"
        return super().as_sql(compiler, connection, **extra_context)


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


def _round(value) -> float | None:
    return None if value is None else round(float(value), 2)


def _day(moment: datetime) -> date:
    """The UTC day of a period boundary (boundaries of the rollup reads are whole days)."""
    return moment.astimezone(UTC).date()


def _in(field_name: str, start: datetime, end: datetime) -> Q:
    return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})


def _both(field_name: str, period: Period) -> tuple[Q, Q]:
    return _in(field_name, period.start, period.end), _in(field_name, period.previous_start, period.start)


def _overlapping(start: datetime, end: datetime) -> Q:
    """Engagements that were running at some moment of ``[start, end)``."""
    return Q(starts_at__lt=end) & (Q(ended_at__isnull=True) | Q(ended_at__gt=start))


class EngagementRow(NamedTuple):
    """One engagement as the figures need it; times are epoch seconds (see ``Epoch``)."""

    kind: str
    state: str
    starts_at: float
    ended_at: float | None
    first_reply_at: float | None


def engagement_rows(membership: Membership, period: Period) -> list[EngagementRow]:
    """The workspace's engagements that touch the period or the one before (running at some
    moment of either, or ended in either), with the first mentor chat message from the
    ``ChatFirstReply`` rollup. ONE bounded query that the engagement figures, the first
    answers and the engagement charts all split in Python (metadata only)."""
    rows = (
        Engagement.objects.filter(organization_id=membership.organization_id)
        .filter(
            Q(starts_at__lt=period.end) & (Q(ended_at__isnull=True) | Q(ended_at__gte=period.previous_start))
        )
        .order_by()
        .values_list(
            "kind", "state", Epoch("starts_at"), Epoch("ended_at"), Epoch("chat_first_reply__replied_at")
        )
    )
    return [EngagementRow._make(row) for row in rows]


def _runs_during(row: EngagementRow, start: float, end: float) -> bool:
    return row.starts_at < end and (row.ended_at is None or row.ended_at > start)


SETTLED_STATES = (Engagement.State.COMPLETED, Engagement.State.CANCELLED, Engagement.State.EXPIRED)


def engagement_figures(
    membership: Membership, period: Period, *, rows: list[EngagementRow] | None = None
) -> dict[str, Figure]:
    """Two figures from the engagement rows:

    - ``active_engagements``: running at some moment of the period (started before its
      end, not ended before its start);
    - ``completion_rate``: of the engagements that ended in the period and are settled
      (completed, cancelled or expired), the share that completed. Wrapping-up ones are
      not settled yet, so they count in neither part.
    """
    rows = engagement_rows(membership, period) if rows is None else rows
    before, start, end = _epoch(period.previous_start), _epoch(period.start), _epoch(period.end)
    active = {True: 0, False: 0}
    ended = {True: 0, False: 0}
    completed = {True: 0, False: 0}
    for row in rows:
        active[True] += _runs_during(row, start, end)
        active[False] += _runs_during(row, before, start)
        if row.ended_at is None or row.state not in SETTLED_STATES:
            continue
        if before <= row.ended_at < end:
            current = row.ended_at >= start
            ended[current] += 1
            completed[current] += row.state == Engagement.State.COMPLETED
    return {
        "active_engagements": Figure(active[True], active[False]),
        "completion_rate": Figure(_rate(completed[True], ended[True]), _rate(completed[False], ended[False])),
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
        .values_list(Epoch("created_at"), Epoch("accepted_at"))
    )
    start = _epoch(period.start)
    counts = {True: 0, False: 0}
    waits: dict[bool, list[float]] = {True: [], False: []}
    for created_at, accepted in rows:
        current = created_at >= start
        counts[current] += 1
        if accepted is not None:
            waits[current].append(accepted - created_at)
    return {
        "new_requests": Figure(counts[True], counts[False]),
        "match_rate": Figure(_rate(len(waits[True]), counts[True]), _rate(len(waits[False]), counts[False])),
        "median_hours_to_match": Figure(_median_hours(waits[True]), _median_hours(waits[False])),
    }


def first_answer_waits(
    membership: Membership, period: Period, *, rows: list[EngagementRow] | None = None
) -> dict[bool, list[float | None]]:
    """For engagements that started in each period (True = current): the time from the
    start to the first message a mentor of the engagement wrote in its chat in seconds, or
    ``None`` while nobody has. From the ``ChatFirstReply`` rollup that ``message_send`` keeps."""
    rows = engagement_rows(membership, period) if rows is None else rows
    before, start, end = _epoch(period.previous_start), _epoch(period.start), _epoch(period.end)
    waits: dict[bool, list[float | None]] = {True: [], False: []}
    for row in rows:
        if before <= row.starts_at < end:
            waits[row.starts_at >= start].append(
                None if row.first_reply_at is None else row.first_reply_at - row.starts_at
            )
    return waits


def median_hours_to_first_answer(
    membership: Membership, period: Period, *, rows: list[EngagementRow] | None = None
) -> Figure:
    """Engagements that started in the period: median hours from the start to a mentor's
    first chat message (the ones nobody answered yet are left out)."""
    waits = first_answer_waits(membership, period, rows=rows)
    return Figure(
        _median_hours([w for w in waits[True] if w is not None]),
        _median_hours([w for w in waits[False] if w is not None]),
    )


# Bins of the time-to-first-answer chart: (label, upper bound in hours; None = no bound).
FIRST_ANSWER_BINS = (
    ("under 1 h", 1),
    ("1–4 h", 4),
    ("4–12 h", 12),
    ("12–24 h", 24),
    ("1–3 days", 72),
    ("3–7 days", 168),
    ("over 7 days", None),
)


def first_answer_distribution(waits: dict[bool, list[float | None]]) -> dict:
    """How many engagements of the period got their first mentor message within each
    bin (and how many not yet), for the period and the one before."""

    def histogram(values: list[float | None]) -> tuple[list[int], int]:
        counts = [0] * len(FIRST_ANSWER_BINS)
        for value in values:
            if value is None:
                continue
            hours = value / 3600
            for index, (_, bound) in enumerate(FIRST_ANSWER_BINS):
                if bound is None or hours < bound:
                    counts[index] += 1
                    break
        return counts, sum(1 for v in values if v is None)

    current, unanswered = histogram(waits[True])
    previous, unanswered_before = histogram(waits[False])
    return {
        "labels": [label for label, _ in FIRST_ANSWER_BINS],
        "current": current,
        "previous": previous,
        "unanswered": unanswered,
        "unanswered_before": unanswered_before,
    }


def network_question_figures(membership: Membership, period: Period) -> dict[str, Figure]:
    """Network questions asked in each period, one bounded query:

    - ``median_hours_to_network_answer``: median hours from the question to its first
      answer (anyone's), over the questions answered so far;
    - ``routed_answered_in_window_rate``: of the questions routed to people (at least one
      ``RoutingAttempt``) whose routing has an outcome (not every attempt still pending),
      the share answered by a routed person within their window.
    """
    # Grouped LEFT JOINs rather than a subquery per question: the same result, and a plan
    # cheap enough that PostgreSQL does not spend ~100 ms JIT-compiling it. Joining answers
    # and attempts multiplies rows, which neither the minimum nor "any?" counts mind.
    outcome = "routing_attempts__outcome"
    rows = (
        Question.objects.filter(organization_id=membership.organization_id, scope=Question.Scope.NETWORK)
        .filter(_in("created_at", period.previous_start, period.end))
        .annotate(
            first_answer_at=Min("answers__created_at"),
            routed=Count("routing_attempts"),
            decided=Count("routing_attempts", filter=~Q(**{outcome: RoutingAttempt.Outcome.PENDING})),
            in_window=Count("routing_attempts", filter=Q(**{outcome: RoutingAttempt.Outcome.ANSWERED})),
        )
        .order_by()
        .values_list(Epoch("created_at"), Epoch("first_answer_at"), "routed", "decided", "in_window")
    )
    start = _epoch(period.start)
    waits: dict[bool, list[float]] = {True: [], False: []}
    decided = {True: 0, False: 0}
    in_window = {True: 0, False: 0}
    for created_at, answered_at, was_routed, was_decided, was_in_window in rows:
        current = created_at >= start
        if answered_at is not None:
            waits[current].append(answered_at - created_at)
        if was_routed and was_decided:
            decided[current] += 1
            in_window[current] += bool(was_in_window)
    return {
        "median_hours_to_network_answer": Figure(_median_hours(waits[True]), _median_hours(waits[False])),
        "routed_answered_in_window_rate": Figure(
            _rate(in_window[True], decided[True]), _rate(in_window[False], decided[False])
        ),
    }


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


def _active_pairs(membership: Membership, start: datetime, end: datetime, current_from: datetime) -> QuerySet:
    """(person, is_current) pairs of everyone who sent a message (the daily rollup), joined an
    engagement or recorded a commitment in ``[start, end)``; ``is_current`` = from
    ``current_from`` on. A UNION (not ALL): each pair once."""
    org = membership.organization_id

    def flag(field_name: str, since):
        return Case(When(**{f"{field_name}__gte": since}, then=Value(1)), default=Value(0))

    messages = (
        MessageActivityDay.objects.filter(organization_id=org, day__gte=_day(start), day__lt=_day(end))
        .annotate(person=F("author_id"), is_current=flag("day", _day(current_from)))
        .order_by()
        .values_list("person", "is_current")
    )
    joins = (
        Participant.objects.filter(engagement__organization_id=org)
        .filter(_in("joined_at", start, end))
        .annotate(person=F("user_id"), is_current=flag("joined_at", current_from))
        .order_by()
        .values_list("person", "is_current")
    )
    commitments = (
        Commitment.objects.filter(engagement__organization_id=org)
        .filter(_in("created_at", start, end))
        .annotate(person=F("owner_id"), is_current=flag("created_at", current_from))
        .order_by()
        .values_list("person", "is_current")
    )
    return messages.union(joins, commitments)


def active_members(membership: Membership, period: Period) -> Figure:
    """Distinct people who sent a message, joined an engagement or recorded a commitment in
    the period. The ORM builds a UNION of (person, is-current-period) pairs — the messages
    from the daily ``MessageActivityDay`` rollup (periods are whole UTC days) — and the
    database counts them: two rows come back, not one per person."""
    people = _active_pairs(membership, period.previous_start, period.end, period.start)
    sql, params = people.query.get_compiler(using=people.db).as_sql()
    with connections[people.db].cursor() as cursor:
        cursor.execute(f"SELECT is_current, COUNT(*) FROM ({sql}) pairs GROUP BY is_current", params)  # noqa: S608
        counts = dict(cursor.fetchall())
    return Figure(counts.get(1, 0), counts.get(0, 0))


def overview(
    membership: Membership, period: Period, *, rows: list[EngagementRow] | None = None
) -> dict[str, Figure]:
    """Every overview figure, keyed by name (the API's field names). ``rows``: see ``charts``."""
    rows = engagement_rows(membership, period) if rows is None else rows
    engagements = engagement_figures(membership, period, rows=rows)
    requests = request_figures(membership, period)
    feedback = feedback_averages(membership, period)
    questions = network_question_figures(membership, period)
    return {
        "active_engagements": engagements["active_engagements"],
        "new_requests": requests["new_requests"],
        "match_rate": requests["match_rate"],
        "median_hours_to_match": requests["median_hours_to_match"],
        "median_hours_to_first_answer": median_hours_to_first_answer(membership, period, rows=rows),
        "median_hours_to_network_answer": questions["median_hours_to_network_answer"],
        "routed_answered_in_window_rate": questions["routed_answered_in_window_rate"],
        "completion_rate": engagements["completion_rate"],
        "feedback_competence": feedback["competence"],
        "feedback_responsiveness": feedback["responsiveness"],
        "feedback_would_work_again": feedback["would_work_again"],
        "commitments_kept_rate": commitments_kept_rate(membership, period),
        "active_members": active_members(membership, period),
    }


def overview_page(membership: Membership, period: Period) -> tuple[dict[str, Figure], dict]:
    """The figures and the charts of the overview page, reading the engagements once."""
    rows = engagement_rows(membership, period)
    return overview(membership, period, rows=rows), charts(membership, period, rows=rows)


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


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


@dataclass
class EngagementBreakdown:
    started_per_bucket: dict[date, int] = field(default_factory=dict)
    by_kind_state: dict[str, dict[str, int]] = field(default_factory=dict)


def engagement_breakdown(
    membership: Membership, period: Period, *, rows: list[EngagementRow] | None = None
) -> EngagementBreakdown:
    """Engagements running in the period, counted by kind and state, and the ones that
    started in it per UTC day (or week, from Monday)."""
    rows = engagement_rows(membership, period) if rows is None else rows
    states = Engagement.State.values  # a property that rebuilds the list: read it once
    result = EngagementBreakdown(
        started_per_bucket=dict.fromkeys(_bucket_starts(period), 0),
        by_kind_state={kind: dict.fromkeys(states, 0) for kind in EngagementKind.values},
    )
    start, end = _epoch(period.start), _epoch(period.end)
    for row in rows:
        if not _runs_during(row, start, end):
            continue
        counts = result.by_kind_state.get(row.kind)
        if counts is None:  # a kind no longer offered still counts
            counts = result.by_kind_state[row.kind] = dict.fromkeys(states, 0)
        counts[row.state] = counts.get(row.state, 0) + 1
        if row.starts_at >= start:
            key = datetime.fromtimestamp(row.starts_at, UTC).date()
            if period.weekly:
                key -= timedelta(days=key.weekday())
            result.started_per_bucket[key] = result.started_per_bucket.get(key, 0) + 1
    return result


def messages_per_bucket(membership: Membership, period: Period) -> dict[date, int]:
    """How many chat messages were sent per day (or week) of the period — counts only, from
    the daily ``MessageActivityDay`` rollup (deleted messages count: they were sent)."""
    rows = (
        MessageActivityDay.objects.filter(
            organization_id=membership.organization_id, day__gte=_day(period.start), day__lt=_day(period.end)
        )
        .annotate(bucket=TruncWeek("day") if period.weekly else F("day"))
        .order_by()
        .values("bucket")
        .annotate(n=Sum("messages"))
    )
    result = dict.fromkeys(_bucket_starts(period), 0)
    for row in rows:
        key = _as_date(row["bucket"])
        result[key] = result.get(key, 0) + row["n"]
    return result


TRUST_DIMENSIONS = (trust_params.INTEGRITY, trust_params.RESPONSIVENESS, trust_params.COMPETENCE)


def _score_bucket():
    return Least(Cast(Floor(F("mean") * 10), FloatField()), 9.0)


def _current_score_rows(membership: Membership) -> QuerySet:
    """Today's scores grouped by dimension and tenth: ``n`` scores, ``x`` of them still new."""
    return (
        TrustScore.objects.filter(organization_id=membership.organization_id)
        .filter(Q(skill_key=0) | Q(dimension=trust_params.COMPETENCE))
        .annotate(bucket=_score_bucket(), tag=Value("score"), day=Value(None, output_field=DateField()))
        .order_by()
        .values("dimension", "bucket", "tag", "day")
        .annotate(
            n=Count("id"),
            x=Cast(Count("id", filter=Q(evidence_weight__lt=trust_params.NEWCOMER_EVIDENCE)), FloatField()),
        )
    )


def _snapshot_rows(membership: Membership, period: Period) -> QuerySet:
    """The established people of the snapshots at the period's start and end, grouped by
    day, dimension and tenth: ``n`` people, ``x`` the sum of their means."""
    snapshots = TrustSnapshot.objects.filter(organization_id=membership.organization_id)
    first_day, last_day = _day(period.start), _day(period.end - timedelta(microseconds=1))

    def latest_on_or_before(day: date) -> Subquery:
        return Subquery(
            snapshots.filter(date__lte=day).order_by("-date").values("date")[:1], output_field=DateField()
        )

    return (
        snapshots.filter(Q(date=latest_on_or_before(first_day)) | Q(date=latest_on_or_before(last_day)))
        .filter(Q(skill_key=0) | Q(dimension=trust_params.COMPETENCE))
        .filter(evidence_count__gte=trust_params.NEWCOMER_EVIDENCE)
        .annotate(bucket=_score_bucket(), tag=Value("snapshot"), day=F("date"))
        .order_by()
        .values("dimension", "bucket", "tag", "day")
        .annotate(n=Count("id"), x=Sum("mean", output_field=FloatField()))
    )


def trust_rows(membership: Membership, period: Period) -> list[dict]:
    """Today's score histogram and the two snapshot histograms in ONE query (UNION ALL)."""
    return list(_current_score_rows(membership).union(_snapshot_rows(membership, period), all=True))


def trust_histograms(membership: Membership, *, rows: list[dict] | None = None) -> dict[str, dict]:
    """Per dimension, how many established people (enough evidence) have a mean score in each
    tenth of 0–1, and how many are still new. Competence counts one score per person and
    skill. The same buckets as ``trust.selectors.distributions``."""
    rows = list(_current_score_rows(membership)) if rows is None else rows
    result = {d: {"histogram": [0] * 10, "scores": 0, "new": 0} for d in TRUST_DIMENSIONS}
    for row in rows:
        entry = result.get(row["dimension"])
        if entry is None or row["tag"] != "score":
            continue
        new = int(row["x"])
        entry["histogram"][int(row["bucket"])] += row["n"] - new
        entry["scores"] += row["n"]
        entry["new"] += new
    return result


def trust_movement(membership: Membership, period: Period, *, rows: list[dict] | None = None) -> dict:
    """Per dimension, the distribution of established people's mean scores at the start of
    the period and at its end, from the daily ``TrustSnapshot`` (the latest snapshot on
    or before the period's first day, and on or before its last day). A snapshot keeps
    the evidence count, not its weight, so "established" here is at least
    ``NEWCOMER_EVIDENCE`` pieces of evidence."""
    rows = list(_snapshot_rows(membership, period)) if rows is None else rows
    rows = [row for row in rows if row["tag"] == "snapshot"]
    first_day = _day(period.start)
    dates = sorted({_as_date(row["day"]) for row in rows})
    then, now = (dates[0], dates[-1]) if dates else (None, None)
    if then is not None and then > first_day:  # no snapshot from before the period: no "then"
        then = None
    result = {
        d: {"then": [0] * 10, "now": [0] * 10, "sum_then": 0.0, "sum_now": 0.0} for d in TRUST_DIMENSIONS
    }
    for row in rows:
        entry = result.get(row["dimension"])
        if entry is None:
            continue
        bucket, day = int(row["bucket"]), _as_date(row["day"])
        if day == now:
            entry["now"][bucket] += row["n"]
            entry["sum_now"] += row["x"]
        if day == then:
            entry["then"][bucket] += row["n"]
            entry["sum_then"] += row["x"]

    def mean(total: float, histogram: list[int]) -> float | None:
        people = sum(histogram)
        return round(total / people, 3) if people else None

    return {
        "then_date": then.isoformat() if then else None,
        "now_date": now.isoformat() if now else None,
        "dimensions": [
            {
                "dimension": d,
                "then": result[d]["then"],
                "now": result[d]["now"],
                "mean_then": mean(result[d]["sum_then"], result[d]["then"]),
                "mean_now": mean(result[d]["sum_now"], result[d]["now"]),
            }
            for d in TRUST_DIMENSIONS
        ],
    }


def charts(membership: Membership, period: Period, *, rows: list[EngagementRow] | None = None) -> dict:
    """Everything the overview's charts draw, as plain JSON-ready data. ``rows`` is
    ``engagement_rows`` when the caller already read them (the page shares them with the
    figures)."""
    rows = engagement_rows(membership, period) if rows is None else rows
    waits = first_answer_waits(membership, period, rows=rows)
    breakdown = engagement_breakdown(membership, period, rows=rows)
    messages = messages_per_bucket(membership, period)
    buckets = sorted(set(breakdown.started_per_bucket) | set(messages))
    trust = trust_rows(membership, period)
    histograms = trust_histograms(membership, rows=trust)
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
        "trust_movement": trust_movement(membership, period, rows=trust),
        "first_answer": first_answer_distribution(waits),
    }


# --- drill-downs: the rows behind a figure (metadata only) ------------------------------------------

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
        "running": _overlapping(period.start, period.end),
        "started": _in("starts_at", period.start, period.end),
        "ended": _in("ended_at", period.start, period.end) & Q(state__in=settled),
        "feedback": Exists(
            Feedback.objects.filter(engagement_id=OuterRef("pk")).filter(
                _in("submitted_at", period.start, period.end)
            )
        ),
        "commitments": Exists(
            Commitment.objects.filter(
                engagement_id=OuterRef("pk"), state__in=[Commitment.State.KEPT, Commitment.State.MISSED]
            ).filter(_in("decided_at", period.start, period.end))
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
        .filter(_in("created_at", period.start, period.end))
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
        .filter(_in("created_at", period.start, period.end))
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
        from accounts.models import User

        org, period = self.membership.organization_id, self.period
        messages = dict(
            MessageActivityDay.objects.filter(
                organization_id=org, author_id__in=ids, day__gte=_day(period.start), day__lt=_day(period.end)
            )
            .order_by()
            .values("author_id")
            .annotate(n=Sum("messages"))
            .values_list("author_id", "n")
        )
        joined = dict(
            Participant.objects.filter(engagement__organization_id=org, user_id__in=ids)
            .filter(_in("joined_at", period.start, period.end))
            .order_by()
            .values("user_id")
            .annotate(n=Count("id"))
            .values_list("user_id", "n")
        )
        commitments = dict(
            Commitment.objects.filter(engagement__organization_id=org, owner_id__in=ids)
            .filter(_in("created_at", period.start, period.end))
            .order_by()
            .values("owner_id")
            .annotate(n=Count("id"))
            .values_list("owner_id", "n")
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
