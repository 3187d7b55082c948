"""Notifications over REST and HTML: list (pinned query count), unread count,
mark read (someone else's is not found), preferences with field errors, the
/notifications/ page and the bell in the nav."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from messaging.models import NotificationPreference
from messaging.notifications import services as notifications
from tests.factories import OrganizationFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return OrganizationFactory()


@pytest.fixture
def ana(org):
    return member(org, full_name="Ana Mentor")


@pytest.fixture
def ben(org):
    return member(org, full_name="Ben Builder")


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make(user, count=1, kind="invitation.received", link="/mentoring/invitations/"):
    rows = []
    for i in range(count):
        rows += notifications.notification_create(
            recipients=[user], kind=kind, title=f"Invitation {i + 1}", body="Please answer.", link=link
        )
    return rows


def test_the_list_is_mine_only_newest_first_and_paginated(ana, ben):
    make(ana, 3)
    make(ben, 1)

    response = api(ana).get("/api/notifications?page_size=2")

    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 3
    assert [n["title"] for n in data["results"]] == ["Invitation 3", "Invitation 2"]
    assert set(data["results"][0]) == {"id", "kind", "title", "body", "link", "created_at", "read_at"}
    assert data["next"] is not None


@pytest.mark.parametrize("page_size", [1, 20])
def test_the_list_takes_the_same_number_of_queries_for_any_page_size(ana, page_size):
    make(ana, 20)
    client = api(ana)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/notifications?page_size={page_size}")

    assert response.status_code == 200 and len(response.json()["results"]) == page_size
    # session, user, membership, count, page
    assert len(queries) == 5, [q["sql"] for q in queries]


def test_the_unread_count_counts_only_my_unread_ones(ana, ben):
    first, _second = make(ana, 2)
    make(ben, 4)
    notifications.notifications_mark_read(user=ana, ids=[first.pk])

    assert api(ana).get("/api/notifications/unread-count").json() == {"unread_count": 1}


def test_marking_read_by_ids_or_all_answers_the_new_count(ana):
    first, _second, _third = make(ana, 3)
    client = api(ana)

    one = client.post("/api/notifications/read", {"ids": [first.pk]}, format="json")
    rest = client.post("/api/notifications/read", {"all": True}, format="json")

    assert (one.status_code, one.json()) == (200, {"unread_count": 2})
    assert (rest.status_code, rest.json()) == (200, {"unread_count": 0})


def test_marking_someone_elses_notification_over_rest_is_not_found(ana, ben):
    [anas] = make(ana)

    response = api(ben).post("/api/notifications/read", {"ids": [anas.pk]}, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    anas.refresh_from_db()
    assert anas.read_at is None


def test_marking_read_without_ids_names_the_field(ana):
    response = api(ana).post("/api/notifications/read", {}, format="json")

    assert response.status_code == 400
    assert "ids" in response.json()["error"]["fields"]


def test_preferences_read_back_and_change(ana):
    client = api(ana)

    before = client.get("/api/notifications/preferences").json()
    response = client.patch(
        "/api/notifications/preferences",
        {"groups": {"mentions": {"email_when_unread": False}}, "unread_email_delay_minutes": 10},
        format="json",
    )

    assert before["groups"]["mentions"] == {"email_when_unread": True, "daily_digest": True}
    assert response.status_code == 200
    assert response.json()["groups"]["mentions"] == {"email_when_unread": False, "daily_digest": True}
    assert response.json()["unread_email_delay_minutes"] == 10


def test_bad_preferences_over_rest_are_field_errors_and_store_nothing(ana):
    response = api(ana).patch(
        "/api/notifications/preferences",
        {"groups": {"mentions": {"email_when_unread": "sometimes"}}, "unread_email_delay_minutes": -1},
        format="json",
    )

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "unread_email_delay_minutes" in fields
    assert any("mentions" in name or "groups" in name for name in fields)
    assert not NotificationPreference.objects.filter(user=ana).exists()


def test_the_api_needs_a_login():
    assert APIClient().get("/api/notifications").status_code in (401, 403)


# --- HTML ------------------------------------------------------------------------------


def test_the_page_shows_an_empty_state(ana):
    response = browser(ana).get("/notifications/")

    assert response.status_code == 200
    assert "Nothing yet." in response.content.decode()


def test_the_page_lists_mine_and_marks_one_then_all_read(ana, ben):
    first, _second = make(ana, 2)
    make(ben, 1, link="")
    client = browser(ana)

    page = client.get("/notifications/").content.decode()
    one = client.post("/notifications/read/", {"id": first.pk, "page": "1"})
    everything = client.post("/notifications/read/", {"all": "1"})

    assert "Invitation 1" in page and "Invitation 2" in page and "2 unread." in page
    assert one.status_code == 302 and one["Location"] == "/notifications/?page=1"
    assert everything.status_code == 302
    assert notifications.unread_count(ana) == 0
    assert notifications.unread_count(ben) == 1


def test_the_page_cannot_mark_someone_elses_notification(ana, ben):
    [anas] = make(ana)

    response = browser(ben).post("/notifications/read/", {"id": anas.pk})
    garbage = browser(ben).post("/notifications/read/", {"id": "abc"})

    assert response.status_code == 404 and garbage.status_code == 404
    anas.refresh_from_db()
    assert anas.read_at is None


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(ana, ben):
    [anas] = make(ana)

    response = browser(ana).post(f"/notifications/{anas.pk}/open/")
    foreign = browser(ben).post(f"/notifications/{anas.pk}/open/")

    assert response.status_code == 302 and response["Location"] == "/mentoring/invitations/"
    assert foreign.status_code == 404
    anas.refresh_from_db()
    assert anas.read_at is not None


def test_the_page_is_paginated(ana):
    make(ana, 30)

    first = browser(ana).get("/notifications/").content.decode()
    second = browser(ana).get("/notifications/?page=2").content.decode()

    assert "Invitation 30" in first and "Page 1 of 2" in first and "Invitation 5" not in first
    assert "Invitation 5" in second and "Invitation 30" not in second


def test_the_bell_shows_the_unread_count_without_javascript(ana):
    make(ana, 3)

    html = browser(ana).get("/notifications/").content.decode()

    assert 'href="/notifications/"' in html
    assert "data-notification-number>3<" in html
    assert 'aria-live="polite"' in html


def test_the_preferences_form_saves_and_reports_field_errors(ana):
    client = browser(ana)
    valid = {"unread_email_delay_minutes": "45", "mentions__daily_digest": "on"}

    saved = client.post("/notifications/preferences/", valid)
    bad = client.post("/notifications/preferences/", {"unread_email_delay_minutes": "9999"})
    missing = client.post("/notifications/preferences/", {})

    assert saved.status_code == 302
    preferences = notifications.preferences_of(ana)
    assert preferences.unread_email_delay_minutes == 45
    assert preferences.groups["mentions"] == {"email_when_unread": False, "daily_digest": True}
    assert bad.status_code == 400
    assert "unread_email_delay_minutes" in bad.context["form"].errors
    assert 'aria-invalid="true"' in bad.content.decode()
    assert missing.status_code == 400
    assert missing.context["form"].errors["unread_email_delay_minutes"] == [
        "Give a number of minutes (0 for at once)."
    ]
    assert notifications.preferences_of(ana).unread_email_delay_minutes == 45
