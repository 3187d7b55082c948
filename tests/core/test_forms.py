"""core.forms: the typed skill names every skill-picking page shares."""

from types import SimpleNamespace

from django import forms

from core.forms import SKILL_FIELDS, SkillNamesMixin


class NamesForm(SkillNamesMixin, forms.Form):
    primary_skill = forms.CharField(required=False)
    second_skill = forms.CharField(required=False)
    third_skill = forms.CharField(required=False)

    def __init__(self, *args, viewer, find_skill, **kwargs):
        super().__init__(*args, **kwargs)
        self.init_skill_names(
            viewer=viewer, autocomplete_url="/skills/", find_skill=find_skill, options_prefix="x-"
        )


def finder(known):
    asked = []

    def find_skill(*, organization, name):
        asked.append((organization, name))
        return known.get(name.lower())

    return find_skill, asked


def test_typed_names_resolve_once_each_in_the_viewers_workspace():
    find_skill, asked = finder({"terraform": "TF", "k8s": "K"})
    viewer = SimpleNamespace(membership=SimpleNamespace(organization_id=7))
    form = NamesForm(
        {"primary_skill": "  Terraform ", "second_skill": "k8s", "third_skill": "terraform"},
        viewer=viewer,
        find_skill=find_skill,
    )

    assert form.is_valid()
    assert form.skills == ["TF", "K"]
    assert asked == [(7, "Terraform"), (7, "k8s"), (7, "terraform")]


def test_an_unknown_name_is_an_error_on_its_field():
    find_skill, _ = finder({})
    viewer = SimpleNamespace(membership=SimpleNamespace(organization_id=7))
    form = NamesForm({"second_skill": "Cobol"}, viewer=viewer, find_skill=find_skill)

    assert not form.is_valid()
    assert form.errors["second_skill"] == [
        "“Cobol” is not a skill in this workspace; pick one from the list."
    ]


def test_each_field_gets_the_autocomplete_with_its_own_options_list():
    find_skill, _ = finder({})
    form = NamesForm(viewer=None, find_skill=find_skill)

    for name, bound in zip(SKILL_FIELDS, form.skill_fields(), strict=True):
        assert bound.field.options_id == f"x-{name}-options"
        assert bound.field.widget.attrs["list"] == f"x-{name}-options"
        assert bound.field.widget.attrs["hx-get"] == "/skills/"


def test_a_viewer_without_membership_gets_no_skills_resolved():
    find_skill, asked = finder({"terraform": "TF"})
    form = NamesForm({"primary_skill": "Terraform"}, viewer=SimpleNamespace(), find_skill=find_skill)

    assert form.is_valid()
    assert form.skills == [] and asked == []
