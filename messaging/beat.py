"""Periodic tasks of messaging (merged into beat by mentoring/config/celery.py)."""

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
    # routing: waves whose countdown task was lost, ended answer windows, lost starts
    "messaging.routing_sweep": {
        "task": "messaging.routing_sweep",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 55},
    },
    "messaging.notifications_daily_digest": {
        "task": "messaging.notifications_daily_digest",
        "schedule": crontab(hour=7, minute=0),
        "options": {"expires": 3600},
    },
    # the dashboard's message-activity rollup: recount the last days from the messages
    "messaging.activity_repair": {
        "task": "messaging.activity_repair",
        "schedule": crontab(hour=3, minute=20),
        "options": {"expires": 3600},
    },
}
