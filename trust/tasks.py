"""Celery tasks for trust: thin adapters over the trust.services modules.

All are idempotent (they recompute from the ledger), so acks_late is safe."""

from django.core.cache import cache

from core.tasks import idempotent_task
from trust.services import nightly, raters, recompute, scheduling, snapshots

_RETRIES = {"max_retries": 5, "retry_backoff_max": 300, "retry_jitter": True}


@idempotent_task(name="trust.recompute_subject", soft_time_limit=50, time_limit=60, **_RETRIES)
def recompute_subject(user_id: int) -> int:
    """Recompute one subject's scores from the ledger.

    Clears the subject's pending flag BEFORE reading the ledger: an event
    recorded while this runs sets the flag again and schedules another run,
    so nothing is missed. A subject with no evidence ends with no scores."""
    cache.delete(scheduling.pending_flag(user_id))
    return recompute.recompute_subject(int(user_id))


@idempotent_task(name="trust.recompute_all", soft_time_limit=1700, time_limit=1800, **_RETRIES)
def recompute_all(organization_id: int | None = None, from_ledger: bool = False) -> int:
    """Nightly set-based refresh of every score from the stored tallies (one workspace, or
    all); ``from_ledger=True`` rebuilds everything from the ledger (the repair path)."""
    return nightly.recompute_all(organization_id=organization_id, from_ledger=bool(from_ledger))


@idempotent_task(name="trust.raters_refresh", soft_time_limit=1700, time_limit=1800, **_RETRIES)
def raters_refresh(organization_id: int | None = None) -> int:
    """Nightly, before the recompute: every member's rater standing and leniency offsets,
    and the suspicious patterns of the attention list (damping what they contain)."""
    return raters.raters_refresh(organization_id=organization_id)


@idempotent_task(name="trust.snapshot_daily", soft_time_limit=600, time_limit=660, **_RETRIES)
def snapshot_daily() -> int:
    """Copy today's scores into the daily snapshot (re-running the day overwrites)."""
    return snapshots.snapshot_daily()
