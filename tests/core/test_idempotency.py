"""A double submit of a form that creates something lands on the first result:
ask a question, find a mentor (a request), create a program (core.idempotency)."""

import re

import pytest
from django.urls import reverse, reverse_lazy

from mentoring.models import MentoringRequest, Program
from messaging.models import Question
from tests.clients import client_for
from tests.factories import SkillFactory, member, talent_manager
from tests.mentoring.programs.test_programs import form_data as program_form

pytestmark = pytest.mark.django_db


def token_on(page) -> str:
    match = re.search(r'name="form_token" value="([0-9a-f]{32})"', page.content.decode())
    assert match, "the form renders its token"
    return match.group(1)


def submit_twice(client, url: str, data: dict):
    token = token_on(client.get(url))
    first = client.post(url, {**data, "form_token": token})
    second = client.post(url, {**data, "form_token": token})
    return first, second


@pytest.fixture
def asker(org):
    SkillFactory(organization=org, name="Terraform")
    return member(org)


QUESTION = {
    "title": "Slow builds",
    "body": "An hour per build",
    "where": "network",
    "primary_skill": "terraform",
}
NEED = {
    "title": "Ship",
    "description": "On AWS",
    "primary_skill": "terraform",
    "kind": "situational",
    "urgency": "high",
}
FORMS = {
    "ask a question": (member, "/questions/ask/", QUESTION, Question, lambda q: q.get_absolute_url()),
    "find a mentor": (
        member,
        "/mentoring/find/",
        NEED,
        MentoringRequest,
        lambda r: f"/mentoring/requests/{r.pk}/",
    ),
    "create a program": (
        talent_manager,
        reverse_lazy("dashboard:program_create"),
        program_form(),
        Program,
        lambda p: reverse("dashboard:program_detail", args=[p.pk]),
    ),
}


@pytest.mark.parametrize("form", list(FORMS))
def test_a_double_submit_creates_one_thing_and_both_land_on_it(asker, org, form):
    make_person, url, data, model, url_of = FORMS[form]
    client = client_for(asker if make_person is member else make_person(org))

    first, second = submit_twice(client, str(url), data)

    created = model.objects.get()  # exactly one
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == url_of(created)


def test_a_page_with_errors_keeps_its_token_and_the_corrected_submit_goes_through(asker):
    client = client_for(asker)
    token = token_on(client.get("/questions/ask/"))

    wrong = client.post(
        "/questions/ask/", {"title": "", "body": "x", "where": "network", "form_token": token}
    )
    fixed = client.post(
        "/questions/ask/",
        {
            "title": "Fixed",
            "body": "x",
            "where": "network",
            "primary_skill": "terraform",
            "form_token": token,
        },
    )

    assert wrong.status_code == 400 and token_on(wrong) == token
    assert fixed.status_code == 302 and Question.objects.count() == 1


def test_two_pages_are_two_questions_and_tokens_are_per_person(org, asker):
    client = client_for(asker)
    data = {"title": "Q", "body": "x", "where": "network", "primary_skill": "terraform"}
    token = token_on(client.get("/questions/ask/"))

    client.post("/questions/ask/", {**data, "form_token": token})
    client.post("/questions/ask/", {**data, "form_token": token_on(client.get("/questions/ask/"))})
    client_for(member(org)).post("/questions/ask/", {**data, "form_token": token})

    assert Question.objects.count() == 3
