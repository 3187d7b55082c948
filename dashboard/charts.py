"""What the overview's charts draw, as plain JSON-ready data: activity per day (or week),
engagements by kind and state, trust histograms and their movement over the period,
and the time-to-first-answer bins. Counts and metadata only; the trust rows come from
``trust.workspace_reads``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db.models import Case, Count, DateTimeField, F, Sum, When
from django.db.models.functions import TruncDay, TruncWeek

from accounts.models import Membership
from dashboard.figures import engagement_summary, first_answer_distribution
from dashboard.period import Period, overlapping, utc_day
from mentoring.models import Engagement, EngagementKind
from messaging.models import MessageActivityDay
from trust import params as trust_params
from trust import workspace_reads


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
        .filter(overlapping(period.start, period.end))
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
            organization_id=membership.organization_id,
            day__gte=utc_day(period.start),
            day__lt=utc_day(period.end),
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


def _first_and_last_day(period: Period) -> tuple[date, date]:
    return utc_day(period.start), utc_day(period.end - timedelta(microseconds=1))


def trust_rows(membership: Membership, period: Period) -> list[dict]:
    """Today's score histogram and the two snapshot histograms in ONE query (UNION ALL)."""
    first_day, last_day = _first_and_last_day(period)
    return workspace_reads.histogram_rows(membership.organization_id, first_day=first_day, last_day=last_day)


def trust_histograms(membership: Membership, *, rows: list[dict] | None = None) -> dict[str, dict]:
    """Per dimension, how many established people (enough evidence) have a mean score in each
    tenth of 0–1, and how many are still new. Competence counts one score per person and
    skill. The same buckets as ``trust.selectors.distributions``."""
    rows = workspace_reads.score_histogram_rows(membership.organization_id) if rows is None else rows
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
    if rows is None:
        first_day, last_day = _first_and_last_day(period)
        rows = workspace_reads.distribution_rows(
            membership.organization_id, first_day=first_day, last_day=last_day
        )
    rows = [row for row in rows if row["tag"] == "snapshot"]
    first_day = utc_day(period.start)
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
