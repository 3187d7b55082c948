"""Logged-in clients for tests: one way to act as a person over HTML, REST or a browser."""

from django.test import Client
from rest_framework.test import APIClient


def client_for(user, **kwargs) -> Client:
    """A Django test client with ``user``'s session (HTML pages)."""
    client = Client(**kwargs)
    client.force_login(user)
    return client


def api_client_for(user) -> APIClient:
    """A DRF client with ``user``'s session (the API is session-authenticated)."""
    client = APIClient()
    client.force_login(user)
    return client


def log_in_page(page, live_url: str, user) -> None:
    """Give a Playwright page ``user``'s session cookie (no login form round trip)."""
    client = client_for(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_url}]
    )
