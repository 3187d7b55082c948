"""Notifications in HTML: the /notifications/ page (mark one or all read, open one,
paginated), the bell in the nav without JavaScript, and the preferences form with
field errors. Someone else's notification is the 404 page."""

import pytest

from messaging.notifications import selectors
from messaging.notifications.preferences import preferences_of
from tests.clients import client_for
from tests.messaging.factories import invitations

pytestmark = pytest.mark.django_db


def test_the_page_shows_an_empty_state(ana):
    response = client_for(ana).get("/notifications/")

    assert response.status_code == 200
    assert "Nothing yet." in response.content.decode()


def test_the_page_lists_mine_and_marks_one_then_all_read(ana, ben):
    first, _second = invitations(ana, 2)
    invitations(ben, 1, link="")
    client = client_for(ana)

    page = client.get("/notifications/").content.decode()
    one = client.post("/notifications/read/", {"id": first.pk, "page": "1"})
    everything = client.post("/notifications/read/", {"all": "1"})

    assert "Invitation 1" in page and "Invitation 2" in page and "2 unread." in page
    assert one.status_code == 302 and one["Location"] == "/notifications/?page=1"
    assert everything.status_code == 302
    assert selectors.unread_count(ana) == 0
    assert selectors.unread_count(ben) == 1


def test_the_page_cannot_mark_someone_elses_notification(ana, ben):
    [anas] = invitations(ana)

    response = client_for(ben).post("/notifications/read/", {"id": anas.pk})
    garbage = client_for(ben).post("/notifications/read/", {"id": "abc"})

    assert response.status_code == 404 and garbage.status_code == 404
    anas.refresh_from_db()
    assert anas.read_at is None


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(ana, ben):
    [anas] = invitations(ana)

    response = client_for(ana).post(f"/notifications/{anas.pk}/open/")
    foreign = client_for(ben).post(f"/notifications/{anas.pk}/open/")

    assert response.status_code == 302 and response["Location"] == "/mentoring/invitations/"
    assert foreign.status_code == 404
    anas.refresh_from_db()
    assert anas.read_at is not None


def test_the_page_is_paginated(ana):
    invitations(ana, 30)

    first = client_for(ana).get("/notifications/").content.decode()
    second = client_for(ana).get("/notifications/?page=2").content.decode()

    assert "Invitation 30" in first and "Page 1 of 2" in first and "Invitation 5" not in first
    assert "Invitation 5" in second and "Invitation 30" not in second


def test_the_bell_shows_the_unread_count_without_javascript(ana):
    invitations(ana, 3)

    html = client_for(ana).get("/notifications/").content.decode()

    assert 'href="/notifications/"' in html
    assert "data-notification-number>3<" in html
    assert 'aria-live="polite"' in html


def test_the_preferences_form_saves_and_reports_field_errors(ana):
    client = client_for(ana)
    valid = {"unread_email_delay_minutes": "45", "mentions__daily_digest": "on"}

    saved = client.post("/notifications/preferences/", valid)
    bad = client.post("/notifications/preferences/", {"unread_email_delay_minutes": "9999"})
    missing = client.post("/notifications/preferences/", {})

    assert saved.status_code == 302
    preferences = preferences_of(ana)
    assert preferences.unread_email_delay_minutes == 45
    assert preferences.groups["mentions"] == {"email_when_unread": False, "daily_digest": True}
    assert bad.status_code == 400
    assert "unread_email_delay_minutes" in bad.context["form"].errors
    assert 'aria-invalid="true"' in bad.content.decode()
    assert missing.status_code == 400
    assert missing.context["form"].errors["unread_email_delay_minutes"] == [
        "Give a number of minutes (0 for at once)."
    ]
    assert preferences_of(ana).unread_email_delay_minutes == 45
