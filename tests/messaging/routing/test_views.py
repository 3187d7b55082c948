"""The pages of "ask the network": the asker's progress on the question page,
the candidate's "Questions for you" inbox with pass and refer, the member
picker, the nav badge; and the chat panel that only reads on GET."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Expertise
from mentoring.models import Engagement, Participant
from messaging.models import Conversation, RoutingAttempt
from messaging.qa import services as qa
from messaging.routing import replies, waves
from tests.clients import client_for
from tests.factories import OrganizationFactory, SkillFactory, member, talent_manager
from tests.mentoring.factories import pair_engagement

pytestmark = pytest.mark.django_db

ALWAYS_WORKING = "f" * 42  # every hour of the week (UTC mask)


def expert(organization, skill, *, level=5, **user_kwargs):
    """A member with expertise in ``skill``, working around the clock (so the
    ranking finds them available whenever the test runs)."""
    user = member(organization, **user_kwargs)
    Expertise.objects.create(user=user, skill=skill, level=level)
    profile = user.profile
    profile.utc_week_mask = ALWAYS_WORKING
    profile.save(update_fields=["utc_week_mask"])
    return user


def routed_question(
    organization=None, *, experts=1, title="How do I pin a Terraform provider?", body="Which syntax is right?"
):
    """A network question by Asha about Terraform, routed (wave 1) to ``experts``
    Terraform experts. Returns (question, asker, experts)."""
    organization = organization or OrganizationFactory()
    asker = member(organization, full_name="Asha Asker")
    skill = SkillFactory(organization=organization, name=f"Terraform {organization.pk}")
    people = [expert(organization, skill, full_name=f"Expert {i}") for i in range(experts)]
    question = qa.question_ask(author=asker, title=title, body=body, scope="network", skill_ids=[skill.pk])
    waves.routing_start(question)  # idempotent: a no-op when the on-commit start already ran
    question.refresh_from_db()
    return question, asker, people


def text_of(response) -> str:
    """The page's visible text, whitespace collapsed (for assertions on wording)."""
    html = re.sub(r"<script.*?</script>|<style.*?</style>", " ", response.content.decode(), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- the asker's progress --------------------------------------------------------------


def test_the_asker_sees_who_was_asked_in_which_wave_without_scores():
    question, asker, _experts = routed_question(experts=2)

    response = client_for(asker).get(question.get_absolute_url())

    assert response.status_code == 200
    page = text_of(response)
    assert "Who was asked" in page
    assert "Sent to 2 people" in page
    assert "Wave 1" in page and "Expert 0" in page and "Expert 1" in page and "Pending" in page
    assert "score" not in page
    html = response.content.decode()
    assert 'role="status"' in html and "data-routing-progress" in html


def test_a_talent_manager_sees_the_scores_and_their_breakdown():
    question, _asker, (ana,) = routed_question()
    manager = talent_manager(question.organization)

    page = text_of(client_for(manager).get(question.get_absolute_url()))

    attempt = RoutingAttempt.objects.get(candidate=ana)
    assert f"score {attempt.score:.2f}" in page
    assert "competence" in page and "likely to answer" in page


def test_an_ordinary_reader_sees_neither_progress_nor_the_partial():
    question, _asker, _ = routed_question()
    reader = member(question.organization)

    page = text_of(client_for(reader).get(question.get_absolute_url()))

    assert "Who was asked" not in page and "You were asked" not in page
    assert client_for(reader).get(f"/questions/{question.pk}/routing/").status_code == 404


def test_the_progress_partial_is_for_the_asker_and_says_what_changed():
    question, asker, (ana,) = routed_question()
    replies.routing_respond(user=ana, question_id=question.pk, action="pass")

    response = client_for(asker).get(f"/questions/{question.pk}/routing/")

    assert response.status_code == 200
    page = text_of(response)
    assert "1 passed" in page and "Passed" in page
    assert client_for(ana).get(f"/questions/{question.pk}/routing/").status_code == 404  # candidates: no


def test_the_summary_line_reads_like_the_issue_asks():
    from datetime import timedelta

    from core import clock
    from messaging.routing.views import progress_summary

    now = clock.now()
    progress = {
        "state": "routing",
        "sent": 3,
        "typing": 1,
        "answered": 0,
        "next_wave_at": (now + timedelta(minutes=7, seconds=30)).isoformat(),
    }
    assert (
        progress_summary(progress, now=now) == "Sent to 3 people · 1 is typing an answer · next wave in 8 min"
    )
    assert progress_summary({"state": "exhausted", "sent": 0}, now=now).startswith("Nobody in the workspace")
    assert (
        progress_summary({"state": "done", "sent": 1, "answered": 1}, now=now)
        == "Sent to 1 person · 1 answered"
    )


# --- the candidate: banner, inbox, nav badge ----------------------------------------------------


def test_the_candidate_sees_the_banner_with_pass_and_refer_on_the_question_page():
    question, _asker, (ana,) = routed_question()

    response = client_for(ana).get(question.get_absolute_url())

    page = text_of(response)
    assert "You were asked to answer this" in page
    html = response.content.decode()
    assert f'action="/questions/{question.pk}/pass/"' in html
    assert f'href="/questions/{question.pk}/refer/"' in html
    assert f'data-answer-typing data-question="{question.pk}"' in html  # the answer box signals typing


def test_the_inbox_lists_pending_questions_first_with_answer_pass_and_refer():
    organization = OrganizationFactory()
    question, _asker, (ana,) = routed_question(organization)

    response = client_for(ana).get("/questions/for-you/")

    assert response.status_code == 200
    page = text_of(response)
    assert "Questions for you" in page and question.title in page
    assert "asked by Asha Asker" in page and "reply by" in page
    html = response.content.decode()
    assert f'action="/questions/{question.pk}/answers/"' in html  # the existing answer form
    assert f'id="routed-{RoutingAttempt.objects.get().pk}-body"' in html  # unique ids per item
    assert "csrfmiddlewaretoken" in html
    # the nav badge counts what waits for a reply
    assert re.search(r"data-routed-number>1<", html)


def test_other_pages_leave_the_badge_to_the_script_and_spend_no_query_on_it():
    _question, _asker, (ana,) = routed_question()
    client = client_for(ana)
    client.get("/questions/")  # warm up

    with CaptureQueriesContext(connection) as queries:
        html = client.get("/questions/").content.decode()

    assert "data-routed-lazy" in html and "data-routed-number></span>" in html
    assert not any("messaging_routingattempt" in query["sql"] for query in queries.captured_queries)


def test_the_inbox_excerpt_is_plain_inert_text():
    _question, _asker, (ana,) = routed_question(body="Is **a < b** safe? <script>alert(1)</script> <b>x</b>")

    html = client_for(ana).get("/questions/for-you/").content.decode()

    excerpt = re.search(r'<p class="routed-excerpt">(.*?)</p>', html, flags=re.S).group(1)
    assert "<script" not in excerpt and "<b>" not in excerpt and "**" not in excerpt
    assert "Is a &lt; b safe?" in excerpt


def test_the_inbox_is_empty_for_someone_nothing_was_routed_to_and_the_badge_is_hidden():
    question, _asker, _ = routed_question()
    bystander = member(question.organization)

    response = client_for(bystander).get("/questions/for-you/")

    assert "No questions for you yet." in text_of(response)
    assert "routed-count is-empty" in response.content.decode()
    assert client_for(bystander).get("/questions/for-you/count/").json() == {"pending": 0}


def test_the_inbox_costs_the_same_queries_for_one_or_several_questions():
    organization = OrganizationFactory()
    _q, _asker, (ana,) = routed_question(organization)
    client = client_for(ana)
    client.get("/questions/for-you/")  # warm up (session, content types)
    with CaptureQueriesContext(connection) as one:
        client.get("/questions/for-you/")
    skill = Expertise.objects.get(user=ana).skill
    for n in range(2):
        asker = member(organization)
        question = qa.question_ask(
            author=asker, title=f"Terraform question {n}", body="?", scope="network", skill_ids=[skill.pk]
        )
        waves.routing_start(question)
    assert RoutingAttempt.objects.filter(candidate=ana).count() == 3
    with CaptureQueriesContext(connection) as three:
        client.get("/questions/for-you/")
    assert len(three) == len(one)


def test_the_count_endpoint_and_the_partial_list_serve_the_live_updates():
    question, _asker, (ana,) = routed_question()
    client = client_for(ana)

    assert client.get("/questions/for-you/count/").json() == {"pending": 1}
    partial = client.get("/questions/for-you/?partial=list")
    assert question.title in partial.content.decode()
    assert "<html" not in partial.content.decode()


# --- pass -----------------------------------------------------------------------------------------


def test_passing_marks_the_attempt_and_returns_to_the_inbox():
    question, _asker, (ana,) = routed_question()

    client = client_for(ana)
    response = client.post(f"/questions/{question.pk}/pass/")

    assert response.status_code == 302 and response["Location"] == "/questions/for-you/"
    assert RoutingAttempt.objects.get(candidate=ana).outcome == RoutingAttempt.Outcome.PASSED
    page = text_of(client.get("/questions/for-you/"))
    assert "You passed on" in page and "Passed" in page


def test_passing_twice_explains_instead_of_failing():
    question, _asker, (ana,) = routed_question()
    client = client_for(ana)
    client.post(f"/questions/{question.pk}/pass/")

    response = client.post(f"/questions/{question.pk}/pass/", follow=True)

    assert "You already responded to this question" in text_of(response)


def test_passing_from_the_question_page_comes_back_to_it_but_never_off_site():
    question, _asker, (ana, ben) = routed_question(experts=2)

    back = client_for(ana).post(f"/questions/{question.pk}/pass/", {"next": question.get_absolute_url()})
    off_site = client_for(ben).post(f"/questions/{question.pk}/pass/", {"next": "https://evil.example/"})

    assert back["Location"] == question.get_absolute_url()
    assert off_site["Location"] == "/questions/for-you/"


def test_pass_and_refer_are_not_found_for_someone_the_question_was_not_routed_to():
    question, _asker, _ = routed_question()
    bystander = member(question.organization)
    outsider = member(OrganizationFactory())

    for user in (bystander, outsider):
        client = client_for(user)
        assert client.post(f"/questions/{question.pk}/pass/").status_code == 404
        assert client.get(f"/questions/{question.pk}/refer/").status_code == 404
    assert client_for(bystander).post("/questions/999999/pass/").status_code == 404


def test_pass_needs_a_post_with_a_csrf_token():
    question, _asker, (ana,) = routed_question()

    assert client_for(ana).get(f"/questions/{question.pk}/pass/").status_code == 405
    strict = client_for(ana, enforce_csrf_checks=True)
    assert strict.post(f"/questions/{question.pk}/pass/").status_code == 403
    assert RoutingAttempt.objects.get(candidate=ana).outcome == RoutingAttempt.Outcome.PENDING


# --- refer ----------------------------------------------------------------------------------------


def test_referring_a_colleague_by_name_asks_them_and_thanks_the_referrer():
    question, _asker, (ana,) = routed_question()
    carla = member(question.organization, full_name="Carla Cloud")
    client = client_for(ana)

    form = client.get(f"/questions/{question.pk}/refer/")
    assert form.status_code == 200
    assert 'list="refer-people-options"' in form.content.decode()

    response = client.post(f"/questions/{question.pk}/refer/", {"person": "carla cloud"}, follow=True)

    assert "We asked Carla Cloud to look at it." in text_of(response)
    mine = RoutingAttempt.objects.get(candidate=ana)
    assert mine.outcome == RoutingAttempt.Outcome.REFERRED
    theirs = RoutingAttempt.objects.get(candidate=carla)
    assert theirs.referred_by == ana and theirs.outcome == RoutingAttempt.Outcome.PENDING


def test_the_picked_id_wins_when_two_colleagues_share_a_name():
    question, _asker, (ana,) = routed_question()
    member(question.organization, full_name="Sam Same")
    second = member(question.organization, full_name="Sam Same")
    client = client_for(ana)

    ambiguous = client.post(f"/questions/{question.pk}/refer/", {"person": "Sam Same"})
    assert ambiguous.status_code == 400
    assert "Several people are called “Sam Same”" in text_of(ambiguous)

    picked = client.post(f"/questions/{question.pk}/refer/", {"person": "Sam Same", "person_id": second.pk})
    assert picked.status_code == 302
    assert RoutingAttempt.objects.get(referred_by=ana).candidate == second


def test_refer_errors_name_the_field_and_store_nothing():
    question, asker, (ana,) = routed_question()
    outsider = member(OrganizationFactory(), full_name="Olga Outside")
    client = client_for(ana)
    cases = {
        "": "Type the name of the person you want to refer.",
        "Nobody Atall": "Nobody called “Nobody Atall” is in your workspace",
        outsider.full_name: "Nobody called “Olga Outside” is in your workspace",
        asker.full_name: "Refer someone who might know the answer, not the asker.",
        ana.full_name: "That is you: refer a colleague, or pass if you cannot answer.",
    }
    for typed, message in cases.items():
        response = client.post(f"/questions/{question.pk}/refer/", {"person": typed})
        assert response.status_code == 400, typed
        assert message in text_of(response), typed
        assert 'aria-invalid="true"' in response.content.decode(), typed
    # a stale or foreign id does not bypass the name check
    response = client.post(
        f"/questions/{question.pk}/refer/", {"person": "Olga Outside", "person_id": outsider.pk}
    )
    assert response.status_code == 400
    assert RoutingAttempt.objects.get(candidate=ana).outcome == RoutingAttempt.Outcome.PENDING
    assert RoutingAttempt.objects.count() == 1


def test_referring_after_passing_explains_the_conflict():
    question, _asker, (ana,) = routed_question()
    carla = member(question.organization, full_name="Carla Cloud")
    client = client_for(ana)
    client.post(f"/questions/{question.pk}/pass/")

    response = client.post(f"/questions/{question.pk}/refer/", {"person": "Carla Cloud"})

    assert response.status_code == 409
    assert "You already responded to this question" in text_of(response)
    assert not RoutingAttempt.objects.filter(candidate=carla).exists()


def test_the_people_picker_suggests_colleagues_of_the_workspace_only():
    question, _asker, (ana,) = routed_question()
    member(question.organization, full_name="Carla Cloud")
    member(OrganizationFactory(), full_name="Carla Elsewhere")
    client = client_for(ana)

    options = client.get("/questions/people/", {"person": "carla"}).content.decode()

    assert 'value="Carla Cloud"' in options
    assert "Elsewhere" not in options
    assert (
        client.get("/questions/people/", {"person": "Expert 0"}).content.decode().strip() == ""
    )  # not oneself
    assert client.get("/questions/people/").content.decode().strip() == ""


# --- the chat panel reads, never writes, on GET ------------------------------------------------------


def test_a_new_engagement_has_its_conversation_from_the_start():
    from mentoring.engagements.services.engagements import group_engagement_create

    organization = OrganizationFactory()
    manager = talent_manager(organization)
    people = [member(organization) for _ in range(3)]
    engagement = group_engagement_create(actor=manager, title="Club", mentors=people[:1], seekers=people[1:])

    conversation = Conversation.objects.get(engagement=engagement)
    assert set(conversation.members.values_list("user_id", flat=True)) == {p.pk for p in people}


def test_an_old_engagement_without_a_chat_is_not_written_on_get_and_opens_on_post():
    organization = OrganizationFactory()
    engagement = pair_engagement(organization)  # made by a factory: no conversation
    seeker = Participant.objects.filter(engagement=engagement, role="seeker").get().user
    client = client_for(seeker)

    page = client.get(f"/engagements/{engagement.pk}/")

    assert page.status_code == 200
    assert "Open the chat" in text_of(page)
    assert not Conversation.objects.filter(engagement=engagement).exists()
    assert client.get(f"/engagements/{engagement.pk}/chat/").status_code == 405

    opened = client.post(f"/engagements/{engagement.pk}/chat/")

    assert opened.status_code == 302 and opened["Location"] == f"/engagements/{engagement.pk}/#chat-panel"
    assert Conversation.objects.filter(engagement=engagement).count() == 1
    assert "data-chat" in client.get(f"/engagements/{engagement.pk}/").content.decode()


def test_only_participants_can_open_an_engagement_chat():
    organization = OrganizationFactory()
    engagement = pair_engagement(organization)
    bystander = member(organization)

    assert client_for(bystander).post(f"/engagements/{engagement.pk}/chat/").status_code == 404
    assert not Conversation.objects.filter(engagement=engagement).exists()
    assert Engagement.objects.filter(pk=engagement.pk).exists()
