"""What people choose to be e-mailed about: the kind groups and each person's
preferences, with the defaults filled in (no row needed). Changing them is
``messaging.notifications.services.notification_preferences_update``."""

from dataclasses import dataclass

from django.conf import settings

from messaging.models import NotificationPreference

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


def group_of(kind: str) -> str:
    return _PREFIX_GROUP.get(kind.split(".")[0], "other")


@dataclass(frozen=True)
class Preferences:
    groups: dict  # group -> {"email_when_unread": bool, "daily_digest": bool}
    unread_email_delay_minutes: int

    def wants(self, kind: str, option: str) -> bool:
        return self.groups[group_of(kind)][option]


def default_delay() -> int:
    return getattr(settings, "TANDEM_NOTIFICATION_EMAIL_DELAY_MINUTES", 30)


def preferences_from(row: NotificationPreference | None) -> Preferences:
    """The preferences a stored row (or None: the defaults) stands for."""
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
    return preferences_from(NotificationPreference.objects.filter(user=user).first())


def preferences_for(user_ids) -> dict[int, Preferences]:
    """``{user_id: Preferences}`` for many people in one query."""
    user_ids = set(user_ids)
    rows = {row.user_id: row for row in NotificationPreference.objects.filter(user_id__in=user_ids)}
    return {user_id: preferences_from(rows.get(user_id)) for user_id in user_ids}
