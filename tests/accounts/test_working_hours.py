from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from accounts import working_hours as wh

UTC = ZoneInfo("UTC")
WINTER = datetime(2026, 1, 14, 12, tzinfo=UTC)  # a Wednesday, Europe on standard time
SUMMER = datetime(2026, 7, 15, 12, tzinfo=UTC)  # a Wednesday, Europe on summer time


def hours(mask: int) -> list[int]:
    return [bit for bit in range(wh.HOURS_PER_WEEK) if mask >> bit & 1]


def window(day, start, end):
    return {"day": day, "start": start, "end": end}


# --- validation -----------------------------------------------------------------


def test_known_iana_time_zone_is_accepted():
    assert wh.validate_timezone("America/Sao_Paulo") == "America/Sao_Paulo"


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "europe/berlin", "localtime", "Factory"])
def test_unknown_or_host_specific_time_zone_is_rejected_with_an_example(name):
    with pytest.raises(ValidationError) as exc:
        wh.validate_timezone(name)
    assert "Europe/Berlin" in exc.value.messages[0]


def test_time_zone_picker_offers_region_names_and_utc_but_not_host_files():
    choices = wh.timezone_choices()
    assert choices[0] == "UTC"
    assert "Asia/Kolkata" in choices
    assert "localtime" not in choices
    assert "Factory" not in choices


def test_windows_come_back_sorted_by_day_and_start():
    cleaned = wh.validate_working_hours(
        [window(2, "13:00", "17:00"), window(0, "09:00", "12:00"), window(2, "08:00", "12:00")]
    )
    assert cleaned == [window(0, "09:00", "12:00"), window(2, "08:00", "12:00"), window(2, "13:00", "17:00")]


def test_touching_windows_on_the_same_day_are_allowed():
    assert len(wh.validate_working_hours([window(1, "09:00", "12:00"), window(1, "12:00", "17:00")])) == 2


def test_overlapping_windows_are_rejected_naming_both_windows_and_the_day():
    with pytest.raises(ValidationError) as exc:
        wh.validate_working_hours([window(3, "09:00", "13:00"), window(3, "12:00", "17:00")])
    message = exc.value.messages[0]
    assert "Thursday" in message
    assert "09:00–13:00" in message
    assert "12:00–17:00" in message
    assert exc.value.code == "overlapping_windows"


def test_a_window_inside_another_is_an_overlap_even_when_not_adjacent_in_input():
    with pytest.raises(ValidationError, match="overlaps"):
        wh.validate_working_hours(
            [window(0, "08:00", "18:00"), window(0, "19:00", "20:00"), window(0, "10:00", "11:00")]
        )


def test_inverted_window_is_rejected_naming_the_window():
    with pytest.raises(ValidationError) as exc:
        wh.validate_working_hours([window(0, "09:00", "17:00"), window(4, "17:00", "09:00")])
    message = exc.value.messages[0]
    assert message.startswith("Window 2 (Friday)")
    assert "17:00" in message and "09:00" in message
    assert exc.value.code == "inverted_window"


def test_empty_window_is_rejected_as_inverted():
    with pytest.raises(ValidationError, match="must be before"):
        wh.validate_working_hours([window(0, "09:00", "09:00")])


@pytest.mark.parametrize("bad", ["9:00", " 9:00", "+9:00", "-1:00", "25:00", "09:60", "ab:cd", 900, None])
def test_malformed_clock_times_are_rejected(bad):
    with pytest.raises(ValidationError, match="09:00 or 17:30"):
        wh.validate_working_hours([window(0, bad, "17:00")])


def test_midnight_end_is_written_as_24_00_and_only_allowed_as_an_end():
    assert wh.validate_working_hours([window(5, "20:00", "24:00")]) == [window(5, "20:00", "24:00")]
    with pytest.raises(ValidationError):
        wh.validate_working_hours([window(5, "24:00", "24:00")])


@pytest.mark.parametrize("day", [-1, 7, True, 1.5, "Monday"])
def test_day_outside_monday_to_sunday_is_rejected(day):
    with pytest.raises(ValidationError, match="0 \\(Monday\\) to 6 \\(Sunday\\)"):
        wh.validate_working_hours([{"day": day, "start": "09:00", "end": "10:00"}])


def test_too_many_windows_are_rejected():
    windows = [window(d % 7, f"{h:02d}:00", f"{h:02d}:30") for d in range(7) for h in range(4)]
    with pytest.raises(ValidationError, match="At most 21"):
        wh.validate_working_hours(windows)


def test_not_a_list_is_rejected_and_nothing_means_no_hours():
    with pytest.raises(ValidationError):
        wh.validate_working_hours({"day": 0})
    assert wh.validate_working_hours(None) == []


# --- the UTC week mask ---------------------------------------------------------------


def test_berlin_monday_nine_to_five_in_winter_is_utc_eight_to_four():
    mask = wh.utc_week_mask([window(0, "09:00", "17:00")], "Europe/Berlin", reference=WINTER)
    assert hours(mask) == list(range(8, 16))


def test_daylight_saving_time_shifts_the_utc_hours_by_one():
    summer = wh.utc_week_mask([window(0, "09:00", "17:00")], "Europe/Berlin", reference=SUMMER)
    assert hours(summer) == list(range(7, 15))


def test_hours_before_utc_midnight_on_monday_wrap_to_sunday():
    mask = wh.utc_week_mask([window(0, "00:00", "02:00")], "Asia/Tokyo", reference=SUMMER)
    assert hours(mask) == [6 * 24 + 15, 6 * 24 + 16]  # Sunday 15:00 and 16:00 UTC


def test_an_hour_counts_when_at_least_half_of_it_is_covered():
    # Kolkata is UTC+5:30, so 09:00–17:00 local is 03:30–11:30 UTC.
    mask = wh.utc_week_mask([window(1, "09:00", "17:00")], "Asia/Kolkata", reference=WINTER)
    assert hours(mask) == [24 + h for h in range(3, 11)]


def test_a_window_shorter_than_half_an_hour_sets_no_bit():
    assert wh.utc_week_mask([window(0, "09:00", "09:20")], "UTC", reference=WINTER) == 0


def test_hex_round_trip_is_42_digits():
    mask = wh.utc_week_mask(wh.DEFAULT_WORKING_HOURS, "America/New_York", reference=WINTER)
    text = wh.mask_to_hex(mask)
    assert len(text) == wh.MASK_HEX_DIGITS
    assert wh.hex_to_mask(text) == mask
    assert mask.bit_count() == 40


def test_overlap_between_berlin_and_new_york_is_three_hours_a_day_in_winter():
    berlin = wh.utc_week_mask(wh.DEFAULT_WORKING_HOURS, "Europe/Berlin", reference=WINTER)
    new_york = wh.utc_week_mask(wh.DEFAULT_WORKING_HOURS, "America/New_York", reference=WINTER)
    # Berlin 08–16 UTC, New York 14–22 UTC: 14:00–16:00 UTC, two hours a day.
    assert wh.overlap_hours(wh.mask_to_hex(berlin), wh.mask_to_hex(new_york)) == 10
    assert wh.overlap_hours(berlin, new_york) == 10


def test_tokyo_and_new_york_office_hours_never_overlap():
    tokyo = wh.utc_week_mask(wh.DEFAULT_WORKING_HOURS, "Asia/Tokyo", reference=WINTER)
    new_york = wh.utc_week_mask(wh.DEFAULT_WORKING_HOURS, "America/New_York", reference=WINTER)
    assert wh.overlap_hours(tokyo, new_york) == 0


def test_is_working_at_reads_the_mask_in_utc():
    mask = wh.utc_week_mask([window(0, "09:00", "17:00")], "Europe/Berlin", reference=WINTER)
    monday_ten_berlin = datetime(2026, 1, 12, 10, tzinfo=ZoneInfo("Europe/Berlin"))
    monday_eight_berlin = datetime(2026, 1, 12, 8, tzinfo=ZoneInfo("Europe/Berlin"))
    assert wh.is_working_at(wh.mask_to_hex(mask), monday_ten_berlin)
    assert not wh.is_working_at(mask, monday_eight_berlin)


@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 23), st.integers(1, 8)),
        max_size=10,
    ),
    st.sampled_from(["UTC", "Europe/Berlin", "Asia/Kolkata", "America/Los_Angeles", "Pacific/Auckland"]),
)
def test_the_mask_never_has_more_hours_than_the_windows_cover(raw, zone):
    windows = [
        window(day, f"{start:02d}:00", f"{min(start + length, 24):02d}:00") for day, start, length in raw
    ]
    total = sum(min(start + length, 24) - start for _, start, length in raw)
    mask = wh.utc_week_mask(windows, zone, reference=WINTER)
    assert mask.bit_count() <= total
    assert mask < 1 << wh.HOURS_PER_WEEK


def test_the_picker_offers_canonical_zones_only_not_their_old_aliases():
    choices = wh.timezone_choices()

    assert {"Asia/Kolkata", "Europe/Kyiv", "Africa/Nairobi", "UTC"} <= set(choices)
    assert not {"Asia/Calcutta", "Europe/Kiev", "Africa/Asmera"} & set(choices)
    # the aliases still validate (a saved legacy value keeps working)
    assert wh.validate_timezone("Asia/Calcutta") == "Asia/Calcutta"


def test_offset_labels_follow_daylight_saving_and_half_hours():
    winter = datetime(2026, 1, 15, 12, tzinfo=UTC)
    summer = datetime(2026, 7, 15, 12, tzinfo=UTC)

    assert wh.utc_offset_label("Europe/Berlin", winter) == "UTC+01:00"
    assert wh.utc_offset_label("Europe/Berlin", summer) == "UTC+02:00"
    assert wh.utc_offset_label("Asia/Kolkata", winter) == "UTC+05:30"
    assert wh.utc_offset_label("America/St_Johns", winter) == "UTC−03:30"
    assert wh.utc_offset_label("UTC", winter) == "UTC"


def test_working_deadline_and_working_minutes_agree():
    nine_to_five = [{"day": d, "start": "09:00", "end": "17:00"} for d in range(5)]
    mask = wh.utc_week_mask(nine_to_five, "UTC", reference=datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("UTC")))
    start = datetime(2026, 11, 23, 16, 45, tzinfo=ZoneInfo("UTC"))
    end = wh.working_deadline(mask, start, 60)
    assert end == datetime(2026, 11, 24, 9, 45, tzinfo=ZoneInfo("UTC"))
    assert wh.working_minutes_between(mask, start, end) == pytest.approx(60)
    assert wh.working_deadline(0, start, 60) == start + timedelta(hours=1)  # no hours set: wall clock
    assert wh.working_minutes_between(mask, end, start) == 0
