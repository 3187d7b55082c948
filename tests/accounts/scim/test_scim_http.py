"""SCIM 2.0 against the running server over HTTP, with the request sequences an identity
provider sends (look up by userName, create, patch, deactivate, delete), every response
checked against the RFC 7643/7644 schemas (``schemas.py``)."""

import jsonschema
import pytest
import requests
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts.models import AuditEntry, Membership, ScimIdentity, User, UserSession, WorkspaceDomain
from accounts.scim.tokens import scim_token_create, scim_token_revoke
from tests.accounts.scim import schemas
from tests.factories import DEFAULT_PASSWORD, member, talent_manager

SCIM_JSON = "application/scim+json"


@pytest.fixture
def acme(org):
    WorkspaceDomain.objects.create(organization=org, domain="acme.test")
    return org


@pytest.fixture
def manager(acme):
    return talent_manager(acme, email="tm@acme.test")


class Scim:
    """An identity provider's SCIM client: base URL and bearer token."""

    def __init__(self, base_url: str, token: str):
        self.base = base_url
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept": SCIM_JSON})

    def call(self, method, path, body=None, **headers):
        if body is not None:
            headers["Content-Type"] = SCIM_JSON
        return self.session.request(method, self.base + path, json=body, headers=headers, timeout=30)


@pytest.fixture
def scim(live_server, manager):
    _, token = scim_token_create(actor=manager, note="Okta")
    return Scim(f"{live_server.url}/scim/v2/", token)


def new_user(user_name="ann@acme.test", **extra):
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": {"givenName": "Ann", "familyName": "Lee"},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "externalId": "00u1",
        "active": True,
        **extra,
    }


def patch(*operations):
    return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": list(operations)}


def assert_scim(response, status, schema):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(SCIM_JSON)
    jsonschema.validate(response.json(), schema, format_checker=jsonschema.FormatChecker())
    return response.json()


def assert_error(response, status, scim_type=None):
    body = assert_scim(response, status, schemas.ERROR)
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert body["detail"]
    return body


def test_identity_provider_sequence_create_patch_deactivate_delete(scim, acme):
    # an IdP looks the person up first
    listed = assert_scim(
        scim.call("GET", 'Users?filter=userName eq "ann@acme.test"'), 200, schemas.LIST_RESPONSE
    )
    assert listed["totalResults"] == 0

    created = scim.call("POST", "Users", new_user())
    body = assert_scim(created, 201, schemas.USER)
    assert body["userName"] == "ann@acme.test" and body["active"] is True
    assert created.headers["Location"] == body["meta"]["location"]
    assert created.headers["ETag"] == body["meta"]["version"]
    ann = User.objects.get(email="ann@acme.test")
    assert ann.full_name == "Ann Lee" and not ann.has_usable_password()
    assert Membership.objects.get(user=ann).organization == acme

    listed = assert_scim(
        scim.call("GET", 'Users?filter=userName eq "ANN@acme.test"'), 200, schemas.LIST_RESPONSE
    )
    assert [resource["id"] for resource in listed["Resources"]] == [body["id"]]

    # conditional GET
    fetched = scim.call("GET", f"Users/{body['id']}", **{"If-None-Match": created.headers["ETag"]})
    assert fetched.status_code == 304

    renamed = scim.call(
        "PATCH", f"Users/{body['id']}", patch({"op": "replace", "path": "name.familyName", "value": "Smith"})
    )
    renamed_body = assert_scim(renamed, 200, schemas.USER)
    assert renamed_body["name"]["familyName"] == "Smith"
    assert renamed.headers["ETag"] != created.headers["ETag"]
    stale = scim.call(
        "PATCH",
        f"Users/{body['id']}",
        patch({"op": "replace", "path": "displayName", "value": "Nope"}),
        **{"If-Match": created.headers["ETag"]},
    )
    assert_error(stale, 412)
    assert User.objects.get(pk=ann.pk).full_name == "Ann Smith"

    # Ann is signed in, with an API token; the IdP deactivates her (Azure sends "False")
    browser = Client()
    browser.force_login(ann)
    Token.objects.create(user=ann)
    assert UserSession.objects.filter(user=ann).exists()
    off = scim.call(
        "PATCH", f"Users/{body['id']}", patch({"op": "Replace", "path": "active", "value": "False"})
    )
    assert assert_scim(off, 200, schemas.USER)["active"] is False
    ann.refresh_from_db()
    assert not ann.is_active and not Membership.objects.get(user=ann).is_active
    assert not UserSession.objects.filter(user=ann).exists()
    assert not Token.objects.filter(user=ann).exists()
    assert browser.get("/people/").status_code == 302  # the session is over
    deactivation = AuditEntry.objects.get(action="member.deactivated", details__user_id=ann.pk)
    assert deactivation.actor is None and deactivation.details["via"] == "scim"

    # PUT brings her back
    back = scim.call("PUT", f"Users/{body['id']}", new_user(active=True))
    assert assert_scim(back, 200, schemas.USER)["active"] is True
    assert User.objects.get(pk=ann.pk).is_active

    # DELETE: gone for SCIM, history kept
    assert scim.call("DELETE", f"Users/{body['id']}").status_code == 204
    assert_error(scim.call("GET", f"Users/{body['id']}"), 404)
    assert User.objects.filter(pk=ann.pk, is_active=False).exists()
    assert Membership.objects.filter(user=ann, is_active=False).exists()
    actions = list(AuditEntry.objects.filter(action__startswith="scim.user").values_list("action", flat=True))
    assert sorted(set(actions)) == ["scim.user_created", "scim.user_deleted", "scim.user_updated"]


def test_pagination_follows_start_index_and_count(scim):
    for n in range(5):
        assert scim.call("POST", "Users", new_user(f"p{n}@acme.test", externalId=f"x{n}")).status_code == 201
    page = assert_scim(scim.call("GET", "Users?startIndex=3&count=2"), 200, schemas.LIST_RESPONSE)
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 3, 2)
    assert [r["userName"] for r in page["Resources"]] == ["p2@acme.test", "p3@acme.test"]
    assert assert_scim(scim.call("GET", 'Users?filter=externalId eq "x4"'), 200, schemas.LIST_RESPONSE)[
        "Resources"
    ][0]["userName"] == ("p4@acme.test")


@pytest.mark.parametrize(
    "expression",
    [
        "userName eq ann@acme.test",
        'userName sw "ann"',
        'password eq "x"',
        'userName eq "a" and active eq true',
        "",
    ],
)
def test_malformed_or_unsupported_filter_is_400_invalid_filter(scim, expression):
    response = scim.call("GET", "Users?filter=" + requests.utils.quote(expression)) if expression else None
    if response is None:  # an empty filter= is a filter that is not valid either
        response = scim.call("GET", "Users?filter=%20")
    assert_error(response, 400, "invalidFilter")


def test_duplicate_user_name_is_409_and_changes_nothing(scim):
    assert scim.call("POST", "Users", new_user()).status_code == 201
    before = (User.objects.count(), ScimIdentity.objects.count(), AuditEntry.objects.count())
    assert_error(scim.call("POST", "Users", new_user("ANN@acme.test")), 409, "uniqueness")
    assert (User.objects.count(), ScimIdentity.objects.count(), AuditEntry.objects.count()) == before


def test_address_of_someone_in_another_workspace_is_409(scim, other_org):
    member(other_org, email="carol@acme.test")
    assert_error(scim.call("POST", "Users", new_user("carol@acme.test")), 409, "uniqueness")
    assert not ScimIdentity.objects.exists()


def test_an_existing_member_is_adopted_by_address(scim, acme):
    dave = member(acme, email="dave@acme.test")
    body = assert_scim(scim.call("POST", "Users", new_user("dave@acme.test")), 201, schemas.USER)
    assert ScimIdentity.objects.get(scim_id=body["id"]).user == dave


def test_address_at_a_foreign_domain_is_400_and_changes_nothing(scim):
    assert_error(scim.call("POST", "Users", new_user("eve@elsewhere.test")), 400, "invalidValue")
    assert not User.objects.filter(email="eve@elsewhere.test").exists()


def test_bad_patch_changes_nothing(scim):
    body = scim.call("POST", "Users", new_user()).json()
    response = scim.call(
        "PATCH",
        f"Users/{body['id']}",
        patch(
            {"op": "replace", "path": "active", "value": False},
            {"op": "replace", "path": "password", "value": "x"},
        ),
    )
    assert_error(response, 400, "invalidPath")
    assert User.objects.get(email="ann@acme.test").is_active


def test_revoked_or_missing_token_is_401(live_server, manager):
    row, token = scim_token_create(actor=manager)
    client = Scim(f"{live_server.url}/scim/v2/", token)
    assert client.call("GET", "Users").status_code == 200
    scim_token_revoke(actor=manager, token_id=row.pk)
    response = client.call("GET", "Users")
    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    anonymous = requests.get(f"{live_server.url}/scim/v2/Users", timeout=30)
    assert anonymous.status_code == 401
    assert {"scim.token_created", "scim.token_revoked"} <= set(
        AuditEntry.objects.values_list("action", flat=True)
    )


def test_a_token_reaches_only_its_own_workspace(live_server, scim, other_org):
    body = scim.call("POST", "Users", new_user()).json()
    other_manager = talent_manager(other_org)
    _, other_token = scim_token_create(actor=other_manager)
    other = Scim(f"{live_server.url}/scim/v2/", other_token)
    assert_error(other.call("GET", f"Users/{body['id']}"), 404)
    assert_error(other.call("DELETE", f"Users/{body['id']}"), 404)
    assert assert_scim(other.call("GET", "Users"), 200, schemas.LIST_RESPONSE)["totalResults"] == 0
    assert User.objects.get(email="ann@acme.test").is_active


def test_service_provider_config_describes_what_is_supported(scim):
    body = scim.call("GET", "ServiceProviderConfig").json()
    assert body["patch"]["supported"] and body["etag"]["supported"] and not body["bulk"]["supported"]
    assert body["filter"] == {"supported": True, "maxResults": 200}


def test_password_of_a_provisioned_person_does_not_exist(scim):
    scim.call("POST", "Users", new_user())
    assert not Client().login(email="ann@acme.test", password=DEFAULT_PASSWORD)


def test_a_deleted_person_provisioned_again_comes_back_active(scim):
    first = scim.call("POST", "Users", new_user()).json()
    assert scim.call("DELETE", f"Users/{first['id']}").status_code == 204
    again = assert_scim(scim.call("POST", "Users", new_user()), 201, schemas.USER)
    assert again["active"] is True
    assert User.objects.get(email="ann@acme.test").is_active
    assert User.objects.filter(email="ann@acme.test").count() == 1
