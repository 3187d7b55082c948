"""Periodic tasks of the mentoring app (merged into beat by mentoring/config/celery.py)."""

from datetime import timedelta

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "mentoring.clear_expired_sessions": {
        "task": "mentoring.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
        "options": {"expires": 3600},
    },
    # Engagement domain: each sweep is idempotent, so overlapping runs are harmless.
    "mentoring.expire_invitations": {
        "task": "mentoring.expire_invitations",
        "schedule": timedelta(minutes=5),
        "options": {"expires": 240},
    },
    "mentoring.move_engagements": {
        "task": "mentoring.move_engagements",
        "schedule": timedelta(minutes=15),
        "options": {"expires": 600},
    },
    "mentoring.remind_engagements_ending": {
        "task": "mentoring.remind_engagements_ending",
        "schedule": timedelta(hours=1),
        "options": {"expires": 1800},
    },
    "mentoring.prompt_overdue_commitments": {
        "task": "mentoring.prompt_overdue_commitments",
        "schedule": timedelta(minutes=30),
        "options": {"expires": 900},
    },
    "mentoring.record_revealed_feedback": {
        "task": "mentoring.record_revealed_feedback",
        "schedule": timedelta(hours=1),
        "options": {"expires": 1800},
    },
}
