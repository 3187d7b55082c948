"""Forms of the company sign-in pages. They parse shapes; the rules (issuer checked against
the provider, break-glass account, domains) live in ``accounts.sso.services``."""

from django import forms

from accounts.models import SsoConnection


class DiscoverForm(forms.Form):
    email = forms.EmailField(
        label="Work e-mail",
        max_length=254,
        help_text="We find your company's sign-in from the address's domain.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class SsoConnectionForm(forms.Form):
    protocol = forms.ChoiceField(label="Protocol", choices=SsoConnection.Protocol.choices)
    enabled = forms.BooleanField(label="Company sign-in is on", required=False)
    sso_required = forms.BooleanField(
        label="Require company sign-in (password login and reset are refused for members)",
        required=False,
    )
    break_glass_email = forms.EmailField(
        label="Break-glass talent manager (optional)",
        required=False,
        help_text="This talent manager may still sign in with a password when company sign-in is "
        "required, e.g. while the identity provider is down.",
    )
    oidc_issuer = forms.URLField(
        label="Issuer URL",
        required=False,
        max_length=400,
        assume_scheme="https",
        help_text="Checked when you save: Tandem reads "
        "<code>&lt;issuer&gt;/.well-known/openid-configuration</code>.",
    )
    oidc_client_id = forms.CharField(label="Client ID", required=False, max_length=200)
    oidc_client_secret = forms.CharField(
        label="Client secret",
        required=False,
        max_length=400,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to keep the stored secret.",
    )
    oidc_email_claim = forms.CharField(label="E-mail claim", max_length=100, initial="email")
    oidc_name_claim = forms.CharField(label="Name claim", max_length=100, initial="name")
    saml_idp_entity_id = forms.CharField(label="IdP entity ID", required=False, max_length=400)
    saml_metadata_url = forms.URLField(
        label="IdP metadata URL", required=False, max_length=400, assume_scheme="https"
    )
    saml_metadata_xml = forms.CharField(
        label="IdP metadata XML", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    saml_email_attribute = forms.CharField(label="E-mail attribute", max_length=200, initial="email")
    saml_name_attribute = forms.CharField(label="Name attribute", max_length=200, initial="name")

    @classmethod
    def initial_from(cls, connection: SsoConnection | None) -> dict:
        if connection is None:
            return {}
        initial = {name: getattr(connection, name) for name in cls.base_fields if hasattr(connection, name)}
        initial["oidc_client_secret"] = ""
        initial["break_glass_email"] = (
            connection.break_glass_user.email if connection.break_glass_user else ""
        )
        return initial


class ScimTokenForm(forms.Form):
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=120,
        help_text="Where the token is used, e.g. “Okta provisioning”.",
    )
