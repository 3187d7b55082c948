"""HTML forms for profiles, onboarding and the directory.

Forms only parse what the browser sends into Python values; the rules (time
zone, windows, capacity range, bio length, levels, skill access) live in
``accounts.services.profiles`` so the HTML pages and the REST API give the same
answers; ``core.html_errors.run_form`` puts a service's field errors on the form.
"""

import re

from django import forms
from django.conf import settings
from django.urls import reverse

from accounts import working_hours as wh
from accounts.models import Expertise, Profile
from accounts.services.profiles import BIO_MAX_CHARS, GOAL_NOTE_MAX_CHARS, HEADLINE_MAX_CHARS

DAY_CHOICES = [("", "—")] + [(str(i), name) for i, name in enumerate(wh.DAY_NAMES)]
LEVEL_CHOICES = [(str(value), label) for value, label in Expertise.Level.choices]
_CLOCK = re.compile(r"^(\d{2}):(\d{2})(?::00(?:\.0+)?)?$")


class AboutForm(forms.Form):
    full_name = forms.CharField(
        label="Full name",
        max_length=150,
        error_messages={"required": "Tell people your name, for example Ada Lovelace."},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    headline = forms.CharField(
        label="Headline",
        required=False,
        help_text="One line about what you do, e.g. “Platform engineer, Terraform and AWS”.",
        widget=forms.TextInput(attrs={"maxlength": HEADLINE_MAX_CHARS}),
    )
    # No max_length here: the service's message says how long it is and what the limit is.
    bio = forms.CharField(
        label="Bio",
        required=False,
        strip=False,
        help_text=f"Markdown: **bold**, _italic_, lists and links. Up to {BIO_MAX_CHARS:,} characters.",
        widget=forms.Textarea(attrs={"rows": 6}),
    )


def _timezone_choices():
    return [
        (name, f"{name.replace('_', ' ')} ({wh.utc_offset_label(name)})") for name in wh.timezone_choices()
    ]


class AvailabilityForm(forms.Form):
    # A CharField (not ChoiceField) so an unknown zone gets the service's message.
    timezone = forms.CharField(
        label="Time zone",
        help_text="Your working hours below are in this time zone.",
        widget=forms.Select(attrs={"data-timezone-select": ""}),
        error_messages={"required": "Choose your time zone, for example Europe/Berlin."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Keep a saved zone that the picker does not list (e.g. a legacy name set through
        # the API) selectable, so saving this form never silently changes it.
        current = self.initial.get("timezone")
        choices = _timezone_choices()
        if current and current not in {value for value, _ in choices}:
            choices.insert(0, (current, current))
        self.fields["timezone"].widget.choices = choices

    capacity = forms.IntegerField(
        label="Capacity",
        help_text=(
            "How many mentoring engagements you can take at the same time "
            f"(0–{settings.TANDEM_MAX_CAPACITY})."
        ),
        widget=forms.NumberInput(attrs={"min": 0, "max": settings.TANDEM_MAX_CAPACITY}),
        error_messages={
            "required": "Say how many engagements you can take at once (0 is fine).",
            "invalid": "Capacity must be a whole number, like 2.",
        },
    )


def _clock_value(value: str) -> str:
    """Browsers send HH:MM or HH:MM:SS; keep HH:MM. Anything else is passed on as
    typed, so the validation message can quote it."""
    value = (value or "").strip()
    match = _CLOCK.match(value)
    return f"{match.group(1)}:{match.group(2)}" if match else value


class WorkingHoursRowForm(forms.Form):
    day = forms.ChoiceField(label="Day", choices=DAY_CHOICES, required=False)
    start = forms.CharField(
        label="From", required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end = forms.CharField(
        label="To",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    def clean(self):
        data = super().clean()
        day, start, end = data.get("day"), _clock_value(data.get("start")), _clock_value(data.get("end"))
        if self.cleaned_data.get("DELETE") or not (day or start or end):
            data["window"] = None
            return data
        missing = [
            label for label, value in (("a day", day), ("a start", start), ("an end", end)) if not value
        ]
        if missing:
            raise forms.ValidationError(
                f"This row needs {', '.join(missing)} — fill it in or clear the whole row.", code="incomplete"
            )
        if end == "00:00" and start != "00:00":
            end = "24:00"  # a time input cannot say 24:00; midnight after a start means end of day
        data["window"] = {"day": int(day), "start": start, "end": end}
        return data


class BaseWorkingHoursFormSet(forms.BaseFormSet):
    def windows(self) -> list[dict]:
        """The filled-in rows as windows (call after is_valid())."""
        return [
            form.cleaned_data["window"]
            for form in self.forms
            if form.cleaned_data and form.cleaned_data.get("window") and not self._should_delete_form(form)
        ]


WorkingHoursFormSet = forms.formset_factory(
    WorkingHoursRowForm,
    formset=BaseWorkingHoursFormSet,
    extra=2,
    can_delete=True,
    max_num=wh.MAX_WINDOWS,
    validate_max=True,
    absolute_max=wh.MAX_WINDOWS + 10,
)


def working_hours_formset(data=None, *, windows=None) -> BaseWorkingHoursFormSet:
    initial = [
        {"day": str(w["day"]), "start": w["start"], "end": "00:00" if w["end"] == "24:00" else w["end"]}
        for w in (windows or [])
    ]
    return WorkingHoursFormSet(data, initial=initial, prefix="wh")


class WorkStyleForm(forms.Form):
    work_mode = forms.ChoiceField(
        label="How do you like to work with people?",
        choices=Profile.WorkMode.choices,
        widget=forms.RadioSelect,
    )
    cadence = forms.ChoiceField(
        label="How often do you like to check in?", choices=Profile.Cadence.choices, widget=forms.RadioSelect
    )
    feedback_style = forms.ChoiceField(
        label="What feedback style suits you?",
        choices=Profile.FeedbackStyle.choices,
        widget=forms.RadioSelect,
    )
    open_to_mentor = forms.BooleanField(label="I'm open to mentoring others", required=False)
    seeking = forms.BooleanField(label="I'm looking for a mentor", required=False)
    is_away = forms.BooleanField(
        label="I'm away (on leave or too busy — don't send me requests)", required=False
    )


class SkillChoiceMixin(forms.Form):
    """A typed skill name (resolved by name or alias, or created) or the id the
    autocomplete picked; the service decides which skill that is."""

    skill = forms.CharField(
        label="Skill",
        required=False,
        max_length=80,
        help_text="Start typing: existing skills and their aliases are suggested. A new name adds a skill.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-skill-autocomplete": ""}),
    )
    skill_id = forms.CharField(required=False, widget=forms.HiddenInput(attrs={"data-skill-id": ""}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Suggestions come from the server as <option>s swapped into a <datalist> by htmx;
        # without JS the typed name is resolved (or created) on submit.
        options_id = f"{self.prefix or 'skill'}-skill-options"
        self.options_id = options_id
        self.fields["skill"].widget.attrs.update(
            {
                "list": options_id,
                "hx-get": reverse("accounts:skills_autocomplete"),
                "hx-trigger": "input changed delay:200ms",
                "hx-target": f"#{options_id}",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        )

    def clean(self):
        data = super().clean()
        if not data.get("skill_id") and not (data.get("skill") or "").strip():
            self.add_error("skill", "Type a skill name or pick one from the suggestions.")
        return data


class ExpertiseForm(SkillChoiceMixin):
    # Integer fields without bounds: the service names the allowed range.
    level = forms.IntegerField(
        label="Level",
        widget=forms.Select(choices=LEVEL_CHOICES),
        error_messages={"required": "Pick a level from 1 to 5.", "invalid": "Level must be a number 1–5."},
    )
    years = forms.IntegerField(
        label="Years of experience",
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "max": 60}),
        error_messages={"invalid": "Years must be a whole number, like 3."},
    )


class LearningGoalForm(SkillChoiceMixin):
    note = forms.CharField(
        label="What do you want to be able to do?",
        required=False,
        help_text="Optional, e.g. “ship my first module”.",
        widget=forms.TextInput(attrs={"maxlength": GOAL_NOTE_MAX_CHARS}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skill"].label = "Skill to learn"


class RemoveSkillForm(forms.Form):
    skill_id = forms.CharField()


class DirectoryFilterForm(forms.Form):
    """GET filters of the people directory. Invalid values are reported, never ignored."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        help_text="Name, headline, bio or skill — aliases like k8s work too.",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "e.g. Terraform, k8s, Priya"}),
    )
    skill = forms.TypedChoiceField(label="Skill", required=False, coerce=int, empty_value=None)
    min_level = forms.TypedChoiceField(
        label="Minimum level",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any level"), *LEVEL_CHOICES],
    )
    open_to_mentor = forms.BooleanField(label="Open to mentoring", required=False)
    overlap = forms.IntegerField(
        label="Overlap with my hours",
        help_text="At least this many hours a week at the same time as you.",
        required=False,
        min_value=0,
        max_value=wh.HOURS_PER_WEEK,
        widget=forms.NumberInput(attrs={"min": 0, "max": wh.HOURS_PER_WEEK}),
    )

    def __init__(self, *args, skills=(), **kwargs):
        super().__init__(*args, **kwargs)
        # ``skills``: (id, name) pairs
        self.fields["skill"].choices = [("", "Any skill")] + [(str(pk), name) for pk, name in skills]

    def selector_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "q": data.get("q") or None,
            "skill_id": data.get("skill"),
            "min_level": data.get("min_level"),
            "open_to_mentor": True if data.get("open_to_mentor") else None,
            "overlap_min_hours": data.get("overlap") or None,
        }
