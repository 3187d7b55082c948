"""Forms of the programs pages (/manage/programs/): they parse and type the input;
the services (``mentoring.programs.services``, ``csv_import``, ``drafts``) decide what
is valid and their field errors are put back on these forms
(``core.html_errors.run_form``)."""

from django import forms

from mentoring.engagements import matching_params as mp
from mentoring.engagements.matching import FACTOR_LABELS
from mentoring.models import ABSOLUTE_MAX_DURATION_DAYS, MAX_DURATION_DAYS, EngagementKind, ProgramParticipant
from mentoring.programs.csv_import import CSV_MAX_BYTES, CSV_MAX_ROWS
from mentoring.programs.fit import MAX_FACTOR_WEIGHT
from mentoring.programs.services import FACTORS, ProgramFields

DURATION_HELP = "; ".join(
    f"{kind.label.split(' (')[0]}: up to {days} days" for kind, days in MAX_DURATION_DAYS.items()
)


class ProgramForm(forms.Form):
    name = forms.CharField(max_length=120, label="Name")
    kind = forms.ChoiceField(choices=EngagementKind.choices, label="Kind")
    starts_on = forms.DateField(
        required=False, label="Starts on", widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        required=False,
        label="Ends on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="On or after the start date.",
    )
    default_duration_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=ABSOLUTE_MAX_DURATION_DAYS,
        label="Default engagement duration (days)",
        help_text=f"Empty: the kind's default. {DURATION_HELP}.",
    )
    description = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4}), label="Description"
    )
    min_level = forms.IntegerField(
        min_value=1,
        max_value=mp.MAX_LEVEL,
        initial=1,
        label="Lowest expertise level that counts (1–5)",
        help_text="A mentor needs at least this level in one of the seeker's learning goals.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        defaults = mp.WEIGHTS.as_dict()
        for key in FACTORS:
            self.fields[f"weight_{key}"] = forms.FloatField(
                min_value=0,
                max_value=MAX_FACTOR_WEIGHT,
                initial=defaults[key],
                label=f"Weight: {FACTOR_LABELS[key]}",
                widget=forms.NumberInput(attrs={"step": "0.05"}),
                help_text=f"0 to {MAX_FACTOR_WEIGHT:g} (default {defaults[key]:g}).",
            )

    @property
    def weight_fields(self):
        return [self[f"weight_{key}"] for key in FACTORS]

    @property
    def main_fields(self):
        return [
            self[name]
            for name in ("name", "kind", "starts_on", "ends_on", "default_duration_days", "description")
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", "The program cannot end before it starts; pick a later end date.")
        return data

    def fields_for_service(self) -> ProgramFields:
        data = self.cleaned_data
        return ProgramFields(
            name=data["name"],
            kind=data["kind"],
            description=data.get("description") or "",
            starts_on=data.get("starts_on"),
            ends_on=data.get("ends_on"),
            default_duration_days=data.get("default_duration_days"),
            min_level=data["min_level"],
            weights={key: data[f"weight_{key}"] for key in FACTORS},
        )

    @classmethod
    def initial_from(cls, fields: ProgramFields) -> dict:
        return {
            "name": fields.name,
            "kind": fields.kind,
            "starts_on": fields.starts_on,
            "ends_on": fields.ends_on,
            "default_duration_days": fields.default_duration_days,
            "description": fields.description,
            "min_level": fields.min_level,
            **{f"weight_{key}": value for key, value in fields.weights.items()},
        }


class MemberSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Find members by name or skill")


class AddParticipantForm(forms.Form):
    user = forms.IntegerField(widget=forms.HiddenInput)
    role = forms.ChoiceField(choices=ProgramParticipant.Role.choices)


class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=(
            f"UTF-8 text, header line email,role; role is mentor or seeker. "
            f"At most {CSV_MAX_ROWS:,} rows and {CSV_MAX_BYTES // 1_000_000} MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class ReassignForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    seeker = forms.IntegerField(label="Seeker")
    mentor = forms.CharField(required=False, label="New mentor")


class SwapForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    seeker = forms.IntegerField(label="Seeker")
    other = forms.IntegerField(label="Swap mentors with")


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
