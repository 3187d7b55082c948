"""The sign-up form's extra field (allauth's ``ACCOUNT_SIGNUP_FORM_CLASS``): people
give their name when they sign up, so nobody appears as their e-mail's local part."""

from django import forms

from core.text import clean_display_text


class SignupNameForm(forms.Form):
    full_name = forms.CharField(
        label="Your name",
        max_length=150,
        help_text="As colleagues know you, e.g. “Fiona Walsh”.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "Enter your name, as colleagues know you."},
    )
    field_order = ["full_name", "email", "password1", "password2"]

    def clean_full_name(self):
        name, problem = clean_display_text(self.cleaned_data["full_name"])
        if problem:
            raise forms.ValidationError(problem)
        name = " ".join(name.split())
        if not name:
            raise forms.ValidationError("Enter your name, as colleagues know you.")
        return name

    def signup(self, request, user):
        """allauth calls this after creating ``user``; the adapter has saved the name."""
