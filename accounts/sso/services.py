"""Company sign-in: saving a workspace's SSO connection, and the decisions a sign-in makes.

- ``sso_connection_save``: a talent manager sets up OpenID Connect (or SAML); the issuer's
  discovery document is fetched and checked before anything is written, so a wrong issuer
  is refused with the field named and the old connection stays as it was.
- ``sso_signin_check``: after the identity provider answered, before allauth logs anyone
  in: the e-mail claim is present and at one of the workspace's domains, a returning
  person is the one their (issuer, subject) identity points to, and a first sign-in is
  matched to an existing account only through a verified address on both sides.
- ``sso_login_complete``: after the login: just-in-time membership and the audit row.
- ``password_login_refusal``: the "SSO required" rule for password login and reset.

Every change and every sign-in writes an audit row (``accounts.audit.audit_record``).
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.access import require_talent_manager
from accounts.audit import audit_record
from accounts.models import Membership, SsoConnection, User, WorkspaceDomain
from accounts.sso.saml import saml_idp_from_metadata
from core.clock import now
from core.errors import Conflict, DomainError, ValidationFailed

CLAIM_NAME_MAX = 100
REQUIRED_DISCOVERY_KEYS = ("authorization_endpoint", "token_endpoint", "jwks_uri")


class SignInRefused(DomainError):
    """The identity provider answered, but Tandem will not sign this person in."""

    code = "sso_refused"
    status = 403


# --- reads --------------------------------------------------------------------------------


def email_domain(email: str) -> str:
    return (email or "").rpartition("@")[2].strip().lower()


def connection_for_workspace(organization_id) -> SsoConnection | None:
    return (
        SsoConnection.objects.select_related("organization", "break_glass_user")
        .filter(organization_id=organization_id)
        .first()
    )


def connection_for_provider(provider_id: str) -> SsoConnection | None:
    """The enabled connection whose allauth ``provider_id`` (the workspace slug) this is."""
    return (
        SsoConnection.objects.select_related("organization")
        .filter(organization__slug=provider_id, enabled=True)
        .first()
    )


def connection_for_email(email: str) -> SsoConnection | None:
    """The enabled connection of the workspace whose domain list holds the address's domain."""
    domain = email_domain(email)
    if not domain:
        return None
    row = WorkspaceDomain.objects.filter(domain__iexact=domain).values("organization_id").first()
    if row is None:
        return None
    connection = connection_for_workspace(row["organization_id"])
    return connection if connection is not None and connection.enabled else None


def claim_name(connection: SsoConnection) -> str:
    if connection.protocol == SsoConnection.Protocol.SAML:
        return connection.saml_email_attribute
    return connection.oidc_email_claim


def authorization_origin(connection: SsoConnection) -> str:
    """The scheme://host[:port] the identity provider's sign-in page is served from."""
    if connection.protocol == SsoConnection.Protocol.SAML:
        endpoint = urlsplit(connection.saml_idp.get("sso_url", ""))
    else:
        endpoint = urlsplit(
            connection.oidc_configuration.get("authorization_endpoint") or connection.oidc_issuer
        )
    return f"{endpoint.scheme}://{endpoint.netloc}"


# --- saving the connection -------------------------------------------------------------------


def _normalize_issuer(issuer: str) -> str:
    return (issuer or "").strip().rstrip("/")


def oidc_discover(issuer: str) -> dict:
    """Fetch and check ``<issuer>/.well-known/openid-configuration``. ``ValidationFailed`` on
    the ``oidc_issuer`` field when it cannot be fetched, is not JSON, names another issuer or
    lacks an endpoint sign-in needs."""

    def refuse(reason: str):
        return ValidationFailed(
            "The issuer could not be checked.",
            fields={"oidc_issuer": [reason]},
            code="oidc_issuer_invalid",
        )

    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.SOCIALACCOUNT_REQUESTS_TIMEOUT)
    except requests.RequestException as exc:
        raise refuse(
            f"{url} could not be reached ({exc.__class__.__name__}). Check the issuer URL."
        ) from None
    if response.status_code != 200:
        raise refuse(
            f"{url} answered HTTP {response.status_code}. Enter the issuer URL your identity "
            "provider shows, without /.well-known/openid-configuration."
        )
    try:
        document = response.json()
    except ValueError:
        raise refuse(f"{url} did not answer with an OpenID configuration (JSON).") from None
    if not isinstance(document, dict):
        raise refuse(f"{url} did not answer with an OpenID configuration (JSON object).")
    if _normalize_issuer(str(document.get("issuer", ""))) != issuer:
        raise refuse(
            f"The provider says its issuer is “{document.get('issuer', '')}”, not “{issuer}”. "
            "Enter exactly the issuer it names."
        )
    missing = [key for key in REQUIRED_DISCOVERY_KEYS if not document.get(key)]
    if missing:
        raise refuse(f"The provider's configuration has no {', '.join(missing)}.")
    return document


@dataclass(frozen=True)
class ConnectionInput:
    protocol: str = SsoConnection.Protocol.OIDC
    enabled: bool = False
    sso_required: bool = False
    break_glass_email: str = ""
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""  # empty keeps the stored secret
    oidc_email_claim: str = "email"
    oidc_name_claim: str = "name"
    saml_idp_entity_id: str = ""
    saml_metadata_url: str = ""
    saml_metadata_xml: str = ""
    saml_email_attribute: str = "email"
    saml_name_attribute: str = "name"


AUDITED_FIELDS = (
    "protocol",
    "enabled",
    "sso_required",
    "oidc_issuer",
    "oidc_client_id",
    "oidc_email_claim",
    "oidc_name_claim",
    "saml_idp_entity_id",
    "saml_metadata_url",
    "saml_email_attribute",
    "saml_name_attribute",
)


def _check_shape(data: ConnectionInput, *, organization_id, has_secret: bool) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if data.protocol not in SsoConnection.Protocol.values:
        errors["protocol"] = ["Choose OpenID Connect or SAML 2.0."]
    for field in ("oidc_email_claim", "oidc_name_claim", "saml_email_attribute", "saml_name_attribute"):
        value = getattr(data, field).strip()
        if not value or len(value) > CLAIM_NAME_MAX or any(ch.isspace() for ch in value):
            errors[field] = [
                f"Enter the claim or attribute name, one word of up to {CLAIM_NAME_MAX} characters."
            ]
    if data.sso_required and not data.enabled:
        errors["sso_required"] = ["Turn company sign-in on before requiring it."]
    if data.enabled and not WorkspaceDomain.objects.filter(organization_id=organization_id).exists():
        errors["enabled"] = [
            "Add your company's e-mail domain under “Allowed domains” first: the login page finds "
            "the workspace by it, and only addresses there may sign in."
        ]
    if data.protocol == SsoConnection.Protocol.OIDC and (data.enabled or data.oidc_issuer):
        if not data.oidc_issuer.strip().startswith(("https://", "http://")):
            errors["oidc_issuer"] = ["Enter the issuer URL, e.g. https://login.example.com/realms/acme."]
        if not data.oidc_client_id.strip():
            errors["oidc_client_id"] = ["Enter the client ID your identity provider gave Tandem."]
        if not (data.oidc_client_secret or has_secret):
            errors["oidc_client_secret"] = ["Enter the client secret your identity provider gave Tandem."]
    if data.protocol == SsoConnection.Protocol.SAML and (data.enabled or data.saml_idp_entity_id):
        if not data.saml_idp_entity_id.strip():
            errors["saml_idp_entity_id"] = [
                "Enter the identity provider's entity ID (its metadata names it)."
            ]
        if not (data.saml_metadata_url.strip() or data.saml_metadata_xml.strip()):
            errors["saml_metadata_url"] = ["Enter the metadata URL, or paste the metadata XML below."]
    return errors


def _break_glass(data: ConnectionInput, *, organization_id):
    email = data.break_glass_email.strip().lower()
    if not email:
        return None, {}
    membership = (
        Membership.objects.select_related("user")
        .filter(
            organization_id=organization_id,
            user__email=email,
            is_active=True,
            role=Membership.Role.TALENT_MANAGER,
        )
        .first()
    )
    if membership is None:
        return None, {
            "break_glass_email": ["Enter the e-mail address of an active talent manager of this workspace."]
        }
    return membership.user, {}


def sso_connection_save(*, actor, data: ConnectionInput) -> SsoConnection:
    """A talent manager saves the workspace's SSO connection. Everything is checked first —
    the fields, the break-glass account and (OpenID Connect) the issuer's discovery
    document — and only then written with one audit row listing what changed (a new
    client secret is recorded as changed, never its value). Nothing is written when a
    check fails."""
    membership = require_talent_manager(actor)
    organization_id = membership.organization_id
    current = connection_for_workspace(organization_id)
    errors = _check_shape(
        data, organization_id=organization_id, has_secret=bool(current and current.oidc_client_secret)
    )
    break_glass_user, break_glass_errors = _break_glass(data, organization_id=organization_id)
    errors.update(break_glass_errors)
    if errors:
        raise ValidationFailed("The company sign-in settings were not saved.", fields=errors)
    issuer = _normalize_issuer(data.oidc_issuer)
    configuration = current.oidc_configuration if current else {}
    if data.protocol == SsoConnection.Protocol.OIDC and issuer:
        configuration = oidc_discover(issuer)
    saml_idp = current.saml_idp if current else {}
    if data.protocol == SsoConnection.Protocol.SAML and data.saml_idp_entity_id.strip():
        saml_idp = saml_idp_from_metadata(
            entity_id=data.saml_idp_entity_id.strip(),
            metadata_url=data.saml_metadata_url.strip(),
            metadata_xml=data.saml_metadata_xml.strip(),
        )
    with transaction.atomic():
        connection = SsoConnection.objects.select_for_update().filter(
            organization_id=organization_id
        ).first() or SsoConnection(organization_id=organization_id)
        before = {field: getattr(connection, field) for field in AUDITED_FIELDS}
        before_break_glass = connection.break_glass_user_id
        connection.protocol = data.protocol
        connection.enabled = data.enabled
        connection.sso_required = data.sso_required
        connection.break_glass_user = break_glass_user
        connection.oidc_issuer = issuer
        connection.oidc_client_id = data.oidc_client_id.strip()
        secret_changed = (
            bool(data.oidc_client_secret) and data.oidc_client_secret != connection.oidc_client_secret
        )
        if data.oidc_client_secret:
            connection.oidc_client_secret = data.oidc_client_secret
        connection.oidc_email_claim = data.oidc_email_claim.strip()
        connection.oidc_name_claim = data.oidc_name_claim.strip()
        connection.oidc_configuration = configuration
        connection.saml_idp_entity_id = data.saml_idp_entity_id.strip()
        connection.saml_metadata_url = data.saml_metadata_url.strip()
        connection.saml_metadata_xml = data.saml_metadata_xml.strip()
        connection.saml_email_attribute = data.saml_email_attribute.strip()
        connection.saml_name_attribute = data.saml_name_attribute.strip()
        connection.saml_idp = saml_idp
        connection.updated_at = now()
        connection.updated_by = actor
        connection.save()
        changed = {
            field: {"from": before[field], "to": getattr(connection, field)}
            for field in AUDITED_FIELDS
            if before[field] != getattr(connection, field)
        }
        if before_break_glass != connection.break_glass_user_id:
            changed["break_glass"] = {"to": break_glass_user.email if break_glass_user else ""}
        if secret_changed:
            changed["oidc_client_secret"] = "changed"  # noqa: S105 (never the value)
        audit_record(
            organization_id=organization_id,
            actor=actor,
            action="sso.updated",
            target=connection,
            details={"changed": changed},
        )
    return connection


# --- signing in ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Claims:
    """What a sign-in learned from the identity provider, by the connection's claim names."""

    email: str
    email_verified: bool
    name: str


def claims_from(connection: SsoConnection, data: dict) -> Claims:
    if connection.protocol == SsoConnection.Protocol.SAML:
        # attributes are lists; a signed assertion of the workspace's own IdP vouches for
        # an address at the workspace's domains (checked in ``sso_signin_check``)
        def first(name):
            values = data.get(name) or [""]
            return str(values[0] if isinstance(values, list) else values).strip()

        return Claims(
            email=first(connection.saml_email_attribute).lower(),
            email_verified=True,
            name=first(connection.saml_name_attribute)[:150],
        )
    email = str(data.get(connection.oidc_email_claim) or "").strip().lower()
    verified = data.get("email_verified")
    name = str(data.get(connection.oidc_name_claim) or "").strip()[:150]
    return Claims(email=email, email_verified=verified is True or verified == "true", name=name)


def _refuse(connection: SsoConnection, *, reason: str, message: str, details: dict | None = None):
    audit_record(
        organization_id=connection.organization_id,
        actor=None,
        action="sso.login_refused",
        target=connection,
        details={"reason": reason, **(details or {})},
    )
    return SignInRefused(message, code=reason)


def _user_with_verified_email(email: str):
    address = EmailAddress.objects.select_related("user").filter(email__iexact=email, verified=True).first()
    return address.user if address is not None else None


def sso_signin_check(*, connection: SsoConnection, claims: Claims, existing_user=None):
    """Decide who this sign-in is, before anyone is logged in. ``existing_user`` is the
    person the (issuer, subject) identity is already linked to, if any. Returns the user
    to link a first sign-in to (an existing account, matched by an address verified both
    by the identity provider and in Tandem) or None for a new person. Raises
    ``SignInRefused`` (and writes a ``sso.login_refused`` audit row, nothing else) when the
    e-mail claim is missing, the address is at a domain that is not the workspace's, or the
    person belongs to another workspace."""
    workspace = connection.organization.name
    if not claims.email or "@" not in claims.email:
        raise _refuse(
            connection,
            reason="missing_email",
            message="Your identity provider did not send an e-mail address "
            f"(“{claim_name(connection)}”). "
            f"Ask {workspace}'s IT team to release it to Tandem.",
        )
    domain = email_domain(claims.email)
    if not WorkspaceDomain.objects.filter(
        organization_id=connection.organization_id, domain__iexact=domain
    ).exists():
        raise _refuse(
            connection,
            reason="foreign_domain",
            message=f"{claims.email} is not at one of {workspace}'s e-mail domains, "
            "so it cannot sign in here.",
            details={"domain": domain},
        )
    user = existing_user
    link_to = None
    if user is None:
        same_address = User.objects.filter(email__iexact=claims.email).first()
        if same_address is not None:
            verified_user = _user_with_verified_email(claims.email) if claims.email_verified else None
            if verified_user is None or verified_user.pk != same_address.pk:
                raise _refuse(
                    connection,
                    reason="unverified_email",
                    message=f"A Tandem account with {claims.email} exists, but the address is not verified "
                    "on both sides, so it cannot be linked to your company account. Sign in with your "
                    "password once to verify it, or ask a talent manager.",
                )
            user = link_to = same_address
    if user is not None:
        membership = Membership.objects.filter(user=user).first()
        if membership is not None and membership.organization_id != connection.organization_id:
            raise _refuse(
                connection,
                reason="other_workspace",
                message="This account belongs to another Tandem workspace; a person can be in only one.",
            )
    return link_to


def sso_login_complete(*, connection: SsoConnection, user, claims: Claims) -> Membership:
    """After a company sign-in: the person's membership (created just in time on their
    first sign-in, with the name from the claims) and the ``sso.login`` audit row."""
    with transaction.atomic():
        membership = Membership.objects.filter(user=user).first()
        provisioned = membership is None
        if provisioned:
            try:
                with transaction.atomic():
                    membership = Membership.objects.create(
                        user=user, organization_id=connection.organization_id
                    )
            except IntegrityError:
                raise Conflict("You already belong to a workspace; a person can be in only one.") from None
            if claims.name and not user.full_name:
                user.full_name = claims.name
                user.save(update_fields=["full_name"])
            EmailAddress.objects.filter(user=user, email__iexact=claims.email).update(verified=True)
            audit_record(
                organization_id=connection.organization_id,
                actor=user,
                action="member.joined",
                target=membership,
                details={"via": "sso"},
            )
        audit_record(
            organization_id=connection.organization_id,
            actor=user,
            action="sso.login",
            target=connection,
            details={"user_id": user.pk, "email": user.email, "provisioned": provisioned},
        )
    return membership


# --- SSO required ------------------------------------------------------------------------------


def password_login_refusal(user) -> str | None:
    """Why this person may not use a password (login or reset), or None when they may: a
    member of a workspace that requires company sign-in, other than its break-glass account."""
    membership = Membership.objects.filter(user=user).select_related("organization").first()
    if membership is None:
        return None
    connection = connection_for_workspace(membership.organization_id)
    if connection is None or not connection.sso_required or not connection.enabled:
        return None
    if connection.break_glass_user_id == user.pk:
        return None
    return (
        f"{membership.organization.name} signs in with its company account. On the sign-in page, "
        "enter your work e-mail under “Company sign-in”, choose “Use company sign-in”, "
        "then “Continue with your company account”."
    )
