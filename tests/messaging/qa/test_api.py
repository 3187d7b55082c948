"""The questions REST API: one error format, access as "not found", evidence
through the real trust ledger, and a list whose query count does not depend on
the page size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging.models import Answer, Question
from messaging.qa import services as qa
from messaging.qa.read_topics import questions_changed
from tests.clients import api_client_for as client_for
from tests.factories import OrganizationFactory, SkillFactory, member
from trust.models import TrustEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org):
    asker = member(org, full_name="Asha Asker")
    helper = member(org, full_name="Hugo Helper")
    skill = SkillFactory(organization=org, name="Terraform")
    return org, asker, helper, skill


def test_asking_answering_accepting_and_resolving_over_rest(people):
    _, asker, helper, skill = people
    asking = client_for(asker)

    created = asking.post(
        "/api/questions",
        {"title": "Pin a provider?", "body": "How do I *pin* it?", "skills": [skill.pk]},
        format="json",
    )
    assert created.status_code == 201, created.content
    question_id = created.json()["id"]
    assert created.json()["skills"] == [{"id": skill.pk, "name": "Terraform"}]
    assert "<em>pin</em>" in created.json()["body_html"]

    answered = client_for(helper).post(
        f"/api/questions/{question_id}/answers", {"body": "Use required_providers"}, format="json"
    )
    assert answered.status_code == 201
    answer_id = answered.json()["id"]

    accepted = asking.post(f"/api/answers/{answer_id}/accept")
    assert accepted.status_code == 200 and accepted.json()["accepted"] is True

    resolved = asking.post(f"/api/questions/{question_id}/resolve")
    assert resolved.status_code == 200
    body = resolved.json()
    assert body["state"] == "resolved" and body["accepted_answer"] == answer_id
    assert [a["id"] for a in body["answers"]] == [answer_id]
    assert TrustEvent.objects.filter(source_kind="answer.accepted", subject=helper, actor=asker).count() == 1


def test_answering_your_own_question_is_a_403_and_stores_nothing(people):
    _, asker, _, _ = people
    question = qa.question_ask(author=asker, title="Mine", body="My question", scope="network")

    response = client_for(asker).post(f"/api/questions/{question.pk}/answers", {"body": "Me"}, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["message"] == "You cannot answer your own question."
    assert Answer.objects.count() == 0


def test_accepting_on_someone_elses_question_is_a_403_and_changes_nothing(people):
    _, asker, helper, skill = people
    question = qa.question_ask(author=asker, title="Q", body="B", scope="network", skill_ids=[skill.pk])
    answer = qa.answer_post(author=helper, question_id=question.pk, body="A")

    response = client_for(helper).post(f"/api/answers/{answer.pk}/accept")

    assert response.status_code == 403
    answer.refresh_from_db()
    assert answer.accepted is False
    assert TrustEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({}, "body"),
    ],
)
def test_empty_or_oversized_answers_are_400_naming_the_body(people, payload, field):
    _, asker, helper, _ = people
    question = qa.question_ask(author=asker, title="Q", body="B", scope="network")

    response = client_for(helper).post(f"/api/questions/{question.pk}/answers", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert Answer.objects.count() == 0


def test_a_question_of_another_workspace_is_the_same_404_as_a_missing_one(people):
    _, asker, _, _ = people
    question = qa.question_ask(author=asker, title="Q", body="B", scope="network")
    stranger = client_for(member(OrganizationFactory()))

    foreign = stranger.get(f"/api/questions/{question.pk}")
    missing = stranger.get(f"/api/questions/{question.pk + 999}")
    answering = stranger.post(f"/api/questions/{question.pk}/answers", {"body": "hi"}, format="json")

    assert foreign.status_code == missing.status_code == answering.status_code == 404
    assert foreign.json() == missing.json()
    assert Answer.objects.count() == 0


def test_script_in_a_question_comes_back_inert(people):
    _, asker, _, _ = people

    response = client_for(asker).post(
        "/api/questions",
        {"title": "<b>x</b>", "body": '<script>alert("x")</script>[link](javascript:alert(1))'},
        format="json",
    )

    assert response.status_code == 201
    html = response.json()["body_html"]
    assert "<script" not in html and 'href="javascript' not in html
    assert response.json()["title"] == "<b>x</b>"  # stored as text; templates escape it


def test_bad_ask_input_names_each_field(people):
    _, asker, _, _ = people
    foreign_skill = SkillFactory(name="Elsewhere")

    response = client_for(asker).post(
        "/api/questions",
        {"title": "Q", "body": "B", "scope": "engagement", "skills": [foreign_skill.pk]},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"engagement", "skills"}
    assert Question.objects.count() == 0


def test_search_over_rest_finds_by_answer_text_and_rejects_an_unknown_state(people):
    _, asker, helper, _ = people
    question = qa.question_ask(author=asker, title="Slow builds", body="An hour per build", scope="network")
    qa.question_ask(author=asker, title="Naming things", body="Hard", scope="network")
    qa.answer_post(author=helper, question_id=question.pk, body="Cache the dependencies")

    found = client_for(helper).get("/api/questions", {"q": "dependencies"})
    bad = client_for(helper).get("/api/questions", {"state": "closed"})

    assert [row["id"] for row in found.json()["results"]] == [question.pk]
    assert bad.status_code == 400 and "state" in bad.json()["error"]["fields"]


def test_the_question_list_has_the_same_query_count_for_5_and_20_rows(people):
    _, asker, helper, skill = people
    for n in range(20):
        question = qa.question_ask(
            author=asker, title=f"Question {n}", body="Body", scope="network", skill_ids=[skill.pk]
        )
        qa.answer_post(author=helper, question_id=question.pk, body=f"Answer {n}")
    client = client_for(helper)
    client.get("/api/questions", {"page_size": 1})  # warm the session and membership caches

    counts = []
    for size in (5, 20):
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/questions", {"page_size": size})
        assert response.status_code == 200 and len(response.json()["results"]) == size
        counts.append(len(queries.captured_queries))

    assert counts[0] == counts[1]
    with CaptureQueriesContext(connection) as searching:
        response = client.get("/api/questions", {"page_size": 20, "q": "question"})
    assert len(response.json()["results"]) == 20
    assert len(searching.captured_queries) == counts[0]


@pytest.mark.postgres
def test_the_stored_search_text_follows_the_question_and_its_answers(people, other_org):
    _, asker, helper, _ = people
    question = qa.question_ask(author=asker, title="Slow builds", body="An hour per build", scope="network")
    stranger = member(other_org)
    qa.question_ask(author=stranger, title="Slow builds elsewhere", body="Cache", scope="network")
    answer = qa.answer_post(author=helper, question_id=question.pk, body="Cache the dependencies")

    def found(words):
        return [row["id"] for row in client_for(helper).get("/api/questions", {"q": words}).json()["results"]]

    assert found("dependencies") == [question.pk]
    assert found("slow builds") == [question.pk]  # never another workspace's question
    Answer.objects.filter(pk=answer.pk).update(body="Use a remote executor")
    questions_changed([question.organization_id])  # a raw update reaches no receiver of the read cache
    assert found("dependencies") == [] and found("executor") == [question.pk]
    Answer.objects.filter(pk=answer.pk).delete()
    assert found("executor") == []
    question.title = "Flaky pipelines"
    question.save()
    assert found("flaky") == [question.pk] and found("slow") == []
