"""Datetimes people type and read, in their own time zone.

``typed_in_zone`` is the one way a date or time a person typed into a form becomes an
aware datetime: it is read as wall-clock time in *their* zone (their profile's), not in
the server's. Django's ``DateTimeField`` has already made its value aware in the active
zone (UTC here), so that stamp is taken off and the person's zone put on. A wall time
that does not exist in the zone (the hour the clocks skip in spring) is refused with a
message that says so; a time that happens twice (autumn) is read as the first.

Pages show datetimes in the viewer's zone with Django's ``timezone`` filter
(``{% load tz %}{{ value|timezone:viewer_tz|date:"D j M, H:i T" }}``).
"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone

END_OF_DAY = time(23, 59)


def typed_in_zone(value: date | datetime | None, tz_name: str | None, *, at: time = END_OF_DAY):
    """``value`` (a date — taken at ``at`` — or a datetime) as typed in ``tz_name`` → aware."""
    if value is None:
        return None
    zone = ZoneInfo(tz_name or "UTC")
    if isinstance(value, datetime):
        wall = (
            timezone.make_naive(value, timezone.get_current_timezone()) if timezone.is_aware(value) else value
        )
    else:
        wall = datetime.combine(value, at)
    local = wall.replace(tzinfo=zone, fold=0)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
        raise ValidationError(
            f"{wall:%H:%M} on {wall:%d %b %Y} does not exist in {zone.key}: the clocks go forward "
            "then. Choose a time an hour later.",
            code="nonexistent_time",
        )
    # in UTC: a time in the repeated autumn hour never compares equal across zones (PEP 495)
    return local.astimezone(UTC)
