"""Writes about workspaces: creating and joining them, invite links, the domain
allow-list, roles, deactivation, and ending a user's sessions.

Every service owns its transaction: it validates first, then writes, so a
failure leaves nothing half-saved. Every talent-manager action writes an audit
row (``accounts.audit.audit_record``) in the same transaction. Side effects that
leave the database (the "session.revoked" doorbell, through ``core.realtime``)
run after commit.

Talent-manager services take the acting ``actor`` (a user), check that they
are an active talent manager (``accounts.access.require_talent_manager``), and
reach targets only inside the actor's workspace (``NotFound`` otherwise, the
same as a missing id).
"""

import re
from datetime import timedelta
from types import SimpleNamespace

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from accounts.access import require_talent_manager
from accounts.audit import audit_record
from accounts.models import (
    InviteLink,
    Membership,
    Organization,
    WorkspaceDomain,
)
from accounts.selectors import workspaces as selectors
from accounts.services.sessions import SessionEnd, sessions_end
from core.clock import now
from core.errors import Conflict, NotFound, ValidationFailed

INVITE_MIN_DAYS = 1
INVITE_MAX_DAYS = 90
INVITE_MAX_USES = 10_000
MAX_DOMAINS_AT_CREATE = 10

_DOMAIN_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
DOMAIN_RE = re.compile(rf"^(?:{_DOMAIN_LABEL}\.)+[a-z]{{2,63}}$")

# Addresses at these providers say nothing about which company someone works
# for; allowing them would let every user of the provider into the workspace.
PUBLIC_EMAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "web.de",
        "mail.com",
        "yandex.ru",
        "qq.com",
    }
)

ALREADY_MEMBER = "You already belong to a workspace; a person can be in only one."


# --- helpers -------------------------------------------------------------------


def _lock_organization(organization_id) -> Organization:
    """Serialize role and activation changes inside one workspace, so two
    managers demoting each other at once cannot leave it without a manager."""
    return Organization.objects.select_for_update().get(pk=organization_id)


def normalize_domain(raw: str) -> str:
    """Lower-case a domain typed by a person ("@Example.COM " -> "example.com")."""
    domain = (raw or "").strip().lower()
    if domain.startswith("@"):
        domain = domain[1:]
    return domain.rstrip(".")


def validate_domain(raw: str, *, field: str = "domain") -> str:
    """The normalized domain, or ``ValidationFailed`` naming the field and the fix."""
    domain = normalize_domain(raw)
    if not domain:
        raise ValidationFailed("Enter a domain.", fields={field: ["Enter a domain such as example.com."]})
    if len(domain) > 253 or not DOMAIN_RE.match(domain):
        raise ValidationFailed(
            "That is not a valid e-mail domain.",
            fields={field: [f"“{raw.strip()}” is not a domain; enter something like example.com."]},
        )
    if domain in PUBLIC_EMAIL_DOMAINS:
        raise ValidationFailed(
            "Public e-mail providers cannot be allow-listed.",
            fields={
                field: [
                    f"{domain} is a public e-mail provider; anyone could join. "
                    "Use your organization's own domain, or invite links."
                ]
            },
        )
    return domain


def _check_domain_free(domain: str, *, organization_id=None, field: str = "domain") -> None:
    existing = WorkspaceDomain.objects.filter(domain__iexact=domain).first()
    if existing is None:
        return
    if organization_id is not None and existing.organization_id == organization_id:
        raise Conflict(
            "That domain is already on the list.",
            fields={field: [f"{domain} is already on this workspace's allow-list."]},
        )
    raise Conflict(
        "That domain belongs to another workspace.",
        fields={field: [f"{domain} is already used by another workspace; a domain can belong to one only."]},
    )


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50].strip("-") or "workspace"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


# --- creating and joining ----------------------------------------------------------


def workspace_create(*, user, name: str, domains: list[str] | tuple[str, ...] = ()) -> Organization:
    """Create a workspace; the creator becomes its (first) talent manager.

    Optional ``domains`` go on the allow-list. Raises ``ValidationFailed`` for a
    blank/long name or a bad domain, ``Conflict`` if the user already belongs to
    a workspace or a domain is taken."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Give the workspace a name.", fields={"name": ["Enter a workspace name."]})
    if len(name) > 120:
        raise ValidationFailed(
            "The name is too long.", fields={"name": ["Use at most 120 characters for the name."]}
        )
    clean_domains: list[str] = []
    for raw in domains:
        if not (raw or "").strip():
            continue
        domain = validate_domain(raw, field="domains")
        if domain not in clean_domains:
            clean_domains.append(domain)
    if len(clean_domains) > MAX_DOMAINS_AT_CREATE:
        raise ValidationFailed(
            "Too many domains.",
            fields={"domains": [f"List at most {MAX_DOMAINS_AT_CREATE} domains; add more later."]},
        )
    if Membership.objects.filter(user=user).exists():
        raise Conflict(ALREADY_MEMBER)
    for domain in clean_domains:
        _check_domain_free(domain, field="domains")
    try:
        with transaction.atomic():
            organization = Organization.objects.create(name=name, slug=_unique_slug(name), created_by=user)
            membership = Membership.objects.create(
                user=user, organization=organization, role=Membership.Role.TALENT_MANAGER
            )
            for domain in clean_domains:
                WorkspaceDomain.objects.create(organization=organization, domain=domain)
            audit_record(
                organization_id=organization.pk,
                actor=user,
                action="workspace.created",
                target=organization,
                details={"name": name, "domains": clean_domains},
            )
            audit_record(
                organization_id=organization.pk,
                actor=user,
                action="member.joined",
                target=membership,
                details={"via": "created", "role": membership.role},
            )
    except IntegrityError:
        # A concurrent request made a membership, slug or domain first.
        if Membership.objects.filter(user=user).exists():
            raise Conflict(ALREADY_MEMBER) from None
        raise Conflict(
            "Someone else just claimed that name or domain; try again.",
            fields={"name": ["Try again, or pick a slightly different name."]},
        ) from None
    return organization


def _join(*, user, organization, via: str, invited_by=None, details=None) -> Membership:
    membership = Membership.objects.create(
        user=user, organization=organization, role=Membership.Role.MEMBER, invited_by=invited_by
    )
    audit_record(
        organization_id=organization.pk,
        actor=user,
        action="member.joined",
        target=membership,
        details={"via": via, **(details or {})},
    )
    return membership


def workspace_join_by_domain(*, user, organization_id) -> Membership:
    """Join the workspace whose allow-list holds one of the user's VERIFIED
    e-mail domains. ``NotFound`` if the workspace does not allow the user (same
    as missing); ``Conflict`` if the user already belongs to a workspace."""
    if Membership.objects.filter(user=user).exists():
        raise Conflict(ALREADY_MEMBER)
    organization = selectors.joinable_workspaces(user).filter(pk=organization_id).first()
    if organization is None:
        raise NotFound("There is no workspace you can join with your verified e-mail address.")
    try:
        with transaction.atomic():
            return _join(user=user, organization=organization, via="domain")
    except IntegrityError:
        raise Conflict(ALREADY_MEMBER) from None


def invite_accept(*, user, token: str) -> Membership:
    """Join through an invite link. The link row is locked while a use is
    consumed, so ``max_uses`` holds under concurrent joins.

    ``NotFound`` (code ``invite_unusable``) for unknown, expired, revoked and
    used-up links alike; ``Conflict`` if the user already belongs to a workspace."""
    if Membership.objects.filter(user=user).exists():
        raise Conflict(ALREADY_MEMBER)
    try:
        with transaction.atomic():
            invite = InviteLink.objects.select_for_update().filter(token=token).first() if token else None
            if invite is None or invite.status != "active":
                raise NotFound(
                    "This invite link cannot be used any more. Ask a talent manager for a new one.",
                    code="invite_unusable",
                )
            invite.use_count += 1
            invite.save(update_fields=["use_count"])
            return _join(
                user=user,
                organization=invite.organization,
                via="invite",
                invited_by=invite.created_by,
                details={"invite_id": invite.pk},
            )
    except IntegrityError:
        raise Conflict(ALREADY_MEMBER) from None


# --- invite links --------------------------------------------------------------------


def invite_create(
    *, actor, note: str = "", expires_in_days: int = 14, max_uses: int | None = None
) -> InviteLink:
    """A talent manager makes a shareable invite link (1–90 days, optional use cap)."""
    membership = require_talent_manager(actor)
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if len(note) > 200:
        errors["note"] = ["Keep the note to 200 characters or fewer."]
    if not isinstance(expires_in_days, int) or not INVITE_MIN_DAYS <= expires_in_days <= INVITE_MAX_DAYS:
        errors["expires_in_days"] = [f"Choose between {INVITE_MIN_DAYS} and {INVITE_MAX_DAYS} days."]
    if max_uses is not None and (not isinstance(max_uses, int) or not 1 <= max_uses <= INVITE_MAX_USES):
        errors["max_uses"] = [f"Leave empty for no limit, or enter 1 to {INVITE_MAX_USES}."]
    if errors:
        raise ValidationFailed("The invite link could not be created.", fields=errors)
    with transaction.atomic():
        invite = InviteLink.objects.create(
            organization=membership.organization,
            created_by=actor,
            note=note,
            expires_at=now() + timedelta(days=expires_in_days),
            max_uses=max_uses,
        )
        audit_record(
            organization_id=membership.organization_id,
            actor=actor,
            action="invite.created",
            target=invite,
            details={"note": note, "expires_in_days": expires_in_days, "max_uses": max_uses},
        )
    return invite


def invite_revoke(*, actor, invite_id) -> InviteLink:
    """Revoke an invite link of the actor's workspace (idempotent: revoking twice is a no-op)."""
    membership = require_talent_manager(actor)
    with transaction.atomic():
        invite = selectors.access_invite(viewer_membership=membership, invite_id=invite_id)
        invite = InviteLink.objects.select_for_update().get(pk=invite.pk)
        if invite.revoked_at is None:
            invite.revoked_at = now()
            invite.save(update_fields=["revoked_at"])
            audit_record(
                organization_id=membership.organization_id,
                actor=actor,
                action="invite.revoked",
                target=invite,
                details={"note": invite.note, "use_count": invite.use_count},
            )
    return invite


# --- domain allow-list ------------------------------------------------------------------


def domain_add(*, actor, domain: str) -> WorkspaceDomain:
    """Put an e-mail domain on the actor's workspace allow-list."""
    membership = require_talent_manager(actor)
    domain = validate_domain(domain)
    _check_domain_free(domain, organization_id=membership.organization_id)
    try:
        with transaction.atomic():
            row = WorkspaceDomain.objects.create(organization=membership.organization, domain=domain)
            audit_record(
                organization_id=membership.organization_id,
                actor=actor,
                action="domain.added",
                target=row,
                details={"domain": domain},
            )
    except IntegrityError:
        _check_domain_free(domain, organization_id=membership.organization_id)
        raise
    return row


def domain_remove(*, actor, domain_id) -> None:
    membership = require_talent_manager(actor)
    with transaction.atomic():
        row = selectors.access_domain(viewer_membership=membership, domain_id=domain_id)
        audit_record(
            organization_id=membership.organization_id,
            actor=actor,
            action="domain.removed",
            target=row,
            details={"domain": row.domain},
        )
        row.delete()


# --- roles and activation ---------------------------------------------------------------


def _other_active_managers(membership: Membership) -> int:
    return (
        Membership.objects.filter(
            organization_id=membership.organization_id,
            role=Membership.Role.TALENT_MANAGER,
            is_active=True,
        )
        .exclude(pk=membership.pk)
        .count()
    )


def member_change_role(*, actor, membership_id, role: str) -> Membership:
    """Make a member a talent manager or back. A workspace always keeps at
    least one active talent manager."""
    acting = require_talent_manager(actor)
    if role not in Membership.Role.values:
        raise ValidationFailed("Unknown role.", fields={"role": ["Choose “Member” or “Talent manager”."]})
    with transaction.atomic():
        _lock_organization(acting.organization_id)
        target = selectors.access_membership(viewer_membership=acting, membership_id=membership_id)
        if target.role == role:
            return target
        if (
            target.role == Membership.Role.TALENT_MANAGER
            and target.is_active
            and _other_active_managers(target) == 0
        ):
            raise ValidationFailed(
                "A workspace needs at least one talent manager.",
                fields={
                    "role": ["You are the last talent manager; make someone else a talent manager first."]
                },
                code="last_talent_manager",
            )
        previous = target.role
        target.role = role
        target.save(update_fields=["role"])
        audit_record(
            organization_id=acting.organization_id,
            actor=actor,
            action="member.role_changed",
            target=target,
            details={"user_id": target.user_id, "email": target.user.email, "from": previous, "to": role},
        )
    return target


def _acting_scope(*, actor, provisioned_by) -> Membership | SimpleNamespace:
    """Who may change a membership's activation: a talent manager of the workspace, or
    the workspace's identity provider (SCIM; ``provisioned_by`` is its ``ScimToken``,
    and the audit row then has no actor)."""
    if provisioned_by is not None:
        return SimpleNamespace(organization_id=provisioned_by.organization_id)
    return require_talent_manager(actor)


def member_deactivate(*, actor, membership_id, provisioned_by=None) -> Membership:
    """Deactivate a member and end all of their sessions at once: the user is
    made inactive (so existing session cookies authenticate no one), their
    sessions and API tokens are deleted, and after commit their open sockets
    are told to close. Their history and trust evidence stay. SCIM deactivation
    comes through here too (``provisioned_by``, see ``_acting_scope``)."""
    acting = _acting_scope(actor=actor, provisioned_by=provisioned_by)
    with transaction.atomic():
        _lock_organization(acting.organization_id)
        target = selectors.access_membership(viewer_membership=acting, membership_id=membership_id)
        if not target.is_active:
            return target
        if target.role == Membership.Role.TALENT_MANAGER and _other_active_managers(target) == 0:
            raise ValidationFailed(
                "A workspace needs at least one active talent manager.",
                fields={
                    "membership": [
                        "You are the last talent manager; make someone else a talent manager "
                        "before deactivating this account."
                    ]
                },
                code="last_talent_manager",
            )
        target.is_active = False
        target.deactivated_at = now()
        target.save(update_fields=["is_active", "deactivated_at"])
        user = target.user
        user.is_active = False
        user.save(update_fields=["is_active"])
        revoked = sessions_end(user_id=user.pk, reason=SessionEnd.DEACTIVATED)
        audit_record(
            organization_id=acting.organization_id,
            actor=actor,
            action="member.deactivated",
            target=target,
            details={
                "user_id": user.pk,
                "email": user.email,
                "sessions_ended": revoked,
                **({"via": "scim", "scim_token": provisioned_by.prefix} if provisioned_by else {}),
            },
        )
    return target


def member_reactivate(*, actor, membership_id, provisioned_by=None) -> Membership:
    acting = _acting_scope(actor=actor, provisioned_by=provisioned_by)
    with transaction.atomic():
        _lock_organization(acting.organization_id)
        target = selectors.access_membership(viewer_membership=acting, membership_id=membership_id)
        if target.is_active:
            return target
        target.is_active = True
        target.deactivated_at = None
        target.save(update_fields=["is_active", "deactivated_at"])
        user = target.user
        user.is_active = True
        user.save(update_fields=["is_active"])
        audit_record(
            organization_id=acting.organization_id,
            actor=actor,
            action="member.reactivated",
            target=target,
            details={
                "user_id": user.pk,
                "email": user.email,
                **({"via": "scim", "scim_token": provisioned_by.prefix} if provisioned_by else {}),
            },
        )
    return target
