"""Engagement kinds and the duration and size rules every model of the domain shares."""

from datetime import timedelta

from django.db import models


class EngagementKind(models.TextChoices):
    """Shared by programs, requests and engagements."""

    SITUATIONAL = "situational", "Situational (one need, a couple of weeks)"
    GROUP = "group", "Group (three or more people)"
    ONGOING = "ongoing", "Ongoing (up to six months)"


# Duration rules per kind, in days. The one place to change them (documented in
# docs/engagements.md). An engagement's whole span, extension included, never
# exceeds MAX_DURATION_DAYS for its kind.
DEFAULT_DURATION_DAYS = {
    EngagementKind.SITUATIONAL: 14,
    EngagementKind.GROUP: 30,
    EngagementKind.ONGOING: 90,
}
MAX_DURATION_DAYS = {
    EngagementKind.SITUATIONAL: 30,
    EngagementKind.GROUP: 90,
    EngagementKind.ONGOING: 183,
}
ABSOLUTE_MAX_DURATION_DAYS = max(MAX_DURATION_DAYS.values())
MIN_GROUP_SIZE = 3
MAX_INVITATIONS_PER_REQUEST = 3
# Feedback stays double blind until both sides submitted or this long after the end;
# wrapping_up engagements complete when it has passed.
FEEDBACK_WINDOW = timedelta(days=7)


def choice_values(choices) -> list[str]:
    """The stored values of a ``TextChoices`` (for CheckConstraints)."""
    return [value for value, _label in choices]
