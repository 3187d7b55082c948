"""The dashboard's periods: a preset or custom range of whole UTC days, the previous
period of the same length (for the trend), and the filters every dashboard read puts
on its timestamps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Q

from core import clock
from core.errors import ValidationFailed

PRESET_DAYS = (7, 30, 90)
DEFAULT_DAYS = 30
MAX_RANGE_DAYS = 366
# Custom ranges start on or after this day (the previous period of equal length must
# still be a valid date; nothing in Tandem is older).
EARLIEST_DAY = date(2000, 1, 1)
# Activity charts switch from daily to weekly points above this many days.
DAILY_BUCKETS_UP_TO_DAYS = 92


@dataclass(frozen=True)
class Period:
    """A half-open UTC interval ``[start, end)`` and the one of equal length just before it."""

    start: datetime
    end: datetime
    label: str
    preset_days: int | None = None

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    @property
    def previous_start(self) -> datetime:
        return self.start - self.length

    @property
    def days(self) -> int:
        return max(1, round(self.length / timedelta(days=1)))

    @property
    def weekly(self) -> bool:
        return self.days > DAILY_BUCKETS_UP_TO_DAYS

    def as_dict(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "previous_start": self.previous_start,
            "days": self.days,
            "label": self.label,
        }


def resolve_period(*, days: int | None = None, start: date | None = None, end: date | None = None) -> Period:
    """A preset (the last 7/30/90 whole UTC days, today included) or a custom range of whole
    UTC days, ``start`` to ``end`` inclusive. Raises ``ValidationFailed`` naming the field to
    fix: a missing end, an inverted or empty range, more than ``MAX_RANGE_DAYS`` days, a
    start before ``EARLIEST_DAY`` or an end more than a year ahead (dates that would
    overflow are refused here, never in a query)."""
    if start is None and end is None:
        days = DEFAULT_DAYS if days is None else days
        if days not in PRESET_DAYS:
            raise ValidationFailed(
                "Choose a period of 7, 30 or 90 days, or a custom range.",
                fields={"period": [f"Use one of {', '.join(map(str, PRESET_DAYS))}, or give start and end."]},
            )
        # Whole UTC days, today included: the message rollup counts per day, so every
        # figure and chart covers exactly the same days.
        end_at = datetime.combine(
            clock.now().astimezone(UTC).date() + timedelta(days=1), time.min, tzinfo=UTC
        )
        return Period(
            start=end_at - timedelta(days=days), end=end_at, label=f"Last {days} days", preset_days=days
        )
    if days is not None:
        raise ValidationFailed(
            "Give either a preset period or a custom range, not both.",
            fields={"period": ["Leave the preset empty when you give start and end dates."]},
        )
    errors: dict[str, list[str]] = {}
    if start is None:
        errors["start"] = ["Give the first day of the range (YYYY-MM-DD)."]
    if end is None:
        errors["end"] = ["Give the last day of the range (YYYY-MM-DD)."]
    if start is not None and start < EARLIEST_DAY:
        errors["start"] = [f"Start on {EARLIEST_DAY:%Y-%m-%d} or later; there is no data before."]
    today = clock.now().astimezone(UTC).date()
    if end is not None and end > today + timedelta(days=MAX_RANGE_DAYS):
        errors["end"] = [
            f"End by {today + timedelta(days=MAX_RANGE_DAYS):%Y-%m-%d} at the latest; "
            "a range cannot lie more than a year ahead."
        ]
    if not errors and end <= start:
        errors["end"] = ["The end date must be after the start date."]
    if not errors and (end - start).days + 1 > MAX_RANGE_DAYS:
        errors["end"] = [
            f"A range covers at most {MAX_RANGE_DAYS} days; pick an earlier end or a later start."
        ]
    if errors:
        raise ValidationFailed("The date range is not valid.", fields=errors)
    start_at = datetime.combine(start, time.min, tzinfo=UTC)
    end_at = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
    return Period(start=start_at, end=end_at, label=f"{start:%Y-%m-%d} to {end:%Y-%m-%d}")


def utc_day(moment: datetime) -> date:
    """The UTC day of a period boundary (boundaries of the rollup reads are whole days)."""
    return moment.astimezone(UTC).date()


def in_period(field_name: str, start: datetime, end: datetime) -> Q:
    """``field_name`` falls in ``[start, end)``."""
    return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})


def overlapping(start: datetime, end: datetime) -> Q:
    """Engagements that were running at some moment of ``[start, end)``."""
    return Q(starts_at__lt=end) & (Q(ended_at__isnull=True) | Q(ended_at__gt=start))
