"""Forms for the workspace pages. They parse and check shapes; the rules
(unique domains, last talent manager, ...) live in accounts.services.workspaces,
whose field errors the views put back on these forms (``core.html_errors.run_form``)."""

import re

from django import forms

from accounts.models import Membership, Organization
from accounts.services.workspaces import INVITE_MAX_DAYS, INVITE_MAX_USES, INVITE_MIN_DAYS


class WorkspaceCreateForm(forms.Form):
    name = forms.CharField(
        label="Workspace name",
        max_length=120,
        help_text="Usually your company or team, e.g. “Acme Engineering”.",
    )
    domains = forms.CharField(
        label="Allowed e-mail domains (optional)",
        required=False,
        max_length=1000,
        help_text="People with a verified address at these domains can join without an invite. "
        "Separate several with commas, e.g. “acme.com, acme.io”.",
    )

    def clean_domains(self):
        raw = self.cleaned_data.get("domains", "")
        return [part for part in re.split(r"[\s,;]+", raw) if part]


class InviteCreateForm(forms.Form):
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=200,
        help_text="Who the link is for, e.g. “Spring interns”. Only talent managers see it.",
    )
    expires_in_days = forms.IntegerField(
        label="Valid for (days)",
        min_value=INVITE_MIN_DAYS,
        max_value=INVITE_MAX_DAYS,
        initial=14,
        help_text=f"Between {INVITE_MIN_DAYS} and {INVITE_MAX_DAYS} days.",
        error_messages={
            "min_value": f"Choose between {INVITE_MIN_DAYS} and {INVITE_MAX_DAYS} days.",
            "max_value": f"Choose between {INVITE_MIN_DAYS} and {INVITE_MAX_DAYS} days.",
            "required": "Say how many days the link should work.",
            "invalid": "Enter a whole number of days.",
        },
    )
    max_uses = forms.IntegerField(
        label="Maximum uses (optional)",
        required=False,
        min_value=1,
        max_value=INVITE_MAX_USES,
        help_text="Leave empty for no limit.",
        error_messages={
            "min_value": f"Leave empty for no limit, or enter 1 to {INVITE_MAX_USES}.",
            "max_value": f"Leave empty for no limit, or enter 1 to {INVITE_MAX_USES}.",
            "invalid": "Enter a whole number, or leave empty for no limit.",
        },
    )


class DomainAddForm(forms.Form):
    domain = forms.CharField(
        label="E-mail domain",
        max_length=253,
        help_text="For example acme.com. A domain can belong to one workspace only.",
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices)


class MemberSearchForm(forms.Form):
    q = forms.CharField(label="Search members", required=False, max_length=100)


class SecurityPolicyForm(forms.Form):
    mfa_policy = forms.ChoiceField(
        label="Two-factor authentication",
        choices=Organization.MfaPolicy.choices,
        widget=forms.RadioSelect,
        help_text="People it applies to must set up an authenticator app before they can use Tandem.",
    )
