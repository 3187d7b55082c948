"""A workspace's single sign-on connection (imported into ``accounts.models``)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.clock import now


class SsoConnection(models.Model):
    """How a workspace's people sign in with their company account.

    The allauth ``SocialApp`` for the workspace is built from this row on each request
    (``accounts.sso.socialaccount``); its ``provider_id`` is the workspace slug, so the
    IdP's redirect URI is ``/accounts/oidc/<slug>/login/callback/`` (OIDC) or
    ``/accounts/saml/<slug>/acs/`` (SAML)."""

    class Protocol(models.TextChoices):
        OIDC = "oidc", "OpenID Connect"
        SAML = "saml", "SAML 2.0"

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="sso_connection"
    )
    protocol = models.CharField(max_length=4, choices=Protocol.choices, default=Protocol.OIDC)
    enabled = models.BooleanField(default=False)
    sso_required = models.BooleanField(default=False)
    break_glass_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # OpenID Connect
    oidc_issuer = models.URLField(max_length=400, blank=True)
    oidc_client_id = models.CharField(max_length=200, blank=True)
    oidc_client_secret = models.CharField(max_length=400, blank=True)
    oidc_email_claim = models.CharField(max_length=100, default="email")
    oidc_name_claim = models.CharField(max_length=100, default="name")
    # the issuer's discovery document as checked when the connection was saved
    oidc_configuration = models.JSONField(default=dict, blank=True, editable=False)
    # SAML 2.0
    saml_idp_entity_id = models.CharField(max_length=400, blank=True)
    saml_metadata_url = models.URLField(max_length=400, blank=True)
    saml_metadata_xml = models.TextField(blank=True)
    saml_email_attribute = models.CharField(max_length=200, default="email")
    saml_name_attribute = models.CharField(max_length=200, default="name")
    # the IdP's entity ID, sign-in URL and signing certificates, read from its metadata when saved
    saml_idp = models.JSONField(default=dict, blank=True, editable=False)
    updated_at = models.DateTimeField(default=now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(sso_required=False) | Q(enabled=True),
                name="sso_required_needs_enabled_connection",
            ),
        ]

    def __str__(self):
        state = "on" if self.enabled else "off"
        return f"{self.get_protocol_display()} sign-in for {self.organization} ({state})"

    @property
    def provider_id(self) -> str:
        return self.organization.slug
