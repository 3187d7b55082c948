"""Notifications over REST: list (pinned query count), unread count, mark read
(someone else's is not found), preferences with field errors."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from messaging.models import NotificationPreference
from messaging.notifications import services
from tests.clients import api_client_for
from tests.messaging.factories import invitations

pytestmark = pytest.mark.django_db


def test_the_list_is_mine_only_newest_first_and_paginated(ana, ben):
    invitations(ana, 3)
    invitations(ben, 1)

    response = api_client_for(ana).get("/api/notifications?page_size=2")

    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 3
    assert [n["title"] for n in data["results"]] == ["Invitation 3", "Invitation 2"]
    assert set(data["results"][0]) == {"id", "kind", "title", "body", "link", "created_at", "read_at"}
    assert data["next"] is not None


@pytest.mark.parametrize("page_size", [1, 20])
def test_the_list_takes_the_same_number_of_queries_for_any_page_size(ana, page_size):
    invitations(ana, 20)
    client = api_client_for(ana)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/notifications?page_size={page_size}")

    assert response.status_code == 200 and len(response.json()["results"]) == page_size
    # session, user, membership, count, page
    assert len(queries) == 5, [q["sql"] for q in queries]


def test_the_unread_count_counts_only_my_unread_ones(ana, ben):
    first, _second = invitations(ana, 2)
    invitations(ben, 4)
    services.notifications_mark_read(user=ana, ids=[first.pk])

    assert api_client_for(ana).get("/api/notifications/unread-count").json() == {"unread_count": 1}


def test_marking_read_by_ids_or_all_answers_the_new_count(ana):
    first, _second, _third = invitations(ana, 3)
    client = api_client_for(ana)

    one = client.post("/api/notifications/read", {"ids": [first.pk]}, format="json")
    rest = client.post("/api/notifications/read", {"all": True}, format="json")

    assert (one.status_code, one.json()) == (200, {"unread_count": 2})
    assert (rest.status_code, rest.json()) == (200, {"unread_count": 0})


def test_marking_someone_elses_notification_over_rest_is_not_found(ana, ben):
    [anas] = invitations(ana)

    response = api_client_for(ben).post("/api/notifications/read", {"ids": [anas.pk]}, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    anas.refresh_from_db()
    assert anas.read_at is None


def test_marking_read_without_ids_names_the_field(ana):
    response = api_client_for(ana).post("/api/notifications/read", {}, format="json")

    assert response.status_code == 400
    assert "ids" in response.json()["error"]["fields"]


def test_preferences_read_back_and_change(ana):
    client = api_client_for(ana)

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
    response = api_client_for(ana).patch(
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
