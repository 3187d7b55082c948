"""Celery tasks of messaging. Thin adapters: take ids, call one idempotent service."""

import logging

from celery import shared_task

from messaging.chat import selectors, services
from messaging.routing import tasks as routing_tasks  # noqa: F401  (autodiscovery imports this module only)

logger = logging.getLogger("messaging.tasks")


@shared_task(
    name="messaging.sync_engagement_conversation",
    ignore_result=True,
    acks_late=True,
    time_limit=60,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def sync_engagement_conversation(engagement_id: int) -> None:
    """Bring one engagement's conversation members in line with its participants.
    Idempotent; a missing engagement or conversation is done. The engagement
    services may enqueue it with ``delay_on_commit`` after a join or leave."""
    services.conversation_sync_members(engagement_id=engagement_id)


@shared_task(name="messaging.sync_conversation_members", ignore_result=True, time_limit=300)
def sync_conversation_members() -> int:
    """Beat safety net: fix every engagement conversation whose members drifted
    from the participants (a join or leave that did not call messaging). Each
    engagement in its own transaction; returns how many were fixed."""
    fixed = 0
    for engagement_id in selectors.engagements_with_stale_members():
        try:
            services.conversation_sync_members(engagement_id=engagement_id)
            fixed += 1
        except Exception:  # one bad row must not block the rest
            logger.exception("could not sync conversation members of engagement %s", engagement_id)
    return fixed


# --- notifications (messaging/notifications/services.py) --------------------------------------


@shared_task(
    name="messaging.notification_email_if_unread",
    ignore_result=True,
    acks_late=True,
    time_limit=60,
    soft_time_limit=50,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def notification_email_if_unread(notification_id: int) -> None:
    """Scheduled with the recipient's delay as countdown: e-mail the notification if
    it is still unread. Idempotent (``emailed_at`` under a row lock); a missing,
    read or already e-mailed row is done."""
    from messaging.notifications import services as notifications

    notifications.notification_email_if_unread(notification_id=notification_id)


@shared_task(name="messaging.notifications_email_due", ignore_result=True, time_limit=300)
def notifications_email_due() -> int:
    """Beat safety net for lost countdown tasks: e-mail every notification whose
    unread delay has passed. Returns how many were sent."""
    from messaging.notifications import services as notifications

    return notifications.notifications_email_due()


@shared_task(name="messaging.notifications_daily_digest", ignore_result=True, time_limit=1800)
def notifications_daily_digest() -> int:
    """Beat, daily: one digest e-mail per person with unread notifications not yet
    in a digest. Each person separately (one failure does not block the rest);
    re-running the same day sends nothing new. Returns how many were sent."""
    from messaging.notifications import services as notifications

    sent = 0
    for user_id in notifications.users_with_undigested():
        try:
            sent += notifications.notifications_digest_send(user_id=user_id)
        except Exception:
            logger.exception("could not send the notification digest of user %s", user_id)
    return sent


# --- dashboard activity rollup (messaging/chat/activity.py) -------------------------------------


@shared_task(name="messaging.activity_repair", ignore_result=True, time_limit=1800, soft_time_limit=1700)
def activity_repair() -> dict:
    """Beat, nightly: recount the message-activity rollup of the last days and the first
    replies of the chats written in since, from the messages. Idempotent (a recount
    replaces what it covers), so a retry or a second run changes nothing."""
    from messaging.chat import activity

    return activity.activity_repair()
