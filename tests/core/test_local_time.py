"""core.local_time.typed_in_zone: what a person types is read in their time zone,
including across daylight-saving changes."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.core.exceptions import ValidationError

from core.local_time import typed_in_zone

BERLIN = "Europe/Berlin"


def typed(text: str) -> datetime:
    """A datetime-local value as Django's DateTimeField cleans it (aware, in the active zone)."""
    return forms.DateTimeField(input_formats=["%Y-%m-%dT%H:%M"]).clean(text)


def test_a_winter_time_typed_in_berlin_is_an_hour_ahead_of_utc():
    assert typed_in_zone(typed("2026-12-20T10:00"), BERLIN) == datetime(2026, 12, 20, 9, 0, tzinfo=UTC)


def test_a_summer_time_typed_in_berlin_is_two_hours_ahead_of_utc():
    assert typed_in_zone(typed("2026-07-20T10:00"), BERLIN) == datetime(2026, 7, 20, 8, 0, tzinfo=UTC)


def test_the_day_after_the_spring_change_uses_the_new_offset():
    # Berlin moves to summer time on 29 March 2026 at 02:00
    assert typed_in_zone(typed("2026-03-28T12:00"), BERLIN) == datetime(2026, 3, 28, 11, 0, tzinfo=UTC)
    assert typed_in_zone(typed("2026-03-29T12:00"), BERLIN) == datetime(2026, 3, 29, 10, 0, tzinfo=UTC)


def test_a_time_the_clocks_skip_is_refused_with_a_reason():
    with pytest.raises(ValidationError) as refused:
        typed_in_zone(typed("2026-03-29T02:30"), BERLIN)

    assert "does not exist in Europe/Berlin" in refused.value.messages[0]


def test_a_time_that_happens_twice_in_autumn_is_read_as_the_first():
    # 25 October 2026: 02:30 happens in summer time (UTC+2) and again in winter time
    assert typed_in_zone(typed("2026-10-25T02:30"), BERLIN) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_a_date_is_the_end_of_that_day_in_the_persons_zone():
    assert typed_in_zone(date(2026, 12, 20), "America/New_York") == datetime(
        2026, 12, 20, 23, 59, tzinfo=ZoneInfo("America/New_York")
    )


def test_a_naive_datetime_is_read_in_the_zone_too():
    assert typed_in_zone(datetime(2026, 12, 20, 10, 0), "Asia/Kolkata") == datetime(
        2026, 12, 20, 4, 30, tzinfo=UTC
    )


def test_nothing_typed_stays_nothing_and_no_zone_means_utc():
    assert typed_in_zone(None, BERLIN) is None
    assert typed_in_zone(typed("2026-12-20T10:00"), "") == datetime(2026, 12, 20, 10, 0, tzinfo=UTC)
