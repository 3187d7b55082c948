"""What a person does with their own notifications: mark them read (the other
tabs learn the new count live) and choose what is e-mailed. Creating
notifications is ``messaging.notifications.notify``."""

from django.db import transaction

from core import clock, realtime
from core.errors import NotFound, ValidationFailed
from messaging.models import Notification, NotificationPreference
from messaging.notifications.preferences import (
    GROUP_OPTIONS,
    GROUPS,
    MAX_DELAY_MINUTES,
    Preferences,
    default_delay,
    preferences_from,
)


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
        realtime.send_on_commit(
            realtime.user_group(user.pk),
            {"type": "notification.count", "frame": {"type": "notification.count", "unread_count": count}},
        )
    return count


def notification_preferences_update(
    *, user, groups: dict, unread_email_delay_minutes: int | None = None
) -> Preferences:
    """Store ``user``'s choices. ``groups`` maps every group to its options (a group
    or option left out keeps its current value, as does a delay of None). Invalid input raises
    ValidationFailed naming each field (``groups.<group>.<option>``,
    ``unread_email_delay_minutes``); nothing is stored then. Locks the person's row."""
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
    if delay is not None and (
        isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= MAX_DELAY_MINUTES
    ):
        errors["unread_email_delay_minutes"] = [
            f"Give a whole number of minutes from 0 (at once) to {MAX_DELAY_MINUTES} (a day)."
        ]
    if errors:
        raise ValidationFailed("Some preferences could not be saved.", fields=errors)
    with transaction.atomic():
        row, _ = NotificationPreference.objects.select_for_update().get_or_create(
            user=user, defaults={"unread_email_delay_minutes": default_delay()}
        )
        current = preferences_from(row).groups
        for group, options in groups.items():
            current[group].update(options)
        row.groups = current
        if delay is not None:
            row.unread_email_delay_minutes = delay
        row.updated_at = clock.now()
        row.save(update_fields=["groups", "unread_email_delay_minutes", "updated_at"])
    return preferences_from(row)
