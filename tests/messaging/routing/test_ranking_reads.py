"""What one ranking reads, and what it keeps between rankings: the pool with the closest
by meaning in one statement, the per-workspace expertise index and taxonomy seen fresh
by the next ranking after a write (messaging.routing.ranking, messaging.routing.profiles,
accounts.skill_inference)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import skill_inference
from accounts.models import SkillAlias
from core import clock, embeddings
from messaging.models import ExpertiseVector
from messaging.routing import candidates, params, profiles, ranking, waves
from tests.factories import OrganizationFactory, SkillFactory
from tests.messaging.routing.test_meaning import needs_model
from tests.messaging.routing.test_routing import MONDAY_10, ask, person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_memory(settings):
    """Every test starts without the per-process expertise indexes and taxonomies."""
    settings.ROUTING_EXPLORATION_SHARE = 0.0
    forgetting = (profiles.forget, ranking.forget, skill_inference._cache.clear)
    for forget in forgetting:
        forget()
    with clock.travel_to(MONDAY_10):
        yield
    for forget in forgetting:
        forget()


def _vector_close_to(question):
    """A stored expertise vector pointing where the question points."""
    return embeddings.to_bytes(profiles.question_vector(question))


def _ids(question) -> list[int]:
    return [c.user_id for c in waves.rank_candidates(question)]


@needs_model
def test_a_new_expertise_vector_is_seen_by_the_next_ranking(org):
    # given: a ranking has loaded the workspace's expertise index
    asker = person(org)
    question = ask(asker, title="Our release train keeps slipping", body="How do we plan sprints better?")
    newcomer = person(org)
    assert newcomer.pk not in _ids(question)

    # when: the newcomer's expertise vector is written (as the worker does)
    ExpertiseVector.objects.create(organization=org, user=newcomer, vector=_vector_close_to(question))

    # then: the next ranking finds them by meaning
    ranked = waves.rank_candidates(question)
    assert [c.user_id for c in ranked] == [newcomer.pk]
    assert "your expertise is close to this question" in ranked[0].breakdown["reasons"]


@needs_model
def test_a_changed_or_deleted_expertise_vector_is_seen_by_the_next_ranking(org):
    asker = person(org)
    question = ask(asker, title="Our release train keeps slipping", body="How do we plan sprints better?")
    near, far = person(org), person(org)
    for user in (near, far):
        ExpertiseVector.objects.create(organization=org, user=user, vector=_vector_close_to(question))
    assert sorted(_ids(question)) == sorted([near.pk, far.pk])

    # the far one's expertise moves away (the opposite direction), a moment later
    with clock.travel_to(MONDAY_10 + timedelta(hours=1)):
        ExpertiseVector.objects.filter(user=far).update(
            vector=embeddings.to_bytes(-profiles.question_vector(question)), updated_at=clock.now()
        )
        assert _ids(question) == [near.pk]

    # the near one's vector is deleted: the rows are counted again once RECOUNT has passed
    # since the last count (made a few milliseconds after the clock was moved above)
    ExpertiseVector.objects.filter(user=near).delete()
    with clock.travel_to(MONDAY_10 + timedelta(hours=1) + profiles.RECOUNT + timedelta(seconds=1)):
        assert _ids(question) == []


def test_an_alias_added_after_a_ranking_names_the_skill_in_the_next(org, monkeypatch):
    monkeypatch.setenv("TANDEM_EMBEDDINGS", "0")
    postgres = SkillFactory(organization=org, name="PostgreSQL")
    holder = person(org, skills=[postgres], level=3)
    question = ask(person(org), title="my pg query is slow", body="It takes a minute since Friday.")
    assert holder.pk not in _ids(question)

    SkillAlias.objects.create(organization=org, skill=postgres, name="pg")

    assert _ids(question) == [holder.pk]


@needs_model
def test_the_pool_keeps_everyone_close_in_meaning_beside_the_best_skill_holders(org, monkeypatch):
    # given: more holders of the skill than the pool scores, and one person who declares
    # nothing but whose expertise is close to the question
    monkeypatch.setattr(params, "POOL", 2)
    terraform = SkillFactory(organization=org, name="Terraform")
    holders = {level: person(org, skills=[terraform], level=level) for level in (1, 2, 4, 5)}
    question = ask(person(org), [terraform], title="Terraform state is locked", body="Since the last apply.")
    close = person(org)
    ExpertiseVector.objects.create(organization=org, user=close, vector=_vector_close_to(question))

    # when
    ctx = ranking.context(question, clock.now())
    rows = candidates.pool(waves._eligible_profiles(question, clock.now()), ctx)

    # then: the two best holders by declared points, and the close one with no levels
    by_user = {row["user_id"]: row["levels"] for row in rows}
    assert by_user == {holders[5].pk: {terraform.pk: 5}, holders[4].pk: {terraform.pk: 4}, close.pk: {}}


def test_a_ranking_reads_the_same_number_of_queries_whatever_the_pool_size(org, monkeypatch):
    monkeypatch.setenv("TANDEM_EMBEDDINGS", "0")
    terraform = SkillFactory(organization=org, name="Terraform")
    asker = person(org)
    person(org, skills=[terraform])
    question = ask(asker, [terraform])
    waves.rank_candidates(question)
    with CaptureQueriesContext(connection) as one:
        assert len(waves.rank_candidates(question)) == 1
    for _ in range(5):
        person(org, skills=[terraform])
    with CaptureQueriesContext(connection) as six:
        assert len(waves.rank_candidates(question)) == 6
    assert len(six.captured_queries) == len(one.captured_queries)


def test_the_pool_reads_further_down_when_the_best_holders_are_filtered_out(org, monkeypatch):
    # given: a pool of two, so one round reads the four best holders; all four are away
    monkeypatch.setenv("TANDEM_EMBEDDINGS", "0")
    monkeypatch.setattr(params, "POOL", 2)
    terraform = SkillFactory(organization=org, name="Terraform")
    for _ in range(4):
        person(org, skills=[terraform], level=5, away=True)
    weaker = {level: person(org, skills=[terraform], level=level) for level in (1, 2, 3)}
    question = ask(person(org), [terraform], title="Terraform state is locked", body="Since the last apply.")

    # when
    ctx = ranking.context(question, clock.now())
    rows = candidates.pool(waves._eligible_profiles(question, clock.now()), ctx)

    # then: the next round finds the two best who may be asked
    assert {row["user_id"]: row["levels"] for row in rows} == {
        weaker[3].pk: {terraform.pk: 3},
        weaker[2].pk: {terraform.pk: 2},
    }


def test_the_pool_finds_words_only_in_this_workspace(org, monkeypatch):
    # given: the question's words in a headline here and in another workspace
    monkeypatch.setenv("TANDEM_EMBEDDINGS", "0")
    here = person(org, headline="I untangle flaky Kubernetes probes")
    elsewhere = person(OrganizationFactory(), headline="I untangle flaky Kubernetes probes")
    question = ask(person(org), title="Kubernetes probes are flaky", body="They restart the pod at random.")

    # when
    ctx = ranking.context(question, clock.now())
    rows = candidates.pool(waves._eligible_profiles(question, clock.now()), ctx)

    # then
    assert [row["user_id"] for row in rows] == [here.pk]
    assert elsewhere.pk not in candidates._word_matches(org.pk, ctx.tokens)
