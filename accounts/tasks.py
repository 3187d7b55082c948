"""Celery tasks for accounts: thin adapters over accounts.services."""

from accounts.services import profiles, sessions
from core.tasks import idempotent_task


@idempotent_task(name="accounts.prune_user_sessions", time_limit=300, soft_time_limit=240)
def prune_user_sessions() -> int:
    """Forget recorded session keys of sessions that have ended (idempotent)."""
    return sessions.sessions_prune()


@idempotent_task(name="accounts.refresh_week_masks", time_limit=300, soft_time_limit=240)
def refresh_week_masks() -> int:
    """Recompute every profile's UTC working-hours mask for the current week, so
    daylight-saving switches move overlaps by the right hour (idempotent)."""
    return profiles.profile_refresh_week_masks()
