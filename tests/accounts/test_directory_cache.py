"""The directory (page and API) is kept in the read cache until a write it shows
(core.read_cache, topic "people"): every such write is seen on the next request."""

import pytest
from django.urls import reverse

from accounts import working_hours as wh
from accounts.models import Membership
from accounts.services.profiles import (
    expertise_remove,
    expertise_set,
    profile_refresh_week_masks,
    profile_update,
)
from accounts.services.skills import skill_alias_add, skill_create
from accounts.services.workspaces import member_deactivate
from tests.factories import OrganizationFactory, member, talent_manager

pytestmark = pytest.mark.django_db

DIRECTORY = reverse("accounts:directory")
API = "/api/profiles"


@pytest.fixture
def team():
    org = OrganizationFactory(name="Acme")
    rust = skill_create(organization=org, name="Rust")
    viewer = member(org, full_name="Viktor Viewer")
    priya = member(org, full_name="Priya Raman")
    manager = talent_manager(org, full_name="Mona Manager")
    expertise_set(user=priya, skill_id=rust.pk, level=4)
    return {"org": org, "rust": rust, "viewer": viewer, "priya": priya, "manager": manager}


@pytest.fixture
def viewer_client(client, team):
    client.force_login(team["viewer"])
    return client


def page(client, **params) -> str:
    response = client.get(DIRECTORY, params)
    assert response.status_code == 200
    return response.content.decode()


def api_names(client, **params) -> list[str]:
    response = client.get(API, params)
    assert response.status_code == 200
    return [row["full_name"] for row in response.json()["results"]]


def warm(client, **params):
    """Both forms read once, so the next read comes from the cache unless a write bumped it."""
    page(client, **params)
    api_names(client, **params)


def test_a_repeated_directory_read_is_served_from_the_cache(viewer_client, django_assert_max_num_queries):
    warm(viewer_client)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        viewer_client.get(DIRECTORY, {"q": "priya"})
    with CaptureQueriesContext(connection) as again:
        viewer_client.get(DIRECTORY, {"q": "priya"})
    assert len(again) < len(first)
    assert not any("accounts_profile" in q["sql"] and "COUNT" in q["sql"] for q in again.captured_queries)
    # what is left on a kept page: the session, the user, the membership, the bell's count
    assert len(again) <= 4, [q["sql"][:80] for q in again.captured_queries]


def test_a_profile_edit_shows_at_once(viewer_client, team):
    warm(viewer_client)
    profile_update(user=team["priya"], headline="Compiler whisperer", full_name="Priya R. Raman")
    assert "Compiler whisperer" in page(viewer_client)
    assert "Priya R. Raman" in api_names(viewer_client)


def test_expertise_added_and_removed_shows_at_once(viewer_client, team):
    warm(viewer_client, skill=team["rust"].pk)
    expertise_set(user=team["viewer"], skill_id=team["rust"].pk, level=3)
    assert "Viktor Viewer" in api_names(viewer_client, skill=team["rust"].pk)
    assert "Viktor Viewer" in page(viewer_client, skill=team["rust"].pk)
    expertise_remove(user=team["priya"], skill_id=team["rust"].pk)
    assert "Priya Raman" not in api_names(viewer_client, skill=team["rust"].pk)
    assert "Priya Raman" not in page(viewer_client, skill=team["rust"].pk)


def test_a_deactivated_member_leaves_the_directory_at_once(viewer_client, team):
    warm(viewer_client)
    assert "Priya Raman" in api_names(viewer_client)
    membership = Membership.objects.get(user=team["priya"])
    member_deactivate(actor=team["manager"], membership_id=membership.pk)
    assert "Priya Raman" not in api_names(viewer_client)
    assert "Priya Raman" not in page(viewer_client)


def test_a_new_member_and_a_new_skill_show_at_once(viewer_client, team):
    warm(viewer_client)
    member(team["org"], full_name="Nina Newcomer")
    skill_create(organization=team["org"], name="Zig")
    assert "Nina Newcomer" in api_names(viewer_client)
    body = page(viewer_client)
    assert "Nina Newcomer" in body
    assert ">Zig</option>" in body  # the skill filter's choices


def test_an_alias_added_later_finds_people_at_once(viewer_client, team):
    assert api_names(viewer_client, q="rs") == []
    skill_alias_add(skill=team["rust"], name="rs")
    assert api_names(viewer_client, q="rs") == ["Priya Raman"]


def test_the_weekly_mask_refresh_shows_in_the_overlap_filter(viewer_client, team):
    profile_update(user=team["viewer"], timezone="UTC", working_hours=wh.DEFAULT_WORKING_HOURS)
    profile_update(user=team["priya"], timezone="UTC", working_hours=wh.DEFAULT_WORKING_HOURS)
    assert "Priya Raman" in api_names(viewer_client, overlap_min_hours=10)
    # a mask gone stale (as after a daylight-saving change), then the weekly refresh
    team["priya"].profile.__class__.objects.filter(user=team["priya"]).update(utc_week_mask="0" * 42)
    from core import read_cache

    read_cache.bump("people", [team["org"].pk])
    assert "Priya Raman" not in api_names(viewer_client, overlap_min_hours=10)
    assert profile_refresh_week_masks() >= 1
    assert "Priya Raman" in api_names(viewer_client, overlap_min_hours=10)


def test_the_overlap_filter_is_kept_per_viewer(client, team):
    """Two viewers with different hours never share an overlap result."""
    profile_update(user=team["viewer"], timezone="UTC", working_hours=wh.DEFAULT_WORKING_HOURS)
    profile_update(user=team["priya"], timezone="UTC", working_hours=wh.DEFAULT_WORKING_HOURS)
    night = [{"day": day, "start": "12:00", "end": "16:00"} for day in range(5)]  # 23:00–03:00 UTC
    profile_update(user=team["manager"], timezone="Pacific/Auckland", working_hours=night)
    client.force_login(team["viewer"])
    assert "Priya Raman" in api_names(client, overlap_min_hours=10)
    client.force_login(team["manager"])
    assert "Priya Raman" not in api_names(client, overlap_min_hours=10)


def test_another_workspace_never_sees_this_ones_cached_directory(client, team):
    client.force_login(team["viewer"])
    warm(client)
    outsider = member(OrganizationFactory(), full_name="Olga Outsider")
    client.force_login(outsider)
    assert api_names(client) == ["Olga Outsider"]
    assert "Priya Raman" not in page(client)


def test_my_own_profile_in_the_api_follows_every_edit_at_once(viewer_client, team):
    from accounts.services.profiles import learning_goal_add

    def me() -> dict:
        response = viewer_client.get("/api/me")
        assert response.status_code == 200
        return response.json()["profile"]

    assert me()["learning_goals"] == []
    learning_goal_add(user=team["viewer"], skill_id=team["rust"].pk)
    assert [goal["skill"]["name"] for goal in me()["learning_goals"]] == ["Rust"]
    expertise_set(user=team["viewer"], skill_id=team["rust"].pk, level=2)
    assert [(item["skill"]["name"], item["level"]) for item in me()["expertise"]] == [("Rust", 2)]
    response = viewer_client.patch("/api/me", {"headline": "Learning Rust"}, content_type="application/json")
    assert response.json()["profile"]["headline"] == "Learning Rust"
    assert me()["headline"] == "Learning Rust"
