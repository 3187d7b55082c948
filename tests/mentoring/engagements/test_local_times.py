"""Commitment and milestone due times are read in the typist's time zone and shown in
the viewer's (core.local_time), not stored and shown as if everybody were in UTC."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core import clock
from mentoring.models import Commitment, Milestone
from tests.clients import client_for
from tests.mentoring.factories import mentor, pair_engagement

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def in_zone(user, zone: ZoneInfo):
    user.profile.timezone = zone.key
    user.profile.save(update_fields=["timezone"])
    return user


@pytest.fixture
def pair(org, seeker):
    berlin_mentor = in_zone(mentor(org, full_name="Berta Berlin"), BERLIN)
    in_zone(seeker, NEW_YORK)
    return pair_engagement(org, seeker=seeker, mentor_user=berlin_mentor), berlin_mentor, seeker


def day_after_tomorrow():
    return (clock.now() + timedelta(days=2)).date()


def test_a_due_time_typed_in_berlin_is_stored_as_that_moment_and_shown_in_each_viewers_zone(pair):
    engagement, berlin_mentor, new_yorker = pair
    day = day_after_tomorrow()

    response = client_for(berlin_mentor).post(
        f"/engagements/{engagement.pk}/commitments/",
        {"commitment-text": "Review the module", "commitment-due_at": f"{day:%Y-%m-%d}T10:00"},
    )

    assert response.status_code == 302
    due = Commitment.objects.get().due_at
    assert due == datetime(day.year, day.month, day.day, 10, 0, tzinfo=BERLIN)
    berlin_page = client_for(berlin_mentor).get(f"/engagements/{engagement.pk}/").content.decode()
    new_york_page = client_for(new_yorker).get(f"/engagements/{engagement.pk}/").content.decode()
    assert f"{due.astimezone(BERLIN):%H:%M %Z}" in berlin_page
    assert f"{due.astimezone(NEW_YORK):%H:%M %Z}" in new_york_page
    assert "10:00 UTC" not in berlin_page


def test_a_milestone_date_is_the_end_of_that_day_where_the_person_typed_it(pair):
    engagement, berlin_mentor, _ = pair
    day = day_after_tomorrow()

    client_for(berlin_mentor).post(
        f"/engagements/{engagement.pk}/milestones/",
        {"milestone-title": "Module merged", "milestone-due_on": f"{day:%Y-%m-%d}"},
    )

    assert Milestone.objects.get().due_at == datetime(day.year, day.month, day.day, 23, 59, tzinfo=BERLIN)
