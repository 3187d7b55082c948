"""Notifications: services (writes), selectors (reads) and delivery.

A notification is a row first (``messaging.models.Notification``); the socket
frame and the e-mails are deliveries of that row:

- live: after commit, ``notification.new`` on the recipient's ``user.<id>`` group
  (the consumer forwards the frame; docs/api.md "Notifications");
- e-mail: when still unread ``unread_email_delay_minutes`` after it was created
  (a Celery task with that countdown, plus a beat sweep as the safety net; the
  row is locked with ``skip_locked`` and ``emailed_at`` set in the same
  transaction, so two workers never send it twice);
- digest: once a day, the unread ones not yet in a digest, in one e-mail.

``messaging.notifications.notify.notify`` is the entry point for other apps.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q, QuerySet

from core import clock
from core.errors import NotFound, ValidationFailed
from messaging.models import (
    NOTIFICATION_BODY_CHARS,
    NOTIFICATION_TITLE_CHARS,
    Notification,
    NotificationPreference,
)
from messaging.sockets import events

logger = logging.getLogger("messaging.notifications.services")

# Kind groups people choose e-mail for; a kind belongs to the group of its prefix.
GROUPS = {
    "invitations": "Invitations and requests",
    "engagements": "Engagements",
    "commitments": "Commitments",
    "mentions": "Mentions in chat",
    "questions": "Questions routed to you",
    "other": "Everything else",
}
_PREFIX_GROUP = {
    "invitation": "invitations",
    "request": "invitations",
    "engagement": "engagements",
    "commitment": "commitments",
    "mention": "mentions",
    "question": "questions",
}
GROUP_DEFAULTS = {"email_when_unread": True, "daily_digest": True}
GROUP_OPTIONS = tuple(GROUP_DEFAULTS)
MAX_DELAY_MINUTES = 1440
# The sweep looks this far back: further than the longest delay, so nothing due is
# missed, and bounded, so rows of people who turned e-mail off are not rescanned forever.
EMAIL_SWEEP_WINDOW = timedelta(minutes=MAX_DELAY_MINUTES * 2)
SWEEP_BATCH = 500
# Above this many e-mail-wanting recipients in one call, the sweep sends the e-mails.
SCHEDULE_EMAILS_UP_TO = 50


def group_of(kind: str) -> str:
    return _PREFIX_GROUP.get(kind.split(".")[0], "other")


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


# --- preferences ------------------------------------------------------------------


@dataclass(frozen=True)
class Preferences:
    groups: dict  # group -> {"email_when_unread": bool, "daily_digest": bool}
    unread_email_delay_minutes: int

    def wants(self, kind: str, option: str) -> bool:
        return self.groups[group_of(kind)][option]


def default_delay() -> int:
    return getattr(settings, "TANDEM_NOTIFICATION_EMAIL_DELAY_MINUTES", 30)


def _preferences_from(row: NotificationPreference | None) -> Preferences:
    stored = row.groups if row else {}
    groups = {
        group: {
            option: bool(stored.get(group, {}).get(option, default))
            for option, default in GROUP_DEFAULTS.items()
        }
        for group in GROUPS
    }
    delay = row.unread_email_delay_minutes if row else default_delay()
    return Preferences(groups=groups, unread_email_delay_minutes=delay)


def preferences_of(user) -> Preferences:
    """A person's preferences, with the defaults filled in (no row needed)."""
    return _preferences_from(NotificationPreference.objects.filter(user=user).first())


def _preferences_for(user_ids) -> dict[int, Preferences]:
    user_ids = set(user_ids)
    rows = {row.user_id: row for row in NotificationPreference.objects.filter(user_id__in=user_ids)}
    return {user_id: _preferences_from(rows.get(user_id)) for user_id in user_ids}


def notification_preferences_update(*, user, groups: dict, unread_email_delay_minutes) -> Preferences:
    """Store ``user``'s choices. ``groups`` maps every group to its options (a group
    or option left out keeps its current value). Invalid input raises
    ValidationFailed naming each field; nothing is stored then."""
    errors: dict[str, list[str]] = {}
    if not isinstance(groups, dict):
        errors["groups"] = ['Send an object like {"mentions": {"email_when_unread": true}}.']
        groups = {}
    for group, options in groups.items():
        if group not in GROUPS:
            errors[f"groups.{group}"] = [f"Unknown group; choose from {', '.join(GROUPS)}."]
            continue
        if not isinstance(options, dict):
            errors[f"groups.{group}"] = ["Send an object with email_when_unread and daily_digest."]
            continue
        for option, value in options.items():
            if option not in GROUP_OPTIONS:
                errors[f"groups.{group}.{option}"] = [
                    f"Unknown option; choose from {', '.join(GROUP_OPTIONS)}."
                ]
            elif not isinstance(value, bool):
                errors[f"groups.{group}.{option}"] = ["Send true or false."]
    delay = unread_email_delay_minutes
    if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= MAX_DELAY_MINUTES:
        errors["unread_email_delay_minutes"] = [
            f"Give a whole number of minutes from 0 (at once) to {MAX_DELAY_MINUTES} (a day)."
        ]
    if errors:
        raise ValidationFailed("Some preferences could not be saved.", fields=errors)
    with transaction.atomic():
        row, _ = NotificationPreference.objects.select_for_update().get_or_create(
            user=user, defaults={"unread_email_delay_minutes": default_delay()}
        )
        current = _preferences_from(row).groups
        for group, options in groups.items():
            current[group].update(options)
        row.groups = current
        row.unread_email_delay_minutes = delay
        row.updated_at = clock.now()
        row.save(update_fields=["groups", "unread_email_delay_minutes", "updated_at"])
    return _preferences_from(row)


# --- selectors --------------------------------------------------------------------


def notifications_for(user) -> QuerySet[Notification]:
    """The person's notifications, newest first (no joins needed to show them)."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def access_notification(user, notification_id) -> Notification:
    """One of the person's own notifications; someone else's is "not found" too."""
    try:
        return Notification.objects.get(pk=int(notification_id), recipient=user)
    except (TypeError, ValueError, Notification.DoesNotExist):
        raise NotFound("No such notification.") from None


# --- frames (docs/api.md "Notifications") ----------------------------------------


def notification_data(notification: Notification) -> dict:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "link": notification.link,
        "created_at": notification.created_at.isoformat(),
        "read_at": notification.read_at.isoformat() if notification.read_at else None,
    }


def _frame_new(notification: Notification, count: int) -> dict:
    data = notification_data(notification)
    return {
        "type": "notification",
        **{key: data[key] for key in ("id", "kind", "title", "link", "created_at")},
        "unread_count": count,
    }


# --- services ---------------------------------------------------------------------


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
    preferences = _preferences_for(people)
    organizations = _organizations_of(people)
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
        events.send_many_on_commit(
            (
                events.user_group(n.recipient_id),
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


def _organizations_of(people: dict) -> dict[int, int]:
    from accounts.models import Membership

    return dict(
        Membership.objects.filter(user_id__in=list(people), is_active=True).values_list(
            "user_id", "organization_id"
        )
    )


def _schedule_email(notification_id: int, delay_minutes: int) -> None:
    from messaging.tasks import notification_email_if_unread

    def enqueue():
        try:
            notification_email_if_unread.apply_async((notification_id,), countdown=delay_minutes * 60)
        except Exception:  # the broker is down: the beat sweep sends it later
            logger.exception("could not schedule the e-mail for notification %s", notification_id)

    transaction.on_commit(enqueue)


def notifications_mark_read(*, user, ids=None, all_unread: bool = False) -> int:
    """Mark the person's own notifications read: the given ``ids`` or all unread.
    An id that is not theirs (or does not exist) is "not found" and nothing is
    marked. Marking twice is harmless. Returns the unread count now, and tells the
    person's other tabs."""
    moment = clock.now()
    with transaction.atomic():
        mine = Notification.objects.filter(recipient=user)
        if all_unread:
            mine.filter(read_at__isnull=True).update(read_at=moment)
        else:
            try:
                wanted = {int(i) for i in ids or []}
            except (TypeError, ValueError):
                raise ValidationFailed(
                    "ids must be notification ids.", fields={"ids": ["Send a list of notification ids."]}
                ) from None
            if not wanted:
                raise ValidationFailed(
                    "Say which notifications to mark read.",
                    fields={"ids": ["Send at least one id, or all: true."]},
                )
            found = set(mine.filter(pk__in=wanted).values_list("pk", flat=True))
            if found != wanted:
                raise NotFound("No such notification.")
            mine.filter(pk__in=wanted, read_at__isnull=True).update(read_at=moment)
        count = mine.filter(read_at__isnull=True).count()
        events.send_on_commit(
            events.user_group(user.pk),
            {"type": "notification.count", "frame": {"type": "notification.count", "unread_count": count}},
        )
    return count


# --- e-mail -----------------------------------------------------------------------


def _absolute(link: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{link}" if link else ""


def _email_text(notification: Notification) -> str:
    parts = [notification.body] if notification.body else []
    if notification.link:
        parts.append(_absolute(notification.link))
    parts.append(f"Change what Tandem e-mails you: {_absolute('/notifications/preferences/')}")
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
        preferences = _preferences_for(recipient for _, recipient, _, _ in candidates)
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
    from accounts.models import User

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
        lines.append(f"Change what Tandem e-mails you: {_absolute('/notifications/preferences/')}")
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


# --- hooks ------------------------------------------------------------------------

MENTION_EXCERPT_CHARS = 200


def notify_mentions(message) -> list[Notification]:
    """In ``messaging.chat.services.message_send``'s transaction: notify each person
    @mentioned in ``message`` (its ``MessageMention`` rows; the author never is).
    The excerpt is of a message the recipient can read in that conversation."""
    from messaging.models import MessageMention

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
    from django.urls import reverse

    anchor = f"#msg-{message.conversation_id}-{message.seq}"
    engagement_id = message.conversation.engagement_id
    if engagement_id:
        return reverse("mentoring:engagement_detail", args=[engagement_id]) + anchor
    return reverse("messaging:conversation", args=[message.conversation_id]) + anchor
