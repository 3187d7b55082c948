from allauth.account.adapter import DefaultAccountAdapter
from django.contrib import messages
from django.urls import reverse

# The invite token an anonymous visitor arrived with (set on /join/<token>/),
# consumed on their next login — including the login right after e-mail
# verification — so they land in the workspace without clicking the link again.
PENDING_INVITE_SESSION_KEY = "tandem_pending_invite"


class AccountAdapter(DefaultAccountAdapter):
    """Send people without a workspace to the workspace step, and people who
    have not finished onboarding to onboarding. A pending invite link is used
    as soon as the person logs in."""

    def save_user(self, request, user, form, commit=True):
        # the name from the sign-up form (accounts.forms.signup), stored with the user
        name = getattr(form, "cleaned_data", {}).get("full_name")
        if name:
            user.full_name = name
        return super().save_user(request, user, form, commit=commit)

    def post_login(self, request, user, **kwargs):
        self._accept_pending_invite(request, user)
        return super().post_login(request, user, **kwargs)

    def _accept_pending_invite(self, request, user):
        token = request.session.pop(PENDING_INVITE_SESSION_KEY, None)
        if not token:
            return
        from accounts.access import active_membership
        from accounts.services.workspaces import invite_accept
        from core.errors import DomainError

        if active_membership(user) is not None:
            return  # already somewhere; the invite page explains it if they open the link again
        try:
            membership = invite_accept(user=user, token=token)
        except DomainError as exc:
            messages.error(request, exc.message)
            return
        messages.success(request, f"Welcome to {membership.organization.name}!")

    def get_login_redirect_url(self, request):
        from accounts.access import active_membership

        user = request.user
        membership = active_membership(user)
        if membership is None:
            return reverse("accounts:workspace_start")
        if user.profile.onboarded_at is None:
            return reverse("accounts:onboarding")
        return super().get_login_redirect_url(request)

    def get_signup_redirect_url(self, request):
        return self.get_login_redirect_url(request)
