"""HTML forms for the engagement pages. They check shapes and turn typed text
into values; the services decide what is allowed and name the field to fix
(``core.html_errors.run_form`` / ``form_error`` put their messages on the right field)."""

from django import forms
from django.urls import reverse

from accounts.services.skills import skill_find
from core.forms import SkillNamesMixin
from core.local_time import typed_in_zone
from mentoring.models import MAX_INVITATIONS_PER_REQUEST, EngagementKind, MentoringRequest

RANK_FIELDS = ("first", "second", "third")
RANK_LABELS = {"first": "1st choice", "second": "2nd choice", "third": "3rd choice"}


def _aware(value, tz_name: str):
    """A date/datetime typed in the person's time zone → an aware datetime."""
    return typed_in_zone(value, tz_name)


class NeedForm(SkillNamesMixin, forms.Form):
    """ "Find a mentor": the need, in the seeker's words."""

    title = forms.CharField(
        label="What do you need?",
        max_length=160,
        help_text="In a few words, e.g. “Ship my first Terraform module this week”.",
        error_messages={"required": "Say in a few words what you need."},
    )
    description = forms.CharField(
        label="Details",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The situation, what you tried, what good help looks like. Markdown works.",
    )
    primary_skill = forms.CharField(label="Skill", required=False, max_length=80)
    second_skill = forms.CharField(label="Another skill (optional)", required=False, max_length=80)
    third_skill = forms.CharField(label="A third skill (optional)", required=False, max_length=80)
    kind = forms.ChoiceField(
        label="Kind of help",
        choices=[
            (EngagementKind.SITUATIONAL, "Situational — one need, a couple of weeks"),
            (EngagementKind.ONGOING, "Ongoing — up to six months"),
        ],
        initial=EngagementKind.SITUATIONAL,
    )
    urgency = forms.ChoiceField(
        label="How urgent?", choices=MentoringRequest.Urgency.choices, initial=MentoringRequest.Urgency.NORMAL
    )
    desired_duration_days = forms.IntegerField(
        label="Duration in days (optional)",
        required=False,
        help_text="Leave empty for the default: 14 days situational, 90 days ongoing.",
        error_messages={"invalid": "Enter a whole number of days, like 14."},
    )

    def __init__(self, *args, viewer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.init_skill_names(
            viewer=viewer, autocomplete_url=reverse("accounts:skills_autocomplete"), find_skill=skill_find
        )


class InviteForm(forms.Form):
    """Pick up to three of the suggested mentors, in order."""

    def __init__(self, *args, mentors=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(str(user.pk), user.display_name) for user in mentors]
        self.mentors = {str(user.pk): user for user in mentors}
        for name in RANK_FIELDS[:MAX_INVITATIONS_PER_REQUEST]:
            self.fields[name] = forms.ChoiceField(
                label=RANK_LABELS[name],
                choices=choices,
                required=name == "first",
                error_messages={
                    "required": "Choose your first choice.",
                    "invalid_choice": "Choose someone from the suggestions.",
                },
            )

    def clean(self):
        data = super().clean()
        picked = [data.get(name) for name in RANK_FIELDS if data.get(name)]
        if len(set(picked)) != len(picked):
            raise forms.ValidationError("Each mentor can appear only once in your list.")
        if data.get("third") and not data.get("second"):
            self.add_error("second", "Fill in your 2nd choice before the 3rd.")
        self.ordered = [self.mentors[pk] for pk in picked]
        return data


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why can't you help?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give a short reason, e.g. “On leave next week”."},
    )


class ClarifyForm(forms.Form):
    question = forms.CharField(
        label="Your question to the seeker",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Write the question for the seeker."},
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label="Your answer",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Answer the mentor's question."},
    )


class CommitmentForm(forms.Form):
    text = forms.CharField(
        label="I commit to",
        max_length=500,
        help_text="For example “review your module by Friday”.",
        error_messages={"required": "Say what you commit to."},
    )
    due_at = forms.DateTimeField(
        label="Due",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        error_messages={"required": "Choose when it is due.", "invalid": "Enter a date and time."},
    )

    def __init__(self, *args, tz_name="UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.tz_name = tz_name
        self.fields["due_at"].help_text = f"In your time zone ({tz_name})."

    def clean_due_at(self):
        return _aware(self.cleaned_data["due_at"], self.tz_name)


class MilestoneForm(forms.Form):
    title = forms.CharField(label="Milestone", max_length=200, error_messages={"required": "Name the step."})
    due_on = forms.DateField(
        label="Due (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date."},
    )

    def __init__(self, *args, tz_name="UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.tz_name = tz_name

    def clean_due_on(self):
        return _aware(self.cleaned_data.get("due_on"), self.tz_name)


class ExtendForm(forms.Form):
    ends_on = forms.DateField(
        label="New end date",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Choose the new end date.", "invalid": "Enter a date."},
    )
    reason = forms.CharField(
        label="Why more time?",
        max_length=1000,
        error_messages={"required": "Give a reason for the extension."},
    )

    def __init__(self, *args, tz_name="UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.tz_name = tz_name

    def clean_ends_on(self):
        return _aware(self.cleaned_data["ends_on"], self.tz_name)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=500, required=False)


class RequiredReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason", max_length=500, error_messages={"required": "Give a reason so the others know why."}
    )


class ConfirmForm(forms.Form):
    kept = forms.TypedChoiceField(
        choices=[("yes", "Kept"), ("no", "Missed")], coerce=lambda v: v == "yes", label="Outcome"
    )


YES_NO = [("yes", "Yes"), ("no", "No")]
RATING_WORDS = {1: "poor", 2: "fair", 3: "good", 4: "very good", 5: "excellent"}
RATINGS = [("", "Choose a rating")] + [(str(n), f"{n} — {word}") for n, word in RATING_WORDS.items()]


class FeedbackForm(forms.Form):
    competence = forms.TypedChoiceField(
        label="Competence in this engagement's skills",
        choices=RATINGS,
        coerce=int,
        help_text="1 poor · 3 good · 5 excellent",
        error_messages={"required": "Rate competence from 1 to 5."},
    )
    responsiveness = forms.TypedChoiceField(
        label="Responsiveness",
        choices=RATINGS,
        coerce=int,
        help_text="How quickly and reliably they answered: 1 poor · 5 excellent",
        error_messages={"required": "Rate responsiveness from 1 to 5."},
    )
    respectful = forms.TypedChoiceField(
        label="Respectful?",
        choices=YES_NO,
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Answer yes or no."},
    )
    honest = forms.TypedChoiceField(
        label="Honest?",
        choices=YES_NO,
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Answer yes or no."},
    )
    would_work_again = forms.TypedChoiceField(
        label="Would you work together again?",
        choices=YES_NO,
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Answer yes or no."},
    )
    private_note = forms.CharField(
        label="Private note (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Never shown with your name.",
    )

    def __init__(self, *args, ratee=None, **kwargs):
        super().__init__(*args, prefix=f"fb{ratee.pk}" if ratee is not None else None, **kwargs)
        self.ratee = ratee


class GroupEngagementForm(forms.Form):
    title = forms.CharField(
        label="Title", max_length=160, error_messages={"required": "Give the group a title."}
    )
    goal = forms.CharField(
        label="Goal", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    my_role = forms.ChoiceField(
        label="Your part in the group",
        widget=forms.RadioSelect,
        required=False,  # left out (an API-style post): read from the lists as they are
    )
    mentors = forms.MultipleChoiceField(
        label="Mentors", required=False, error_messages={"required": "Add at least one mentor."}
    )
    seekers = forms.MultipleChoiceField(label="Seekers", required=False)
    skills = forms.MultipleChoiceField(label="Skills (optional)", required=False)
    ends_on = forms.DateField(
        label="End date (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Default: 30 days from today; at most 90.",
        error_messages={"invalid": "Enter a date."},
    )

    def __init__(self, *args, people=(), skills=(), tz_name="UTC", me=None, can_organise=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz_name = tz_name
        self.me = me
        roles = [("mentor", "I take part as a mentor"), ("seeker", "I take part as a seeker")]
        if can_organise:
            roles.append(("none", "I organise it and do not take part"))
        else:
            roles = roles[:1]  # a member starts a group only as one of its mentors
        self.fields["my_role"].choices = roles
        self.fields["my_role"].initial = "mentor"
        people_choices = [(str(u.pk), u.display_name) for u in people]
        self.fields["mentors"].choices = people_choices
        self.fields["seekers"].choices = people_choices
        self.fields["skills"].choices = [(str(s.pk), s.name) for s in skills]
        for name in ("mentors", "seekers", "skills"):
            self.fields[name].widget.attrs["size"] = 8

    def clean_ends_on(self):
        return _aware(self.cleaned_data.get("ends_on"), self.tz_name)

    def clean(self):
        data = super().clean()
        role = data.get("my_role")
        if self.me is not None and role in ("mentor", "seeker"):
            me = str(self.me.pk)
            data["mentors"] = [pk for pk in data.get("mentors", []) if pk != me]
            data["seekers"] = [pk for pk in data.get("seekers", []) if pk != me]
            data["mentors" if role == "mentor" else "seekers"].insert(0, me)
        if role and not data.get("mentors"):
            self.add_error("mentors", "Add at least one mentor.")
        return data
