"""The one writer of the workspace audit log (``AuditEntry``): who did what to what, when.

Every app records through ``audit_record`` inside the transaction of the change it
describes, so the row exists exactly when the change does. Talent managers read the
log on the workspace's audit page; rows are never edited.
"""

from accounts.models import AuditEntry


def audit_record(
    *,
    organization_id: int,
    actor,
    action: str,
    target=None,
    target_type: str = "",
    target_id="",
    details: dict | None = None,
) -> AuditEntry:
    """Write one audit row. ``target`` (a model instance) fills ``target_type`` and
    ``target_id``; pass them directly for something that is not a row (``"dashboard"``)."""
    if target is not None:
        target_type = target_type or target._meta.model_name
        target_id = target.pk
    return AuditEntry.objects.create(
        organization_id=organization_id,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id="" if target_id in ("", None) else str(target_id),
        details=details or {},
    )
