"""The question pages: list with search and empty state, the ask form with field
errors, the question page with its buttons, and "not found" for what is not
yours."""

import pytest

from messaging.models import Answer, Question
from messaging.qa import services as qa
from tests.factories import OrganizationFactory, SkillFactory, member
from tests.mentoring.factories import pair_engagement

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org):
    asker = member(org, full_name="Asha Asker")
    helper = member(org, full_name="Hugo Helper")
    skill = SkillFactory(organization=org, name="Terraform")
    return org, asker, helper, skill


def test_the_list_shows_an_empty_state_then_questions_and_finds_by_answer_text(client, people):
    _, asker, helper, _ = people
    client.force_login(helper)

    empty = client.get("/questions/")
    assert empty.status_code == 200
    assert "No questions yet" in empty.content.decode()

    question = qa.question_ask(author=asker, title="Slow builds", body="An hour per build", scope="network")
    qa.answer_post(author=helper, question_id=question.pk, body="Cache the dependencies")
    found = client.get("/questions/", {"q": "dependencies"})
    nothing = client.get("/questions/", {"q": "kubernetes"})

    assert "Slow builds" in found.content.decode()
    assert "No question matches" in nothing.content.decode()


def test_the_ask_form_names_the_fields_to_fix_and_stores_nothing(client, people):
    _, asker, _, _ = people
    client.force_login(asker)

    response = client.post(
        "/questions/ask/", {"title": "", "body": "", "where": "network", "primary_skill": "Cobol"}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Give the question a short title." in page
    assert "Write the question: the text cannot be empty." in page
    assert "“Cobol” is not a skill in this workspace" in page
    assert Question.objects.count() == 0


def test_asking_in_an_engagement_and_by_skill_name(client, people):
    organization, _, _, skill = people
    engagement = pair_engagement(organization)
    seeker = engagement.participants.first().user
    client.force_login(seeker)

    form = client.get("/questions/ask/")
    assert f'value="engagement:{engagement.pk}"' in form.content.decode()
    response = client.post(
        "/questions/ask/",
        {
            "title": "Review my module?",
            "body": "Is the layout right?",
            "where": f"engagement:{engagement.pk}",
            "primary_skill": "terraform",
        },
    )

    question = Question.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/questions/{question.pk}/"
    assert question.engagement == engagement and list(question.skills.all()) == [skill]


def test_the_question_page_answers_accepts_and_resolves_through_forms(client, people):
    _, asker, helper, _ = people
    question = qa.question_ask(author=asker, title="Pin a provider?", body="How?", scope="network")

    client.force_login(helper)
    page = client.get(f"/questions/{question.pk}/").content.decode()
    assert "Answer this question" in page and "Mark as resolved" not in page
    client.post(f"/questions/{question.pk}/answers/", {"body": "<script>x()</script>Use ~>"})
    answer = Answer.objects.get()
    assert "<script>x()" not in client.get(f"/questions/{question.pk}/").content.decode()

    client.force_login(asker)
    page = client.get(f"/questions/{question.pk}/").content.decode()
    assert "Answer this question" not in page and "Mark as resolved" in page
    client.post(f"/questions/{question.pk}/answers/{answer.pk}/accept/")
    client.post(f"/questions/{question.pk}/resolve/")

    question.refresh_from_db()
    answer.refresh_from_db()
    assert answer.accepted and question.state == Question.State.RESOLVED
    assert "Accepted answer" in client.get(f"/questions/{question.pk}/").content.decode()


def test_an_empty_answer_re_renders_with_the_error(client, people):
    _, asker, helper, _ = people
    question = qa.question_ask(author=asker, title="Q", body="B", scope="network")
    client.force_login(helper)

    response = client.post(f"/questions/{question.pk}/answers/", {"body": ""})

    assert response.status_code == 400
    assert "Write your answer: the text cannot be empty." in response.content.decode()
    assert Answer.objects.count() == 0


def test_someone_elses_accept_button_does_nothing_and_says_why(client, people):
    _, asker, helper, _ = people
    question = qa.question_ask(author=asker, title="Q", body="B", scope="network")
    answer = qa.answer_post(author=helper, question_id=question.pk, body="A")
    client.force_login(helper)

    response = client.post(f"/questions/{question.pk}/answers/{answer.pk}/accept/", follow=True)

    assert "Only the person who asked can accept an answer." in response.content.decode()
    answer.refresh_from_db()
    assert not answer.accepted


def test_pages_of_another_workspace_are_404_like_missing_ones(client, people):
    _, asker, _, _ = people
    question = qa.question_ask(author=asker, title="Q", body="B", scope="network")
    client.force_login(member(OrganizationFactory()))

    assert client.get(f"/questions/{question.pk}/").status_code == 404
    assert client.get(f"/questions/{question.pk + 999}/").status_code == 404
    assert client.post(f"/questions/{question.pk}/answers/", {"body": "hi"}).status_code == 404
    assert Answer.objects.count() == 0
