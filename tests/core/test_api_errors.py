"""Every API failure has one shape: {"error": {"code", "message", "fields"}}.

The views below are real DRF views running through the project's exception
handler (settings.REST_FRAMEWORK["EXCEPTION_HANDLER"]); each raises what a
service or serializer would.
"""

import json
from typing import NamedTuple

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class Answer(NamedTuple):
    status_code: int
    body: dict


class ItemInput(serializers.Serializer):
    name = serializers.CharField(max_length=5)


class OrderInput(serializers.Serializer):
    title = serializers.CharField()
    level = serializers.IntegerField(min_value=1, max_value=5)
    items = ItemInput(many=True)
    address = serializers.DictField(child=serializers.CharField())

    def validate(self, attrs):
        if attrs["title"] == "twice":
            raise serializers.ValidationError("This order was already placed.")
        return attrs


def call(raise_what=None, *, data=None, permission=AllowAny, throttle=None):
    class View(APIView):
        permission_classes = [permission]
        throttle_classes = [throttle] if throttle else []

        def post(self, request):
            if raise_what is not None:
                raise raise_what
            OrderInput(data=request.data).is_valid(raise_exception=True)
            return None

    request = APIRequestFactory().post("/api/example/", data or {}, format="json")
    response = View.as_view()(request)
    response.render()
    return Answer(response.status_code, json.loads(response.content))


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (ValidationFailed("Capacity is out of range.", fields={"capacity": ["Use 0–20."]}), 400, "invalid"),
        (NotFound(), 404, "not_found"),
        (PermissionDenied("Only talent managers can do this."), 403, "permission_denied"),
        (Conflict("You already joined this workspace."), 409, "conflict"),
    ],
)
def test_domain_errors_map_to_their_status_and_code_with_message_and_fields(error, status, code):
    response = call(error)

    assert response.status_code == status
    assert response.body == {"error": {"code": code, "message": error.message, "fields": error.fields}}


def test_a_domain_error_can_carry_its_own_code():
    response = call(ValidationFailed("That invite link has expired.", code="invite_expired"))

    assert response.status_code == 400
    assert response.body["error"]["code"] == "invite_expired"


def test_django_http404_becomes_the_same_not_found_as_a_domain_not_found():
    assert call(Http404("secret detail")).body == call(NotFound()).body
    assert call(Http404()).status_code == 404


def test_a_django_validation_error_with_fields_names_each_field():
    response = call(DjangoValidationError({"timezone": ["Unknown time zone 'Mars/Olympus'."]}))

    assert response.status_code == 400
    assert response.body["error"]["fields"] == {"timezone": ["Unknown time zone 'Mars/Olympus'."]}
    assert response.body["error"]["message"] == "Some fields are invalid."


def test_a_django_validation_error_without_fields_keeps_its_message():
    response = call(DjangoValidationError("The window ends before it starts."))

    assert response.status_code == 400
    assert response.body == {
        "error": {"code": "invalid", "message": "The window ends before it starts.", "fields": {}}
    }


def test_serializer_errors_are_flattened_to_dotted_field_names():
    response = call(
        data={"title": "ok", "level": 9, "items": [{"name": "fine"}, {"name": "far too long"}], "address": {}}
    )

    assert response.status_code == 400
    error = response.body["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"level", "items.1.name"}
    assert "less than or equal to 5" in error["fields"]["level"][0]
    assert error["message"] == "Some fields are invalid: items.1.name, level"


def test_missing_fields_are_each_named():
    error = call(data={}).body["error"]

    assert set(error["fields"]) == {"title", "level", "items", "address"}
    assert error["fields"]["title"] == ["This field is required."]


def test_a_non_field_serializer_error_becomes_the_message():
    response = call(data={"title": "twice", "level": 3, "items": [], "address": {"city": "Oslo"}})

    assert response.status_code == 400
    assert response.body == {
        "error": {"code": "invalid", "message": "This order was already placed.", "fields": {}}
    }


def test_an_anonymous_caller_gets_not_authenticated_in_the_same_shape():
    response = call(permission=IsAuthenticated)

    assert response.status_code in {401, 403}
    assert response.body["error"]["code"] == "not_authenticated"
    assert response.body["error"]["fields"] == {}


def test_throttling_answers_429_with_code_throttled():
    class Exhausted:
        def allow_request(self, request, view):
            return False

        def wait(self):
            return 30

    response = call(throttle=Exhausted)

    assert response.status_code == 429
    assert response.body["error"]["code"] == "throttled"
    assert "30" in response.body["error"]["message"]


def test_a_drf_permission_denied_keeps_the_error_shape():
    response = call(exceptions.PermissionDenied("Not in your workspace."))

    assert response.status_code == 403
    assert response.body == {
        "error": {"code": "permission_denied", "message": "Not in your workspace.", "fields": {}}
    }
