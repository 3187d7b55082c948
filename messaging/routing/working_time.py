"""Working time: minutes counted only in a person's working hours (the UTC week mask
of their profile), for answer windows and for measuring how soon an answer came.
A mask without any hour means "not set": wall-clock minutes."""

from datetime import datetime, timedelta

from accounts.working_hours import hex_to_mask, is_working_at


def _hour_start(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def working_deadline(mask: str | int, start: datetime, minutes: float) -> datetime:
    """The moment ``minutes`` of working time (UTC week mask) have passed after
    ``start``. A mask without any hour means "not set": wall-clock minutes."""
    mask = mask if isinstance(mask, int) else hex_to_mask(mask)
    remaining = timedelta(minutes=minutes)
    if not mask:
        return start + remaining
    moment = start
    for _ in range(24 * 7 * 2 + 2):  # a non-empty mask has a working hour every week
        hour_end = _hour_start(moment) + timedelta(hours=1)
        if is_working_at(mask, moment):
            available = hour_end - moment
            if remaining <= available:
                return moment + remaining
            remaining -= available
        moment = hour_end
    return moment + remaining  # unreachable for a non-empty mask


def working_minutes_between(mask: str | int, start: datetime, end: datetime) -> float:
    """Minutes of working time (UTC week mask) between ``start`` and ``end``; the
    wall-clock minutes when the mask is empty."""
    if end <= start:
        return 0.0
    mask = mask if isinstance(mask, int) else hex_to_mask(mask)
    if not mask:
        return (end - start).total_seconds() / 60
    total = timedelta(0)
    moment = start
    while moment < end:
        hour_end = min(_hour_start(moment) + timedelta(hours=1), end)
        if is_working_at(mask, moment):
            total += hour_end - moment
        moment = hour_end
    return total.total_seconds() / 60
