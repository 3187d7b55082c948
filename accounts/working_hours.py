"""Weekly working-hour windows: validation and the UTC hour-of-week mask.

Windows are ``{"day": 0-6, "start": "HH:MM", "end": "HH:MM"}`` in the person's
own time zone (Monday = 0). ``end`` may be "24:00". Windows on the same day
must not overlap and must have ``start < end``.

The mask has one bit per hour of the week in UTC (Monday 00:00 UTC = bit 0); an
hour counts when the window covers at least half of it. It is computed for the
current week, so daylight-saving shifts are picked up on the next save or by
the weekly refresh task.
"""

import functools
import itertools
from datetime import datetime, time, timedelta
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.core.exceptions import ValidationError

from core.clock import now

HOURS_PER_WEEK = 168
MASK_HEX_DIGITS = 42
DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MAX_WINDOWS = 21


def validate_timezone(name: str) -> str:
    if not name or name not in _timezones():
        raise ValidationError(
            f"“{name}” is not a known IANA time zone. Use a name like Europe/Berlin or America/New_York.",
            code="unknown_timezone",
        )
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"“{name}” is not a usable time zone.", code="unknown_timezone") from exc
    return name


_TZ_CACHE: set[str] | None = None


# Present in the tz database directory but not time zones anyone should pick:
# "localtime" is the host's own setting (differs per machine), "Factory" means
# "unknown", "posixrules" is a rules template.
NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})
REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


def _timezones() -> set[str]:
    global _TZ_CACHE
    if _TZ_CACHE is None:
        _TZ_CACHE = set(available_timezones()) - NOT_ZONES
    return _TZ_CACHE


@functools.cache
def _links() -> frozenset[str]:
    """Old names that the tz database keeps as links to a canonical zone
    (Asia/Calcutta → Asia/Kolkata, Europe/Kiev → Europe/Kyiv): the ``L`` lines of the
    tzdata package's ``tzdata.zi``."""
    try:
        text = resources.files("tzdata").joinpath("zoneinfo", "tzdata.zi").read_text()
    except (ModuleNotFoundError, FileNotFoundError):
        return frozenset()
    return frozenset(line.split()[2] for line in text.splitlines() if line.startswith("L "))


def timezone_choices() -> list[str]:
    """Zones to offer in a picker: UTC and the canonical Region/City names. Legacy
    links ("GB", "US/Eastern", "Asia/Calcutta") stay valid for validation but are not
    offered."""
    links = _links()
    return [
        "UTC",
        *sorted(name for name in _timezones() if name.split("/")[0] in REGIONS and name not in links),
    ]


def utc_offset_label(name: str, at=None) -> str:
    """The zone's offset from UTC now (or ``at``): "UTC+01:00", "UTC−03:30", "UTC"."""
    offset = (at or now()).astimezone(ZoneInfo(name)).utcoffset()
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def _parse_clock(value, *, allow_24=False) -> int:
    """'HH:MM' → minutes since midnight."""
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        raise ValueError
    # int() alone would accept " 9", "+9" or "-1"; only two plain digits each side are a clock.
    if not (value[:2].isdigit() and value[3:].isdigit()):
        raise ValueError
    hours, minutes = int(value[:2]), int(value[3:])
    if allow_24 and hours == 24 and minutes == 0:
        return 24 * 60
    time(hours, minutes)  # range check
    return hours * 60 + minutes


def validate_working_hours(windows) -> list[dict]:
    """Return the windows normalised and sorted, or raise ValidationError that
    says which window is wrong and how to fix it."""
    if windows in (None, ""):
        return []
    if not isinstance(windows, list):
        raise ValidationError("Working hours must be a list of windows.", code="invalid")
    if len(windows) > MAX_WINDOWS:
        raise ValidationError(f"At most {MAX_WINDOWS} windows a week.", code="too_many")
    cleaned = []
    for i, window in enumerate(windows, start=1):
        if not isinstance(window, dict):
            raise ValidationError(f"Window {i} must have a day, a start and an end.", code="invalid")
        day = window.get("day")
        if isinstance(day, str) and day.isdigit():
            day = int(day)
        if not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6:
            raise ValidationError(f"Window {i}: day must be 0 (Monday) to 6 (Sunday).", code="invalid_day")
        try:
            start = _parse_clock(window.get("start"))
            end = _parse_clock(window.get("end"), allow_24=True)
        except (ValueError, TypeError):
            raise ValidationError(
                f"Window {i} ({DAY_NAMES[day]}): times must look like 09:00 or 17:30.",
                code="invalid_time",
            ) from None
        if start >= end:
            raise ValidationError(
                f"Window {i} ({DAY_NAMES[day]}): the start ({window['start']}) must be before "
                f"the end ({window['end']}).",
                code="inverted_window",
            )
        cleaned.append({"day": day, "start": window["start"], "end": window["end"], "_s": start, "_e": end})
    cleaned.sort(key=lambda w: (w["day"], w["_s"]))
    for prev, cur in itertools.pairwise(cleaned):
        if prev["day"] == cur["day"] and cur["_s"] < prev["_e"]:
            raise ValidationError(
                f"{DAY_NAMES[cur['day']]}: {prev['start']}–{prev['end']} overlaps "
                f"{cur['start']}–{cur['end']}. Merge them or make them not overlap.",
                code="overlapping_windows",
            )
    return [{"day": w["day"], "start": w["start"], "end": w["end"]} for w in cleaned]


def utc_week_mask(windows: list[dict], tz_name: str, *, reference: datetime | None = None) -> int:
    """The set of UTC hours-of-week covered by the windows, as an int bitmask."""
    tz = ZoneInfo(tz_name)
    ref = (reference or now()).astimezone(tz)
    monday = (ref - timedelta(days=ref.weekday())).date()
    mask = 0
    for window in windows:
        start = _parse_clock(window["start"])
        end = _parse_clock(window["end"], allow_24=True)
        day = monday + timedelta(days=window["day"])
        for hour in range(start // 60, -(-end // 60)):
            covered = min(end, (hour + 1) * 60) - max(start, hour * 60)
            if covered >= 30:
                local = datetime.combine(day, time(0), tzinfo=tz) + timedelta(hours=hour)
                utc = local.astimezone(ZoneInfo("UTC"))
                mask |= 1 << ((utc.weekday() * 24 + utc.hour) % HOURS_PER_WEEK)
    return mask


def mask_to_hex(mask: int) -> str:
    return format(mask, f"0{MASK_HEX_DIGITS}x")


def hex_to_mask(value: str) -> int:
    return int(value or "0", 16)


def overlap_hours(a: str | int, b: str | int) -> int:
    """Hours per week both people work (UTC-aligned)."""
    ma = a if isinstance(a, int) else hex_to_mask(a)
    mb = b if isinstance(b, int) else hex_to_mask(b)
    return (ma & mb).bit_count()


def is_working_at(mask: str | int, moment: datetime) -> bool:
    m = mask if isinstance(mask, int) else hex_to_mask(mask)
    utc = moment.astimezone(ZoneInfo("UTC"))
    return bool(m >> (utc.weekday() * 24 + utc.hour) & 1)


DEFAULT_WORKING_HOURS = [{"day": d, "start": "09:00", "end": "17:00"} for d in range(5)]


# --- working time: minutes counted only in a person's working hours ------------------------
# For answer windows (routing, invitations) and for measuring how soon an answer came.
# A mask without any hour means "not set": wall-clock minutes.


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
