"""Celery tasks of notifications (registered through ``messaging.tasks``, which
Celery autodiscovers). Thin adapters: take ids, call one idempotent function of
``messaging.notifications.emails``."""

import logging

from core.tasks import idempotent_task, run_each, sweep_task
from messaging.notifications import emails

logger = logging.getLogger("messaging.notifications.tasks")


@idempotent_task(
    name="messaging.notification_email_if_unread", time_limit=60, soft_time_limit=50, max_retries=5
)
def notification_email_if_unread(notification_id: int) -> None:
    """Scheduled with the recipient's delay as countdown: e-mail the notification if
    it is still unread. Idempotent (``emailed_at`` under a row lock); a missing,
    read or already e-mailed row is done."""
    emails.notification_email_if_unread(notification_id=notification_id)


@sweep_task(name="messaging.notifications_email_due", time_limit=300)
def notifications_email_due() -> int:
    """Beat safety net for lost countdown tasks: e-mail every notification whose
    unread delay has passed. Returns how many were sent."""
    return emails.notifications_email_due()


@sweep_task(name="messaging.notifications_daily_digest", time_limit=1800)
def notifications_daily_digest() -> int:
    """Beat, daily: one digest e-mail per person with unread notifications not yet
    in a digest. Each person separately (one failure does not block the rest);
    re-running the same day sends nothing new. Returns how many were sent."""
    sent = run_each(
        emails.users_with_undigested(),
        lambda pk: emails.notifications_digest_send(user_id=pk),
        logger=logger,
        failure="could not send the notification digest of user %s",
    )
    return sum(sent)
