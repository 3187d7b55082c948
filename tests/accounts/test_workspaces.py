"""Workspaces: creating, joining by domain, invite links, the domain allow-list,
and what happens with bad input (nothing half-saved)."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts.adapters import PENDING_INVITE_SESSION_KEY
from accounts.models import AuditEntry, InviteLink, Membership, Organization, WorkspaceDomain
from accounts.services import workspaces as services
from core import clock
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tests.factories import InviteLinkFactory, OrganizationFactory, UserFactory, member, talent_manager

pytestmark = pytest.mark.django_db


def verified_user(email="newcomer@acme.com", **kwargs):
    user = UserFactory(email=email, **kwargs)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def form_errors(response, field):
    return response.context["form"].errors.get(field, [])


# --- start page: create ---------------------------------------------------------------------


def test_user_without_workspace_sees_both_choices_on_the_start_page(client):
    org = OrganizationFactory(name="Acme")
    WorkspaceDomain.objects.create(organization=org, domain="acme.com")
    client.force_login(verified_user("ana@acme.com"))

    response = client.get(reverse("accounts:workspace_start"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Create workspace" in body
    assert "Join Acme" in body


def test_start_page_offers_no_domain_join_for_an_unverified_address(client):
    org = OrganizationFactory(name="Acme")
    WorkspaceDomain.objects.create(organization=org, domain="acme.com")
    user = UserFactory(email="ana@acme.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    client.force_login(user)

    response = client.get(reverse("accounts:workspace_start"))

    assert "Join Acme" not in response.content.decode()
    assert list(response.context["joinable"]) == []


def test_creating_a_workspace_makes_the_creator_its_talent_manager(client):
    user = verified_user("ana@acme.com")
    client.force_login(user)

    response = client.post(
        reverse("accounts:workspace_start"), {"name": "Acme Engineering", "domains": "acme.com, Acme.IO"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:onboarding")
    org = Organization.objects.get()
    assert org.slug == "acme-engineering"
    assert org.created_by == user
    membership = Membership.objects.get(user=user)
    assert membership.organization == org
    assert membership.role == Membership.Role.TALENT_MANAGER
    assert sorted(org.domains.values_list("domain", flat=True)) == ["acme.com", "acme.io"]
    assert AuditEntry.objects.filter(organization=org, actor=user, action="workspace.created").exists()


def test_onboarded_creator_is_sent_home_after_creating(client):
    user = verified_user()
    user.profile.onboarded_at = clock.now()
    user.profile.save()
    client.force_login(user)

    response = client.post(reverse("accounts:workspace_start"), {"name": "Acme"})

    assert response["Location"] == reverse("home")


def test_workspace_slugs_stay_unique_for_equal_names():
    first = services.workspace_create(user=verified_user("a@x.org"), name="Acme")
    second = services.workspace_create(user=verified_user("b@y.org"), name="Acme")

    assert first.slug == "acme"
    assert second.slug == "acme-2"


def test_blank_workspace_name_is_a_field_error_and_creates_nothing(client):
    client.force_login(verified_user())

    response = client.post(reverse("accounts:workspace_start"), {"name": "   ", "domains": ""})

    assert response.status_code == 400
    assert form_errors(response, "name")
    assert not Organization.objects.exists()
    assert not Membership.objects.exists()


def test_invalid_domain_at_creation_is_a_field_error_and_creates_nothing(client):
    client.force_login(verified_user())

    response = client.post(
        reverse("accounts:workspace_start"), {"name": "Acme", "domains": "acme.com, not a domain!"}
    )

    assert response.status_code == 400
    assert "is not a domain" in " ".join(form_errors(response, "domains"))
    assert not Organization.objects.exists()
    assert not WorkspaceDomain.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_domain_taken_by_another_workspace_cannot_be_claimed_at_creation(client):
    other = OrganizationFactory()
    WorkspaceDomain.objects.create(organization=other, domain="acme.com")
    client.force_login(verified_user())

    response = client.post(reverse("accounts:workspace_start"), {"name": "Acme", "domains": "ACME.com"})

    assert response.status_code == 400
    assert "another workspace" in " ".join(form_errors(response, "domains"))
    assert Organization.objects.count() == 1


def test_a_member_cannot_create_a_second_workspace():
    user = member()

    with pytest.raises(Conflict):
        services.workspace_create(user=user, name="Second")

    assert Organization.objects.count() == 1


def test_a_member_opening_the_start_page_is_sent_home(client):
    client.force_login(member())

    response = client.get(reverse("accounts:workspace_start"))

    assert response.status_code == 302
    assert response["Location"] == reverse("home")


# --- joining by verified domain ------------------------------------------------------------------


def test_verified_domain_lets_a_user_join_with_one_click(client):
    org = OrganizationFactory(name="Acme")
    WorkspaceDomain.objects.create(organization=org, domain="acme.com")
    user = verified_user("ben@acme.com")
    client.force_login(user)

    response = client.post(reverse("accounts:workspace_join_domain", args=[org.id]))

    assert response.status_code == 302
    membership = Membership.objects.get(user=user)
    assert membership.organization == org
    assert membership.role == Membership.Role.MEMBER
    assert AuditEntry.objects.filter(action="member.joined", details__via="domain").exists()


def test_domain_join_needs_a_verified_address_on_the_allow_list(client):
    org = OrganizationFactory(name="Acme")
    WorkspaceDomain.objects.create(organization=org, domain="acme.com")
    outsider = verified_user("eve@evil.com")
    client.force_login(outsider)

    response = client.post(reverse("accounts:workspace_join_domain", args=[org.id]), follow=True)

    assert not Membership.objects.filter(user=outsider).exists()
    assert "no workspace you can join" in response.content.decode()


def test_joining_a_workspace_twice_is_a_clear_error(client):
    org = OrganizationFactory(name="Acme")
    WorkspaceDomain.objects.create(organization=org, domain="example.com")
    user = member(org)  # factory e-mails are @example.com and verified
    client.force_login(user)

    response = client.post(reverse("accounts:workspace_join_domain", args=[org.id]), follow=True)

    assert "You already belong to a workspace" in response.content.decode()
    assert Membership.objects.filter(user=user).count() == 1
    with pytest.raises(Conflict):
        services.workspace_join_by_domain(user=user, organization_id=org.id)


# --- invite links -------------------------------------------------------------------------------------


def test_talent_manager_creates_lists_and_revokes_invite_links(client):
    org = OrganizationFactory()
    manager = talent_manager(org)
    client.force_login(manager)

    response = client.post(
        reverse("accounts:workspace_invites"), {"note": "Interns", "expires_in_days": "7", "max_uses": "3"}
    )

    assert response.status_code == 302
    invite = InviteLink.objects.get()
    assert (invite.organization, invite.created_by, invite.note, invite.max_uses) == (
        org,
        manager,
        "Interns",
        3,
    )
    assert timedelta(days=6, hours=23) < invite.expires_at - clock.now() <= timedelta(days=7)
    listing = client.get(reverse("accounts:workspace_invites"))
    assert invite.token in listing.content.decode()
    assert "active" in listing.content.decode()

    client.post(reverse("accounts:invite_revoke", args=[invite.id]))

    invite.refresh_from_db()
    assert invite.status == "revoked"
    assert list(
        AuditEntry.objects.filter(organization=org).order_by("id").values_list("action", flat=True)
    ) == ["invite.created", "invite.revoked"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"expires_in_days": "0"}, "expires_in_days"),
        ({"expires_in_days": "91"}, "expires_in_days"),
        ({"expires_in_days": "7", "max_uses": "0"}, "max_uses"),
        ({"expires_in_days": "7", "note": "x" * 201}, "note"),
    ],
)
def test_bad_invite_settings_are_field_errors_and_create_nothing(client, data, field):
    client.force_login(talent_manager())

    response = client.post(reverse("accounts:workspace_invites"), data)

    assert response.status_code == 400
    assert form_errors(response, field)
    assert not InviteLink.objects.exists()
    assert not AuditEntry.objects.exists()


def test_invite_status_reports_expired_revoked_and_used_up():
    org = OrganizationFactory()
    assert InviteLinkFactory(organization=org).status == "active"
    assert (
        InviteLinkFactory(organization=org, expires_at=clock.now() - timedelta(seconds=1)).status == "expired"
    )
    assert InviteLinkFactory(organization=org, revoked_at=clock.now()).status == "revoked"
    assert InviteLinkFactory(organization=org, max_uses=2, use_count=2).status == "used up"


def test_anonymous_visitor_sees_the_workspace_and_is_sent_to_sign_up(client):
    invite = InviteLinkFactory(organization=OrganizationFactory(name="Acme"))

    response = client.get(invite.get_absolute_url())

    assert response.status_code == 200
    body = response.content.decode()
    assert "join Acme" in body
    assert reverse("account_signup") in body
    assert client.session[PENDING_INVITE_SESSION_KEY] == invite.token


def test_signed_in_user_without_workspace_joins_with_one_click(client):
    org = OrganizationFactory(name="Acme")
    manager = talent_manager(org)
    invite = services.invite_create(actor=manager, max_uses=5)
    user = verified_user("zoe@elsewhere.org")
    client.force_login(user)

    page = client.get(invite.get_absolute_url())
    assert "Join Acme" in page.content.decode()
    assert not Membership.objects.filter(user=user).exists()  # GET never joins

    response = client.post(invite.get_absolute_url())

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:onboarding")
    membership = Membership.objects.get(user=user)
    assert (membership.organization, membership.role, membership.invited_by) == (
        org,
        Membership.Role.MEMBER,
        manager,
    )
    invite.refresh_from_db()
    assert invite.use_count == 1


@pytest.mark.parametrize(
    "make_invite",
    [
        pytest.param(lambda org: InviteLinkFactory(organization=org, expires_at=clock.now()), id="expired"),
        pytest.param(lambda org: InviteLinkFactory(organization=org, revoked_at=clock.now()), id="revoked"),
        pytest.param(lambda org: InviteLinkFactory(organization=org, max_uses=1, use_count=1), id="used-up"),
    ],
)
def test_unusable_invite_links_show_what_to_do_and_join_no_one(client, make_invite):
    invite = make_invite(OrganizationFactory(name="Acme"))
    user = verified_user()
    client.force_login(user)

    page = client.get(invite.get_absolute_url())
    post = client.post(invite.get_absolute_url())

    for response in (page, post):
        assert response.status_code == 404
        assert "ask the person who sent it" in response.content.decode()
        assert "Acme" not in response.content.decode()
    assert not Membership.objects.filter(user=user).exists()
    use_count = invite.use_count
    invite.refresh_from_db()
    assert invite.use_count == use_count


def test_unknown_invite_token_gets_the_same_page_as_an_expired_one(client):
    expired = InviteLinkFactory(expires_at=clock.now() - timedelta(days=1))

    unknown = client.get(reverse("accounts:invite_accept", args=["no-such-token"]))
    known = client.get(expired.get_absolute_url())

    assert unknown.status_code == known.status_code == 404
    assert unknown.templates[0].name == known.templates[0].name == "accounts/invite_unusable.html"


def test_an_invite_link_expires_as_time_passes(client):
    invite = services.invite_create(actor=talent_manager(), expires_in_days=1)
    user = verified_user()
    client.force_login(user)

    with clock.travel_by(timedelta(days=1, minutes=1)):
        response = client.post(invite.get_absolute_url())

    assert response.status_code == 404
    assert not Membership.objects.filter(user=user).exists()


def test_max_uses_is_enforced_for_the_next_person():
    invite = services.invite_create(actor=talent_manager(), max_uses=1)
    services.invite_accept(user=verified_user("one@a.org"), token=invite.token)

    second = verified_user("two@b.org")
    with pytest.raises(NotFound):
        services.invite_accept(user=second, token=invite.token)

    assert not Membership.objects.filter(user=second).exists()
    invite.refresh_from_db()
    assert invite.use_count == 1


def test_a_member_opening_an_invite_to_another_workspace_is_told_they_cannot_join(client):
    invite = InviteLinkFactory(organization=OrganizationFactory(name="Other Co"))
    user = member(OrganizationFactory(name="Acme"))
    client.force_login(user)

    response = client.post(invite.get_absolute_url())

    assert response.status_code == 409
    assert "a person can belong to one workspace only" in response.content.decode()
    assert Membership.objects.get(user=user).organization.name == "Acme"
    invite.refresh_from_db()
    assert invite.use_count == 0


def test_a_pending_invite_is_used_when_the_visitor_logs_in(client):
    org = OrganizationFactory(name="Acme")
    invite = InviteLinkFactory(organization=org)
    user = verified_user("lee@elsewhere.org")
    client.get(invite.get_absolute_url())

    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "correct-horse-battery-staple"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:onboarding")
    assert Membership.objects.get(user=user).organization == org
    assert PENDING_INVITE_SESSION_KEY not in client.session


def test_a_pending_invite_that_expired_before_login_joins_no_one_and_says_why(client):
    invite = InviteLinkFactory(
        organization=OrganizationFactory(name="Acme"), expires_at=clock.now() + timedelta(hours=1)
    )
    user = verified_user("late@elsewhere.org")
    client.get(invite.get_absolute_url())

    with clock.travel_by(timedelta(hours=2)):
        response = client.post(
            reverse("account_login"),
            {"login": user.email, "password": "correct-horse-battery-staple"},
            follow=True,
        )

    assert response.redirect_chain[-1][0] == reverse("accounts:workspace_start")
    assert (
        "This invite link cannot be used any more. Ask a talent manager for a new one."
        in response.content.decode()
    )
    assert not Membership.objects.filter(user=user).exists()


# --- domain allow-list --------------------------------------------------------------------------------


def test_talent_manager_adds_and_removes_allowed_domains(client):
    org = OrganizationFactory()
    client.force_login(talent_manager(org))

    response = client.post(reverse("accounts:workspace_domains"), {"domain": " @Acme.COM "})

    assert response.status_code == 302
    row = WorkspaceDomain.objects.get(organization=org)
    assert row.domain == "acme.com"

    client.post(reverse("accounts:domain_remove", args=[row.id]))

    assert not WorkspaceDomain.objects.exists()
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["domain.added", "domain.removed"]


@pytest.mark.parametrize(
    ("domain", "fragment"),
    [
        ("not a domain", "is not a domain"),
        ("acme", "is not a domain"),
        ("-acme.com", "is not a domain"),
        ("acme..com", "is not a domain"),
        ("gmail.com", "public e-mail provider"),
        ("", "required"),
    ],
)
def test_invalid_domains_are_field_errors_and_save_nothing(client, domain, fragment):
    client.force_login(talent_manager())

    response = client.post(reverse("accounts:workspace_domains"), {"domain": domain})

    assert response.status_code == 400
    assert fragment in " ".join(form_errors(response, "domain"))
    assert not WorkspaceDomain.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_domain_can_belong_to_one_workspace_only(client):
    WorkspaceDomain.objects.create(organization=OrganizationFactory(), domain="acme.com")
    org = OrganizationFactory()
    client.force_login(talent_manager(org))

    response = client.post(reverse("accounts:workspace_domains"), {"domain": "ACME.com"})

    assert response.status_code == 400
    assert "another workspace" in " ".join(form_errors(response, "domain"))
    assert not WorkspaceDomain.objects.filter(organization=org).exists()


def test_removing_another_workspaces_domain_is_not_found(client):
    foreign = WorkspaceDomain.objects.create(organization=OrganizationFactory(), domain="acme.com")
    client.force_login(talent_manager())

    response = client.post(reverse("accounts:domain_remove", args=[foreign.id]))

    assert response.status_code == 404
    assert WorkspaceDomain.objects.filter(pk=foreign.pk).exists()


# --- who may do what ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("accounts:workspace_members", "get"),
        ("accounts:workspace_invites", "get"),
        ("accounts:workspace_invites", "post"),
        ("accounts:workspace_domains", "post"),
        ("accounts:workspace_audit", "get"),
    ],
)
def test_members_cannot_use_talent_manager_pages(client, name, method):
    client.force_login(member())

    response = getattr(client, method)(reverse(name), {"domain": "acme.com", "expires_in_days": "7"})

    assert response.status_code == 403
    assert "Talent managers only" in response.content.decode()
    assert not InviteLink.objects.exists()
    assert not WorkspaceDomain.objects.exists()


def test_services_refuse_non_managers():
    plain = member()

    with pytest.raises(PermissionDenied):
        services.invite_create(actor=plain)
    with pytest.raises(PermissionDenied):
        services.domain_add(actor=plain, domain="acme.com")
    assert not InviteLink.objects.exists()


def test_revoking_another_workspaces_invite_is_not_found(client):
    foreign = InviteLinkFactory()
    client.force_login(talent_manager())

    response = client.post(reverse("accounts:invite_revoke", args=[foreign.id]))

    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None


def test_anonymous_visitors_are_sent_to_log_in_for_workspace_pages(client):
    response = client.get(reverse("accounts:workspace_members"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_unknown_role_is_rejected_by_the_service():
    org = OrganizationFactory()
    manager = talent_manager(org)
    target = member(org)

    with pytest.raises(ValidationFailed) as excinfo:
        services.member_change_role(actor=manager, membership_id=target.membership.id, role="owner")

    assert "role" in excinfo.value.fields
    target.membership.refresh_from_db()
    assert target.membership.role == Membership.Role.MEMBER


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_joins_never_exceed_max_uses():
    import threading

    from django.db import connection

    invite = services.invite_create(actor=talent_manager(), max_uses=2)
    people = [verified_user(f"racer{i}@race.org") for i in range(6)]
    barrier = threading.Barrier(len(people))
    outcomes = []

    def join(user):
        barrier.wait()
        try:
            services.invite_accept(user=user, token=invite.token)
            outcomes.append("joined")
        except NotFound:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=join, args=(user,)) for user in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["joined"] * 2 + ["refused"] * 4
    invite.refresh_from_db()
    assert invite.use_count == 2
    assert (
        Membership.objects.filter(organization=invite.organization, role=Membership.Role.MEMBER).count() == 2
    )
