"""Forms of the dashboard pages: the period every page reads (``PeriodForm``) and the
filters of the drill-downs and the attention list. They parse; ``dashboard.period``
and the selectors decide what is valid (their field errors come back on the form)."""

from django import forms

from core.errors import ValidationFailed
from core.html_errors import form_error
from dashboard import attention
from dashboard.drilldowns import DRILL_SCOPES, QUESTION_OUTCOMES, REQUEST_OUTCOMES
from dashboard.period import DEFAULT_DAYS, Period, resolve_period
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

    def period_or_errors(self) -> Period | None:
        """The resolved period, or ``None`` with the errors on the form's fields."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        try:
            if data["period"] == "custom" or (not data["period"] and (data["start"] or data["end"])):
                return resolve_period(start=data["start"], end=data["end"])
            return resolve_period(days=int(data["period"] or DEFAULT_DAYS))
        except ValidationFailed as exc:
            form_error(self, exc)
            return None


class EngagementDrillForm(PeriodForm):
    scope = forms.ChoiceField(choices=list(DRILL_SCOPES.items()), required=False, label="Which")
    kind = forms.ChoiceField(choices=[("", "Every kind"), *EngagementKind.choices], required=False)
    state = forms.ChoiceField(choices=[("", "Every state"), *Engagement.State.choices], required=False)


class RequestDrillForm(PeriodForm):
    outcome = forms.ChoiceField(choices=list(REQUEST_OUTCOMES.items()), required=False)


class QuestionDrillForm(PeriodForm):
    outcome = forms.ChoiceField(choices=list(QUESTION_OUTCOMES.items()), required=False)


class AttentionForm(forms.Form):
    days = forms.IntegerField(
        min_value=1,
        max_value=attention.MAX_IDLE_DAYS,
        required=False,
        label="Idle for at least (days)",
        help_text="Engagements with no message or commitment for this many days.",
    )
