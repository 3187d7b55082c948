"""The workspace security policy: talent managers can require two-factor
authentication for talent managers or for everyone; it holds on every page from
login on and on the API (session or token); the security page lists who has not
enrolled yet."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import AuditEntry, Organization
from tests.clients import api_client_for, client_for
from tests.factories import DEFAULT_PASSWORD, member, talent_manager
from tests.messaging.sockets.client import open_as

pytestmark = pytest.mark.django_db
SETUP = reverse("mfa_activate_totp")


def set_policy(org, policy):
    org.mfa_policy = policy
    org.save(update_fields=["mfa_policy"])


def enrol(user):
    TOTP.activate(user, generate_totp_secret())


def test_a_talent_manager_sets_the_policy_and_it_is_audited(org):
    manager = talent_manager(org)
    enrol(manager)  # or the manager would lock themself out of the page at once

    response = client_for(manager).post(reverse("accounts:workspace_security"), {"mfa_policy": "everyone"})

    assert response.status_code == 302
    org.refresh_from_db()
    assert org.mfa_policy == Organization.MfaPolicy.EVERYONE
    assert AuditEntry.objects.filter(action="workspace.mfa_policy", actor=manager).exists()


def test_a_member_cannot_set_the_policy(org):
    person = member(org)

    response = client_for(person).post(reverse("accounts:workspace_security"), {"mfa_policy": "off"})

    assert response.status_code == 403
    org.refresh_from_db()
    assert org.mfa_policy == Organization.MfaPolicy.OFF


def test_required_for_talent_managers_holds_for_them_on_pages_and_the_api_but_not_for_members(org):
    set_policy(org, Organization.MfaPolicy.TALENT_MANAGERS)
    manager, person = talent_manager(org), member(org)
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=manager).key}")

    page = client_for(manager).get("/manage/")
    api = api_client_for(manager).get("/api/me")
    by_token = token.get("/api/me")

    assert page.status_code == 302 and page["Location"] == SETUP
    assert api.status_code == 403 and api.json()["error"]["code"] == "mfa_required"
    assert by_token.status_code == 403 and by_token.json()["error"]["code"] == "mfa_required"
    assert client_for(person).get("/").status_code == 200
    assert api_client_for(person).get("/api/me").status_code == 200


def test_required_for_everyone_is_enforced_right_after_login_until_the_person_enrols(client, org):
    set_policy(org, Organization.MfaPolicy.EVERYONE)
    person = member(org)

    client.post(reverse("account_login"), {"login": person.email, "password": DEFAULT_PASSWORD})
    home = client.get("/")
    setup_page = client.get(SETUP, follow=True)

    assert home.status_code == 302 and home["Location"] == SETUP
    assert setup_page.status_code == 200  # the set-up page itself (after re-authentication) is reachable
    enrol(person)
    assert client.get("/").status_code == 200
    assert api_client_for(person).get("/api/me").status_code == 200


def test_the_security_page_lists_who_has_not_enrolled(org):
    manager = talent_manager(org, full_name="Tess Manager")
    enrolled = member(org, full_name="Eve Enrolled")
    member(org, full_name="Nia Missing")
    enrol(enrolled)

    page = client_for(manager).get(reverse("accounts:workspace_security")).content.decode()

    assert "Nia Missing" in page and "Tess Manager" in page
    assert "Eve Enrolled" not in page


def test_the_dashboard_shows_who_has_not_enrolled_while_a_policy_is_on(org):
    manager = talent_manager(org, full_name="Tess Manager")
    enrol(manager)
    member(org, full_name="Nia Missing")
    client = client_for(manager)

    before = client.get("/manage/").content.decode()
    set_policy(org, Organization.MfaPolicy.EVERYONE)
    after = client.get("/manage/").content.decode()

    assert "Nia Missing" not in before
    assert "Not enrolled in two-factor authentication yet (1)" in after and "Nia Missing" in after


@pytest.mark.django_db(transaction=True)
class TestSockets:
    async def test_without_mfa_the_socket_closes_with_4428_at_connect_and_opens_once_enrolled(self, org):
        from asgiref.sync import sync_to_async

        from messaging.sockets.consumers import CLOSE_MFA_REQUIRED

        await sync_to_async(set_policy)(org, Organization.MfaPolicy.EVERYONE)
        person = await sync_to_async(member)(org)

        socket, first = await open_as(person)
        assert first == {"type": "websocket.close", "code": CLOSE_MFA_REQUIRED}
        await socket.wait()

        await sync_to_async(enrol)(person)
        socket, first = await open_as(person)
        assert first["type"] == "websocket.send" and '"hello"' in first["text"]
        await socket.disconnect()

    async def test_turning_the_policy_on_closes_the_open_sockets_of_those_without_mfa(self, org):
        from asgiref.sync import sync_to_async

        from accounts.services.security import workspace_mfa_policy_set
        from messaging.sockets.consumers import CLOSE_MFA_REQUIRED

        manager = await sync_to_async(talent_manager)(org)
        without, enrolled = await sync_to_async(member)(org), await sync_to_async(member)(org)
        await sync_to_async(enrol)(manager)
        await sync_to_async(enrol)(enrolled)
        without_socket, _ = await open_as(without)
        enrolled_socket, _ = await open_as(enrolled)

        await sync_to_async(workspace_mfa_policy_set)(actor=manager, policy=Organization.MfaPolicy.EVERYONE)

        assert await without_socket.receive_output(timeout=5) == {
            "type": "websocket.close",
            "code": CLOSE_MFA_REQUIRED,
        }
        await without_socket.wait()
        await enrolled_socket.send_json_to({"type": "ping", "ref": "still"})
        assert await enrolled_socket.receive_json_from(timeout=5) == {"type": "pong", "ref": "still"}
        await enrolled_socket.disconnect()
