"""The workspace security policy (``accounts.mfa_policy``): set by talent managers."""

from django.db import transaction

from accounts.access import require_talent_manager
from accounts.audit import audit_record
from accounts.mfa_policy import policy_requires
from accounts.models import Organization
from accounts.selectors.workspaces import members_without_mfa
from core.errors import ValidationFailed
from core.realtime import send_many_on_commit, user_group

# the doorbell that closes a socket whose person a new policy requires MFA of (4428)
MFA_REQUIRED_EVENT = {"type": "mfa.required"}


def workspace_mfa_policy_set(*, actor, policy: str) -> Organization:
    """Who must use two-factor authentication: ``off``, ``talent_managers`` or
    ``everyone``. Talent managers only; audited; idempotent. After commit, the open
    sockets of everyone the new policy catches without MFA are closed (4428)."""
    acting = require_talent_manager(actor)
    if policy not in Organization.MfaPolicy.values:
        raise ValidationFailed(
            "Unknown policy.",
            fields={"mfa_policy": [f"Choose one of: {', '.join(Organization.MfaPolicy.values)}."]},
        )
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=acting.organization_id)
        if organization.mfa_policy != policy:
            before = organization.mfa_policy
            organization.mfa_policy = policy
            organization.save(update_fields=["mfa_policy"])
            audit_record(
                organization_id=organization.pk,
                actor=actor,
                action="workspace.mfa_policy",
                target=organization,
                details={"from": before, "to": policy},
            )
            missing = [
                (user_group(member.user_id), MFA_REQUIRED_EVENT)
                for member in members_without_mfa(viewer_membership=acting)
                if policy_requires(policy, member.role)
            ]
            send_many_on_commit(missing)
    return organization
