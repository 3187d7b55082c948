"""HTML adapters for the talent-manager dashboard (namespace "dashboard").

Parse the period, check the manager, read through ``mentoring.dashboard``,
write one audit row, render. A member gets the workspace's 403 page; an id
from another workspace is a 404.
"""

import csv
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render

from accounts.middleware import membership_of
from mentoring import dashboard
from mentoring.dashboard_audit import audit_dashboard
from mentoring.errors import NotFound, ValidationFailed

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


FIGURE_LABELS = {
    "active_engagements": ("Active engagements", "count"),
    "new_requests": ("New requests", "count"),
    "match_rate": ("Match rate", "rate"),
    "median_hours_to_match": ("Median time to match", "hours"),
    "median_hours_to_first_answer": ("Median time to first answer", "hours"),
    "completion_rate": ("Completion rate", "rate"),
    "feedback_competence": ("Feedback: competence (1–5)", "score"),
    "feedback_responsiveness": ("Feedback: responsiveness (1–5)", "score"),
    "feedback_would_work_again": ("Would work together again", "rate"),
    "commitments_kept_rate": ("Commitments kept", "rate"),
    "active_members": ("Active members", "count"),
}


@talent_manager_required
def overview(request, membership):
    form = PeriodForm(request.GET or None, initial={"period": "30"})
    period = form.period_or_errors() if request.GET else dashboard.resolve_period()
    if period is None:
        return render(request, "dashboard/overview.html", {"form": form}, status=400)
    figures = dashboard.overview(membership, period)
    charts = dashboard.charts(membership, period)
    audit_dashboard(request.user, membership, action="dashboard.view_overview", period=period)
    cards = [
        {"name": name, "label": label, "unit": unit, "figure": figures[name]}
        for name, (label, unit) in FIGURE_LABELS.items()
    ]
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
            "export_query": _period_query(period, form) if request.GET else "period=30",
        },
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

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="engagements-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"'
    )
    return response
