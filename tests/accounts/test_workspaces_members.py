"""The members page: listing, search, roles, deactivation (which ends the
member's sessions at once, sockets included) and reactivation."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts.models import AuditEntry, Membership, UserSession
from accounts.services import workspaces as services
from messaging.sockets.consumers import CLOSE_SESSION_ENDED
from tests.clients import client_for
from tests.factories import OrganizationFactory, member, talent_manager

MEMBERS = reverse("accounts:workspace_members")


def role_url(user):
    return reverse("accounts:member_role", args=[user.membership.id])


def deactivate_url(user):
    return reverse("accounts:member_deactivate", args=[user.membership.id])


@pytest.mark.django_db
class TestMembersPage:
    def test_lists_only_this_workspaces_members_with_search_and_pages(self, client):
        org = OrganizationFactory()
        manager = talent_manager(org, full_name="Mona Manager")
        member(org, full_name="Ada Lovelace")
        member(org, full_name="Alan Turing")
        stranger = member(full_name="Ada Stranger")
        client.force_login(manager)

        everyone = client.get(MEMBERS)
        found = client.get(MEMBERS, {"q": "ada"})

        assert everyone.status_code == 200
        assert everyone.context["page"].paginator.count == 3
        assert stranger.email not in everyone.content.decode()
        assert [m.user.full_name for m in found.context["page"].object_list] == ["Ada Lovelace"]

    def test_paginates_long_member_lists(self, client):
        org = OrganizationFactory()
        manager = talent_manager(org)
        for _ in range(26):
            member(org, onboarded=False, verified=False)
        client.force_login(manager)

        first = client.get(MEMBERS)
        second = client.get(MEMBERS, {"page": 2})

        assert len(first.context["page"].object_list) == 25
        assert len(second.context["page"].object_list) == 2
        assert 'rel="next"' in first.content.decode()


@pytest.mark.django_db
class TestRoles:
    def test_manager_promotes_and_demotes_a_member_with_an_audit_trail(self, client):
        org = OrganizationFactory()
        manager = talent_manager(org)
        colleague = member(org)
        client.force_login(manager)

        client.post(role_url(colleague), {"role": "talent_manager"})
        colleague.membership.refresh_from_db()
        assert colleague.membership.role == Membership.Role.TALENT_MANAGER

        client.post(role_url(colleague), {"role": "member"})
        colleague.membership.refresh_from_db()
        assert colleague.membership.role == Membership.Role.MEMBER
        entries = AuditEntry.objects.filter(action="member.role_changed", actor=manager).order_by("id")
        assert [(e.details["from"], e.details["to"]) for e in entries] == [
            ("member", "talent_manager"),
            ("talent_manager", "member"),
        ]

    def test_the_last_talent_manager_cannot_demote_themselves(self, client):
        org = OrganizationFactory()
        manager = talent_manager(org)
        client.force_login(manager)

        response = client.post(role_url(manager), {"role": "member"}, follow=True)

        assert "You are the last talent manager" in response.content.decode()
        manager.membership.refresh_from_db()
        assert manager.membership.role == Membership.Role.TALENT_MANAGER
        assert not AuditEntry.objects.exists()

    def test_a_manager_can_step_down_when_another_manager_remains(self, client):
        org = OrganizationFactory()
        manager = talent_manager(org)
        talent_manager(org)
        client.force_login(manager)

        client.post(role_url(manager), {"role": "member"})

        manager.membership.refresh_from_db()
        assert manager.membership.role == Membership.Role.MEMBER

    def test_an_unknown_role_is_refused_and_changes_nothing(self, client):
        org = OrganizationFactory()
        client.force_login(talent_manager(org))
        colleague = member(org)

        response = client.post(role_url(colleague), {"role": "admin"}, follow=True)

        assert "Choose “Member” or “Talent manager”" in response.content.decode()
        colleague.membership.refresh_from_db()
        assert colleague.membership.role == Membership.Role.MEMBER

    def test_a_member_cannot_change_roles(self, client):
        org = OrganizationFactory()
        plain = member(org)
        colleague = member(org)
        client.force_login(plain)

        response = client.post(role_url(colleague), {"role": "talent_manager"})

        assert response.status_code == 403
        colleague.membership.refresh_from_db()
        assert colleague.membership.role == Membership.Role.MEMBER

    def test_a_member_of_another_workspace_is_not_found(self, client):
        client.force_login(talent_manager(OrganizationFactory()))
        foreigner = member(OrganizationFactory())

        role = client.post(role_url(foreigner), {"role": "talent_manager"})
        deactivate = client.post(deactivate_url(foreigner))
        missing = client.post(reverse("accounts:member_deactivate", args=[999_999]))

        assert role.status_code == deactivate.status_code == missing.status_code == 404
        foreigner.membership.refresh_from_db()
        foreigner.refresh_from_db()
        assert foreigner.membership.role == Membership.Role.MEMBER
        assert foreigner.membership.is_active and foreigner.is_active


@pytest.mark.django_db
class TestDeactivation:
    def test_deactivated_members_existing_session_is_logged_out_at_once(self):
        org = OrganizationFactory()
        manager = talent_manager(org)
        victim = member(org)
        victim_client = client_for(victim)
        assert victim_client.get(reverse("accounts:directory")).status_code == 200
        Token.objects.create(user=victim)

        response = client_for(manager).post(deactivate_url(victim))

        assert response.status_code == 302
        after = victim_client.get(reverse("accounts:directory"))
        assert after.status_code == 302
        assert after["Location"].startswith(reverse("account_login"))
        victim.refresh_from_db()
        victim.membership.refresh_from_db()
        assert not victim.is_active
        assert not victim.membership.is_active
        assert victim.membership.deactivated_at is not None
        assert not UserSession.objects.filter(user=victim).exists()
        assert not Token.objects.filter(user=victim).exists()
        if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db":
            assert not Session.objects.filter(session_key=victim_client.session.session_key).exists()
        entry = AuditEntry.objects.get(action="member.deactivated")
        assert (entry.actor, entry.target_id, entry.details["sessions_ended"]) == (
            manager,
            str(victim.membership.id),
            1,
        )

    def test_a_deactivated_member_cannot_log_in_again(self, client):
        org = OrganizationFactory()
        victim = member(org)
        services.member_deactivate(actor=talent_manager(org), membership_id=victim.membership.id)

        response = client.post(
            reverse("account_login"), {"login": victim.email, "password": "correct-horse-battery-staple"}
        )

        assert response.status_code == 302
        assert response["Location"] == reverse("account_inactive")
        assert "_auth_user_id" not in client.session
        assert "inactive" in client.get(response["Location"]).content.decode().lower()

    def test_the_last_talent_manager_cannot_deactivate_themselves(self, client):
        org = OrganizationFactory()
        manager = talent_manager(org)
        member(org)
        client.force_login(manager)

        response = client.post(deactivate_url(manager), follow=True)

        assert "You are the last talent manager" in response.content.decode()
        manager.refresh_from_db()
        manager.membership.refresh_from_db()
        assert manager.is_active and manager.membership.is_active
        assert UserSession.objects.filter(user=manager).exists()
        assert not AuditEntry.objects.exists()

    def test_a_member_cannot_deactivate_anyone(self, client):
        org = OrganizationFactory()
        plain = member(org)
        colleague = member(org)
        client.force_login(plain)

        response = client.post(deactivate_url(colleague))

        assert response.status_code == 403
        colleague.refresh_from_db()
        assert colleague.is_active

    def test_reactivation_lets_the_member_log_in_again(self, client):
        org = OrganizationFactory()
        manager = talent_manager(org)
        person = member(org)
        services.member_deactivate(actor=manager, membership_id=person.membership.id)
        manager_client = client_for(manager)

        manager_client.post(reverse("accounts:member_reactivate", args=[person.membership.id]))

        person.refresh_from_db()
        person.membership.refresh_from_db()
        assert person.is_active and person.membership.is_active
        assert person.membership.deactivated_at is None
        client.post(
            reverse("account_login"), {"login": person.email, "password": "correct-horse-battery-staple"}
        )
        assert client.session["_auth_user_id"] == str(person.pk)
        assert AuditEntry.objects.filter(action="member.reactivated", actor=manager).exists()


@pytest.mark.django_db(transaction=True)
class TestSockets:
    async def _connect(self, user):
        client = await sync_to_async(client_for)(user)
        cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        from mentoring.config.asgi import application

        communicator = WebsocketCommunicator(
            application,
            "/ws/",
            headers=[
                (b"origin", b"http://testserver"),
                (b"host", b"testserver"),
                (b"cookie", cookie.encode()),
            ],
        )
        connected, _ = await communicator.connect()
        assert connected
        hello = await communicator.receive_json_from()
        assert hello == {"type": "hello", "user": user.id}
        return client, communicator

    async def test_deactivation_closes_the_members_open_socket(self):
        org = await sync_to_async(OrganizationFactory)()
        manager = await sync_to_async(talent_manager)(org)
        victim = await sync_to_async(member)(org)
        _, communicator = await self._connect(victim)

        await sync_to_async(services.member_deactivate)(actor=manager, membership_id=victim.membership.id)

        closed = await communicator.receive_output(timeout=5)
        assert closed == {"type": "websocket.close", "code": CLOSE_SESSION_ENDED}
        await communicator.wait()

    async def test_logout_closes_the_users_open_socket(self):
        user = await sync_to_async(member)()
        client, communicator = await self._connect(user)

        await sync_to_async(client.post)(reverse("account_logout"))

        closed = await communicator.receive_output(timeout=5)
        assert closed == {"type": "websocket.close", "code": CLOSE_SESSION_ENDED}
        await communicator.wait()
        assert not await sync_to_async(UserSession.objects.filter(user=user).exists)()


@pytest.mark.django_db
def test_pruning_forgets_only_sessions_that_have_ended():
    from datetime import timedelta
    from importlib import import_module

    from accounts.tasks import prune_user_sessions
    from core import clock

    user = member()
    ended_client, live_client = client_for(user), client_for(user)
    ended_key = ended_client.session.session_key
    live_key = live_client.session.session_key
    import_module(settings.SESSION_ENGINE).SessionStore(session_key=ended_key).delete()  # e.g. clearsessions

    with clock.travel_by(timedelta(days=2)):
        removed = prune_user_sessions.delay()

    assert removed.get() == 1
    assert list(UserSession.objects.filter(user=user).values_list("session_key", flat=True)) == [live_key]
    assert live_client.get(reverse("accounts:directory")).status_code == 200
