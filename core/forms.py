"""Form pieces every app's pages share. Services decide what is valid; these only shape input."""

from django import forms


class SkillInput(forms.TextInput):
    """A skill name with server-side suggestions in a <datalist> (the skills autocomplete)."""

    def __init__(self, options_id: str, url: str):
        super().__init__(
            attrs={
                "autocomplete": "off",
                "list": options_id,
                "data-skill-autocomplete": "",
                "hx-get": url,
                "hx-trigger": "input changed delay:200ms",
                "hx-target": f"#{options_id}",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        )


# names end in "skill": the autocomplete view reads the value of the asking field by that suffix
SKILL_FIELDS = ("primary_skill", "second_skill", "third_skill")


class SkillNamesMixin:
    """Up to three typed skill names (the form declares the ``SKILL_FIELDS``) with the skills
    autocomplete; ``clean`` turns them into ``self.skills`` of the viewer's workspace.

    ``find_skill(organization=<workspace id>, name=)`` is the workspace's lookup by name or
    alias (``accounts.services.skills.skill_find``); core knows no skill model. A viewer without
    a membership gets no skills resolved (the views require one)."""

    def init_skill_names(self, *, viewer, autocomplete_url: str, find_skill, options_prefix: str = ""):
        self.viewer = viewer
        self.skills = []
        self.find_skill = find_skill
        for name in SKILL_FIELDS:
            options_id = f"{options_prefix}{name}-options"
            self.fields[name].widget = SkillInput(options_id, autocomplete_url)
            self.fields[name].options_id = options_id
        self.fields["primary_skill"].help_text = "Start typing: the workspace's skills are suggested."

    def skill_fields(self):
        return [self[name] for name in SKILL_FIELDS]

    def clean(self):
        data = super().clean()
        membership = getattr(self.viewer, "membership", None)
        for name in SKILL_FIELDS:
            typed = " ".join((data.get(name) or "").split())
            if not typed or membership is None:
                continue
            skill = self.find_skill(organization=membership.organization_id, name=typed)
            if skill is None:
                self.add_error(name, f"“{typed}” is not a skill in this workspace; pick one from the list.")
            elif skill not in self.skills:
                self.skills.append(skill)
        return data
