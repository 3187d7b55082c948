"""Saving a workspace's company sign-in (checked against the real provider when saved),
the settings page, and "SSO required" for password login and reset."""

import re
import socket

import pytest
from django.core import mail
from django.test import Client

from accounts.models import AuditEntry, ScimToken, SsoConnection, WorkspaceDomain
from accounts.scim.tokens import token_digest
from accounts.sso.services import ConnectionInput, sso_connection_save
from core.errors import PermissionDenied, ValidationFailed
from tests.factories import DEFAULT_PASSWORD, member


def _oidc(provider, **overrides):
    values = {
        "enabled": True,
        "oidc_issuer": provider.issuer,
        "oidc_client_id": provider.client_id,
        "oidc_client_secret": provider.client_secret,
    }
    return ConnectionInput(**{**values, **overrides})


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _refused(manager, data) -> dict:
    audits = AuditEntry.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        sso_connection_save(actor=manager, data=data)
    assert not SsoConnection.objects.exists()
    assert AuditEntry.objects.count() == audits
    return caught.value.fields


def test_saving_checks_the_issuer_and_audits_without_the_secret(provider, manager):
    connection = sso_connection_save(actor=manager, data=_oidc(provider))
    assert connection.oidc_configuration["token_endpoint"].startswith(provider.issuer)
    entry = AuditEntry.objects.get(action="sso.updated")
    assert entry.details["changed"]["oidc_client_secret"] == "changed"
    assert provider.client_secret not in str(entry.details)

    # an empty secret keeps the stored one
    sso_connection_save(
        actor=manager, data=_oidc(provider, oidc_client_secret="", oidc_name_claim="given_name")
    )
    connection.refresh_from_db()
    assert (
        connection.oidc_client_secret == provider.client_secret and connection.oidc_name_claim == "given_name"
    )


def test_unreachable_issuer_is_refused_when_saved(provider, manager):
    fields = _refused(manager, _oidc(provider, oidc_issuer=f"http://127.0.0.1:{_closed_port()}/o"))
    assert "could not be reached" in fields["oidc_issuer"][0]


def test_issuer_without_a_discovery_document_is_refused(provider, manager, live_server):
    fields = _refused(manager, _oidc(provider, oidc_issuer=f"{live_server.url}/nowhere"))
    assert "answered HTTP 404" in fields["oidc_issuer"][0]


def test_issuer_the_provider_does_not_name_is_refused(provider, manager):
    fields = _refused(manager, _oidc(provider, oidc_issuer=provider.issuer.replace("127.0.0.1", "localhost")))
    assert "says its issuer is" in fields["oidc_issuer"][0]


def test_required_without_enabled_and_enabled_without_domains_are_refused(provider, manager, acme):
    fields = _refused(manager, _oidc(provider, enabled=False, sso_required=True))
    assert "sso_required" in fields
    WorkspaceDomain.objects.filter(organization=acme).delete()
    assert "enabled" in _refused(manager, _oidc(provider))


def test_break_glass_must_be_an_active_talent_manager_here(provider, manager, acme):
    bob = member(acme, email="bob@acme.test")
    fields = _refused(manager, _oidc(provider, break_glass_email=bob.email))
    assert "break_glass_email" in fields


def test_only_a_talent_manager_saves(provider, acme):
    bob = member(acme, email="bob@acme.test")
    with pytest.raises(PermissionDenied):
        sso_connection_save(actor=bob, data=_oidc(provider))


def test_settings_page_shows_the_values_for_the_identity_provider(provider, manager, acme):
    client = Client()
    client.force_login(manager)
    page = client.get("/workspace/sign-in/")
    assert page.status_code == 200
    assert "http://testserver/accounts/oidc/acme/login/callback/" in page.text
    assert "http://testserver/scim/v2/" in page.text

    created = client.post("/workspace/sign-in/scim-tokens/", {"note": "Okta"}, follow=True)
    token = created.context["new_token"]
    assert token in created.text
    row = ScimToken.objects.get()
    assert row.digest == token_digest(token) and token not in (row.digest, row.prefix)
    assert token not in client.get("/workspace/sign-in/").text  # shown once

    bad = client.post(
        "/workspace/sign-in/",
        {
            "protocol": "oidc",
            "enabled": "on",
            "oidc_issuer": "http://127.0.0.1:9/o",
            "oidc_client_id": "x",
            "oidc_client_secret": "y",
            "oidc_email_claim": "email",
            "oidc_name_claim": "name",
            "saml_email_attribute": "email",
            "saml_name_attribute": "name",
        },
    )
    assert bad.status_code == 400 and "could not be reached" in bad.text
    assert not SsoConnection.objects.exists()


def test_members_get_the_forbidden_page(acme):
    client = Client()
    client.force_login(member(acme, email="bob@acme.test"))
    assert client.get("/workspace/sign-in/").status_code == 403


def test_sso_required_refuses_password_login_and_reset_except_break_glass(provider, manager, acme):
    sso_connection_save(
        actor=manager, data=_oidc(provider, sso_required=True, break_glass_email=manager.email)
    )
    bob = member(acme, email="bob@acme.test")

    login = Client().post("/accounts/login/", {"login": bob.email, "password": DEFAULT_PASSWORD}, follow=True)
    assert "Acme signs in with its company account" in login.text
    assert not login.context["user"].is_authenticated

    Client().post("/accounts/password/reset/", {"email": bob.email})
    Client().post("/accounts/password/reset/", {"email": manager.email})
    by_address = {message.to[0]: message for message in mail.outbox}
    assert "Acme signs in with its company account" in by_address[bob.email].body
    assert "/accounts/password/reset/key/" not in by_address[bob.email].body
    assert "/accounts/password/reset/key/" in by_address[manager.email].body

    glass = Client().post(
        "/accounts/login/", {"login": manager.email, "password": DEFAULT_PASSWORD}, follow=True
    )
    assert glass.context["user"] == manager


def test_sso_required_refuses_an_earlier_reset_link_and_the_password_change_page(provider, manager, acme):

    bob = member(acme, email="bob@acme.test")
    signed_in = Client()
    signed_in.force_login(bob)  # before the mail: a login afterwards would void its link
    Client().post("/accounts/password/reset/", {"email": bob.email})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body).group(1)
    sso_connection_save(
        actor=manager, data=_oidc(provider, sso_required=True, break_glass_email=manager.email)
    )
    new = {"password1": "an0ther-Long-pass", "password2": "an0ther-Long-pass"}

    browser = Client()
    form_page = browser.get(link, follow=True)
    assert form_page.status_code == 200
    reset = browser.post(form_page.redirect_chain[-1][0] if form_page.redirect_chain else link, new)
    assert not form_page.context.get("token_fail")
    assert "Acme signs in with its company account" in reset.text

    change = signed_in.post("/accounts/password/change/", {"oldpassword": DEFAULT_PASSWORD, **new})
    assert "Acme signs in with its company account" in change.text
    bob.refresh_from_db()
    assert bob.check_password(DEFAULT_PASSWORD)

    # the break-glass account keeps its password page
    glass = Client()
    glass.force_login(manager)
    changed = glass.post("/accounts/password/change/", {"oldpassword": DEFAULT_PASSWORD, **new})
    assert changed.status_code == 302
    manager.refresh_from_db()
    assert manager.check_password(new["password1"])
