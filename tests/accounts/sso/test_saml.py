"""Company sign-in with SAML 2.0 over HTTP against a real IdP (pysaml2, signing with
xmlsec1; Tandem verifies with python3-saml's xmlsec binding): metadata read when saved,
a signed response lets the person in (just in time), and a bad signature, an expired or
replayed assertion and a missing or foreign e-mail are refused without changing anything."""

import pytest
import requests
from allauth.socialaccount.models import SocialAccount

from accounts.models import AuditEntry, Membership, SsoConnection, User
from accounts.sso.services import ConnectionInput, sso_connection_save
from core.errors import ValidationFailed
from tests.accounts.sso.conftest import SAML_EMAIL, SAML_NAME, UserAgent


def _counts():
    return (User.objects.count(), Membership.objects.count(), SocialAccount.objects.count())


def test_signed_response_signs_the_person_in_and_provisions_them(live_server, saml_connected, acme):
    page, _ = UserAgent(live_server.url).saml_sign_in("ann@acme.test", "ann")
    assert page.status_code == 200 and "/onboarding/" in page.url, page.text
    ann = User.objects.get(email="ann@acme.test")
    assert ann.full_name == "Ann Lee" and Membership.objects.get(user=ann).organization == acme
    assert SocialAccount.objects.get(user=ann).provider == "acme"
    assert AuditEntry.objects.get(action="sso.login").details["provisioned"] is True

    UserAgent(live_server.url).saml_sign_in("ann@acme.test", "ann")
    assert User.objects.filter(email="ann@acme.test").count() == 1 and SocialAccount.objects.count() == 1


def test_response_altered_after_signing_is_refused(live_server, saml_connected):
    before = _counts()
    page, _ = UserAgent(live_server.url).saml_sign_in("tess@acme.test", "tampered")
    assert page.status_code == 400 and "could not be verified" in page.text
    assert _counts() == before


def test_expired_assertion_is_refused(live_server, saml_connected):
    before = _counts()
    page, _ = UserAgent(live_server.url).saml_sign_in("eddie@acme.test", "expired")
    assert page.status_code == 400 and "could not be verified" in page.text
    assert _counts() == before


def test_replayed_response_is_refused(live_server, saml_connected):
    agent = UserAgent(live_server.url)
    page, (acs, posted) = agent.saml_sign_in("ann@acme.test", "ann")
    assert "/onboarding/" in page.url
    before = (*_counts(), AuditEntry.objects.filter(action="sso.login").count())
    for replayer in (agent.session, requests.Session()):
        replay = replayer.post(acs, data=posted, timeout=30)
        assert replay.status_code == 400 and "could not be verified" in replay.text, replay.text[-1500:]
    assert (*_counts(), AuditEntry.objects.filter(action="sso.login").count()) == before


def test_missing_and_foreign_email_are_refused(live_server, saml_connected):
    before = _counts()
    page, _ = UserAgent(live_server.url).saml_sign_in("x@acme.test", "nomail")
    assert page.status_code == 403 and "did not send an e-mail address" in page.text
    page, _ = UserAgent(live_server.url).saml_sign_in("x@acme.test", "outsider")
    assert page.status_code == 403 and "is not at one of Acme" in page.text
    assert _counts() == before


def _saml(**values):
    base = {
        "protocol": "saml",
        "enabled": True,
        "saml_email_attribute": SAML_EMAIL,
        "saml_name_attribute": SAML_NAME,
    }
    return ConnectionInput(**{**base, **values})


def test_metadata_is_read_when_saved_and_bad_metadata_is_refused(saml_idp, manager, live_server):
    for data, field in [
        (
            _saml(saml_idp_entity_id=saml_idp.entity_id, saml_metadata_url=f"{live_server.url}/nowhere"),
            "saml_metadata_url",
        ),
        (
            _saml(saml_idp_entity_id="urn:someone-else", saml_metadata_url=saml_idp.metadata_url),
            "saml_idp_entity_id",
        ),
        (
            _saml(saml_idp_entity_id=saml_idp.entity_id, saml_metadata_xml="<not-metadata/>"),
            "saml_metadata_xml",
        ),
        (_saml(saml_idp_entity_id=saml_idp.entity_id), "saml_metadata_url"),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            sso_connection_save(actor=manager, data=data)
        assert field in caught.value.fields
    assert not SsoConnection.objects.exists() and not AuditEntry.objects.filter(action="sso.updated").exists()

    xml = requests.get(saml_idp.metadata_url, timeout=30).text
    connection = sso_connection_save(
        actor=manager, data=_saml(saml_idp_entity_id=saml_idp.entity_id, saml_metadata_xml=xml)
    )
    assert connection.saml_idp["sso_url"] == f"{saml_idp.base_url}/sso/redirect"
    assert connection.saml_idp["x509cert"]
