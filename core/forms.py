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
