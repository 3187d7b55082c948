"""The form renderer: Django's own, with the commonest widget templates written out in
Python (``FORM_RENDERER``).

Django renders a ``<select>`` by including one template per ``<option>``: a skill
filter over 60 skills costs ~1 ms of template work on every page that shows it. The
inputs and selects below produce byte for byte what Django's templates produce
(``tests/core/test_form_rendering.py`` compares them); any other template, and any of
these that a project template overrides, goes through the template engine as before.
"""

from functools import cached_property
from pathlib import Path

import django
from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape

_WIDGETS = "django/forms/widgets/"
_INPUTS = frozenset(
    f"{_WIDGETS}{name}.html"
    for name in (
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "file",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    )
)
_SELECT = f"{_WIDGETS}select.html"
_OPTION = f"{_WIDGETS}select_option.html"
_DJANGO_TEMPLATES = Path(django.__file__).resolve().parent / "forms" / "templates"


def _attrs(attrs: dict) -> str:
    """``django/forms/widgets/attrs.html``: ``True`` writes the bare name, ``False``
    leaves the attribute out."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{conditional_escape(value)}"')
    return "".join(parts)


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{conditional_escape(widget["value"])}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
        f"{value}{_attrs(widget['attrs'])}>"
    )


def _option(option: dict) -> str:
    return (
        f'<option value="{conditional_escape(option["value"])}"{_attrs(option["attrs"])}>'
        f"{conditional_escape(option['label'])}</option>\n"  # the template file's own newline
    )


class FastRenderer(DjangoTemplates):
    """Inputs and selects in Python; everything else through Django's templates."""

    @cached_property
    def _fast(self) -> frozenset[str]:
        """The fast templates that still resolve to Django's own files (a project may
        override any of them; those keep rendering their override)."""
        names = {*_INPUTS, _SELECT, _OPTION}
        return frozenset(
            name
            for name in names
            if Path(self.get_template(name).origin.name).resolve().is_relative_to(_DJANGO_TEMPLATES)
        )

    def render(self, template_name, context, request=None):
        if template_name in self._fast:
            widget = context["widget"]
            if template_name == _SELECT and self._options_fast(widget):
                return self._select(widget)
            if template_name in _INPUTS:
                return _input(widget)
        return super().render(template_name, context, request=request)

    def _options_fast(self, widget: dict) -> bool:
        options = (option for _name, group, _index in widget["optgroups"] for option in group)
        return _OPTION in self._fast and all(option["template_name"] == _OPTION for option in options)

    def _select(self, widget: dict) -> str:
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            parts.extend(f"\n  {_option(option)}" for option in options)
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return "".join(parts)
