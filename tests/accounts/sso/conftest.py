import html
import re

import pytest
import requests

from accounts.models import WorkspaceDomain
from accounts.sso.services import ConnectionInput, sso_connection_save
from tests.factories import OrganizationFactory, talent_manager
from tests.saml_idp.running import start_saml_idp
from tests.sso_provider.running import start_provider

IDP_PASSWORD = "idp-password-0123"
IDP_USERS = [
    {"username": "ann", "email": "ann@acme.test", "first_name": "Ann", "last_name": "Lee"},
    {"username": "nomail", "email": "nomail@acme.test", "first_name": "noemail", "last_name": "X"},
    {"username": "outsider", "email": "olga@elsewhere.test", "first_name": "Olga", "last_name": "Out"},
    {"username": "unverified", "email": "uma@acme.test", "first_name": "Uma", "last_name": "unverified"},
    {"username": "dave", "email": "dave@acme.test", "first_name": "Dave", "last_name": "Dee"},
]


@pytest.fixture
def acme(transactional_db):
    organization = OrganizationFactory(name="Acme", slug="acme")
    WorkspaceDomain.objects.create(organization=organization, domain="acme.test")
    return organization


@pytest.fixture
def manager(acme):
    return talent_manager(acme, email="tm@acme.test")


@pytest.fixture(scope="session")
def provider(live_server, tmp_path_factory):
    running = start_provider(
        tmp_path_factory.mktemp("idp"),
        redirect_uri=f"{live_server.url}/accounts/oidc/acme/login/callback/",
        users=[{**person, "password": IDP_PASSWORD} for person in IDP_USERS],
    )
    yield running
    running.stop()


SAML_EMAIL = "urn:oid:0.9.2342.19200300.100.1.3"
SAML_NAME = "urn:oid:2.16.840.1.113730.3.1.241"


@pytest.fixture(scope="session")
def saml_idp(live_server, tmp_path_factory):
    running = start_saml_idp(
        tmp_path_factory.mktemp("saml-idp"),
        sp_entity_id=f"{live_server.url}/accounts/saml/acme/metadata/",
        acs_url=f"{live_server.url}/accounts/saml/acme/acs/",
        users=[
            {"username": "ann", "password": IDP_PASSWORD, "email": "ann@acme.test", "name": "Ann Lee"},
            {"username": "nomail", "password": IDP_PASSWORD, "email": "", "name": "No Mail"},
            {
                "username": "outsider",
                "password": IDP_PASSWORD,
                "email": "olga@elsewhere.test",
                "name": "Olga",
            },
            {"username": "tampered", "password": IDP_PASSWORD, "email": "tess@acme.test", "name": "Tess"},
            {"username": "expired", "password": IDP_PASSWORD, "email": "eddie@acme.test", "name": "Eddie"},
        ],
    )
    yield running
    running.stop()


@pytest.fixture
def saml_connected(saml_idp, manager):
    """Acme's SAML connection to the IdP, saved through the service (metadata read from its URL)."""
    return sso_connection_save(
        actor=manager,
        data=ConnectionInput(
            protocol="saml",
            enabled=True,
            saml_idp_entity_id=saml_idp.entity_id,
            saml_metadata_url=saml_idp.metadata_url,
            saml_email_attribute=SAML_EMAIL,
            saml_name_attribute=SAML_NAME,
        ),
    )


@pytest.fixture
def connected(provider, manager):
    """Acme's OpenID Connect connection to the provider, saved through the service."""
    return sso_connection_save(
        actor=manager,
        data=ConnectionInput(
            enabled=True,
            oidc_issuer=provider.issuer,
            oidc_client_id=provider.client_id,
            oidc_client_secret=provider.client_secret,
        ),
    )


def csrf_token(session, url) -> str:
    page = session.get(url, timeout=30)
    page.raise_for_status()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


class UserAgent:
    """A person's user agent over plain HTTP (cookies, redirects), for the sign-in flow
    without a browser: Tandem's login page → discovery → provider login → back."""

    def __init__(self, base_url: str):
        self.base = base_url
        self.session = requests.Session()
        self.last_callback = None
        self.session.hooks["response"].append(self._remember_callback)

    def _remember_callback(self, response, **kwargs):
        if "/login/callback/" in response.url:
            self.last_callback = response.url

    def start(self, email: str) -> requests.Response:
        """Login page → discovery → "Continue with your company account": the IdP's answer."""
        token = csrf_token(self.session, f"{self.base}/accounts/login/")
        discovered = self.session.post(
            f"{self.base}/sso/", data={"email": email, "csrfmiddlewaretoken": token}
        )
        assert discovered.status_code == 200, discovered.text
        action = re.search(r'<form method="post" action="([^"]+)">', discovered.text).group(1)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', discovered.text).group(1)
        return self.session.post(self.base + action, data={"csrfmiddlewaretoken": token, "process": "login"})

    def saml_sign_in(self, email: str, username: str, password: str = IDP_PASSWORD):
        """The SAML flow over HTTP; returns (Tandem's final page, the POST the IdP's page made)."""
        at_idp = self.start(email)
        assert "Test SAML identity provider" in at_idp.text, at_idp.text
        fields = dict(re.findall(r'name="(SAMLRequest|RelayState)" value="([^"]*)"', at_idp.text))
        answer = self.session.post(
            at_idp.url.split("/sso/")[0] + "/sso/login",
            data={
                "username": username,
                "password": password,
                **{k: html.unescape(v) for k, v in fields.items()},
            },
        )
        assert answer.status_code == 200, answer.text
        acs = html.unescape(re.search(r'action="([^"]+)"', answer.text).group(1))
        posted = {
            name: html.unescape(value)
            for name, value in re.findall(r'name="(SAMLResponse|RelayState)" value="([^"]*)"', answer.text)
        }
        return self.session.post(acs, data=posted), (acs, posted)

    def sign_in(self, email: str, username: str, password: str = IDP_PASSWORD) -> requests.Response:
        token = csrf_token(self.session, f"{self.base}/accounts/login/")
        discovered = self.session.post(
            f"{self.base}/sso/", data={"email": email, "csrfmiddlewaretoken": token}
        )
        assert discovered.status_code == 200, discovered.text
        action = re.search(r'<form method="post" action="([^"]+)">', discovered.text).group(1)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', discovered.text).group(1)
        at_provider = self.session.post(
            self.base + action, data={"csrfmiddlewaretoken": token, "process": "login"}, timeout=30
        )
        assert "Test identity provider" in at_provider.text, at_provider.text
        provider_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', at_provider.text).group(1)
        next_field = re.search(r'name="next" value="([^"]*)"', at_provider.text).group(1)
        return self.session.post(
            at_provider.url,
            data={
                "csrfmiddlewaretoken": provider_token,
                "username": username,
                "password": password,
                "next": next_field.replace("&amp;", "&"),
            },
            headers={"Referer": at_provider.url},
            timeout=30,
        )
