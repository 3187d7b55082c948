"""The OpenAPI schema describes what the API answers (paginated list shapes,
every error status with the envelope), and requests are validated strictly."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Skill
from tests.clients import api_client_for
from tests.factories import member, talent_manager

pytestmark = pytest.mark.django_db

LISTS = ["/api/engagements", "/api/invitations", "/api/profiles", "/api/requests", "/api/skills"]


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def resolve(schema, ref_or_schema):
    ref = ref_or_schema.get("$ref")
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else ref_or_schema


@pytest.mark.parametrize("path", LISTS)
def test_list_endpoints_are_documented_as_pages(schema, path):
    body = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]

    page = resolve(schema, body)
    assert set(page["properties"]) == {"count", "next", "previous", "results"}
    assert page["properties"]["results"]["type"] == "array"


@pytest.mark.parametrize("path", LISTS)
def test_list_endpoints_answer_with_the_documented_page(path):
    body = api_client_for(member()).get(path).json()

    assert set(body) == {"count", "next", "previous", "results"}


def test_every_operation_documents_its_error_statuses_with_the_envelope(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            for status in ("400", "403", "404", "409", "429"):
                response = operation["responses"].get(status)
                assert response, f"{method.upper()} {path} does not document {status}"
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorEnvelope"), (method, path, status)


def test_a_blank_name_over_multipart_is_a_400_and_keeps_the_name():
    user = member(full_name="Ana Mentor")

    response = api_client_for(user).patch("/api/me", {"full_name": ""}, format="multipart")

    assert response.status_code == 400
    assert "full_name" in response.json()["error"]["fields"]
    user.refresh_from_db()
    assert user.full_name == "Ana Mentor"


@pytest.mark.parametrize("alias", ["{}", "[]", "  ", "--"])
def test_a_malformed_alias_is_a_400_and_stores_nothing(alias):
    manager = talent_manager()

    response = api_client_for(manager).post(
        "/api/skills", {"name": "Terraform", "aliases": [alias]}, format="multipart"
    )

    assert response.status_code == 400, response.json()
    assert not Skill.objects.filter(organization=manager.membership.organization).exists()


@pytest.mark.parametrize("page_size", ["abc", "0", "101", "2.5", "-1"])
def test_a_wrongly_typed_page_size_is_a_400_naming_it(page_size):
    response = api_client_for(member()).get("/api/skills", {"page_size": page_size})

    assert response.status_code == 400
    assert "page_size" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "body",
    [
        {"unread_email_delay_minutes": 30.5},
        {"unread_email_delay_minutes": True},
        {"unread_email_delay_minutes": "30"},
        {"groups": {"engagements": {"email_when_unread": "yes"}}},
        {"groups": {"engagements": {"email_when_unread": 1}}},
        {"groups": {"no_such_group": {"daily_digest": True}}},
        {"delay": 5},
    ],
)
def test_wrongly_typed_notification_preferences_are_a_400(body):
    api = api_client_for(member())
    before = api.get("/api/notifications/preferences").json()

    response = api.patch("/api/notifications/preferences", body, format="json")

    assert response.status_code == 400, response.json()
    assert api.get("/api/notifications/preferences").json() == before


def test_well_typed_notification_preferences_are_stored():
    api = api_client_for(member())

    response = api.patch("/api/notifications/preferences", {"unread_email_delay_minutes": 45}, format="json")

    assert response.status_code == 200
    assert response.json()["unread_email_delay_minutes"] == 45
