"""Questions and answers: the services, access checks, trust evidence and search
(messaging/qa/services.py, messaging/qa/selectors.py)."""

import pytest

from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from messaging.models import Answer, AnswerVote, Notification, Question
from messaging.qa import selectors as qa_selectors
from messaging.qa import services as qa
from tests.factories import OrganizationFactory, SkillFactory, member
from tests.mentoring.factories import pair_engagement
from trust.models import TrustEvent

pytestmark = pytest.mark.django_db


def ask(author, title="How do I pin a Terraform provider?", body="Which syntax is right?", **kwargs):
    kwargs.setdefault("scope", "network")
    return qa.question_ask(author=author, title=title, body=body, **kwargs)


@pytest.fixture
def people(org):
    asker = member(org, full_name="Asha Asker")
    helper = member(org, full_name="Hugo Helper")
    other = member(org, full_name="Olga Other")
    skill = SkillFactory(organization=org, name="Terraform")
    return org, asker, helper, other, skill


def state_of(question):
    question.refresh_from_db()
    return (
        question.state,
        question.accepted_answer_id,
        list(Answer.objects.filter(question=question).values_list("pk", "accepted", "helpful_count")),
        AnswerVote.objects.filter(answer__question=question).count(),
        TrustEvent.objects.count(),
    )


# --- asking ------------------------------------------------------------------------


def test_a_member_asks_a_network_question_with_skills_and_the_body_is_rendered_inert(people):
    organization, asker, _, _, skill = people

    question = ask(
        asker, body="<script>alert(1)</script> **bold** <img src=x onerror=alert(2)>", skill_ids=[skill.pk]
    )

    assert question.organization == organization
    assert question.state == Question.State.OPEN
    assert list(question.skills.all()) == [skill]
    assert "<script" not in question.body_html and "<img" not in question.body_html
    assert "<strong>bold</strong>" in question.body_html
    assert "&lt;script&gt;" in question.body_html


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": ""}, "body"),
        ({"body": "  \n "}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({"scope": "everyone"}, "scope"),
        ({"scope": "engagement"}, "engagement"),
    ],
)
def test_bad_question_input_names_the_field_and_stores_nothing(people, kwargs, field):
    _, asker, *_ = people

    with pytest.raises(ValidationFailed) as caught:
        ask(asker, **kwargs)

    assert field in caught.value.fields
    assert Question.objects.count() == 0


def test_a_skill_of_another_workspace_is_refused(people):
    _, asker, *_ = people
    foreign = SkillFactory(name="Kubernetes")

    with pytest.raises(ValidationFailed) as caught:
        ask(asker, skill_ids=[foreign.pk])

    assert "skills" in caught.value.fields
    assert Question.objects.count() == 0


def test_an_engagement_question_is_only_possible_in_ones_own_engagement(people):
    organization, _, _, other, _ = people
    engagement = pair_engagement(organization)
    participant = engagement.participants.first().user

    question = ask(participant, scope="engagement", engagement_id=engagement.pk)
    assert question.engagement == engagement

    with pytest.raises(ValidationFailed) as caught:
        ask(other, scope="engagement", engagement_id=engagement.pk)
    assert "engagement" in caught.value.fields
    assert Question.objects.count() == 1


# --- access ------------------------------------------------------------------------


def test_a_question_of_another_workspace_is_not_found_like_a_missing_one(people):
    _, asker, *_ = people
    question = ask(asker)
    stranger = member(OrganizationFactory())

    with pytest.raises(NotFound) as foreign:
        qa_selectors.access_question(stranger, question.pk)
    with pytest.raises(NotFound) as missing:
        qa_selectors.access_question(stranger, question.pk + 1000)

    assert foreign.value.message == missing.value.message
    with pytest.raises(NotFound):
        qa.answer_post(author=stranger, question_id=question.pk, body="I know!")
    assert Answer.objects.count() == 0


def test_an_engagement_question_is_invisible_to_members_outside_the_engagement(people):
    organization, _, _, other, _ = people
    engagement = pair_engagement(organization)
    seeker, partner = [p.user for p in engagement.participants.all()]
    question = ask(seeker, scope="engagement", engagement_id=engagement.pk)

    assert qa_selectors.access_question(partner, question.pk) == question
    with pytest.raises(NotFound):
        qa_selectors.access_question(other, question.pk)
    assert question not in qa_selectors.questions_search(other, "")
    with pytest.raises(NotFound):
        qa.answer_post(author=other, question_id=question.pk, body="Let me help")
    assert Answer.objects.count() == 0


# --- answering ---------------------------------------------------------------------


def test_answering_notifies_the_asker_and_marks_the_question_answered(people):
    _, asker, helper, *_ = people
    question = ask(asker)

    answer = qa.answer_post(author=helper, question_id=question.pk, body="Use `required_providers`.")

    question.refresh_from_db()
    assert question.state == Question.State.ANSWERED
    assert "<code>required_providers</code>" in answer.body_html
    note = Notification.objects.get(recipient=asker)
    assert note.kind == "question.answered" and note.link == f"/questions/{question.pk}/"


def test_nobody_can_answer_their_own_question(people):
    _, asker, *_ = people
    question = ask(asker)
    before = state_of(question)

    with pytest.raises(PermissionDenied) as caught:
        qa.answer_post(author=asker, question_id=question.pk, body="Answering myself")

    assert "own question" in caught.value.message
    assert state_of(question) == before


@pytest.mark.parametrize("body", ["", "   ", "x" * 10_001])
def test_an_empty_or_oversized_answer_is_refused_and_nothing_changes(people, body):
    _, asker, helper, *_ = people
    question = ask(asker)
    before = state_of(question)

    with pytest.raises(ValidationFailed) as caught:
        qa.answer_post(author=helper, question_id=question.pk, body=body)

    assert "body" in caught.value.fields
    assert state_of(question) == before


def test_a_resolved_question_takes_no_more_answers(people):
    _, asker, helper, *_ = people
    question = ask(asker)
    qa.question_resolve(actor=asker, question_id=question.pk)
    before = state_of(question)

    with pytest.raises(Conflict):
        qa.answer_post(author=helper, question_id=question.pk, body="Late answer")

    assert state_of(question) == before


# --- accepting, voting, resolving and the trust ledger -------------------------------


def test_accepting_an_answer_records_competence_evidence_for_each_skill(people):
    organization, asker, helper, _, skill = people
    second = SkillFactory(organization=organization, name="AWS")
    question = ask(asker, skill_ids=[skill.pk, second.pk])
    answer = qa.answer_post(author=helper, question_id=question.pk, body="Pin with ~>")

    qa.answer_accept(actor=asker, answer_id=answer.pk)

    events = TrustEvent.objects.filter(source_kind="answer.accepted", source_id=str(answer.pk))
    assert {(e.subject_id, e.actor_id, e.skill_id, e.outcome, e.dimension) for e in events} == {
        (helper.pk, asker.pk, skill.pk, 1.0, "competence"),
        (helper.pk, asker.pk, second.pk, 1.0, "competence"),
    }
    question.refresh_from_db()
    assert question.accepted_answer_id == answer.pk
    assert Notification.objects.filter(recipient=helper, kind="question.accepted").count() == 1


def test_accepting_on_someone_elses_question_is_refused_and_nothing_changes(people):
    _, asker, helper, other, skill = people
    question = ask(asker, skill_ids=[skill.pk])
    answer = qa.answer_post(author=helper, question_id=question.pk, body="Pin with ~>")
    before = state_of(question)

    for intruder in (helper, other):
        with pytest.raises(PermissionDenied):
            qa.answer_accept(actor=intruder, answer_id=answer.pk)

    assert state_of(question) == before


def test_accepting_another_answer_switches_and_keeps_one_accepted(people):
    _, asker, helper, other, skill = people
    question = ask(asker, skill_ids=[skill.pk])
    first = qa.answer_post(author=helper, question_id=question.pk, body="One way")
    second = qa.answer_post(author=other, question_id=question.pk, body="Another way")

    qa.answer_accept(actor=asker, answer_id=first.pk)
    qa.answer_accept(actor=asker, answer_id=second.pk)
    qa.answer_accept(actor=asker, answer_id=second.pk)  # again: nothing changes

    assert list(Answer.objects.filter(question=question, accepted=True)) == [second]
    question.refresh_from_db()
    assert question.accepted_answer_id == second.pk
    assert TrustEvent.objects.filter(source_kind="answer.accepted").count() == 2


def test_helpful_votes_are_once_per_person_and_become_light_evidence(people):
    _, asker, helper, other, skill = people
    question = ask(asker, skill_ids=[skill.pk])
    answer = qa.answer_post(author=helper, question_id=question.pk, body="Pin with ~>")

    qa.answer_vote_helpful(voter=other, answer_id=answer.pk)
    qa.answer_vote_helpful(voter=other, answer_id=answer.pk)
    qa.answer_vote_helpful(voter=asker, answer_id=answer.pk)

    answer.refresh_from_db()
    assert answer.helpful_count == 2
    events = TrustEvent.objects.filter(source_kind="answer.helpful")
    assert sorted(e.actor_id for e in events) == sorted([other.pk, asker.pk])
    assert all(e.subject_id == helper.pk and e.skill_id == skill.pk and e.weight <= 0.5 for e in events)


def test_nobody_can_vote_for_their_own_answer(people):
    _, asker, helper, _, skill = people
    question = ask(asker, skill_ids=[skill.pk])
    answer = qa.answer_post(author=helper, question_id=question.pk, body="Pin with ~>")
    before = state_of(question)

    with pytest.raises(PermissionDenied):
        qa.answer_vote_helpful(voter=helper, answer_id=answer.pk)

    assert state_of(question) == before


def test_resolving_counts_answers_never_accepted_as_weaker_evidence(people):
    _, asker, helper, other, skill = people
    question = ask(asker, skill_ids=[skill.pk])
    accepted = qa.answer_post(author=helper, question_id=question.pk, body="The right way")
    not_accepted = qa.answer_post(author=other, question_id=question.pk, body="A guess")
    qa.answer_accept(actor=asker, answer_id=accepted.pk)

    with pytest.raises(PermissionDenied):
        qa.question_resolve(actor=helper, question_id=question.pk)
    qa.question_resolve(actor=asker, question_id=question.pk)
    qa.question_resolve(actor=asker, question_id=question.pk)  # idempotent

    question.refresh_from_db()
    assert question.state == Question.State.RESOLVED and question.resolved_at is not None
    unaccepted = TrustEvent.objects.get(source_kind="answer.unaccepted")
    assert (unaccepted.subject_id, unaccepted.actor_id, unaccepted.outcome) == (other.pk, None, 0.3)
    assert unaccepted.source_id == str(not_accepted.pk)
    # the accepted answer is evidence once, as accepted
    assert not TrustEvent.objects.filter(source_kind="answer.unaccepted", subject=helper).exists()
    with pytest.raises(Conflict):
        qa.answer_accept(actor=asker, answer_id=not_accepted.pk)


def test_a_question_without_skills_produces_no_competence_evidence(people):
    _, asker, helper, *_ = people
    question = ask(asker)
    answer = qa.answer_post(author=helper, question_id=question.pk, body="Sure")

    qa.answer_accept(actor=asker, answer_id=answer.pk)

    assert TrustEvent.objects.count() == 0


# --- search ------------------------------------------------------------------------


def test_search_finds_a_question_by_the_text_of_an_answer(people):
    _, asker, helper, other, _ = people
    wanted = ask(asker, title="Slow deployments", body="Our pipeline takes an hour.")
    ask(asker, title="Code review etiquette", body="How picky should I be?")
    qa.answer_post(author=helper, question_id=wanted.pk, body="Cache the container layers between builds.")

    found = list(qa_selectors.questions_search(other, "container layers"))

    assert found == [wanted]
    assert found[0].answer_count == 1


def test_search_by_title_filters_by_skill_and_state(people):
    _, asker, _, other, skill = people
    tagged = ask(asker, title="Terraform state locking", body="Two runs collide.", skill_ids=[skill.pk])
    plain = ask(asker, title="Terraform modules layout", body="Where do modules go?")

    assert set(qa_selectors.questions_search(other, "terraform")) == {tagged, plain}
    assert list(qa_selectors.questions_search(other, "terraform", skill_id=skill.pk)) == [tagged]
    assert list(qa_selectors.questions_search(other, "", state="open", skill_id=skill.pk)) == [tagged]
    assert list(qa_selectors.questions_search(other, "", state="resolved")) == []
    with pytest.raises(ValidationFailed) as caught:
        qa_selectors.questions_search(other, "", state="closed")
    assert "state" in caught.value.fields


def test_search_never_shows_questions_of_another_workspace(people):
    _, asker, *_ = people
    ask(asker, title="Terraform drift")
    stranger = member(OrganizationFactory())

    assert list(qa_selectors.questions_search(stranger, "terraform")) == []


def test_a_question_moves_only_forward_through_its_state_map():
    moves = qa.QUESTION_MOVES
    assert moves.allowed(Question.State.OPEN) == {Question.State.ANSWERED, Question.State.RESOLVED}
    assert moves.allowed(Question.State.ANSWERED) == {Question.State.RESOLVED}
    assert moves.allowed(Question.State.RESOLVED) == frozenset()
    with pytest.raises(Conflict):
        moves.check(Question.State.RESOLVED, Question.State.ANSWERED)


def test_the_services_tell_listeners_what_happened_inside_their_transaction(people):
    from messaging.qa import signals

    _, asker, helper, _, _ = people
    heard = []

    def listen(signal_name):
        def receiver(sender, *, question, **kwargs):
            heard.append((signal_name, question.state, "answer" in kwargs))

        return receiver

    receivers = {name: listen(name) for name in ("asked", "answered", "settled")}
    signals.question_asked.connect(receivers["asked"])
    signals.answer_posted.connect(receivers["answered"])
    signals.question_settled.connect(receivers["settled"])
    try:
        question = qa.question_ask(author=asker, title="Q", body="B", scope="network")
        answer = qa.answer_post(author=helper, question_id=question.pk, body="A")
        qa.answer_accept(actor=asker, answer_id=answer.pk)
        qa.question_resolve(actor=asker, question_id=question.pk)
    finally:
        signals.question_asked.disconnect(receivers["asked"])
        signals.answer_posted.disconnect(receivers["answered"])
        signals.question_settled.disconnect(receivers["settled"])

    assert heard == [
        ("asked", Question.State.OPEN, False),
        ("answered", Question.State.ANSWERED, True),
        ("settled", Question.State.ANSWERED, False),
        ("settled", Question.State.RESOLVED, False),
    ]
