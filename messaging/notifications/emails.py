"""E-mail deliveries of notifications: one notification still unread after the
person's delay, the beat sweep that catches lost countdowns, and the daily digest.

At most one e-mail per row: the row is locked with ``skip_locked`` and
``emailed_at`` (``digested_at`` for the digest) is set in the same transaction, so
two workers never send it twice. The Celery tasks are in
``messaging.notifications.tasks``.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q

from accounts.models import User
from core import clock
from messaging.models import Notification
from messaging.notifications.preferences import MAX_DELAY_MINUTES, preferences_for, preferences_of

logger = logging.getLogger("messaging.notifications.emails")

# The sweep looks this far back: further than the longest delay, so nothing due is
# missed, and bounded, so rows of people who turned e-mail off are not rescanned forever.
EMAIL_SWEEP_WINDOW = timedelta(minutes=MAX_DELAY_MINUTES * 2)
SWEEP_BATCH = 500
PREFERENCES_PATH = "/notifications/preferences/"


def _absolute(link: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{link}" if link else ""


def _email_text(notification: Notification) -> str:
    parts = [notification.body] if notification.body else []
    if notification.link:
        parts.append(_absolute(notification.link))
    parts.append(f"Change what Tandem e-mails you: {_absolute(PREFERENCES_PATH)}")
    return "\n\n".join(parts)


def notification_email_if_unread(*, notification_id: int) -> bool:
    """E-mail one notification if it is still unread, not yet e-mailed, its group's
    e-mail is on and the recipient's delay has passed. The row is locked
    (``skip_locked``: another worker on it means it is being handled) and
    ``emailed_at`` is set in the same transaction: at most one e-mail per row.
    Returns whether it sent. Safe to call any number of times."""
    with transaction.atomic():
        notification = (
            # of=self: lock the notification only, never the user row
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id, read_at__isnull=True, emailed_at__isnull=True)
            .first()
        )
        if notification is None:
            return False
        recipient = notification.recipient
        if not recipient.is_active or not recipient.email:
            return False
        preferences = preferences_of(notification.recipient)
        if not preferences.wants(notification.kind, "email_when_unread"):
            return False
        moment = clock.now()
        delay = preferences.unread_email_delay_minutes
        if delay and notification.created_at + timedelta(minutes=delay) > moment:  # 0 = at once
            return False
        # A mail server error raises: the transaction rolls back and the sweep retries.
        send_mail(notification.title, _email_text(notification), None, [notification.recipient.email])
        notification.emailed_at = moment
        notification.save(update_fields=["emailed_at"])
    logger.info("e-mailed notification %s (%s)", notification.pk, notification.kind)
    return True


def notifications_email_due() -> int:
    """Beat sweep: e-mail every notification whose delay has passed (each in its own
    transaction, so one failure does not block the rest). Walks every unread, un-mailed
    notification of the window in batches (keyset on ``(created_at, pk)``), so rows
    that are not due or not wanted never starve the rest. Returns how many sent."""
    moment = clock.now()
    pending = Notification.objects.filter(
        read_at__isnull=True,
        emailed_at__isnull=True,
        created_at__gte=moment - EMAIL_SWEEP_WINDOW,
        created_at__lte=moment,
    ).order_by("created_at", "pk")
    sent = 0
    after = None
    while True:
        batch = pending
        if after is not None:
            batch = batch.filter(Q(created_at__gt=after[0]) | Q(created_at=after[0], pk__gt=after[1]))
        candidates = list(batch.values_list("pk", "recipient_id", "kind", "created_at")[:SWEEP_BATCH])
        if not candidates:
            return sent
        after = (candidates[-1][3], candidates[-1][0])
        preferences = preferences_for(recipient for _, recipient, _, _ in candidates)
        for pk, recipient_id, kind, created_at in candidates:
            wanted = preferences[recipient_id]
            if not wanted.wants(kind, "email_when_unread"):
                continue
            if created_at + timedelta(minutes=wanted.unread_email_delay_minutes) > moment:
                continue
            try:
                sent += notification_email_if_unread(notification_id=pk)
            except Exception:
                logger.exception("could not e-mail notification %s", pk)


def notifications_digest_send(*, user_id: int) -> bool:
    """One person's daily digest: every unread notification not yet in a digest,
    in groups with the digest on, in one e-mail; then ``digested_at`` is set on
    them (locked with ``skip_locked``, so a concurrent run skips them). Returns
    whether a mail was sent."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    preferences = preferences_of(user)
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(recipient_id=user_id, read_at__isnull=True, digested_at__isnull=True)
            .order_by("created_at", "pk")
        )
        rows = [row for row in rows if preferences.wants(row.kind, "daily_digest")]
        if not rows:
            return False
        lines = [f"You have {len(rows)} unread notification{'s' if len(rows) != 1 else ''} in Tandem:", ""]
        for row in rows:
            lines.append(f"- {row.title}" + (f"\n  {_absolute(row.link)}" if row.link else ""))
        lines += ["", f"All of them: {_absolute('/notifications/')}"]
        lines.append(f"Change what Tandem e-mails you: {_absolute(PREFERENCES_PATH)}")
        send_mail("Your Tandem digest", "\n".join(lines), None, [user.email])
        Notification.objects.filter(pk__in=[row.pk for row in rows]).update(digested_at=clock.now())
    return True


def users_with_undigested() -> list[int]:
    return sorted(
        set(
            Notification.objects.filter(read_at__isnull=True, digested_at__isnull=True).values_list(
                "recipient_id", flat=True
            )
        )
    )
