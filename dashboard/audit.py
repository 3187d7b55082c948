"""The audit row every dashboard read writes (who looked at what, for which period)."""

from accounts.models import AuditEntry, Membership
from dashboard.overview import Period


def audit_dashboard(actor, membership: Membership, *, action: str, period: Period, extra=None) -> AuditEntry:
    details = {"from": period.start.isoformat(), "to": period.end.isoformat(), **(extra or {})}
    return AuditEntry.objects.create(
        organization_id=membership.organization_id,
        actor=actor,
        action=action,
        target_type="dashboard",
        details=details,
    )
