"""Sign-up, e-mail verification, login/logout, password reset and change, and
TOTP two-factor — all through django-allauth, rendered in Tandem's layout.
No account enumeration; failed logins are rate-limited."""

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.core import mail
from django.urls import reverse

from accounts.models import Membership, User
from tests.factories import DEFAULT_PASSWORD, InviteLinkFactory, OrganizationFactory, member

pytestmark = pytest.mark.django_db

STRONG = "plum-orbit-canyon-42"


def link_in(message) -> str:
    return re.search(r"https?://testserver(\S+)", message.body).group(1)


def signup(client, email, password=STRONG, password2=None, full_name="Nina Novak"):
    return client.post(
        reverse("account_signup"),
        {"full_name": full_name, "email": email, "password1": password, "password2": password2 or password},
    )


def log_in(client, email, password=DEFAULT_PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def assert_in_tandem_layout(response):
    body = response.content.decode()
    assert 'class="skip-link"' in body
    assert '<nav aria-label="Main">' in body
    assert '<main id="main"' in body
    assert "Tandem — mentoring in the networked workplace." in body


def current_totp(secret) -> str:
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


@pytest.fixture(autouse=True)
def _totp_tolerance(settings):
    # A code computed at the very end of a 30-second window stays valid in the next one.
    settings.MFA_TOTP_TOLERANCE = 1


# --- layout ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["account_signup", "account_login", "account_reset_password", "account_reset_password_done"],
)
def test_public_account_pages_render_in_the_tandem_layout_with_labels(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 200
    assert_in_tandem_layout(response)
    body = response.content.decode()
    for input_id in re.findall(r'<input[^>]*type="(?:email|password|text)"[^>]*id="([^"]+)"', body):
        assert f'<label for="{input_id}">' in body


@pytest.mark.parametrize(
    "name",
    ["account_change_password", "account_email", "mfa_index", "mfa_activate_totp", "account_logout"],
)
def test_signed_in_account_pages_render_in_the_tandem_layout(client, name):
    user = member()
    log_in(client, user.email)

    response = client.get(reverse(name), follow=True)  # MFA activation asks for the password first

    assert response.status_code == 200
    assert_in_tandem_layout(response)
    assert user.display_name in response.content.decode()


# --- sign-up and verification ----------------------------------------------------------------------


def test_sign_up_sends_a_verification_mail_and_confirming_logs_in_to_the_workspace_step(client):
    response = signup(client, "Nina@Acme.com")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="nina@acme.com")
    assert not EmailAddress.objects.get(user=user).verified
    assert "_auth_user_id" not in client.session  # mandatory verification
    assert len(mail.outbox) == 1

    assert_in_tandem_layout(client.get(reverse("account_email_verification_sent")))
    confirm_url = link_in(mail.outbox[0])
    confirm_page = client.get(confirm_url)
    assert confirm_page.status_code == 200
    assert_in_tandem_layout(confirm_page)
    response = client.post(confirm_url)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:workspace_start")
    assert EmailAddress.objects.get(user=user).verified
    assert client.session["_auth_user_id"] == str(user.pk)


def test_sign_up_through_an_invite_lands_in_the_workspace_after_verification(client):
    org = OrganizationFactory(name="Acme")
    invite = InviteLinkFactory(organization=org)
    client.get(invite.get_absolute_url())

    signup(client, "omar@elsewhere.org")
    response = client.post(link_in(mail.outbox[0]))

    user = User.objects.get(email="omar@elsewhere.org")
    assert Membership.objects.get(user=user).organization == org
    assert response["Location"] == reverse("accounts:onboarding")
    invite.refresh_from_db()
    assert invite.use_count == 1


def test_invalid_email_at_sign_up_is_a_field_error_and_creates_no_user(client):
    response = signup(client, "not-an-email")

    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert 'aria-invalid="true"' in response.content.decode()
    assert not User.objects.exists()


def test_weak_password_at_sign_up_is_a_field_error_and_creates_no_user(client):
    response = signup(client, "weak@acme.com", password="password1")

    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["password1"])
    assert "too common" in errors or "at least 10 characters" in errors
    assert 'id="id_password1_error"' in response.content.decode()
    assert not User.objects.filter(email="weak@acme.com").exists()


def test_mismatched_passwords_at_sign_up_are_a_field_error(client):
    response = signup(client, "typo@acme.com", password=STRONG, password2=STRONG + "x")

    assert response.context["form"].errors["password2"]
    assert not User.objects.exists()


def test_sign_up_with_an_existing_email_looks_the_same_as_a_new_one(client):
    existing = member(email="taken@acme.com")

    taken = signup(client, "taken@acme.com")
    client.logout()
    fresh = signup(client, "fresh@acme.com")

    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"] == reverse("account_email_verification_sent")
    assert User.objects.filter(email="taken@acme.com").count() == 1
    assert User.objects.get(email="taken@acme.com").pk == existing.pk
    # the owner of the existing account is told by e-mail, not the visitor on the page
    assert sorted(m.to[0] for m in mail.outbox) == ["fresh@acme.com", "taken@acme.com"]


# --- login, logout, rate limits ---------------------------------------------------------------------


def test_member_logs_in_and_out(client):
    user = member()

    response = log_in(client, user.email)

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(user.pk)

    client.post(reverse("account_logout"))

    assert "_auth_user_id" not in client.session


def test_wrong_password_gives_a_form_error_without_saying_which_part_was_wrong(client):
    user = member()

    wrong_password = log_in(client, user.email, password="not-the-password")
    unknown_user = log_in(client, "nobody@acme.com", password="not-the-password")

    assert wrong_password.status_code == unknown_user.status_code == 200
    assert (
        wrong_password.context["form"].non_field_errors() == unknown_user.context["form"].non_field_errors()
    )


def test_repeated_failed_logins_are_rate_limited(client):
    user = member()
    for _ in range(5):
        assert log_in(client, user.email, password="not-the-password").status_code == 200

    response = log_in(client, user.email)  # even the right password is refused now

    assert "_auth_user_id" not in client.session
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Too many failed login attempts. Try again later."]


# --- password reset and change ------------------------------------------------------------------------


def test_password_reset_for_known_and_unknown_addresses_looks_the_same(client):
    user = member(email="known@acme.com")

    known = client.post(reverse("account_reset_password"), {"email": "known@acme.com"})
    unknown = client.post(reverse("account_reset_password"), {"email": "unknown@acme.com"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("account_reset_password_done")
    reset_mail = next(m for m in mail.outbox if m.to == [user.email])
    assert "/accounts/password/reset/key/" in reset_mail.body


def test_password_reset_link_sets_a_new_password(client):
    user = member(email="forgetful@acme.com")
    client.post(reverse("account_reset_password"), {"email": user.email})
    key_url = link_in(mail.outbox[0])

    # allauth swaps the key in the URL for a session-held one before showing the form
    form_page = client.get(key_url)
    assert form_page.status_code == 302
    set_password_url = form_page["Location"]
    assert key_url.split("/")[-2] not in set_password_url
    assert_in_tandem_layout(client.get(set_password_url))
    response = client.post(set_password_url, {"password1": STRONG, "password2": STRONG})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(STRONG)


def test_password_change_rejects_a_weak_password_and_accepts_a_strong_one(client):
    user = member()
    log_in(client, user.email)

    weak = client.post(
        reverse("account_change_password"),
        {"oldpassword": DEFAULT_PASSWORD, "password1": "12345678", "password2": "12345678"},
    )

    assert weak.status_code == 200
    assert weak.context["form"].errors["password1"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)

    strong = client.post(
        reverse("account_change_password"),
        {"oldpassword": DEFAULT_PASSWORD, "password1": STRONG, "password2": STRONG},
    )

    assert strong.status_code == 302
    user.refresh_from_db()
    assert user.check_password(STRONG)


# --- TOTP two-factor ----------------------------------------------------------------------------------------


def test_totp_can_be_activated_and_is_then_required_at_login(client):
    user = member()
    log_in(client, user.email)
    reauth = client.get(reverse("mfa_activate_totp"), follow=True)
    assert reauth.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    assert_in_tandem_layout(reauth)
    confirmed = client.post(reauth.redirect_chain[-1][0], {"password": DEFAULT_PASSWORD})
    assert confirmed["Location"] == reverse("mfa_activate_totp")
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    assert 'alt="' in page.content.decode()  # the QR code image has a text alternative
    secret = page.context["form"].secret

    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.context["form"].errors["code"]
    assert not Authenticator.objects.filter(user=user).exists()

    client.post(reverse("mfa_activate_totp"), {"code": current_totp(secret)})
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()

    client.post(reverse("account_logout"))
    response = log_in(client, user.email)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    challenge = client.get(reverse("mfa_authenticate"))
    assert_in_tandem_layout(challenge)
    client.post(reverse("mfa_authenticate"), {"code": current_totp(secret)})
    assert client.session["_auth_user_id"] == str(user.pk)


# --- sign-up does not tell whether an address is registered -----------------------------------


def signup_answer(email: str) -> tuple:
    """What a stranger sees after signing up with ``email``: the redirects, the page
    (with the address taken out) and the flash messages; plus the mail count."""
    from django.test import Client

    mail.outbox.clear()
    response = Client().post(
        reverse("account_signup"),
        {"email": email, "full_name": "Pat Doe", "password1": STRONG, "password2": STRONG},
        follow=True,
    )
    page = re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", response.content.decode())
    return (
        response.redirect_chain,
        page.replace(email, "<email>"),
        [str(m).replace(email, "<email>") for m in response.context["messages"]],
        len([m for m in mail.outbox if m.to == [email]]),
    )


def test_sign_up_looks_the_same_for_new_registered_and_just_registered_addresses():
    member(email="verified@acme.com")
    signup_answer("pending@acme.com")  # registered moments ago, not verified yet

    new = signup_answer("brand-new@acme.com")
    verified = signup_answer("verified@acme.com")
    pending_again = signup_answer("pending@acme.com")

    assert new[:3] == verified[:3] == pending_again[:3]
    assert new[3] == verified[3] == 1  # each address's owner gets one mail; strangers see none


def test_sign_up_asks_for_the_name_and_stores_it(client):
    page = client.get(reverse("account_signup")).content.decode()
    assert 'name="full_name"' in page and "Your name" in page

    signup(client, "fiona@acme.com", full_name="  Fiona   Walsh ")

    assert User.objects.get(email="fiona@acme.com").display_name == "Fiona Walsh"


def test_sign_up_without_a_name_is_a_field_error_and_creates_no_user(client):
    response = signup(client, "fiona@acme.com", full_name="   ")

    assert response.status_code == 200
    assert "Enter your name, as colleagues know you." in response.content.decode()
    assert not User.objects.filter(email="fiona@acme.com").exists()


def test_sign_up_refuses_a_name_with_a_bidi_override_and_creates_no_user(client):
    response = signup(client, "fiona@acme.com", full_name="Fiona\u202eWalsh")

    assert response.status_code == 200
    assert "U+202E" in response.content.decode()
    assert not User.objects.filter(email="fiona@acme.com").exists()
