"""Periodic tasks of messaging (merged into beat by mentoring/celery.py)."""

from datetime import timedelta

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "messaging.sync_conversation_members": {
        "task": "messaging.sync_conversation_members",
        "schedule": timedelta(minutes=5),
        "options": {"expires": 240},
    },
    "messaging.notifications_email_due": {
        "task": "messaging.notifications_email_due",
        "schedule": timedelta(minutes=3),
        "options": {"expires": 170},
    },
    "messaging.notifications_daily_digest": {
        "task": "messaging.notifications_daily_digest",
        "schedule": crontab(hour=7, minute=0),
        "options": {"expires": 3600},
    },
}
