"""allauth's password forms with the "SSO required" rule of the person's workspace.

The login form and the reset mail already refuse a member of a workspace that signs in
with its company account; these forms close the other ways to a password: a reset link
mailed before the workspace required company sign-in, and the in-product "change" and
"set" password pages of someone already signed in.
"""

from allauth.account.forms import ChangePasswordForm, ResetPasswordKeyForm, SetPasswordForm
from django import forms

from accounts.sso.services import password_login_refusal


class _SsoRequiredMixin:
    def clean(self):
        cleaned = super().clean()
        refusal = password_login_refusal(self.user) if self.user is not None else None
        if refusal:
            raise forms.ValidationError(refusal, code="sso_required")
        return cleaned


class SsoAwareChangePasswordForm(_SsoRequiredMixin, ChangePasswordForm):
    pass


class SsoAwareSetPasswordForm(_SsoRequiredMixin, SetPasswordForm):
    pass


class SsoAwareResetPasswordKeyForm(_SsoRequiredMixin, ResetPasswordKeyForm):
    pass
