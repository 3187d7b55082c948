"""REST parser limits: a body nested too deep is a 400 and a body over the size
limit a 413, both in the error envelope, never a 500 or an HTML page."""

import json

import pytest

from core.json_limits import json_depth
from tests.clients import api_client_for
from tests.factories import member

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return api_client_for(member())


def test_json_nested_50000_deep_is_a_400_in_the_envelope(api):
    deep = "[" * 50_000 + "]" * 50_000

    response = api.patch("/api/me", '{"headline": ' + deep + "}", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    assert "nest at most" in response.json()["error"]["message"]


def test_a_body_over_the_size_limit_is_a_413_in_the_envelope(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000  # the same path as the 2.5 MB default, cheaper
    body = json.dumps({"headline": "x" * 200_000})

    response = api.patch("/api/me", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_a_multipart_body_over_the_size_limit_is_a_413_in_the_envelope(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000

    response = api.patch("/api/me", {"headline": "x" * 200_000}, format="multipart")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_an_ordinary_body_still_parses(api):
    response = api.patch("/api/me", {"headline": "Cellist [and] {coder}"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["profile"]["headline"] == "Cellist [and] {coder}"


def test_nan_is_not_json(api):
    response = api.patch("/api/me", '{"headline": NaN}', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_depth_ignores_brackets_inside_strings():
    assert json_depth('{"a": "[[[[{{{{"}') == 1
    assert json_depth('{"a": "\\"[[["}') == 1
    assert json_depth("[[[]]]") == 3
