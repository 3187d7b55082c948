"""The question list (page and API) is kept in the read cache until a write it shows
(core.read_cache, topic "questions"), and shared only by viewers who may see the same
questions."""

import pytest

from accounts.services.skills import skill_create
from mentoring.models import Participant
from messaging.qa import services as qa
from tests.factories import member
from tests.mentoring.factories import pair_engagement

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org):
    return {
        "asker": member(org, full_name="Asha Asker"),
        "reader": member(org, full_name="Rita Reader"),
        "helper": member(org, full_name="Hugo Helper"),
    }


def api_titles(client, **params) -> list[str]:
    response = client.get("/api/questions", params)
    assert response.status_code == 200
    return [row["title"] for row in response.json()["results"]]


def api_row(client, title: str) -> dict:
    response = client.get("/api/questions")
    return next(row for row in response.json()["results"] if row["title"] == title)


def page(client, **params) -> str:
    response = client.get("/questions/", params)
    assert response.status_code == 200
    return response.content.decode()


def test_a_repeated_read_is_served_from_the_cache(client, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    qa.question_ask(author=people["asker"], title="Slow builds", body="An hour", scope="network")
    client.force_login(people["reader"])
    with CaptureQueriesContext(connection) as first:
        page(client)
    with CaptureQueriesContext(connection) as again:
        page(client)
    assert len(again) < len(first)
    assert not any("messaging_question" in q["sql"] for q in again.captured_queries)
    # left: the session, the user, the membership, the viewer's engagements, the bell's count
    assert len(again) <= 5, [q["sql"][:80] for q in again.captured_queries]


def test_questions_answers_and_states_show_at_once(client, people):
    client.force_login(people["reader"])
    assert api_titles(client) == []
    assert "No questions yet" in page(client)
    question = qa.question_ask(author=people["asker"], title="Slow builds", body="An hour", scope="network")
    assert api_titles(client) == ["Slow builds"]
    assert "Slow builds" in page(client)
    answer = qa.answer_post(author=people["helper"], question_id=question.pk, body="Cache the dependencies")
    assert api_row(client, "Slow builds")["answer_count"] == 1
    assert "1 answer" in page(client)
    assert api_titles(client, q="dependencies") == ["Slow builds"]
    qa.answer_accept(actor=people["asker"], answer_id=answer.pk)
    assert api_row(client, "Slow builds")["accepted_answer"] == answer.pk
    qa.question_resolve(actor=people["asker"], question_id=question.pk)
    assert api_row(client, "Slow builds")["state"] == "resolved"
    assert api_titles(client, state="resolved") == ["Slow builds"]


def test_a_skill_given_to_a_question_later_shows_at_once(client, org, people):
    terraform = skill_create(organization=org, name="Terraform")
    question = qa.question_ask(author=people["asker"], title="State drift", body="Why?", scope="network")
    client.force_login(people["reader"])
    assert api_titles(client, skill=terraform.pk) == []
    question.skills.add(terraform)
    assert api_titles(client, skill=terraform.pk) == ["State drift"]


def test_a_renamed_author_shows_at_once(client, people):
    qa.question_ask(author=people["asker"], title="Slow builds", body="An hour", scope="network")
    client.force_login(people["reader"])
    assert "Asha Asker" in page(client)
    people["asker"].full_name = "Asha A. Asker"
    people["asker"].save()
    assert "Asha A. Asker" in page(client)


def test_an_engagement_question_is_never_served_to_someone_outside_it(client, org, people):
    engagement = pair_engagement(org)
    seeker = engagement.participants.get(role=Participant.Role.SEEKER).user
    qa.question_ask(author=people["asker"], title="Everyone's", body="Network", scope="network")
    qa.question_ask(
        author=seeker, title="Just us", body="Private", scope="engagement", engagement_id=engagement.pk
    )
    client.force_login(seeker)
    assert sorted(api_titles(client)) == ["Everyone's", "Just us"]
    assert "Just us" in page(client)
    client.force_login(people["reader"])  # same workspace, not in the engagement
    assert api_titles(client) == ["Everyone's"]
    assert "Just us" not in page(client)


def test_someone_who_leaves_an_engagement_no_longer_sees_its_questions(client, org):
    from mentoring.engagements.services.engagements import participant_leave
    from mentoring.models import EngagementKind
    from tests.mentoring.factories import EngagementFactory, mentor

    seeker, staying, leaving = member(org), member(org), mentor(org)
    engagement = EngagementFactory(
        organization=org,
        kind=EngagementKind.GROUP,
        participants=[
            (seeker, Participant.Role.SEEKER),
            (staying, Participant.Role.MENTOR),
            (leaving, Participant.Role.MENTOR),
        ],
    )
    qa.question_ask(
        author=seeker, title="Just us", body="Private", scope="engagement", engagement_id=engagement.pk
    )
    client.force_login(leaving)
    assert api_titles(client) == ["Just us"]
    participant_leave(actor=leaving, engagement_id=engagement.pk)
    assert api_titles(client) == []
    assert "Just us" not in page(client)


def test_a_renamed_engagement_shows_at_once(client, org):
    engagement = pair_engagement(org, title="Old name")
    seeker = engagement.participants.get(role=Participant.Role.SEEKER).user
    qa.question_ask(
        author=seeker, title="Ours", body="Private", scope="engagement", engagement_id=engagement.pk
    )
    client.force_login(seeker)
    assert "Old name" in page(client)
    engagement.title = "New name"
    engagement.save()
    assert "New name" in page(client)
