from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    """Send people without a workspace to the workspace step, and people who
    have not finished onboarding to onboarding."""

    def get_login_redirect_url(self, request):
        user = request.user
        membership = getattr(user, "membership", None)
        if membership is None or not membership.is_active:
            return reverse("accounts:workspace_start")
        if user.profile.onboarded_at is None:
            return reverse("accounts:onboarding")
        return super().get_login_redirect_url(request)

    def get_signup_redirect_url(self, request):
        return self.get_login_redirect_url(request)
