"""Periodic accounts tasks; merged into Celery beat by mentoring/config/celery.py."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "accounts.prune_user_sessions.daily": {
        "task": "accounts.prune_user_sessions",
        "schedule": crontab(hour=3, minute=30),
    },
    # weekly, and early on Sunday: most daylight-saving switches happen on a Sunday
    "accounts.refresh_week_masks.weekly": {
        "task": "accounts.refresh_week_masks",
        "schedule": crontab(day_of_week="sun", hour=4, minute=5),
    },
}
