"""Talent-manager dashboard reads: workspace-wide figures over a period, with the
previous period of the same length for the trend.

Privacy: everything here is an aggregate or metadata (timestamps, authors,
states). No function reads a message body, a feedback note or any other text
a person wrote in a private conversation.

Every selector takes the acting manager's ``Membership`` (from
``require_manager``) and a ``Period``; each runs ONE query that covers the
current and the previous period together and returns the figures already
aggregated — the overview's statements are in ``dashboard_sql`` (FILTERed
counts, medians in the database), so the page stays at a small, fixed number
of queries and rows whatever the size of the workspace. Figures that come out
of the same rows share a statement (``engagement_summary``, ``request_figures``),
because a second query for the same rows would only cost time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import (
    Case,
    Count,
    DateField,
    DateTimeField,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Floor, Least, TruncDay, TruncWeek

from accounts.models import Membership
from accounts.selectors.workspaces import require_talent_manager
from core import clock
from core.errors import NotFound, ValidationFailed
from dashboard import overview_sql as dashboard_sql
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
from trust.models import TrustDistribution, TrustScore

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


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _rate_figure(row: dict, part: str, whole: str) -> Figure:
    """``row[now_<part>] / row[now_<whole>]`` against the same for ``before_``."""
    return Figure(
        _rate(row[f"now_{part}"], row[f"now_{whole}"]), _rate(row[f"before_{part}"], row[f"before_{whole}"])
    )


def _hours_figure(row: dict, name: str) -> Figure:
    """``row[now_<name>]`` and ``row[before_<name>]``, seconds, as hours."""
    return Figure(_hours(row[f"now_{name}"]), _hours(row[f"before_{name}"]))


def _round(value) -> float | None:
    return None if value is None else round(float(value), 2)


def _day(moment: datetime) -> date:
    """The UTC day of a period boundary (boundaries of the rollup reads are whole days)."""
    return moment.astimezone(UTC).date()


def _in(field_name: str, start: datetime, end: datetime) -> Q:
    return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})


def _overlapping(start: datetime, end: datetime) -> Q:
    """Engagements that were running at some moment of ``[start, end)``."""
    return Q(starts_at__lt=end) & (Q(ended_at__isnull=True) | Q(ended_at__gt=start))


SETTLED_STATES = (Engagement.State.COMPLETED, Engagement.State.CANCELLED, Engagement.State.EXPIRED)
PARTS = (("now", True), ("before", False))  # aggregate-name prefix, "is the current period"

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


def _bounds(membership: Membership, period: Period) -> dict:
    return dashboard_sql.bounds(
        organization_id=membership.organization_id,
        before=period.previous_start,
        start=period.start,
        end=period.end,
    )


def engagement_summary(membership: Membership, period: Period) -> dict:
    """Everything the overview reads from the engagements, for the period and the one
    before, in ONE statement (a single row back, whatever the workspace's size):

    - running at some moment of the period (started before its end, not ended before its
      start): ``<part>_active``;
    - ended in the period and settled (completed, cancelled or expired): ``<part>_ended``,
      of them completed: ``<part>_completed`` (wrapping-up ones are not settled yet);
    - started in the period: the median seconds from the start to a mentor's first chat
      message (``ChatFirstReply``, which ``message_send`` keeps) over the answered ones,
      ``<part>_first_median``; how many fall in each ``FIRST_ANSWER_BINS`` bin,
      ``<part>_bin<i>``; and how many nobody answered yet, ``<part>_unanswered``.

    ``<part>`` is ``now`` (the period) or ``before`` (the previous one). Metadata only."""
    bins, lower = [], None
    for _, upper in FIRST_ANSWER_BINS:
        bins.append((lower, upper))
        lower = upper
    return dashboard_sql.engagement_summary(
        _bounds(membership, period),
        settled=tuple(str(state) for state in SETTLED_STATES),
        completed=str(Engagement.State.COMPLETED),
        bins=bins,
    )


def engagement_figures(
    membership: Membership, period: Period, *, summary: dict | None = None
) -> dict[str, Figure]:
    """``active_engagements`` (running at some moment of the period) and
    ``completion_rate`` (of the settled engagements that ended in the period, the share
    that completed). ``summary``: ``engagement_summary`` when the caller has it."""
    s = engagement_summary(membership, period) if summary is None else summary
    return {
        "active_engagements": Figure(s["now_active"], s["before_active"]),
        "completion_rate": _rate_figure(s, "completed", "ended"),
    }


def median_hours_to_first_answer(
    membership: Membership, period: Period, *, summary: dict | None = None
) -> Figure:
    """Engagements that started in the period: median hours from the start to a mentor's
    first chat message (the ones nobody answered yet are left out)."""
    s = engagement_summary(membership, period) if summary is None else summary
    return _hours_figure(s, "first_median")


def first_answer_distribution(summary: dict) -> dict:
    """How many engagements of the period got their first mentor message within each
    bin (and how many not yet), for the period and the one before."""
    bins = range(len(FIRST_ANSWER_BINS))
    return {
        "labels": [label for label, _ in FIRST_ANSWER_BINS],
        "current": [summary[f"now_bin{i}"] for i in bins],
        "previous": [summary[f"before_bin{i}"] for i in bins],
        "unanswered": summary["now_unanswered"],
        "unanswered_before": summary["before_unanswered"],
    }


def request_figures(membership: Membership, period: Period) -> dict[str, Figure]:
    """From the requests created in each period: how many (``new_requests``), the share
    that reached an accepted invitation (``match_rate``) and the median hours from the
    request to that acceptance (``median_hours_to_match``). One statement."""
    row = dashboard_sql.request_summary(_bounds(membership, period), accepted=str(Invitation.State.ACCEPTED))
    return {
        "new_requests": Figure(row["now_requests"], row["before_requests"]),
        "match_rate": _rate_figure(row, "matched", "requests"),
        "median_hours_to_match": _hours_figure(row, "median"),
    }


def network_question_figures(membership: Membership, period: Period) -> dict[str, Figure]:
    """Network questions asked in each period, one statement:

    - ``median_hours_to_network_answer``: median hours from the question to its first
      answer (anyone's), over the questions answered so far;
    - ``routed_answered_in_window_rate``: of the questions routed to people (at least one
      ``RoutingAttempt``) whose routing has an outcome (not every attempt still pending),
      the share answered by a routed person within their window.
    """
    row = dashboard_sql.question_summary(
        _bounds(membership, period),
        network=str(Question.Scope.NETWORK),
        pending=str(RoutingAttempt.Outcome.PENDING),
        answered=str(RoutingAttempt.Outcome.ANSWERED),
    )
    return {
        "median_hours_to_network_answer": _hours_figure(row, "median"),
        "routed_answered_in_window_rate": _rate_figure(row, "in_window", "decided"),
    }


FEEDBACK_FIGURES = ("competence", "responsiveness", "would_work_again")


def feedback_averages(membership: Membership, period: Period) -> dict[str, Figure]:
    """Feedback submitted in the period: mean competence and responsiveness (1–5) and the
    share who would work with the other person again (0–1). Private notes are never read."""
    row = dashboard_sql.feedback_summary(_bounds(membership, period))
    return {
        name: Figure(_round(row[f"now_{name}"]), _round(row[f"before_{name}"])) for name in FEEDBACK_FIGURES
    }


def commitments_kept_rate(membership: Membership, period: Period) -> Figure:
    """Commitments decided in the period: kept / (kept + missed). Released ones do not count."""
    row = dashboard_sql.commitment_summary(
        _bounds(membership, period), kept=str(Commitment.State.KEPT), missed=str(Commitment.State.MISSED)
    )
    return Figure(
        _rate(row["now_kept"], row["now_kept"] + row["now_missed"]),
        _rate(row["before_kept"], row["before_kept"] + row["before_missed"]),
    )


def _active_pairs(membership: Membership, start: datetime, end: datetime, current_from: datetime) -> QuerySet:
    """(person, is_current) pairs of everyone who sent a message (the daily rollup), joined an
    engagement or recorded a commitment in ``[start, end)``; ``is_current`` = from
    ``current_from`` on. A UNION (not ALL): each pair once. The people drill-down pages
    through it (the overview's count reads the monthly bitmaps instead)."""
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
    the period (``dashboard_sql.active_member_counts``: one statement, two rows back)."""
    counts = dashboard_sql.active_member_counts(
        organization_id=membership.organization_id,
        before=period.previous_start,
        start=period.start,
        end=period.end,
    )
    return Figure(counts["now"], counts["before"])


def overview(membership: Membership, period: Period, *, summary: dict | None = None) -> dict[str, Figure]:
    """Every overview figure, keyed by name (the API's field names). ``summary``: see ``charts``."""
    summary = engagement_summary(membership, period) if summary is None else summary
    engagements = engagement_figures(membership, period, summary=summary)
    requests = request_figures(membership, period)
    feedback = feedback_averages(membership, period)
    questions = network_question_figures(membership, period)
    return {
        "active_engagements": engagements["active_engagements"],
        "new_requests": requests["new_requests"],
        "match_rate": requests["match_rate"],
        "median_hours_to_match": requests["median_hours_to_match"],
        "median_hours_to_first_answer": median_hours_to_first_answer(membership, period, summary=summary),
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
    """The figures and the charts of the overview page, reading the engagement summary once."""
    summary = engagement_summary(membership, period)
    return overview(membership, period, summary=summary), charts(membership, period, summary=summary)


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


def engagement_breakdown(membership: Membership, period: Period) -> EngagementBreakdown:
    """Engagements running in the period, counted by kind and state, and the ones that
    started in it per UTC day (or week, from Monday). One grouped query: a row per kind,
    state and start bucket (the ones that started before the period share one bucket)."""
    states = Engagement.State.values  # a property that rebuilds the list: read it once
    result = EngagementBreakdown(
        started_per_bucket=dict.fromkeys(_bucket_starts(period), 0),
        by_kind_state={kind: dict.fromkeys(states, 0) for kind in EngagementKind.values},
    )
    trunc = TruncWeek if period.weekly else TruncDay
    rows = (
        Engagement.objects.filter(organization_id=membership.organization_id)
        .filter(_overlapping(period.start, period.end))
        .annotate(
            bucket=Case(
                When(starts_at__gte=period.start, then=trunc("starts_at", tzinfo=UTC)),
                output_field=DateTimeField(),
            )
        )
        .order_by()
        .values_list("kind", "state", "bucket")
        .annotate(n=Count("id"))
    )
    for kind, state, bucket, n in rows:
        counts = result.by_kind_state.get(kind)
        if counts is None:  # a kind no longer offered still counts
            counts = result.by_kind_state[kind] = dict.fromkeys(states, 0)
        counts[state] = counts.get(state, 0) + n
        if bucket is not None:
            key = _as_date(bucket)
            result.started_per_bucket[key] = result.started_per_bucket.get(key, 0) + n
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
    """The established people of the snapshots at the period's start and end, by day,
    dimension and tenth — ``n`` people, ``x`` the sum of their means — from the
    ``TrustDistribution`` the nightly snapshot writes (a few dozen rows, not every
    snapshot)."""
    distributions = TrustDistribution.objects.filter(organization_id=membership.organization_id)
    first_day, last_day = _day(period.start), _day(period.end - timedelta(microseconds=1))

    def latest_on_or_before(day: date) -> Subquery:
        return Subquery(
            distributions.filter(date__lte=day).order_by("-date").values("date")[:1], output_field=DateField()
        )

    return (
        distributions.filter(Q(date=latest_on_or_before(first_day)) | Q(date=latest_on_or_before(last_day)))
        # the same columns, in the same order, as _current_score_rows (the UNION ALL's shape)
        .annotate(bucket=Cast("tenth", FloatField()), tag=Value("snapshot"), day=F("date"))
        .order_by()
        .values("dimension", "bucket", "tag", "day")
        .annotate(n=F("scores"), x=F("mean_sum"))
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


def charts(membership: Membership, period: Period, *, summary: dict | None = None) -> dict:
    """Everything the overview's charts draw, as plain JSON-ready data. ``summary`` is
    ``engagement_summary`` when the caller already read it (the page shares it with the
    figures)."""
    summary = engagement_summary(membership, period) if summary is None else summary
    breakdown = engagement_breakdown(membership, period)
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
        "first_answer": first_answer_distribution(summary),
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
