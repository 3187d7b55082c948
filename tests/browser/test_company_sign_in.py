"""Company sign-in in Chromium against a real OpenID Connect provider (django-oauth-toolkit,
``tests/sso_provider``, in its own process): a talent manager connects the provider on the
settings page, a person signs in from the login page through the provider and lands in the
workspace (provisioned just in time), comes back as the same person, and "SSO required"
refuses a member's password login with a message that says where to sign in. The same
journey with SAML 2.0 against pysaml2's IdP (``tests/saml_idp``)."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import AuditEntry, Membership, SsoConnection, User, WorkspaceDomain
from tests.browser.conftest import axe_violations
from tests.browser.login import log_in_through_form
from tests.factories import DEFAULT_PASSWORD, OrganizationFactory, member, talent_manager
from tests.saml_idp.running import start_saml_idp
from tests.sso_provider.running import start_provider

IDP_PASSWORD = "idp-password-0123"


@pytest.fixture
def acme(transactional_db):
    organization = OrganizationFactory(name="Acme", slug="acme")
    WorkspaceDomain.objects.create(organization=organization, domain="acme.test")
    return organization


@pytest.fixture
def provider(live_url, acme, tmp_path):
    running = start_provider(
        tmp_path,
        redirect_uri=f"{live_url}/accounts/oidc/acme/login/callback/",
        users=[
            {
                "username": "ann",
                "password": IDP_PASSWORD,
                "email": "ann@acme.test",
                "first_name": "Ann",
                "last_name": "Lee",
            },
        ],
    )
    yield running
    running.stop()


def _sign_in_with_company_account(page, email, username):
    page.goto("/accounts/login/")
    page.get_by_label("Work e-mail").fill(email)
    page.get_by_role("button", name="Use company sign-in").click()
    page.get_by_role("button", name="Continue with your company account").click()
    # the provider's own login page
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(IDP_PASSWORD)
    page.get_by_role("button", name="Sign in to the identity provider").click()


def test_talent_manager_connects_the_provider_and_a_person_signs_in_through_it(
    new_person, live_url, acme, provider
):
    # given: the talent manager enters the provider on the settings page
    manager = talent_manager(acme, email="tm@acme.test")
    tm_page = new_person()
    log_in_through_form(tm_page, manager.email)
    tm_page.goto("/workspace/sign-in/")
    expect(tm_page.locator("#oidc-redirect-uri")).to_have_text(
        f"{live_url}/accounts/oidc/acme/login/callback/"
    )
    tm_page.get_by_label("Issuer URL").fill(provider.issuer)
    tm_page.get_by_label("Client ID").fill(provider.client_id)
    tm_page.get_by_label("Client secret").fill(provider.client_secret)
    tm_page.get_by_label("Company sign-in is on").check()
    tm_page.get_by_role("button", name="Save sign-in settings").click()
    expect(tm_page.get_by_text("Company sign-in settings saved.")).to_be_visible()
    assert axe_violations(tm_page) == []
    tm_page.problems.assert_none()

    # when: Ann signs in from the login page through the provider
    page = new_person()
    _sign_in_with_company_account(page, "ann@acme.test", "ann")

    # then: she is back in Tandem, in Acme, with name and e-mail from the claims
    expect(page).to_have_url(re.compile(r"/onboarding/"))
    ann = User.objects.get(email="ann@acme.test")
    assert ann.full_name == "Ann Lee"
    assert not ann.has_usable_password()
    assert Membership.objects.get(user=ann).organization == acme
    logins = AuditEntry.objects.filter(organization=acme, action="sso.login")
    assert [entry.details["provisioned"] for entry in logins] == [True]
    page.problems.assert_none()

    # and: signing in again finds the same person by their identity, not a new account
    again = new_person()
    _sign_in_with_company_account(again, "ann@acme.test", "ann")
    expect(again).to_have_url(re.compile(r"/onboarding/"))
    assert User.objects.filter(email="ann@acme.test").count() == 1
    assert sorted(e.details["provisioned"] for e in AuditEntry.objects.filter(action="sso.login")) == [
        False,
        True,
    ]


def test_sso_required_refuses_a_members_password_login_but_not_the_break_glass_account(
    new_person, acme, provider
):
    # given: company sign-in is on and required, with a break-glass talent manager
    manager = talent_manager(acme, email="tm@acme.test")
    bob = member(acme, email="bob@acme.test")
    SsoConnection.objects.create(
        organization=acme,
        enabled=True,
        sso_required=True,
        break_glass_user=manager,
        oidc_issuer=provider.issuer,
        oidc_client_id=provider.client_id,
        oidc_client_secret=provider.client_secret,
    )

    # when: Bob tries his password
    page = new_person()
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(bob.email)
    page.locator("input[name=password]").fill(DEFAULT_PASSWORD)
    page.locator("main").get_by_role("button", name=re.compile("sign in", re.I)).click()

    # then: he is refused, told where to sign in, and not signed in
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_text("Acme signs in with its company account")).to_be_visible()
    page.goto("/people/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    # and: the break-glass talent manager still gets in with a password
    glass = new_person()
    log_in_through_form(glass, manager.email)
    glass.goto("/workspace/sign-in/")
    expect(glass.get_by_role("heading", name="Company sign-in and provisioning")).to_be_visible()


@pytest.fixture
def saml_idp(live_url, tmp_path):
    running = start_saml_idp(
        tmp_path,
        sp_entity_id=f"{live_url}/accounts/saml/acme/metadata/",
        acs_url=f"{live_url}/accounts/saml/acme/acs/",
        users=[{"username": "ann", "password": IDP_PASSWORD, "email": "ann@acme.test", "name": "Ann Lee"}],
    )
    yield running
    running.stop()


def test_saml_sign_in_from_the_login_page_through_a_real_idp(new_person, live_url, acme, saml_idp):
    # given: the talent manager enters the IdP's entity ID and metadata URL
    manager = talent_manager(acme, email="tm@acme.test")
    tm_page = new_person()
    log_in_through_form(tm_page, manager.email)
    tm_page.goto("/workspace/sign-in/")
    expect(tm_page.locator("#saml-acs-url")).to_have_text(f"{live_url}/accounts/saml/acme/acs/")
    tm_page.get_by_label("Protocol").select_option("saml")
    tm_page.get_by_label("IdP entity ID").fill(saml_idp.entity_id)
    tm_page.get_by_label("IdP metadata URL").fill(saml_idp.metadata_url)
    tm_page.get_by_label("E-mail attribute").fill("urn:oid:0.9.2342.19200300.100.1.3")
    tm_page.get_by_label("Name attribute").fill("urn:oid:2.16.840.1.113730.3.1.241")
    tm_page.get_by_label("Company sign-in is on").check()
    tm_page.get_by_role("button", name="Save sign-in settings").click()
    expect(tm_page.get_by_text("Company sign-in settings saved.")).to_be_visible()

    # when: Ann signs in from the login page through the IdP (HTTP-Redirect, then HTTP-POST back)
    page = new_person()
    page.goto("/accounts/login/")
    page.get_by_label("Work e-mail").fill("ann@acme.test")
    page.get_by_role("button", name="Use company sign-in").click()
    page.get_by_role("button", name="Continue with your company account").click()
    expect(page.get_by_role("heading", name="Test SAML identity provider")).to_be_visible()
    page.get_by_label("Username").fill("ann")
    page.get_by_label("Password").fill(IDP_PASSWORD)
    page.get_by_role("button", name="Sign in to the SAML identity provider").click()

    # then: the signed response brings her into Acme
    expect(page).to_have_url(re.compile(r"/onboarding/"))
    ann = User.objects.get(email="ann@acme.test")
    assert ann.full_name == "Ann Lee" and Membership.objects.get(user=ann).organization == acme
    assert AuditEntry.objects.filter(action="sso.login", details__user_id=ann.pk).count() == 1
