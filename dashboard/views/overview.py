"""HTML adapters for the talent-manager dashboard (namespace "dashboard").

Parse the period, check the manager, read through ``dashboard.overview``,
write one audit row, render. A member gets the workspace's 403 page; an id
from another workspace is a 404.
"""

import csv
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse

from accounts.middleware import membership_of
from core.csv_stream import csv_response
from core.errors import NotFound, ValidationFailed
from dashboard import overview as dashboard
from dashboard.audit import audit_dashboard
from mentoring.models import Engagement, EngagementKind

PERIOD_CHOICES = [
    ("7", "Last 7 days"),
    ("30", "Last 30 days"),
    ("90", "Last 90 days"),
    ("custom", "Custom range"),
]


class PeriodForm(forms.Form):
    period = forms.ChoiceField(choices=PERIOD_CHOICES, required=False, initial="30", label="Period")
    start = forms.DateField(
        required=False, label="From (UTC)", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label="To (UTC, inclusive)", widget=forms.DateInput(attrs={"type": "date"})
    )

    def period_or_errors(self) -> dashboard.Period | None:
        """The resolved period, or ``None`` with the errors on the form's fields."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        try:
            if data["period"] == "custom" or (not data["period"] and (data["start"] or data["end"])):
                return dashboard.resolve_period(start=data["start"], end=data["end"])
            return dashboard.resolve_period(days=int(data["period"] or dashboard.DEFAULT_DAYS))
        except ValidationFailed as exc:
            for name, messages in exc.fields.items():
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
            return None


def talent_manager_required(view):
    """Signed in, in a workspace and a talent manager of it — or the workspace's 403 page.

    Like ``accounts.views.workspaces.talent_manager_required`` but reads the membership the
    middleware already loads for the navigation, so the page spends no second query on it.
    """

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        membership = membership_of(request)
        if membership is None:
            messages.info(request, "Create or join a workspace first.")
            return redirect("accounts:workspace_start")
        if not membership.is_talent_manager:
            return render(request, "accounts/workspace_forbidden.html", status=403)
        return view(request, membership, *args, **kwargs)

    return wrapper


def _period_query(period: dashboard.Period, form: PeriodForm) -> str:
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


def _card(name: str, figure: dashboard.Figure, period_query: str) -> dict:
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
    form = PeriodForm(request.GET or None, initial={"period": "30"})
    period = form.period_or_errors() if request.GET else dashboard.resolve_period()
    if period is None:
        return render(request, "dashboard/overview.html", {"form": form}, status=400)
    figures, charts = dashboard.overview_page(membership, period)
    audit_dashboard(request.user, membership, action="dashboard.view_overview", period=period)
    period_query = _period_query(period, form) if request.GET else "period=30"
    cards = [_card(name, figures[name], period_query) for name in FIGURE_LABELS]
    kinds_url = reverse("dashboard:drill_engagements")
    return render(
        request,
        "dashboard/overview.html",
        {
            "form": form,
            "period": period,
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
        },
    )


# --- drill-downs -----------------------------------------------------------------------------------

DRILL_PAGE_SIZE = 50


class EngagementDrillForm(PeriodForm):
    scope = forms.ChoiceField(choices=list(dashboard.DRILL_SCOPES.items()), required=False, label="Which")
    kind = forms.ChoiceField(choices=[("", "Every kind"), *EngagementKind.choices], required=False)
    state = forms.ChoiceField(choices=[("", "Every state"), *Engagement.State.choices], required=False)


class RequestDrillForm(PeriodForm):
    outcome = forms.ChoiceField(choices=list(dashboard.REQUEST_OUTCOMES.items()), required=False)


class QuestionDrillForm(PeriodForm):
    outcome = forms.ChoiceField(choices=list(dashboard.QUESTION_OUTCOMES.items()), required=False)


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
    except ValidationFailed as exc:
        for name, errors in exc.fields.items():
            for message in errors:
                form.add_error(name if name in form.fields else None, message)
        return render(request, template, {"form": form}, status=400)
    page = Paginator(rows, DRILL_PAGE_SIZE).get_page(request.GET.get("page"))
    audit_dashboard(
        request.user, membership, action=action, period=period, extra={k: v for k, v in filters.items() if v}
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
        rows_for=lambda m, p, f: dashboard.drill_engagements(
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
        rows_for=lambda m, p, f: dashboard.drill_requests(m, p, outcome=f["outcome"] or "all"),
    )


@talent_manager_required
def drill_people(request, membership):
    return _drill(
        request,
        membership,
        form_class=PeriodForm,
        template="dashboard/drilldown_people.html",
        action="dashboard.drill_people",
        rows_for=lambda m, p, f: dashboard.drill_people(m, p),
    )


@talent_manager_required
def drill_questions(request, membership):
    return _drill(
        request,
        membership,
        form_class=QuestionDrillForm,
        template="dashboard/drilldown_questions.html",
        action="dashboard.drill_questions",
        rows_for=lambda m, p, f: dashboard.drill_questions(m, p, outcome=f["outcome"] or "all"),
    )


class _Echo:
    """A file-like object whose ``write`` hands the line back, for streaming csv rows."""

    def write(self, value):
        return value


@talent_manager_required
def export_engagements(request, membership):
    form = PeriodForm(request.GET or None)
    period = form.period_or_errors() if request.GET else dashboard.resolve_period()
    if period is None:
        return render(request, "dashboard/overview.html", {"form": form}, status=400)
    program = None
    if request.GET.get("program"):
        try:
            program = dashboard.access_program(membership, request.GET["program"])
        except NotFound as exc:
            raise Http404(exc.message) from None
    rows = dashboard.engagements_for_export(membership, period, program=program)
    audit_dashboard(
        request.user,
        membership,
        action="dashboard.export_engagements",
        period=period,
        extra={"program": program.pk} if program else None,
    )
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(dashboard.EXPORT_HEADER)
        for engagement in rows.iterator(chunk_size=500):
            yield writer.writerow(dashboard.export_row(engagement))

    return csv_response(request, lines(), f"engagements-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv")
