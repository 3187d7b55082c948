"""The talent-manager overview: every figure of the period (``overview``, which the REST
API and the KPI export read too) and the page's figures with its charts
(``overview_page``). The figures are ``dashboard.figures``, the charts
``dashboard.charts``, the drill-downs behind them ``dashboard.drilldowns`` and the
period ``dashboard.period``.
"""

from __future__ import annotations

from django.conf import settings

from accounts.models import Membership
from core import read_cache
from dashboard.charts import charts
from dashboard.figures import (
    Figure,
    active_members,
    commitments_kept_rate,
    engagement_figures,
    engagement_summary,
    feedback_averages,
    median_hours_to_first_answer,
    network_question_figures,
    request_figures,
)
from dashboard.period import Period


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


def kept(membership: Membership, period: Period, parts, compute):
    """Every write of the workspace feeds the overview, so what is worked out from it is
    kept a short while (``DASHBOARD_FIGURES_SECONDS``) rather than until a write:
    (``compute()``'s value, as of when). ``parts``: what else the value depends on."""
    return read_cache.recent(
        "dashboard",
        membership.organization_id,
        (parts, period.start, period.end),
        compute,
        seconds=settings.DASHBOARD_FIGURES_SECONDS,
    )
