"""Telling someone something: the one module every app calls.

``notify`` (with ``page_link`` for its link) is the hook the other apps call;
``notification_create`` is the same with ids in a ``payload`` and the rows back;
``notify_mentions`` is the chat's. A notification is a row first
(``messaging.models.Notification``); the socket frame and the e-mails are
deliveries of that row:

- live: after commit, ``notification.new`` on the recipient's ``user.<id>`` group
  (``core.realtime``; the consumer forwards the frame; docs/messaging.md "Notifications");
- e-mail: when still unread ``unread_email_delay_minutes`` after it was created
  (``messaging.notifications.tasks.notification_email_if_unread`` with that
  countdown, plus a beat sweep as the safety net: ``messaging.notifications.emails``);
- digest: once a day, the unread ones not yet in a digest, in one e-mail.

What a person does with their own notifications (mark read, preferences) is in
``messaging.notifications.services``; reads in ``.selectors`` and ``.preferences``.
"""

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count
from django.urls import NoReverseMatch, reverse

from accounts.models import Membership
from core import clock, realtime
from core.errors import ValidationFailed
from messaging.models import NOTIFICATION_BODY_CHARS, NOTIFICATION_TITLE_CHARS, MessageMention, Notification
from messaging.notifications.preferences import preferences_for
from messaging.notifications.selectors import notification_data
from messaging.notifications.tasks import notification_email_if_unread

logger = logging.getLogger("messaging.notifications.notify")

# Above this many e-mail-wanting recipients in one call, the sweep sends the e-mails.
SCHEDULE_EMAILS_UP_TO = 50
MENTION_EXCERPT_CHARS = 200


def _excerpt(text: str, limit: int, *, one_line: bool = False) -> str:
    text = " ".join((text or "").split()) if one_line else (text or "").strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _clean_link(link: str) -> str:
    link = (link or "").strip()
    if link and (not link.startswith("/") or link.startswith("//")):
        raise ValidationFailed(
            "A notification links to a page inside Tandem.",
            fields={"link": ["Give a path that starts with a single /, e.g. /engagements/12/."]},
        )
    return link


# --- the hook for every app -------------------------------------------------------


def page_link(url_name: str, *args, fallback: str) -> str:
    """The path of a named page, or ``fallback`` while that page does not exist yet
    (mails stay useful meanwhile)."""
    try:
        return reverse(url_name, args=args)
    except NoReverseMatch:
        return fallback


def notify(*, recipients: Iterable, kind: str, subject: str, body: str, link: str = "") -> None:
    """Tell ``recipients`` (users) about ``kind``: an in-app notification each
    (``notification_create``), delivered live after the transaction commits and
    e-mailed when still unread after the person's delay.

    ``kind`` is a short machine name ("invitation.received", "request.exhausted");
    its prefix picks the preference group. ``link`` is a path inside the site.
    Delivery failures (socket, broker, mail server) are logged, never raised: the
    domain change already happened and must not be undone by them.
    """
    people = [user for user in recipients if getattr(user, "pk", None) is not None]
    if not people:
        return
    logger.info("notify %s to %d recipient(s): %s", kind, len(people), subject)
    notification_create(recipients=people, kind=kind, title=subject, body=body, link=link)


# --- notifications -----------------------------------------------------------------


def _frame_new(notification: Notification, count: int) -> dict:
    data = notification_data(notification)
    return {
        "type": "notification",
        **{key: data[key] for key in ("id", "kind", "title", "link", "created_at")},
        "unread_count": count,
    }


def notification_create(
    *, recipients, kind: str, title: str, body: str = "", link: str = "", payload: dict | None = None
) -> list[Notification]:
    """One notification per distinct recipient (users), in the caller's transaction.

    After commit: the live ``notification`` frame to each recipient's sockets, and
    the unread-e-mail task scheduled for their delay. ``payload`` must hold ids only;
    ``title`` and ``body`` are cut to their limits with an ellipsis (the full text
    stays where ``link`` points)."""
    kind = (kind or "").strip()
    if not kind or len(kind) > 64:
        raise ValidationFailed(
            "A notification needs a kind.", fields={"kind": ["Give a short machine name."]}
        )
    link = _clean_link(link)
    title = _excerpt(title, NOTIFICATION_TITLE_CHARS, one_line=True)
    if not title:
        raise ValidationFailed("A notification needs a title.", fields={"title": ["Write a short title."]})
    body = _excerpt(body, NOTIFICATION_BODY_CHARS)
    people = {user.pk: user for user in recipients if user is not None and user.pk is not None}
    if not people:
        return []
    preferences = preferences_for(people)
    organizations = dict(
        Membership.objects.filter(user_id__in=list(people), is_active=True).values_list(
            "user_id", "organization_id"
        )
    )
    moment = clock.now()
    with transaction.atomic():
        created = Notification.objects.bulk_create(
            [
                Notification(
                    recipient_id=user_id,
                    organization_id=organizations.get(user_id),
                    kind=kind,
                    title=title,
                    body=body,
                    link=link,
                    payload=payload or {},
                    created_at=moment,
                )
                for user_id in sorted(people)
            ]
        )
        unread = dict(
            Notification.objects.filter(recipient_id__in=list(people), read_at__isnull=True)
            .values_list("recipient_id")
            .annotate(count=Count("pk"))
        )
        realtime.send_many_on_commit(
            (
                realtime.user_group(n.recipient_id),
                {"type": "notification.new", "frame": _frame_new(n, unread.get(n.recipient_id, 1))},
            )
            for n in created
        )
        wanted = [n for n in created if preferences[n.recipient_id].wants(kind, "email_when_unread")]
        # Each e-mail gets its own countdown task; a big fan-out (a cohort announcement)
        # leaves them to the beat sweep (notifications_email_due, every few minutes)
        # rather than queueing thousands of timers from one request.
        if len(wanted) <= SCHEDULE_EMAILS_UP_TO:
            for n in wanted:
                _schedule_email(n.pk, preferences[n.recipient_id].unread_email_delay_minutes)
    return created


def _schedule_email(notification_id: int, delay_minutes: int) -> None:
    def enqueue():
        try:
            notification_email_if_unread.apply_async((notification_id,), countdown=delay_minutes * 60)
        except Exception:  # the broker is down: the beat sweep sends it later
            logger.exception("could not schedule the e-mail for notification %s", notification_id)

    transaction.on_commit(enqueue)


# --- chat mentions ----------------------------------------------------------------


def notify_mentions(message) -> list[Notification]:
    """In ``messaging.chat.services.message_send``'s transaction: notify each person
    @mentioned in ``message`` (its ``MessageMention`` rows; the author never is).
    The excerpt is of a message the recipient can read in that conversation."""
    people = [
        mention.user
        for mention in MessageMention.objects.filter(message=message).select_related("user")
        if mention.user_id != message.author_id
    ]
    if not people:
        return []
    author = message.author.display_name if message.author else "Someone"
    return notification_create(
        recipients=people,
        kind="mention",
        title=f"{author} mentioned you",
        body=_excerpt(message.body, MENTION_EXCERPT_CHARS),
        link=_message_link(message),
        payload={"conversation": message.conversation_id, "seq": message.seq, "message": message.pk},
    )


def _message_link(message) -> str:
    anchor = f"#msg-{message.conversation_id}-{message.seq}"
    engagement_id = message.conversation.engagement_id
    if engagement_id:
        return reverse("mentoring:engagement_detail", args=[engagement_id]) + anchor
    return reverse("messaging:conversation", args=[message.conversation_id]) + anchor
