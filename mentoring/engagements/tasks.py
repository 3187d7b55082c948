"""Celery tasks of the engagement domain: invitation timeouts and the beat sweeps.

Thin adapters: take ids, call one service (which re-fetches and locks, treats a
missing row as done and is idempotent), so ``acks_late`` and retries are safe.
Sweeps read their batch through a selector and hand each row to its own
transaction: one bad row does not block the rest. Schedules: ``mentoring/beat.py``;
registered with the worker by ``mentoring.apps.MentoringConfig.ready``.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import OperationalError

from core import clock
from core.tasks import idempotent_task, run_each
from mentoring.engagements import selectors
from mentoring.engagements.services.commitments import commitment_prompt_overdue
from mentoring.engagements.services.engagement_deadlines import (
    engagement_close_wrap_up,
    engagement_reach_end,
    engagement_send_end_reminder,
)
from mentoring.engagements.services.feedback import feedback_record_evidence
from mentoring.engagements.services.invitations import invitation_expire

logger = logging.getLogger("mentoring.tasks")

ENGAGEMENT_TASK = {
    "time_limit": 120,
    "soft_time_limit": 100,
    "retry_on": (OperationalError,),
    "retry_backoff_max": 600,
    "max_retries": 5,
}
SWEEP_BATCH = 500


def _reminder_lead() -> timedelta:
    return timedelta(hours=float(getattr(settings, "TANDEM_ENGAGEMENT_REMINDER_HOURS", 48)))


@idempotent_task(name="mentoring.invitation_timeout", **ENGAGEMENT_TASK)
def invitation_timeout(invitation_id: int) -> None:
    """Expire one invitation if its deadline passed and cascade to the next choice.

    Scheduled on commit with a countdown to the deadline; does nothing if the
    invitation was answered meanwhile or its window moved (the beat sweep and a
    later countdown cover that)."""
    invitation_expire(invitation_id=invitation_id)


@idempotent_task(name="mentoring.expire_invitations", **ENGAGEMENT_TASK)
def expire_invitations() -> int:
    """Beat sweep: expire every live invitation past its deadline (catches lost countdowns)."""
    due = selectors.invitations_due_to_expire().order_by("expires_at")
    ids = list(due.values_list("pk", flat=True)[:SWEEP_BATCH])
    run_each(
        ids,
        lambda pk: invitation_expire(invitation_id=pk),
        logger=logger,
        failure="could not expire invitation %s",
    )
    return len(ids)


@idempotent_task(name="mentoring.move_engagements", **ENGAGEMENT_TASK)
def move_engagements() -> int:
    """Beat: active engagements past their end wrap up (or expire if nobody engaged);
    wrapping-up ones complete when the feedback window closed. Returns moves tried."""
    at = clock.now()
    due = list(selectors.engagements_due_to_end(at).values_list("pk", flat=True)[:SWEEP_BATCH])
    closing = list(selectors.engagements_due_to_complete(at).values_list("pk", flat=True)[:SWEEP_BATCH])
    run_each(
        due,
        lambda pk: engagement_reach_end(engagement_id=pk),
        logger=logger,
        failure="could not end engagement %s",
    )
    run_each(
        closing,
        lambda pk: engagement_close_wrap_up(engagement_id=pk),
        logger=logger,
        failure="could not complete engagement %s",
    )
    return len(due) + len(closing)


@idempotent_task(name="mentoring.remind_engagements_ending", **ENGAGEMENT_TASK)
def remind_engagements_ending() -> int:
    """Beat: remind participants of active engagements ending within
    TANDEM_ENGAGEMENT_REMINDER_HOURS (default 48), once per end date."""
    lead = _reminder_lead()
    ids = list(
        selectors.engagements_due_for_reminder(clock.now(), lead).values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    sent = run_each(
        ids,
        lambda pk: engagement_send_end_reminder(engagement_id=pk, before=lead),
        logger=logger,
        failure="could not remind engagement %s",
    )
    return sum(sent)


@idempotent_task(name="mentoring.prompt_overdue_commitments", **ENGAGEMENT_TASK)
def prompt_overdue_commitments() -> int:
    """Beat: ask counterparts to confirm overdue open commitments, once each."""
    ids = list(selectors.overdue_commitments().order_by("due_at").values_list("pk", flat=True)[:SWEEP_BATCH])
    prompted = run_each(
        ids,
        lambda pk: commitment_prompt_overdue(commitment_id=pk),
        logger=logger,
        failure="could not prompt for commitment %s",
    )
    return sum(prompted)


@idempotent_task(name="mentoring.record_revealed_feedback", **ENGAGEMENT_TASK)
def record_revealed_feedback() -> int:
    """Beat: turn feedback whose double blind lifted (7 days after the end) into trust evidence."""
    revealed = selectors.feedback_awaiting_evidence().order_by("pk")
    ids = list(revealed.values_list("pk", flat=True)[:SWEEP_BATCH])
    recorded = run_each(
        ids,
        lambda pk: feedback_record_evidence(feedback_id=pk),
        logger=logger,
        failure="could not record feedback %s as evidence",
    )
    return sum(recorded)
