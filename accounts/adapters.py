from allauth.account.adapter import DefaultAccountAdapter
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

# The invite token an anonymous visitor arrived with (set on /join/<token>/),
# consumed on their next login — including the login right after e-mail
# verification — so they land in the workspace without clicking the link again.
PENDING_INVITE_SESSION_KEY = "tandem_pending_invite"


class AccountAdapter(DefaultAccountAdapter):
    """Send people without a workspace to the workspace step, and people who
    have not finished onboarding to onboarding. A pending invite link is used
    as soon as the person logs in."""

    def pre_login(self, request, user, **kwargs):
        # "SSO required": only a company sign-in (or the workspace's break-glass account)
        # logs a member in; allauth passes the social login in signal_kwargs.
        if not (kwargs.get("signal_kwargs") or {}).get("sociallogin"):
            from accounts.sso.services import password_login_refusal

            refusal = password_login_refusal(user)
            if refusal:
                from allauth.account.internal.stagekit import clear_login

                clear_login(request)
                messages.error(request, refusal)
                return redirect("account_login")
        return super().pre_login(request, user, **kwargs)

    def add_message(
        self, request, level, message_template=None, message_context=None, extra_tags="", message=None
    ):
        # "Confirmation email sent to …" after sign-up was shown for a new address but
        # not when the per-address mail limit skipped the send (an address signed up
        # moments ago): the difference told whether an address was registered. The
        # page sign-up lands on says the same for everyone, so the flash is dropped.
        if message_template == "account/messages/email_confirmation_sent.txt" and (message_context or {}).get(
            "signup"
        ):
            return
        super().add_message(request, level, message_template, message_context, extra_tags, message)

    def save_user(self, request, user, form, commit=True):
        # the name from the sign-up form (accounts.forms.signup), stored with the user
        name = getattr(form, "cleaned_data", {}).get("full_name")
        if name:
            user.full_name = name
        return super().save_user(request, user, form, commit=commit)

    def post_login(self, request, user, **kwargs):
        sociallogin = (kwargs.get("signal_kwargs") or {}).get("sociallogin")
        if sociallogin is not None:
            from allauth.socialaccount.adapter import get_adapter as get_social_adapter

            get_social_adapter(request).sign_in_completed(request, sociallogin, user)
        else:
            self._accept_pending_invite(request, user)
        return super().post_login(request, user, **kwargs)

    def send_password_reset_mail(self, user, email, context):
        # "SSO required": the reset mail says where to sign in instead of carrying a link
        # (the page answers the same either way, so nobody learns who is a member).
        from accounts.sso.services import password_login_refusal

        refusal = password_login_refusal(user)
        if refusal:
            context = {**context, "refusal": refusal, "password_reset_url": ""}
            return self.send_mail("account/email/password_reset_sso_required", email, context)
        return super().send_password_reset_mail(user, email, context)

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
