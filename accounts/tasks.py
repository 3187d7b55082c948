"""Celery tasks for accounts: thin adapters over accounts.services."""

from celery import shared_task

from accounts.services import profiles, workspaces


@shared_task(
    name="accounts.prune_user_sessions",
    acks_late=True,
    ignore_result=True,
    soft_time_limit=240,
    time_limit=300,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=3,
)
def prune_user_sessions() -> int:
    """Forget recorded session keys of sessions that have ended (idempotent)."""
    return workspaces.sessions_prune()


@shared_task(
    name="accounts.refresh_week_masks",
    acks_late=True,
    ignore_result=True,
    soft_time_limit=240,
    time_limit=300,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=3,
)
def refresh_week_masks() -> int:
    """Recompute every profile's UTC working-hours mask for the current week, so
    daylight-saving switches move overlaps by the right hour (idempotent)."""
    return profiles.profile_refresh_week_masks()
