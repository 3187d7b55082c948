"""allauth's socialaccount adapter for company sign-in.

No provider is configured in settings: each workspace's enabled ``SsoConnection`` is an
allauth ``SocialApp`` built from its row when a request asks for it (``list_apps``), with
the workspace slug as ``provider_id``. The login page lists no provider (which company a
visitor works for is found from their e-mail domain, ``accounts.sso.views``).

``pre_social_login`` hands the identity provider's answer to ``sso_signin_check``, and
refuses with a page that says why; ``AccountAdapter.post_login`` completes the sign-in
(just-in-time membership, audit) through ``sso_login_complete``.
"""

from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.shortcuts import render

from accounts.models import SsoConnection
from accounts.sso.saml import saml_app_settings
from accounts.sso.services import (
    SignInRefused,
    claims_from,
    connection_for_provider,
    sso_login_complete,
    sso_signin_check,
)

REFUSED_TEMPLATE = "accounts/sso/refused.html"


def social_app(connection: SsoConnection) -> SocialApp:
    """The allauth app of a workspace's connection (not saved: built per request)."""
    if connection.protocol == SsoConnection.Protocol.SAML:
        return SocialApp(
            provider="saml",
            provider_id=connection.provider_id,
            name=connection.organization.name[:40],
            client_id=connection.provider_id,
            settings=saml_app_settings(connection),
        )
    return SocialApp(
        provider="openid_connect",
        provider_id=connection.provider_id,
        name=connection.organization.name[:40],
        client_id=connection.oidc_client_id,
        secret=connection.oidc_client_secret,
        settings={
            "server_url": connection.oidc_issuer,
            "oauth_pkce_enabled": True,
            "fetch_userinfo": True,
        },
    )


def identity_claims(extra_data: dict) -> dict:
    """The claims allauth kept for an OpenID Connect login: userinfo over the ID token."""
    return extra_data.get("userinfo") or extra_data.get("id_token") or extra_data


def refused_page(request, message: str, *, status: int = 403):
    return render(request, REFUSED_TEMPLATE, {"message": message}, status=status)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request, provider=None, client_id=None):
        if not provider:
            return []
        # allauth asks by provider_id (OpenID Connect) or by "saml" and the slug as client_id
        connection = connection_for_provider(client_id if provider == "saml" else provider)
        if connection is None:
            return []
        app = social_app(connection)
        if provider not in (app.provider, app.provider_id) or (client_id and client_id != app.client_id):
            return []
        return [app]

    def pre_social_login(self, request, sociallogin):
        connection = connection_for_provider(sociallogin.account.provider)
        if connection is None:
            raise ImmediateHttpResponse(
                refused_page(request, "Company sign-in is turned off for this workspace.")
            )
        claims = claims_from(connection, identity_claims(sociallogin.account.extra_data))
        existing = sociallogin.user if sociallogin.is_existing else None
        try:
            link_to = sso_signin_check(connection=connection, claims=claims, existing_user=existing)
        except SignInRefused as exc:
            raise ImmediateHttpResponse(refused_page(request, exc.message)) from None
        if link_to is not None:
            sociallogin.connect(request, link_to)
        elif existing is None:
            # a new person signs up with exactly the claimed address and name
            sociallogin.email_addresses = [EmailAddress(email=claims.email, verified=True, primary=True)]
            sociallogin.user.email = claims.email
            sociallogin.user.full_name = claims.name

    def sign_in_completed(self, request, sociallogin, user):
        """Called by ``AccountAdapter.post_login`` after a company sign-in."""
        connection = connection_for_provider(sociallogin.account.provider)
        if connection is None:
            return
        claims = claims_from(connection, identity_claims(sociallogin.account.extra_data))
        sso_login_complete(connection=connection, user=user, claims=claims)

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        user.full_name = (data.get("name") or "")[:150]
        return user

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        reason = f" ({type(exception).__name__})" if exception else ""
        raise ImmediateHttpResponse(
            refused_page(
                request,
                "Your company sign-in did not complete: the identity provider's answer could not be "
                f"verified{reason}. Start again from the sign-in page.",
                status=400,
            )
        )
