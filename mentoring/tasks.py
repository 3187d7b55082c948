"""Celery tasks of the mentoring app: project housekeeping and the engagement domain."""

import logging
from datetime import timedelta
from importlib import import_module

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from core import clock


@shared_task(name="mentoring.clear_expired_sessions", ignore_result=True, time_limit=300)
def clear_expired_sessions() -> int:
    """Delete expired sessions (what Django's ``clearsessions`` does, read through the clock seam).

    Scheduled daily by beat (mentoring/beat.py). Idempotent and safe to run
    concurrently: it only deletes rows whose expiry has passed. Returns how
    many sessions it deleted (0 for a session engine that cleans itself).
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if hasattr(store, "get_model_class"):  # database-backed sessions
        deleted, _ = store.get_model_class().objects.filter(expire_date__lt=clock.now()).delete()
        return deleted
    store.clear_expired()
    return 0


# --- Engagement domain ---------------------------------------------------------
# Thin adapters: take ids, call one service (which re-fetches and locks, treats a
# missing row as done and is idempotent), so acks_late and retries are safe.
# Sweeps hand each row to its own transaction: one bad row does not block the rest.

logger = logging.getLogger("mentoring.tasks")

_ENGAGEMENT_TASK = {
    "ignore_result": True,
    "acks_late": True,
    "time_limit": 120,
    "soft_time_limit": 100,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 5,
}
_SWEEP_BATCH = 500


def _reminder_lead() -> timedelta:
    return timedelta(hours=float(getattr(settings, "TANDEM_ENGAGEMENT_REMINDER_HOURS", 48)))


@shared_task(name="mentoring.invitation_timeout", **_ENGAGEMENT_TASK)
def invitation_timeout(invitation_id: int) -> None:
    """Expire one invitation if its deadline passed and cascade to the next choice.

    Scheduled on commit with a countdown to the deadline; does nothing if the
    invitation was answered meanwhile or its window moved (the beat sweep and a
    later countdown cover that)."""
    from mentoring.engagements.services.invitations import invitation_expire

    invitation_expire(invitation_id=invitation_id)


@shared_task(name="mentoring.expire_invitations", **_ENGAGEMENT_TASK)
def expire_invitations() -> int:
    """Beat sweep: expire every live invitation past its deadline (catches lost countdowns)."""
    from mentoring.engagements.selectors import invitations_due_to_expire
    from mentoring.engagements.services.invitations import invitation_expire

    ids = list(invitations_due_to_expire().order_by("expires_at").values_list("pk", flat=True)[:_SWEEP_BATCH])
    for invitation_id in ids:
        try:
            invitation_expire(invitation_id=invitation_id)
        except Exception:
            logger.exception("could not expire invitation %s", invitation_id)
    return len(ids)


@shared_task(name="mentoring.move_engagements", **_ENGAGEMENT_TASK)
def move_engagements() -> int:
    """Beat: active engagements past their end wrap up (or expire if nobody engaged);
    wrapping-up ones complete when the feedback window closed. Returns moves tried."""
    from mentoring.engagements.services.engagements import engagement_close_wrap_up, engagement_reach_end
    from mentoring.models import FEEDBACK_WINDOW, Engagement

    at = clock.now()
    due = list(
        Engagement.objects.filter(state=Engagement.State.ACTIVE, ends_at__lte=at)
        .order_by("ends_at")
        .values_list("pk", flat=True)[:_SWEEP_BATCH]
    )
    closing = list(
        Engagement.objects.filter(state=Engagement.State.WRAPPING_UP, ended_at__lte=at - FEEDBACK_WINDOW)
        .order_by("ended_at")
        .values_list("pk", flat=True)[:_SWEEP_BATCH]
    )
    for engagement_id in due:
        try:
            engagement_reach_end(engagement_id=engagement_id)
        except Exception:
            logger.exception("could not end engagement %s", engagement_id)
    for engagement_id in closing:
        try:
            engagement_close_wrap_up(engagement_id=engagement_id)
        except Exception:
            logger.exception("could not complete engagement %s", engagement_id)
    return len(due) + len(closing)


@shared_task(name="mentoring.remind_engagements_ending", **_ENGAGEMENT_TASK)
def remind_engagements_ending() -> int:
    """Beat: remind participants of active engagements ending within
    TANDEM_ENGAGEMENT_REMINDER_HOURS (default 48), once per end date."""
    from mentoring.engagements.services.engagements import engagement_send_end_reminder
    from mentoring.models import Engagement

    at = clock.now()
    lead = _reminder_lead()
    ids = list(
        Engagement.objects.filter(
            state=Engagement.State.ACTIVE,
            reminder_sent_at__isnull=True,
            ends_at__gt=at,
            ends_at__lte=at + lead,
        ).values_list("pk", flat=True)[:_SWEEP_BATCH]
    )
    sent = 0
    for engagement_id in ids:
        try:
            sent += engagement_send_end_reminder(engagement_id=engagement_id, before=lead)
        except Exception:
            logger.exception("could not remind engagement %s", engagement_id)
    return sent


@shared_task(name="mentoring.prompt_overdue_commitments", **_ENGAGEMENT_TASK)
def prompt_overdue_commitments() -> int:
    """Beat: ask counterparts to confirm overdue open commitments, once each."""
    from mentoring.engagements.selectors import overdue_commitments
    from mentoring.engagements.services.commitments import commitment_prompt_overdue

    ids = list(overdue_commitments().order_by("due_at").values_list("pk", flat=True)[:_SWEEP_BATCH])
    prompted = 0
    for commitment_id in ids:
        try:
            prompted += commitment_prompt_overdue(commitment_id=commitment_id)
        except Exception:
            logger.exception("could not prompt for commitment %s", commitment_id)
    return prompted


@shared_task(name="mentoring.record_revealed_feedback", **_ENGAGEMENT_TASK)
def record_revealed_feedback() -> int:
    """Beat: turn feedback whose double blind lifted (7 days after the end) into trust evidence."""
    from mentoring.engagements.selectors import feedback_awaiting_evidence
    from mentoring.engagements.services.feedback import feedback_record_evidence

    ids = list(feedback_awaiting_evidence().order_by("pk").values_list("pk", flat=True)[:_SWEEP_BATCH])
    recorded = 0
    for feedback_id in ids:
        try:
            recorded += feedback_record_evidence(feedback_id=feedback_id)
        except Exception:
            logger.exception("could not record feedback %s as evidence", feedback_id)
    return recorded
