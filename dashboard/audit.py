"""The audit row every dashboard page, export, API call and action writes: who looked at
or did what, on what, for which period — through ``accounts.audit.audit_record``, the
one writer of the workspace audit log."""

from accounts.audit import audit_record
from accounts.models import AuditEntry, Membership
from dashboard.period import Period


def audit_dashboard(
    actor,
    membership: Membership,
    *,
    action: str,
    period: Period | None = None,
    target_type: str = "dashboard",
    target_id="",
    details: dict | None = None,
) -> AuditEntry:
    """One audit row in ``membership``'s workspace; ``period`` adds its bounds
    (``from``, ``to``) to ``details``."""
    bounds = {"from": period.start.isoformat(), "to": period.end.isoformat()} if period is not None else {}
    return audit_record(
        organization_id=membership.organization_id,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details={**bounds, **(details or {})},
    )
