"""The workspace security policy: who must use two-factor authentication.

A talent manager sets ``Organization.mfa_policy`` (``accounts.services.security``):
off, talent managers, or everyone. ``mfa_missing(membership)`` says whether the
person must still enrol; it is enforced on every page (``MfaRequiredMiddleware``:
signed in, the person is sent to set up TOTP and can reach nothing else but
the account pages), on the REST API (``accounts.permissions``: 403 with code
``mfa_required``) and on the socket (``messaging.sockets.consumers``: closed with
4428 at connect, and every open socket of a person a new policy catches is closed
with 4428 when the policy is saved), so it holds from the first request after login.
"""

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.access import active_membership, membership_of
from accounts.models import Membership, Organization

MFA_REQUIRED_CODE = "mfa_required"
MFA_REQUIRED_MESSAGE = "Your workspace requires two-factor authentication: set it up to continue."
# reachable without MFA: sign-in and account pages (where TOTP is set up), static files, probes
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz")


def policy_requires(policy: str, role: str) -> bool:
    """The workspace ``policy`` requires MFA of a member with this ``role``."""
    if policy == Organization.MfaPolicy.EVERYONE:
        return True
    return policy == Organization.MfaPolicy.TALENT_MANAGERS and role == Membership.Role.TALENT_MANAGER


def mfa_required(membership: Membership | None) -> bool:
    if membership is None:
        return False
    return policy_requires(membership.organization.mfa_policy, membership.role)


def mfa_enrolled(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def mfa_missing(membership: Membership | None) -> bool:
    """The policy requires MFA of this member and they have not enrolled yet."""
    return mfa_required(membership) and not mfa_enrolled(membership.user)


def mfa_missing_for(user) -> bool:
    """``mfa_missing`` for code without a request (the socket's connect)."""
    return mfa_missing(active_membership(user))


class MfaRequiredMiddleware:
    """Pages: a member the policy requires MFA of, without it, is sent to set it up.
    The API answers through ``accounts.permissions`` (token requests are
    authenticated there, after middleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        path = request.path
        if (
            user is not None
            and user.is_authenticated
            and not path.startswith(EXEMPT_PREFIXES)
            and mfa_missing(membership_of(request))
        ):
            if path.startswith("/api/"):
                from core.api_errors import error_body

                return JsonResponse(error_body(MFA_REQUIRED_CODE, MFA_REQUIRED_MESSAGE), status=403)
            messages.warning(request, MFA_REQUIRED_MESSAGE)
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
