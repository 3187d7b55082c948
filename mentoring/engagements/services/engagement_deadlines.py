"""Engagement moves by the calendar, run by the beat tasks (``mentoring.engagements.tasks``):
an active engagement reaching its end date wraps up (or expires when nobody engaged),
a wrap-up completes once the feedback window closed, and participants are reminded
before the end. Every service here is idempotent and moves states only through
``engagement_transition``.
"""

from datetime import timedelta

from django.db import transaction

from core import clock
from mentoring.engagements.services.engagements import engagement_transition, notify_participants
from mentoring.models import FEEDBACK_WINDOW, Engagement

State = Engagement.State


def engagement_reach_end(*, engagement_id: int) -> Engagement | None:
    """At or after ``ends_at``: an active engagement wraps up (or expires when
    nobody engaged). Idempotent: does nothing before the end date, for a missing
    row or an engagement that already moved. Called by the beat task."""
    with transaction.atomic():
        engagement = Engagement.objects.select_for_update().filter(pk=engagement_id).first()
        if engagement is None or engagement.state != State.ACTIVE or engagement.ends_at > clock.now():
            return engagement
        if engagement.last_activity_at is None:
            engagement = engagement_transition(
                engagement=engagement, to_state=State.EXPIRED, reason="end date reached with no activity"
            )
            return engagement
        engagement = engagement_transition(
            engagement=engagement, to_state=State.WRAPPING_UP, reason="end date reached"
        )
        notify_participants(
            engagement,
            kind="engagement.wrapping_up",
            subject=f"“{engagement.title}” reached its end date",
            body="Please leave feedback for the people you worked with within a week.",
        )
    return engagement


def engagement_close_wrap_up(*, engagement_id: int) -> Engagement | None:
    """Complete a wrapping-up engagement once the feedback window has passed.
    Idempotent; called by the beat task."""
    with transaction.atomic():
        engagement = Engagement.objects.select_for_update().filter(pk=engagement_id).first()
        if (
            engagement is None
            or engagement.state != State.WRAPPING_UP
            or engagement.ended_at + FEEDBACK_WINDOW > clock.now()
        ):
            return engagement
        return engagement_transition(
            engagement=engagement, to_state=State.COMPLETED, reason="feedback window closed"
        )


def engagement_send_end_reminder(*, engagement_id: int, before: timedelta) -> bool:
    """Remind the participants of an active engagement that ends within ``before``.
    At most once per end date (``reminder_sent_at``; an extension re-arms it).
    Returns whether a reminder was sent."""
    with transaction.atomic():
        engagement = Engagement.objects.select_for_update().filter(pk=engagement_id).first()
        at = clock.now()
        if (
            engagement is None
            or engagement.state != State.ACTIVE
            or engagement.reminder_sent_at is not None
            or not (at < engagement.ends_at <= at + before)
        ):
            return False
        engagement.reminder_sent_at = at
        engagement.save(update_fields=["reminder_sent_at"])
        notify_participants(
            engagement,
            kind="engagement.ending_soon",
            subject=f"“{engagement.title}” ends on {engagement.ends_at:%Y-%m-%d}",
            body="Time to close open commitments, or extend once with a reason if you need longer.",
        )
    return True
