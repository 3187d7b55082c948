"""REST API for accounts: one error format, workspace scoping, pinned query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import Expertise, Profile, Skill
from core.throttling import WriteRateThrottle
from tests.clients import api_client_for
from tests.factories import ExpertiseFactory, OrganizationFactory, SkillFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(org):
    return member(org, full_name="Alice Archer", email="alice@acme.example")


@pytest.fixture
def api(alice):
    return api_client_for(alice)


def assert_error(response, status, code=None, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "fields"} <= set(body["error"])
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    if field:
        assert field in body["error"]["fields"], body
        assert body["error"]["fields"][field][0]
    return body["error"]


def test_anonymous_request_gets_the_error_format():
    response = APIClient().get("/api/me")
    assert_error(response, 403, code="not_authenticated")


def test_me_returns_person_workspace_and_profile(api, alice, org):
    body = api.get("/api/me").json()
    assert body["email"] == "alice@acme.example"
    assert body["workspace"]["name"] == org.name
    assert body["role"] == "member"
    assert body["profile"]["user_id"] == alice.pk


def test_patching_my_profile_saves_and_renders_bio_safely(api, alice):
    response = api.patch(
        "/api/me",
        {
            "headline": "Platform engineer",
            "bio": "I **love** Terraform <script>alert(1)</script>",
            "timezone": "Europe/Berlin",
            "working_hours": [{"day": 0, "start": "09:00", "end": "17:00"}],
            "capacity": 3,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    profile = Profile.objects.get(user=alice)
    assert profile.headline == "Platform engineer"
    assert "<strong>love</strong>" in profile.bio_html
    assert "<script>" not in profile.bio_html
    assert profile.utc_week_mask != "0" * 42


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        (
            {
                "working_hours": [
                    {"day": 1, "start": "09:00", "end": "12:00"},
                    {"day": 1, "start": "11:00", "end": "15:00"},
                ]
            },
            "working_hours",
        ),
        ({"working_hours": [{"day": 2, "start": "17:00", "end": "09:00"}]}, "working_hours"),
        ({"capacity": -1}, "capacity"),
        ({"capacity": 500}, "capacity"),
        ({"bio": "x" * 5001}, "bio"),
    ],
)
def test_bad_profile_input_is_a_field_error_and_changes_nothing(api, alice, payload, field):
    before = Profile.objects.values().get(user=alice)
    response = api.patch("/api/me", {"headline": "Changed", **payload}, format="json")
    assert_error(response, 400, code="invalid", field=field)
    assert Profile.objects.values().get(user=alice) == before


def test_expertise_level_outside_1_to_5_is_rejected(api, alice, org):
    skill = SkillFactory(organization=org, name="Python")
    response = api.post("/api/me/expertise", {"skill_id": skill.pk, "level": 6}, format="json")
    assert_error(response, 400, field="level")
    assert not Expertise.objects.filter(user=alice).exists()


def test_expertise_with_unknown_skill_id_is_not_found(api, alice):
    response = api.post("/api/me/expertise", {"skill_id": 999999, "level": 3}, format="json")
    assert_error(response, 404, code="not_found", field="skill_id")
    assert not Expertise.objects.filter(user=alice).exists()


def test_expertise_with_a_skill_of_another_workspace_is_not_found(api, alice):
    foreign = SkillFactory(organization=OrganizationFactory(), name="Go")
    response = api.post("/api/me/expertise", {"skill_id": foreign.pk, "level": 3}, format="json")
    assert_error(response, 404, code="not_found", field="skill_id")


def test_expertise_by_new_skill_name_creates_the_skill(api, alice, org):
    response = api.post(
        "/api/me/expertise", {"skill_name": "Terraform", "level": 4, "years": 3}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["skill"]["name"] == "Terraform"
    assert Skill.objects.filter(organization=org, name="Terraform").count() == 1


def test_profile_of_another_workspace_looks_exactly_like_a_missing_one(api):
    stranger = member(OrganizationFactory(), full_name="Stranger")
    foreign = api.get(f"/api/profiles/{stranger.pk}")
    missing = api.get("/api/profiles/987654321")
    assert_error(foreign, 404, code="not_found")
    assert foreign.json() == missing.json()


def test_directory_lists_only_my_workspace_and_filters_by_skill(api, alice, org):
    python = SkillFactory(organization=org, name="Python")
    bob = member(org, full_name="Bob Builder")
    ExpertiseFactory(user=bob, skill=python, level=4)
    member(org, full_name="Carol Cook")
    member(OrganizationFactory(), full_name="Outsider")

    everyone = api.get("/api/profiles").json()
    assert {p["full_name"] for p in everyone["results"]} == {"Alice Archer", "Bob Builder", "Carol Cook"}

    pythonistas = api.get("/api/profiles", {"skill": python.pk, "min_level": 3}).json()
    assert [p["full_name"] for p in pythonistas["results"]] == ["Bob Builder"]
    assert pythonistas["results"][0]["expertise"][0]["skill"]["name"] == "Python"


def test_directory_rejects_a_level_filter_outside_1_to_5(api):
    assert_error(api.get("/api/profiles", {"min_level": 9}), 400, field="min_level")


def _directory_queries(api, page_size):
    with CaptureQueriesContext(connection) as ctx:
        response = api.get("/api/profiles", {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
    return len(ctx.captured_queries)


def test_directory_query_count_does_not_grow_with_page_size(api, org):
    skills = [SkillFactory(organization=org) for _ in range(3)]
    for i in range(25):
        person = member(org)
        for skill in skills[: 1 + i % 3]:
            ExpertiseFactory(user=person, skill=skill)
    small = _directory_queries(api, 5)
    large = _directory_queries(api, 20)
    assert small == large
    assert large <= 8


def test_skill_autocomplete_matches_aliases_within_my_workspace(api, org):
    from accounts.services.skills import skill_create

    skill_create(organization=org, name="Kubernetes", aliases=["k8s"])
    skill_create(organization=OrganizationFactory(), name="K8s tooling")
    names = [skill["name"] for skill in api.get("/api/skills", {"q": "k8s"}).json()["results"]]
    assert names == ["Kubernetes"]


def test_creating_a_duplicate_skill_is_a_field_error(api, org):
    SkillFactory(organization=org, name="Python")
    response = api.post("/api/skills", {"name": "python"}, format="json")
    assert_error(response, 400, field="name")
    assert Skill.objects.filter(organization=org).count() == 1


def test_token_authentication_works_and_can_be_revoked(api, alice):
    token = api.post("/api/me/token").json()["token"]
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert script.get("/api/me").json()["id"] == alice.pk
    assert api.delete("/api/me/token").status_code == 204
    assert script.get("/api/me").status_code in (401, 403)


def test_writes_are_rate_limited_with_a_clear_error(api, monkeypatch):
    monkeypatch.setattr(WriteRateThrottle, "rate", "2/min", raising=False)
    for _ in range(2):
        assert api.patch("/api/me", {"headline": "x"}, format="json").status_code == 200
    assert_error(api.patch("/api/me", {"headline": "y"}, format="json"), 429, code="throttled")
