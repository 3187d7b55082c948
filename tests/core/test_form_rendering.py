"""The fast form renderer writes exactly what Django's widget templates write."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from core.form_rendering import FastRenderer


class Everything(forms.Form):
    text = forms.CharField(widget=forms.TextInput(attrs={"placeholder": 'say "hi" <b>', "autofocus": True}))
    search = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"type": "search", "hidden": False})
    )
    number = forms.IntegerField(min_value=0, max_value=168, widget=forms.NumberInput(attrs={"min": 0}))
    email = forms.EmailField()
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True))
    hidden = forms.CharField(widget=forms.HiddenInput)
    flag = forms.BooleanField(required=False)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    choice = forms.TypedChoiceField(
        coerce=int,
        choices=[("", "Any"), ("1", "<Go> & Rust"), ("2", mark_safe("<em>safe</em>")), ("3", "Three")],
    )
    grouped = forms.ChoiceField(
        choices=[
            ("Backend", [("py", "Python"), ("go", "Go")]),
            ("Ops", [("k8s", "Kubernetes")]),
            ("x", "Loose"),
        ]
    )
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B"), ("c", "C")])
    maybe = forms.NullBooleanField()


BOUND = {
    "text": '"quoted" & <tag>',
    "number": "7",
    "email": "a@example.com",
    "secret": "s3cret",
    "hidden": "h",
    "flag": "on",
    "day": "2026-12-06",
    "choice": "2",
    "grouped": "go",
    "many": ["a", "c"],
    "maybe": "true",
}


@pytest.mark.parametrize(
    "data", [None, BOUND, {"text": "", "number": "x", "choice": "9"}], ids=["unbound", "bound", "invalid"]
)
def test_every_widget_renders_as_django_renders_it(data):
    fast, django_own = FastRenderer(), DjangoTemplates()
    form = Everything(data)
    for name in form.fields:
        field = form[name]
        attrs = field.build_widget_attrs({"id": field.auto_id})
        expected = field.field.widget.render(field.html_name, field.value(), attrs=attrs, renderer=django_own)
        actual = field.field.widget.render(field.html_name, field.value(), attrs=attrs, renderer=fast)
        assert actual == expected, name


def test_the_fast_path_is_taken_for_inputs_and_selects(monkeypatch):
    """Not a silent fall-through: the select and the inputs do not touch the engine."""
    renderer = FastRenderer()
    seen = []
    original = DjangoTemplates.render

    def spy(self, template_name, context, request=None):
        seen.append(template_name)
        return original(self, template_name, context, request)

    monkeypatch.setattr(DjangoTemplates, "render", spy)
    form = Everything(BOUND)
    for name in ("text", "number", "choice", "grouped", "flag", "maybe"):
        form[name].field.widget.render(name, form[name].value(), renderer=renderer)
    assert seen == []
    DjangoTemplates().render(
        "django/forms/widgets/select.html",
        {"widget": form["choice"].field.widget.get_context("c", None, {})["widget"]},
    )
    assert seen == ["django/forms/widgets/select.html"]  # the spy does see the engine's renders


def test_a_template_outside_the_fast_set_goes_through_the_engine():
    renderer = FastRenderer()
    form = forms.Form()
    assert renderer.render(
        "django/forms/div.html", {"form": form, "fields": [], "hidden_fields": [], "errors": ""}
    ) == DjangoTemplates().render(
        "django/forms/div.html", {"form": form, "fields": [], "hidden_fields": [], "errors": ""}
    )


def test_the_product_uses_it(settings):
    assert settings.FORM_RENDERER == "core.form_rendering.FastRenderer"
