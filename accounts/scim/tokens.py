"""SCIM bearer tokens: a talent manager creates and revokes them; the SCIM endpoints look
them up by SHA-256 digest (the token itself is never stored)."""

import hashlib
import secrets

from django.db import transaction

from accounts.access import require_talent_manager
from accounts.audit import audit_record
from accounts.models import ScimToken
from core.clock import now
from core.errors import NotFound, ValidationFailed

TOKEN_PREFIX = "tscim_"  # noqa: S105 (a prefix, not a secret)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def scim_token_create(*, actor, note: str = "") -> tuple[ScimToken, str]:
    """A talent manager makes a SCIM token for the workspace. Returns the row and the token,
    which is shown once and cannot be read again."""
    membership = require_talent_manager(actor)
    note = (note or "").strip()
    if len(note) > 120:
        raise ValidationFailed(
            "The token was not created.", fields={"note": ["Keep the note to 120 characters."]}
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        row = ScimToken.objects.create(
            organization_id=membership.organization_id,
            digest=token_digest(token),
            prefix=token[: len(TOKEN_PREFIX) + 4],
            note=note,
            created_by=actor,
        )
        audit_record(
            organization_id=membership.organization_id,
            actor=actor,
            action="scim.token_created",
            target=row,
            details={"prefix": row.prefix, "note": note},
        )
    return row, token


def scim_token_revoke(*, actor, token_id) -> ScimToken:
    """Revoke a SCIM token of the actor's workspace; it stops working at once (idempotent)."""
    membership = require_talent_manager(actor)
    with transaction.atomic():
        row = (
            ScimToken.objects.select_for_update()
            .filter(pk=token_id, organization_id=membership.organization_id)
            .first()
        )
        if row is None:
            raise NotFound("There is no such SCIM token in this workspace.")
        if row.revoked_at is None:
            row.revoked_at = now()
            row.save(update_fields=["revoked_at"])
            audit_record(
                organization_id=membership.organization_id,
                actor=actor,
                action="scim.token_revoked",
                target=row,
                details={"prefix": row.prefix, "note": row.note},
            )
    return row


def scim_token_list(*, viewer_membership):
    return ScimToken.objects.filter(organization_id=viewer_membership.organization_id).select_related(
        "created_by"
    )


def scim_token_authenticate(token: str) -> ScimToken | None:
    """The active token row for a presented bearer token, or None (unknown or revoked)."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    row = ScimToken.objects.select_related("organization").filter(digest=token_digest(token)).first()
    if row is None or row.revoked_at is not None:
        return None
    ScimToken.objects.filter(pk=row.pk).update(last_used_at=now())
    return row
