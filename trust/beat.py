"""Periodic trust tasks; merged into Celery beat by mentoring/config/celery.py."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "trust.raters_refresh.nightly": {
        # before the recompute: standing and offsets weigh the next day's evidence
        "task": "trust.raters_refresh",
        "schedule": crontab(hour=1, minute=30),
    },
    "trust.recompute_all.nightly": {
        "task": "trust.recompute_all",
        "schedule": crontab(hour=2, minute=0),
    },
    "trust.snapshot_daily": {
        # after the nightly recompute, so the snapshot holds freshly decayed scores
        "task": "trust.snapshot_daily",
        "schedule": crontab(hour=2, minute=45),
    },
}
