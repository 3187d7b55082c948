"""The one HTML error path (core.html_errors): the middleware that maps a domain error a
view lets through, and the form helpers that put a service's errors on a form.

The views below are plain Django views (and one DRF view) mounted next to the project's
URLs, so the pages render in the real layout through the real middleware stack.
"""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.http import Http404, HttpResponse
from django.test import Client, override_settings
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.html_errors import back_url, error_text, form_error, form_status, run_form
from mentoring.config.urls import urlpatterns as project_urlpatterns

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

FULL = Conflict(
    "The invite link could not be created.",
    fields={"note": ["Keep the note to 200 characters or fewer."], "max_uses": ["Enter 1 to 10000."]},
)


def missing(request):
    raise NotFound("No such engagement.")


FORBIDDEN_MESSAGE = "Only a talent manager of this workspace can do that."


def forbidden(request):
    raise PermissionDenied(FORBIDDEN_MESSAGE)


def conflicting(request):
    raise FULL


def fine(request):
    return HttpResponse("fine")


def http404(request):
    raise Http404("gone")


def broken(request):
    raise RuntimeError("a bug")


class ConflictingApi(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        raise Conflict("That request is already closed.")

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("test-errors/missing/", missing),
    path("test-errors/forbidden/", forbidden),
    path("test-errors/conflict/", conflicting),
    path("test-errors/fine/", fine),
    path("test-errors/http404/", http404),
    path("test-errors/broken/", broken),
    path("test-errors/api/", ConflictingApi.as_view()),
    *project_urlpatterns,
]


# --- the middleware ----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_not_found_becomes_the_404_page(client, method):
    response = getattr(client, method)("/test-errors/missing/")

    assert response.status_code == 404


FRIENDLY_404 = "We can't find that page"
FRIENDLY_500 = "Something went wrong on our side"


@pytest.mark.parametrize("debug", [True, False], ids=["DEBUG on (make run)", "DEBUG off"])
@pytest.mark.parametrize("path", ["/no-such-page/", "/test-errors/http404/", "/test-errors/missing/"])
def test_a_missing_page_is_the_friendly_404_page_in_every_mode(path, debug):
    with override_settings(DEBUG=debug):
        response = Client().get(path)

    assert response.status_code == 404
    body = response.content.decode()
    assert FRIENDLY_404 in body
    assert "URLconf" not in body  # Django's debug page lists the routes
    assert "Go to your home page" in body


@pytest.mark.parametrize("debug", [True, False], ids=["DEBUG on (make run)", "DEBUG off"])
def test_a_crash_is_the_friendly_500_page_in_every_mode_and_is_logged(debug, caplog):
    with override_settings(DEBUG=debug):
        response = Client(raise_request_exception=False).get("/test-errors/broken/")

    assert response.status_code == 500
    body = response.content.decode()
    assert FRIENDLY_500 in body
    assert "Traceback" not in body
    assert any("a bug" in str(record.exc_info[1]) for record in caplog.records if record.exc_info)


@pytest.mark.parametrize("method", ["get", "post"])
def test_permission_denied_becomes_the_403_page_with_the_reason(client, method):
    response = getattr(client, method)("/test-errors/forbidden/")

    assert response.status_code == 403
    page = response.content.decode()
    assert "Not allowed" in page
    assert FORBIDDEN_MESSAGE in page


def test_a_conflict_on_post_goes_back_to_the_page_in_next_with_the_message_and_its_details(client):
    response = client.post("/test-errors/conflict/", {"next": "/test-errors/fine/?page=2"})

    assert response.status_code == 302
    assert response["Location"] == "/test-errors/fine/?page=2"
    flashed = [str(message) for message in get_messages(response.wsgi_request)]
    assert flashed == [
        "The invite link could not be created. Keep the note to 200 characters or fewer. Enter 1 to 10000."
    ]


def test_a_conflict_on_post_without_next_goes_back_to_the_referer(client):
    response = client.post("/test-errors/conflict/", HTTP_REFERER="http://testserver/test-errors/fine/")

    assert response.status_code == 302
    assert response["Location"] == "http://testserver/test-errors/fine/"


@pytest.mark.parametrize(
    "data, headers",
    [
        ({"next": "https://evil.example/phish"}, {}),
        ({}, {"HTTP_REFERER": "https://evil.example/phish"}),
        ({}, {}),
    ],
    ids=["foreign next", "foreign referer", "nothing to go back to"],
)
def test_a_conflict_on_post_never_goes_back_off_site(client, data, headers):
    response = client.post("/test-errors/conflict/", data, **headers)

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_conflict_on_get_is_a_page_with_the_message_and_its_status(client):
    response = client.get("/test-errors/conflict/")

    assert response.status_code == 409
    body = response.content.decode()
    assert "The invite link could not be created." in body
    assert "Keep the note to 200 characters or fewer." in body
    assert 'role="alert"' in body


def test_a_drf_view_answers_with_the_api_error_envelope_not_a_page(client):
    response = client.post("/test-errors/api/", {"next": "/test-errors/fine/"})

    assert response.status_code == 409
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "conflict"


def test_other_responses_pass_through_untouched(client):
    assert client.get("/test-errors/fine/").content == b"fine"
    assert client.get("/test-errors/api/").json() == {"ok": True}


def test_back_url_uses_the_default_when_there_is_nowhere_to_go_back_to(rf):
    assert back_url(rf.post("/x/"), default="/workspace/members/") == "/workspace/members/"
    assert back_url(rf.post("/x/", {"next": "/people/?q=go"})) == "/people/?q=go"


def test_error_text_is_the_message_followed_by_every_field_message():
    assert error_text(NotFound("No such member.")) == "No such member."
    assert error_text(FULL).startswith("The invite link could not be created. Keep the note")


# --- form helpers ---------------------------------------------------------------------------


class InviteForm(forms.Form):
    note = forms.CharField(required=False)
    skill = forms.CharField(required=False)


def bound_form(**data) -> InviteForm:
    form = InviteForm(data)
    assert form.is_valid()
    return form


def test_form_error_puts_field_messages_on_their_fields_and_not_the_summary():
    form = bound_form(note="x")

    form_error(form, ValidationFailed("Please fix the invite.", fields={"note": ["Too long."]}))

    assert form.errors == {"note": ["Too long."]}
    assert form.domain_error.message == "Please fix the invite."


def test_form_error_without_fields_is_a_form_level_error():
    form = bound_form()

    form_error(form, Conflict("You already belong to a workspace."))

    assert form.non_field_errors() == ["You already belong to a workspace."]


def test_form_error_with_only_unknown_fields_keeps_the_message_and_the_details_at_the_top():
    form = bound_form()

    form_error(form, ValidationFailed("Could not save.", fields={"working_hours": ["Windows overlap."]}))

    assert form.non_field_errors() == ["Could not save.", "Windows overlap."]
    assert "note" not in form.errors


def test_rename_maps_a_services_field_name_to_the_forms():
    form = bound_form(skill="Kubernetes")

    form_error(
        form,
        NotFound("That skill was not found.", fields={"skill_id": ["No such skill."]}),
        rename={"skill_id": "skill"},
    )

    assert form.errors == {"skill": ["No such skill."]}


@pytest.mark.parametrize(
    "error, status",
    [
        (None, 400),
        (ValidationFailed("Bad."), 400),
        (NotFound("No such skill."), 400),  # the page exists; a value in the form does not
        (PermissionDenied("Not yours."), 403),
        (Conflict("Already closed."), 409),
    ],
)
def test_form_status_is_the_domain_errors_status_except_not_found_which_is_a_bad_form(error, status):
    form = bound_form()
    if error is not None:
        form_error(form, error)

    assert form_status(form) == status


def test_run_form_returns_the_services_result_when_all_is_well():
    form = InviteForm({"note": "Interns"})

    result = run_form(form, lambda: form.cleaned_data["note"].upper())

    assert result == "INTERNS"
    assert not form.errors


def test_run_form_does_not_call_the_service_for_an_invalid_form():
    class Strict(forms.Form):
        note = forms.CharField()

    calls = []
    form = Strict({})

    assert run_form(form, lambda: calls.append("called")) is None
    assert calls == []
    assert "note" in form.errors


def test_run_form_puts_the_services_error_on_the_form_and_returns_none():
    form = InviteForm({"skill": "Kubernetes"})

    def service():
        raise NotFound("That skill was not found.", fields={"skill_id": ["No such skill."]})

    assert run_form(form, service, rename={"skill_id": "skill"}) is None
    assert form.errors == {"skill": ["No such skill."]}
    assert form_status(form) == 400
