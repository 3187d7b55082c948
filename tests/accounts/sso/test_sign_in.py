"""Company sign-in over HTTP against the real OpenID provider (``tests/sso_provider``): who
gets in, who is refused and why, and that a refusal changes nothing."""

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount

from accounts.models import AuditEntry, Membership, User
from tests.accounts.sso.conftest import UserAgent, csrf_token
from tests.factories import member


def _counts():
    return (User.objects.count(), Membership.objects.count(), SocialAccount.objects.count())


def test_first_sign_in_provisions_and_a_second_finds_the_same_identity(live_server, connected, acme):
    page = UserAgent(live_server.url).sign_in("ann@acme.test", "ann")
    assert page.status_code == 200 and "/onboarding/" in page.url
    ann = User.objects.get(email="ann@acme.test")
    assert (ann.full_name, Membership.objects.get(user=ann).organization) == ("Ann Lee", acme)
    assert EmailAddress.objects.get(user=ann).verified
    account = SocialAccount.objects.get(user=ann)
    assert account.provider == "acme"

    UserAgent(live_server.url).sign_in("ann@acme.test", "ann")
    assert (
        SocialAccount.objects.get().pk == account.pk
        and User.objects.filter(email="ann@acme.test").count() == 1
    )
    assert AuditEntry.objects.filter(action="sso.login", details__user_id=ann.pk).count() == 2


def test_missing_email_claim_is_refused_and_changes_nothing(live_server, connected):
    before = _counts()
    page = UserAgent(live_server.url).sign_in("nomail@acme.test", "nomail")
    assert page.status_code == 403
    assert "did not send an e-mail address" in page.text
    assert _counts() == before
    assert AuditEntry.objects.filter(action="sso.login_refused", details__reason="missing_email").exists()


def test_email_at_a_foreign_domain_is_refused(live_server, connected):
    before = _counts()
    page = UserAgent(live_server.url).sign_in("ann@acme.test", "outsider")
    assert page.status_code == 403
    assert "olga@elsewhere.test is not at one of Acme&#x27;s e-mail domains" in page.text
    assert _counts() == before


def test_existing_account_is_never_matched_by_an_unverified_email(live_server, connected, acme):
    uma = member(acme, email="uma@acme.test")  # verified in Tandem, but the IdP says unverified
    before = _counts()
    page = UserAgent(live_server.url).sign_in("uma@acme.test", "unverified")
    assert page.status_code == 403 and "not verified" in page.text
    assert _counts() == before
    assert not SocialAccount.objects.filter(user=uma).exists()


def test_existing_member_is_linked_when_both_sides_verified_the_address(live_server, connected, acme):
    dave = member(acme, email="dave@acme.test")
    page = UserAgent(live_server.url).sign_in("dave@acme.test", "dave")
    assert page.status_code == 200 and "/accounts/login/" not in page.url
    assert SocialAccount.objects.get(user=dave).provider == "acme"
    assert User.objects.filter(email="dave@acme.test").count() == 1


def test_member_of_another_workspace_is_refused(live_server, connected, other_org):
    member(other_org, email="dave@acme.test")
    page = UserAgent(live_server.url).sign_in("dave@acme.test", "dave")
    assert page.status_code == 403 and "another Tandem workspace" in page.text


def test_replayed_callback_is_refused_and_changes_nothing(live_server, connected):
    agent = UserAgent(live_server.url)
    agent.sign_in("ann@acme.test", "ann")
    before = (*_counts(), AuditEntry.objects.filter(action="sso.login").count())
    replay = requests.get(agent.last_callback, cookies=agent.session.cookies, timeout=30)
    assert replay.status_code == 400
    assert "could not be verified" in replay.text
    assert (*_counts(), AuditEntry.objects.filter(action="sso.login").count()) == before


def test_deactivated_member_cannot_sign_in_with_the_company_account(live_server, connected, acme):
    UserAgent(live_server.url).sign_in("ann@acme.test", "ann")
    Membership.objects.filter(user__email="ann@acme.test").update(is_active=False)
    User.objects.filter(email="ann@acme.test").update(is_active=False)
    page = UserAgent(live_server.url).sign_in("ann@acme.test", "ann")
    assert "inactive" in page.url or "inactive" in page.text.lower()
    assert AuditEntry.objects.filter(action="sso.login").count() == 1


@pytest.mark.parametrize(
    ("email", "answer"),
    [
        ("someone@unknown.test", "No workspace signs in with a company account at unknown.test"),
        ("not-an-address", "Enter a valid email address."),
    ],
)
def test_discovery_for_an_address_without_company_sign_in_says_so(live_server, connected, email, answer):
    agent = UserAgent(live_server.url)
    token = csrf_token(agent.session, f"{live_server.url}/accounts/login/")
    response = agent.session.post(
        f"{live_server.url}/sso/", data={"email": email, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 400
    assert answer in response.text
