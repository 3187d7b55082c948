"""HTML forms for questions and answers. They check shapes and turn typed skill
names into skills; ``messaging.qa.services`` decides what is allowed and names
the field to fix (``core.html_errors.form_error``)."""

from django import forms
from django.urls import reverse

from accounts.services.skills import skill_find
from core.forms import SKILL_FIELDS, SkillNamesMixin
from messaging.models import MAX_BODY_CHARS, QUESTION_TITLE_CHARS, Question


class AskForm(SkillNamesMixin, forms.Form):
    title = forms.CharField(
        label="Your question in one line",
        max_length=QUESTION_TITLE_CHARS,
        help_text="For example “How do I pin a Terraform provider version?”",
        error_messages={"required": "Give the question a short title."},
    )
    body = forms.CharField(
        label="Details",
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What you tried and what you expected. Markdown works.",
        error_messages={
            "required": "Write the question: the text cannot be empty.",
            "max_length": f"Shorten the text to at most {MAX_BODY_CHARS:,} characters.",
        },
    )
    where = forms.ChoiceField(
        label="Who should see it?",
        help_text="The whole network, or only the people of one of your engagements.",
    )
    primary_skill = forms.CharField(label="Skill (optional)", required=False, max_length=80)
    second_skill = forms.CharField(label="Another skill (optional)", required=False, max_length=80)
    third_skill = forms.CharField(label="A third skill (optional)", required=False, max_length=80)

    def __init__(self, *args, viewer, engagements=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["where"].choices = [("network", "The whole network")] + [
            (f"engagement:{engagement.pk}", f"Engagement: {engagement.title}") for engagement in engagements
        ]
        self.init_skill_names(
            viewer=viewer,
            autocomplete_url=reverse("accounts:skills_autocomplete"),
            find_skill=skill_find,
            options_prefix="question-",
        )

    def service_arguments(self) -> dict:
        where = self.cleaned_data["where"]
        scope, _, engagement_id = where.partition(":")
        return {
            "title": self.cleaned_data["title"],
            "body": self.cleaned_data["body"],
            "scope": scope,
            "engagement_id": engagement_id or None,
            "skill_ids": [skill.pk for skill in self.skills],
        }


def with_inferred_skills(data, inferred) -> dict:
    """The ask form's data with the inferred skills in the skill fields left empty (the
    asker's own choices stay; a skill already typed is not repeated)."""
    values = data.copy()
    typed = {" ".join((values.get(name) or "").split()).lower() for name in SKILL_FIELDS}
    names = [skill.name for skill in inferred if skill.name.lower() not in typed]
    for name in SKILL_FIELDS:
        if not (values.get(name) or "").strip() and names:
            values[name] = names.pop(0)
    return values


class AnswerForm(forms.Form):
    body = forms.CharField(
        label="Your answer",
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Markdown works.",
        error_messages={
            "required": "Write your answer: the text cannot be empty.",
            "max_length": f"Shorten the answer to at most {MAX_BODY_CHARS:,} characters.",
        },
    )


class SearchForm(forms.Form):
    q = forms.CharField(label="Search questions and answers", required=False, max_length=200)
    skill = forms.TypedChoiceField(label="Skill", required=False, coerce=int, empty_value=None)
    state = forms.ChoiceField(label="State", required=False)

    def __init__(self, *args, skills=(), **kwargs):
        super().__init__(*args, **kwargs)
        # ``skills``: (id, name) pairs
        self.fields["skill"].choices = [("", "Any skill")] + [(str(pk), name) for pk, name in skills]
        self.fields["state"].choices = [("", "Any state"), *Question.State.choices]
