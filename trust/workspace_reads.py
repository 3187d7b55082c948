"""Workspace-wide trust reads for the talent-manager dashboard (``dashboard.charts``,
``dashboard.attention``): score histograms, the daily distributions and snapshots,
and the dispute queue. Aggregates and metadata only — never who rated whom.

The dashboard reads trust's tables through these functions alone (the import
contracts keep ``trust.models`` inside trust). Each returns the rows, values or
querysets the dashboard pages, one query each (the histogram union is one query for
both sources).
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, DateField, F, FloatField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Floor, Least

from trust import params
from trust.models import TrustDispute, TrustDistribution, TrustPattern, TrustScore, TrustSnapshot

# --- score histograms ---------------------------------------------------------------------------------


def _tenth():
    return Least(Cast(Floor(F("mean") * 10), FloatField()), 9.0)


def _score_rows(organization_id: int) -> QuerySet:
    return (
        TrustScore.objects.filter(organization_id=organization_id)
        .filter(Q(skill_key=0) | Q(dimension=params.COMPETENCE))
        .annotate(bucket=_tenth(), tag=Value("score"), day=Value(None, output_field=DateField()))
        .order_by()
        .values("dimension", "bucket", "tag", "day")
        .annotate(
            n=Count("id"),
            x=Cast(Count("id", filter=Q(evidence_weight__lt=params.NEWCOMER_EVIDENCE)), FloatField()),
        )
    )


def _distribution_rows(organization_id: int, first_day: date, last_day: date) -> QuerySet:
    distributions = TrustDistribution.objects.filter(organization_id=organization_id)

    def latest_on_or_before(day: date) -> Subquery:
        return Subquery(
            distributions.filter(date__lte=day).order_by("-date").values("date")[:1], output_field=DateField()
        )

    return (
        distributions.filter(Q(date=latest_on_or_before(first_day)) | Q(date=latest_on_or_before(last_day)))
        # the same columns, in the same order, as _score_rows (the UNION ALL's shape)
        .annotate(bucket=Cast("tenth", FloatField()), tag=Value("snapshot"), day=F("date"))
        .order_by()
        .values("dimension", "bucket", "tag", "day")
        .annotate(n=F("scores"), x=F("mean_sum"))
    )


def score_histogram_rows(organization_id: int) -> list[dict]:
    """Today's scores of the workspace grouped by dimension and tenth of the mean (0–9):
    rows ``{dimension, bucket, tag="score", day=None, n, x}`` with ``n`` scores, ``x`` of
    them still new (less than ``NEWCOMER_EVIDENCE`` evidence weight). Competence counts
    one score per person and skill, the other dimensions the overall score."""
    return list(_score_rows(organization_id))


def distribution_rows(organization_id: int, *, first_day: date, last_day: date) -> list[dict]:
    """The established people of the daily distributions (``TrustDistribution``, written
    by the nightly snapshot) at the latest date on or before ``first_day`` and on or
    before ``last_day``: rows ``{dimension, bucket, tag="snapshot", day, n, x}`` with
    ``n`` people in that tenth and ``x`` the sum of their means."""
    return list(_distribution_rows(organization_id, first_day, last_day))


def histogram_rows(organization_id: int, *, first_day: date, last_day: date) -> list[dict]:
    """``score_histogram_rows`` and ``distribution_rows`` together, in ONE query (UNION ALL)."""
    return list(
        _score_rows(organization_id).union(_distribution_rows(organization_id, first_day, last_day), all=True)
    )


# --- responsiveness over time -------------------------------------------------------------------------


def responsiveness_then_and_now(*, user_ref: str, today: date, then: date) -> dict:
    """Subquery annotations for a queryset of people (``OuterRef(user_ref)`` is the user
    id): the overall responsiveness mean and date of their latest daily snapshot on or
    before ``today`` (``now_mean``, ``now_date``) and on or before ``then``
    (``before_mean``, ``before_date``); NULL without one."""
    snapshots = TrustSnapshot.objects.filter(
        subject_id=OuterRef(user_ref), dimension=params.RESPONSIVENESS, skill_key=0
    ).order_by("-date")
    recent = snapshots.filter(date__lte=today)
    before = snapshots.filter(date__lte=then)
    return {
        "now_mean": Subquery(recent.values("mean")[:1], output_field=FloatField()),
        "now_date": Subquery(recent.values("date")[:1]),
        "before_mean": Subquery(before.values("mean")[:1], output_field=FloatField()),
        "before_date": Subquery(before.values("date")[:1]),
    }


# --- disputes -----------------------------------------------------------------------------------------


def open_disputes(organization_id: int) -> QuerySet[TrustDispute]:
    """The workspace's trust disputes waiting for a decision, oldest first, with who raised them."""
    return (
        TrustDispute.objects.filter(organization_id=organization_id, state=TrustDispute.State.OPEN)
        .select_related("raised_by")
        .order_by("created_at", "id")
    )


# --- suspicious patterns -----------------------------------------------------------------------------


def suspicious_patterns(organization_id: int) -> QuerySet:
    """The patterns the last nightly ``raters_refresh`` found in the workspace (a dense
    reciprocal cluster, a burst of praise from new accounts), the newest first. Each row
    has ``kind``, ``get_kind_display()``, ``subject``, ``people`` (member ids) and ``facts``
    (counts: never who rated whom how)."""
    return (
        TrustPattern.objects.filter(organization_id=organization_id)
        .select_related("subject")
        .order_by("-detected_at", "id")
    )
