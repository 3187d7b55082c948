"""The trust pages' forms: they carry what was typed and the service's field errors
(``core.html_errors.form_error``). The rules themselves — a reason is required, a
decision needs a note — live in ``trust.services`` so HTML and the API answer alike."""

from django import forms


class DisputeForm(forms.Form):
    event = forms.CharField(required=False)
    reason = forms.CharField(required=False)


class DecisionForm(forms.Form):
    decision = forms.CharField(required=False)
    note = forms.CharField(required=False)


class VouchForm(forms.Form):
    user = forms.CharField(required=False)
    skill = forms.CharField(required=False)


def typed(form: forms.Form) -> dict[str, str]:
    """What the person typed, per field, for re-rendering the page's own form markup."""
    return {name: form.data.get(name, "") for name in form.fields}
