"""Reads about workspaces: memberships, invites, domains, the audit log, and
the object access functions every fetch by id goes through (who the viewer is
and what role they hold is ``accounts.access``).

Object access functions raise the same ``NotFound`` for "does not exist" and "belongs to
another workspace", so ids of other workspaces cannot be probed.
"""

from allauth.account.models import EmailAddress
from django.db.models import Q, QuerySet

from accounts.models import (
    AuditEntry,
    InviteLink,
    Membership,
    Organization,
    WorkspaceDomain,
)
from core.errors import NotFound


def verified_email_domains(user) -> list[str]:
    """Lower-cased domains of the user's verified e-mail addresses."""
    emails = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    return sorted({email.rsplit("@", 1)[-1].lower() for email in emails if "@" in email})


def joinable_workspaces(user) -> QuerySet[Organization]:
    """Workspaces whose domain allow-list contains one of the user's verified domains."""
    domains = verified_email_domains(user)
    if not domains:
        return Organization.objects.none()
    return Organization.objects.filter(domains__domain__in=domains).distinct().order_by("name")


def active_members(*, viewer_membership: Membership) -> list:
    """The active people of the viewer's workspace (users), by name — for pickers."""
    return [
        membership.user
        for membership in Membership.objects.filter(
            organization_id=viewer_membership.organization_id, is_active=True
        )
        .select_related("user")
        .order_by("user__full_name", "user__email")
    ]


def member_list(*, viewer_membership: Membership, query: str = "") -> QuerySet[Membership]:
    """Every membership (active or not) of the viewer's workspace, searchable by name/e-mail."""
    qs = Membership.objects.filter(organization_id=viewer_membership.organization_id).select_related(
        "user", "user__profile"
    )
    query = (query or "").strip()
    if query:
        qs = qs.filter(Q(user__full_name__icontains=query) | Q(user__email__icontains=query))
    return qs.order_by("-is_active", "user__full_name", "user__email")


def access_membership(*, viewer_membership: Membership, membership_id) -> Membership:
    """A membership of the viewer's workspace by id; ``NotFound`` if missing or elsewhere."""
    try:
        membership_id = int(membership_id)
    except (TypeError, ValueError):
        raise NotFound("No such member in this workspace.") from None
    membership = (
        Membership.objects.select_related("user", "organization")
        .filter(id=membership_id, organization_id=viewer_membership.organization_id)
        .first()
    )
    if membership is None:
        raise NotFound("No such member in this workspace.")
    return membership


def invite_list(*, viewer_membership: Membership) -> QuerySet[InviteLink]:
    return (
        InviteLink.objects.filter(organization_id=viewer_membership.organization_id)
        .select_related("created_by")
        .order_by("-created_at", "-id")
    )


def _of_workspace(model, *, viewer_membership: Membership, row_id, missing: str):
    """The ``model`` row ``row_id`` of the viewer's workspace; NotFound(``missing``) alike
    for a malformed id, a missing row and another workspace's."""
    try:
        row_id = int(row_id)
    except (TypeError, ValueError):
        raise NotFound(missing) from None
    row = model.objects.filter(id=row_id, organization_id=viewer_membership.organization_id).first()
    if row is None:
        raise NotFound(missing)
    return row


def access_invite(*, viewer_membership: Membership, invite_id) -> InviteLink:
    return _of_workspace(
        InviteLink,
        viewer_membership=viewer_membership,
        row_id=invite_id,
        missing="No such invite link in this workspace.",
    )


def invite_by_token(token: str) -> InviteLink | None:
    """The invite for a token (any status), or None. Callers show one page for
    unknown, expired, revoked and used-up links."""
    if not token or len(token) > 64:
        return None
    return InviteLink.objects.select_related("organization").filter(token=token).first()


def domain_list(*, viewer_membership: Membership) -> QuerySet[WorkspaceDomain]:
    return WorkspaceDomain.objects.filter(organization_id=viewer_membership.organization_id).order_by(
        "domain"
    )


def access_domain(*, viewer_membership: Membership, domain_id) -> WorkspaceDomain:
    return _of_workspace(
        WorkspaceDomain,
        viewer_membership=viewer_membership,
        row_id=domain_id,
        missing="No such domain in this workspace.",
    )


def audit_log(*, viewer_membership: Membership) -> QuerySet[AuditEntry]:
    return (
        AuditEntry.objects.filter(organization_id=viewer_membership.organization_id)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


def members_without_mfa(*, viewer_membership: Membership) -> list[Membership]:
    """Active memberships of the viewer's workspace whose person has not set up
    two-factor authentication (TOTP), talent managers first, then by name — what
    the security page lists while a policy is being rolled out."""
    from allauth.mfa.models import Authenticator

    enrolled = Authenticator.objects.filter(type=Authenticator.Type.TOTP).values("user_id")
    return list(
        Membership.objects.filter(organization_id=viewer_membership.organization_id, is_active=True)
        .exclude(user_id__in=enrolled)
        .select_related("user")
        .order_by("-role", "user__full_name", "user__email")
    )
