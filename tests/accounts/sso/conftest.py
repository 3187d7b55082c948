import re

import pytest
import requests

from accounts.models import WorkspaceDomain
from accounts.sso.services import ConnectionInput, sso_connection_save
from tests.factories import OrganizationFactory, talent_manager
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
