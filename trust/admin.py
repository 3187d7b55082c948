"""Admin: the ledger, scores and disputes are browsable, never editable here.

Voiding happens only through the dispute flow (trust.services.disputes.dispute_decide);
disputes are decided on the talent manager's dispute page, which calls it."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from trust.models import (
    TrustDispute,
    TrustDistribution,
    TrustEvent,
    TrustPattern,
    TrustPrior,
    TrustRater,
    TrustScore,
    TrustSnapshot,
)


@admin.register(TrustEvent)
class TrustEventAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "occurred_at",
        "organization",
        "subject",
        "dimension",
        "skill",
        "outcome",
        "weight",
        "source_kind",
        "source_id",
        "voids",
    )
    list_filter = ("dimension", "source_kind", "organization")
    search_fields = ("subject__email", "source_id")
    raw_id_fields = ("subject", "actor", "skill", "voids", "voided_by")
    date_hierarchy = "occurred_at"
    list_select_related = ("organization", "subject", "skill")


@admin.register(TrustScore)
class TrustScoreAdmin(ReadOnlyAdmin):
    list_display = (
        "subject",
        "dimension",
        "skill",
        "mean",
        "lower",
        "upper",
        "evidence_count",
        "distinct_raters",
        "computed_at",
    )
    list_filter = ("dimension", "organization")
    search_fields = ("subject__email",)
    list_select_related = ("subject", "skill")


@admin.register(TrustSnapshot)
class TrustSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("date", "subject", "dimension", "skill", "mean", "lower", "evidence_count")
    list_filter = ("dimension", "date")
    list_select_related = ("subject", "skill")


@admin.register(TrustDistribution)
class TrustDistributionAdmin(ReadOnlyAdmin):
    list_display = ("date", "organization", "dimension", "tenth", "scores", "mean_sum")
    list_filter = ("dimension", "date")
    list_select_related = ("organization",)


@admin.register(TrustPrior)
class TrustPriorAdmin(ReadOnlyAdmin):
    list_display = ("organization", "dimension", "mean", "evidence", "computed_at")


@admin.register(TrustDispute)
class TrustDisputeAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "organization", "raised_by", "state", "decided_by", "decided_at")
    list_filter = ("state", "organization")
    raw_id_fields = ("event", "raised_by", "decided_by")
    list_select_related = ("organization", "raised_by", "decided_by")


@admin.register(TrustRater)
class TrustRaterAdmin(ReadOnlyAdmin):
    """Rebuilt nightly by ``trust.raters_refresh``; read-only."""

    list_display = ["rater", "organization", "standing", "pagerank_share", "age_factor", "is_seed", "ratings"]
    list_filter = ["organization", "is_seed"]
    search_fields = ["rater__email", "rater__full_name"]


@admin.register(TrustPattern)
class TrustPatternAdmin(ReadOnlyAdmin):
    """Suspicious patterns found nightly; talent managers act on them from the dashboard."""

    list_display = ["kind", "subject", "organization", "detected_at"]
    list_filter = ["organization", "kind"]
    search_fields = ["subject__email", "subject__full_name"]
