"""The engagement tasks live in mentoring.engagements.tasks and the worker knows them
by their explicit names (registered by the app's ready(), beside the housekeeping
tasks Celery autodiscovers in mentoring.tasks)."""

from mentoring.config.celery import app, beat_schedule
from mentoring.engagements import tasks

ENGAGEMENT_TASKS = {
    "mentoring.invitation_timeout": tasks.invitation_timeout,
    "mentoring.expire_invitations": tasks.expire_invitations,
    "mentoring.move_engagements": tasks.move_engagements,
    "mentoring.remind_engagements_ending": tasks.remind_engagements_ending,
    "mentoring.prompt_overdue_commitments": tasks.prompt_overdue_commitments,
    "mentoring.record_revealed_feedback": tasks.record_revealed_feedback,
}


def test_every_engagement_task_is_registered_under_its_explicit_name():
    for name, task in ENGAGEMENT_TASKS.items():
        assert task.name == name
        assert app.tasks[name].name == name


def test_every_scheduled_mentoring_task_exists():
    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    schedule = beat_schedule(["mentoring"])
    assert {entry["task"] for entry in schedule.values()} <= set(app.tasks)
    assert set(ENGAGEMENT_TASKS) - {"mentoring.invitation_timeout"} <= {e["task"] for e in schedule.values()}
