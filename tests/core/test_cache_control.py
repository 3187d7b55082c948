"""Signed-in pages and every API response say ``Cache-Control: private, no-store``;
static files keep their long cache."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.clients import api_client_for, client_for
from tests.factories import member

pytestmark = pytest.mark.django_db


def directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def test_a_signed_in_page_is_private_and_not_stored():
    response = client_for(member()).get("/")

    assert response.status_code == 200
    assert {"private", "no-store"} <= directives(response)


def test_api_responses_are_private_and_not_stored_for_sessions_tokens_and_errors():
    user = member()
    token = Token.objects.create(user=user)
    by_token = APIClient()
    by_token.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    for response in (
        api_client_for(user).get("/api/me"),
        by_token.get("/api/me"),
        APIClient().get("/api/me"),  # refused: still not stored
    ):
        assert {"private", "no-store"} <= directives(response), response


def test_static_files_keep_their_cache(settings):
    response = client_for(member()).get("/static/js/socket.js")

    assert response.status_code == 200
    assert "no-store" not in directives(response)
