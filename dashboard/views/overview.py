"""HTML adapters for the talent-manager overview, its drill-downs and the engagements
export (namespace "dashboard").

Parse the period (``dashboard.forms.PeriodForm``), check the manager
(``accounts.access.talent_manager_required``: a member gets the workspace's 403
page), read through ``dashboard.overview`` / ``dashboard.drilldowns`` /
``dashboard.exports``, write one audit row, render. An id from another workspace is
a 404 (the ``NotFound`` goes to ``core.html_errors``).
"""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.access import talent_manager_required
from accounts.models import Organization
from accounts.selectors.workspaces import members_without_mfa
from core import clock
from core.csv_stream import csv_response
from core.errors import ValidationFailed
from core.html_errors import form_error
from dashboard import drilldowns, exports
from dashboard.audit import audit_dashboard
from dashboard.figures import Figure
from dashboard.forms import EngagementDrillForm, PeriodForm, QuestionDrillForm, RequestDrillForm
from dashboard.overview import kept, overview_page
from dashboard.period import Period, resolve_period
from mentoring.programs.selectors import access_program


def _period_query(period: Period, form: PeriodForm) -> str:
    """The query string that reproduces this period (for the export link)."""
    if period.preset_days:
        return f"period={period.preset_days}"
    return (
        f"period=custom&start={form.cleaned_data['start']:%Y-%m-%d}&end={form.cleaned_data['end']:%Y-%m-%d}"
    )


# name → (label, unit, drill-down: (url name, query that filters it))
FIGURE_LABELS = {
    "active_engagements": ("Active engagements", "count", ("dashboard:drill_engagements", "scope=running")),
    "new_requests": ("New requests", "count", ("dashboard:drill_requests", "outcome=all")),
    "match_rate": ("Match rate", "rate", ("dashboard:drill_requests", "outcome=matched")),
    "median_hours_to_match": (
        "Median time to match",
        "hours",
        ("dashboard:drill_requests", "outcome=matched"),
    ),
    "median_hours_to_first_answer": (
        "Median time to first answer (chats)",
        "hours",
        ("dashboard:drill_engagements", "scope=started"),
    ),
    "median_hours_to_network_answer": (
        "Median time to first answer (network questions)",
        "hours",
        ("dashboard:drill_questions", "outcome=answered"),
    ),
    "routed_answered_in_window_rate": (
        "Routed questions answered within the window",
        "rate",
        ("dashboard:drill_questions", "outcome=routed"),
    ),
    "completion_rate": ("Completion rate", "rate", ("dashboard:drill_engagements", "scope=ended")),
    "feedback_competence": (
        "Feedback: competence (1–5)",
        "score",
        ("dashboard:drill_engagements", "scope=feedback"),
    ),
    "feedback_responsiveness": (
        "Feedback: responsiveness (1–5)",
        "score",
        ("dashboard:drill_engagements", "scope=feedback"),
    ),
    "feedback_would_work_again": (
        "Would work together again",
        "rate",
        ("dashboard:drill_engagements", "scope=feedback"),
    ),
    "commitments_kept_rate": (
        "Commitments kept",
        "rate",
        ("dashboard:drill_engagements", "scope=commitments"),
    ),
    "active_members": ("Active members", "count", ("dashboard:drill_people", "")),
}


TRENDS = {"up": ("↑", "up"), "down": ("↓", "down"), "flat": ("→", "no change")}


def _display(value: float | None, unit: str) -> str:
    """A figure as the card shows it (formatted here rather than in a chain of template
    ifs: the page renders thirteen cards twice over, and the template was its slowest part)."""
    if value is None:
        return "—"
    if unit == "rate":
        return f"{round(value * 100)}%"
    if unit == "hours":
        return f"{floatformat(value, 1)} h"
    return floatformat(value, 2 if unit == "score" else 0)


def _card(name: str, figure: Figure, period_query: str) -> dict:
    label, unit, (url_name, query) = FIGURE_LABELS[name]
    arrow, trend = TRENDS[figure.direction]
    if figure.change_percent is not None:
        trend = f"{trend} {floatformat(figure.change_percent, 1)}%"
    return {
        "name": name,
        "label": label,
        "figure": figure,
        "value_text": _display(figure.current, unit),
        "previous_text": _display(figure.previous, unit),
        "arrow": arrow,
        "trend_text": trend,
        "drill_url": f"{reverse(url_name)}?{period_query}" + (f"&{query}" if query else ""),
    }


@talent_manager_required
def overview(request, membership):
    """The overview. Its figures and charts are worked out at most once a minute per
    workspace and period (``dashboard.overview.kept``), rendered with them; the audit
    row and the two-factor list are live."""
    form = PeriodForm(request.GET or None, initial={"period": "30"})
    period = form.period_or_errors() if request.GET else resolve_period()
    if period is None:
        return render(request, "dashboard/overview.html", {"form": form}, status=400)
    period_query = _period_query(period, form) if request.GET else "period=30"
    figures_html, _as_of = kept(
        membership,
        period,
        ("page", period_query),
        lambda: render_to_string(
            "dashboard/_overview_figures.html", _figures_context(membership, period, period_query), request
        ),
    )
    audit_dashboard(request.user, membership, action="dashboard.view_overview", period=period)
    return render(
        request,
        "dashboard/overview.html",
        {
            "form": form,
            "period": period,
            "figures_html": figures_html,
            # who has not set up two-factor authentication while the workspace requires it
            "without_mfa": (
                members_without_mfa(viewer_membership=membership)
                if membership.organization.mfa_policy != Organization.MfaPolicy.OFF
                else []
            ),
        },
    )


def _figures_context(membership, period: Period, period_query: str) -> dict:
    figures, charts = overview_page(membership, period)
    cards = [_card(name, figures[name], period_query) for name in FIGURE_LABELS]
    kinds_url = reverse("dashboard:drill_engagements")
    return {
        "period": period,
        "as_of": clock.now(),
        "cards": cards,
        "charts": charts,
        "activity_rows": list(
            zip(
                charts["activity"]["labels"],
                charts["activity"]["engagements_started"],
                charts["activity"]["messages"],
                strict=True,
            )
        ),
        "kind_state_rows": [
            {
                "state": state,
                "label": label,
                "cells": [
                    {"n": n, "url": f"{kinds_url}?{period_query}&scope=running&kind={kind}&state={state}"}
                    for kind, n in zip(charts["by_kind_state"]["kinds"], counts, strict=True)
                ],
            }
            for (state, counts), label in zip(
                charts["by_kind_state"]["counts"].items(),
                charts["by_kind_state"]["state_labels"],
                strict=True,
            )
        ],
        "first_answer_rows": list(
            zip(
                charts["first_answer"]["labels"],
                charts["first_answer"]["current"],
                charts["first_answer"]["previous"],
                strict=True,
            )
        ),
        "export_query": period_query,
        "period_query": period_query,
    }


# --- drill-downs -----------------------------------------------------------------------------------

DRILL_PAGE_SIZE = 50


def _drill(request, membership, *, form_class, template, action, rows_for):
    """Shared flow of the drill-down pages: validate the period and the filters (400 with
    the field errors), read one page of rows, audit, render with links that keep the filters."""
    form = form_class(request.GET)  # always bound: empty filters mean the defaults
    period = form.period_or_errors()
    if period is None:
        return render(request, template, {"form": form}, status=400)
    filters = {
        name: form.cleaned_data.get(name) or "" for name in form.fields if name not in PeriodForm.base_fields
    }
    try:
        rows = rows_for(membership, period, filters)
    except ValidationFailed as exc:  # a filter the selector does not know: back on the form
        form_error(form, exc)
        return render(request, template, {"form": form}, status=400)
    page = Paginator(rows, DRILL_PAGE_SIZE).get_page(request.GET.get("page"))
    audit_dashboard(
        request.user,
        membership,
        action=action,
        period=period,
        details={k: v for k, v in filters.items() if v},
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        template,
        {
            "form": form,
            "period": period,
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "period_query": _period_query(period, form),
        },
    )


@talent_manager_required
def drill_engagements(request, membership):
    return _drill(
        request,
        membership,
        form_class=EngagementDrillForm,
        template="dashboard/drilldown_engagements.html",
        action="dashboard.drill_engagements",
        rows_for=lambda m, p, f: drilldowns.drill_engagements(
            m, p, scope=f["scope"] or "running", kind=f["kind"], state=f["state"]
        ),
    )


@talent_manager_required
def drill_requests(request, membership):
    return _drill(
        request,
        membership,
        form_class=RequestDrillForm,
        template="dashboard/drilldown_requests.html",
        action="dashboard.drill_requests",
        rows_for=lambda m, p, f: drilldowns.drill_requests(m, p, outcome=f["outcome"] or "all"),
    )


@talent_manager_required
def drill_people(request, membership):
    return _drill(
        request,
        membership,
        form_class=PeriodForm,
        template="dashboard/drilldown_people.html",
        action="dashboard.drill_people",
        rows_for=lambda m, p, f: drilldowns.drill_people(m, p),
    )


@talent_manager_required
def drill_questions(request, membership):
    return _drill(
        request,
        membership,
        form_class=QuestionDrillForm,
        template="dashboard/drilldown_questions.html",
        action="dashboard.drill_questions",
        rows_for=lambda m, p, f: drilldowns.drill_questions(m, p, outcome=f["outcome"] or "all"),
    )


@talent_manager_required
def export_engagements(request, membership):
    form = PeriodForm(request.GET or None)
    period = form.period_or_errors() if request.GET else resolve_period()
    if period is None:
        return render(request, "dashboard/overview.html", {"form": form}, status=400)
    program = access_program(membership, request.GET["program"]) if request.GET.get("program") else None
    audit_dashboard(
        request.user,
        membership,
        action="dashboard.export_engagements",
        period=period,
        details={"program": program.pk} if program else None,
    )
    return csv_response(
        request,
        exports.engagements_csv(membership, period, program=program),
        f"engagements-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv",
    )
