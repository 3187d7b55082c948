"""Recomputing scores from the ledger: per subject, nightly set-based, coalescing."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import clock
from tests.factories import SkillFactory, member
from tests.trust.factories import observe, rate
from tests.trust.shared_sources import TEST_OBSERVED_KIND, shared_context
from trust import params, scoring, tasks
from trust.models import TrustEvent, TrustPrior, TrustScore
from trust.services import recompute
from trust.services.evidence import record_evidence
from trust.services.nightly import recompute_all
from trust.services.recompute import recompute_subject
from trust.services.voids import void_event

SCORE_FIELDS = (
    "dimension",
    "skill_key",
    "alpha",
    "beta",
    "mean",
    "lower",
    "upper",
    "evidence_count",
    "distinct_raters",
)


def scores_of(user):
    return sorted(TrustScore.objects.filter(subject=user).values_list(*SCORE_FIELDS))


def assert_same_scores(left, right):
    assert len(left) == len(right)
    for a, b in zip(left, right, strict=True):
        assert a[:2] == b[:2]
        assert a[2:] == pytest.approx(b[2:], rel=1e-9, abs=1e-12)


class _Rollback(Exception):
    pass


facts = st.lists(
    st.tuples(
        st.sampled_from(params.DIMENSIONS), st.floats(0.0, 1.0), st.integers(0, 400), st.floats(0.1, 3.0)
    ),
    min_size=1,
    max_size=12,
)


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(facts=facts, rnd=st.randoms())
def test_scores_do_not_depend_on_the_order_events_were_recorded(org, bob, skill, facts, rnd):
    as_of = clock.now()

    def run(order):
        try:
            with transaction.atomic():
                for dimension, outcome, age, weight in order:
                    observe(
                        bob,
                        dimension=dimension,
                        outcome=outcome,
                        weight=weight,
                        skill=skill if dimension == "competence" else None,
                        occurred_at=as_of - timedelta(days=age),
                    )
                recompute_subject(bob.pk, as_of=as_of)
                result = scores_of(bob)
                raise _Rollback(result)
        except _Rollback as done:
            return done.args[0]

    shuffled = list(facts)
    rnd.shuffle(shuffled)
    assert_same_scores(run(facts), run(shuffled))


@pytest.mark.django_db
def test_replaying_the_ledger_gives_the_same_scores(alice, bob, carol, skill):
    as_of = clock.now()
    calls = []
    for actor, dimension, outcome in [
        (alice, "integrity", 1.0),
        (carol, "competence", 0.5),
        (alice, "responsiveness", 0.0),
    ]:
        calls.append(
            {
                "subject": bob,
                "actor": actor,
                "dimension": dimension,
                "outcome": outcome,
                "skill": skill if dimension == "competence" else None,
                "source_kind": "test.feedback",
                "source_id": shared_context(actor, bob),
                "occurred_at": as_of - timedelta(days=10),
            }
        )
    for call in calls:
        record_evidence(**call)
    recompute_subject(bob.pk, as_of=as_of)
    first = scores_of(bob)
    ledger_size = TrustEvent.objects.count()
    # when every fact is emitted again and the recompute runs twice
    for call in calls:
        record_evidence(**call)
    recompute_subject(bob.pk, as_of=as_of)
    recompute_subject(bob.pk, as_of=as_of)
    # then nothing changed
    assert TrustEvent.objects.count() == ledger_size
    assert_same_scores(scores_of(bob), first)


@pytest.mark.django_db
def test_the_nightly_set_based_recompute_equals_the_per_subject_recompute(org, alice, bob, carol, skill):
    as_of = clock.now()
    other_skill = SkillFactory(organization=org, name="Terraform")
    for days, (actor, subject) in enumerate(
        [(alice, bob), (carol, bob), (bob, alice), (carol, alice), (alice, carol)]
    ):
        moment = as_of - timedelta(days=days * 37)
        rate(actor, subject, dimension="integrity", outcome=0.25 * (days % 5), occurred_at=moment)
        rate(actor, subject, dimension="competence", skill=skill, outcome=1.0, occurred_at=moment)
        rate(actor, subject, dimension="competence", skill=other_skill, outcome=0.5, occurred_at=moment)
        observe(subject, dimension="responsiveness", outcome=days % 2, occurred_at=moment)
    # a voided event must count in neither
    voided = observe(carol, dimension="integrity", outcome=0.0, occurred_at=as_of - timedelta(days=1))
    void_event(event=voided, reason="test", voided_by=None)

    written = recompute_all(as_of=as_of)
    nightly = {user.pk: scores_of(user) for user in (alice, bob, carol)}
    assert written == sum(len(rows) for rows in nightly.values())
    assert TrustPrior.objects.filter(organization=org).count() == 3

    for user in (alice, bob, carol):
        recompute_subject(user.pk, as_of=as_of)
        assert_same_scores(scores_of(user), nightly[user.pk])


@pytest.mark.django_db
def test_the_nightly_recompute_refreshes_the_workspace_prior_for_newcomers(org, alice, bob):
    for _ in range(30):
        observe(bob, dimension="integrity", outcome=1.0)
    recompute_all()
    prior = TrustPrior.objects.get(organization=org, dimension="integrity")
    assert prior.mean > params.DEFAULT_PRIOR_MEAN
    newcomer = member(org)
    observe(newcomer, dimension="integrity", outcome=1.0, occurred_at=clock.now() - timedelta(days=3650))
    recompute_subject(newcomer.pk)
    score = TrustScore.objects.get(subject=newcomer, dimension="integrity")
    # ten years old evidence counts for ~nothing: the newcomer sits at the workspace prior
    assert score.mean == pytest.approx(prior.mean, abs=1e-3)


@pytest.mark.django_db
def test_a_subject_whose_only_evidence_was_voided_has_no_score_left(bob):
    event = observe(bob)
    recompute_subject(bob.pk)
    assert TrustScore.objects.filter(subject=bob).exists()
    void_event(event=event, reason="recorded by mistake", voided_by=None)
    recompute_subject(bob.pk)
    assert not TrustScore.objects.filter(subject=bob).exists()
    recompute_all()
    assert not TrustScore.objects.filter(subject=bob).exists()


@pytest.mark.django_db
def test_voiding_without_a_reason_is_rejected_and_the_ledger_is_unchanged(bob):
    from core.errors import ValidationFailed

    event = observe(bob)
    before = TrustEvent.objects.count()
    with pytest.raises(ValidationFailed) as info:
        void_event(event=event, reason="   ", voided_by=None)
    assert "reason" in info.value.fields
    assert TrustEvent.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_fifty_events_causes_a_handful_of_recomputes(bob, monkeypatch):
    """The broker is the only thing replaced: enqueued messages are kept and
    delivered by hand, the task itself runs for real."""
    queue = []
    executions = []

    def send(args, countdown=None, **kwargs):
        assert countdown == params.RECOMPUTE_COUNTDOWN_SECONDS
        queue.append(args)

    def deliver():
        while queue:
            (user_id,) = queue.pop(0)
            executions.append(user_id)
            tasks.recompute_subject.run(user_id)

    monkeypatch.setattr(tasks.recompute_subject, "apply_async", send)
    # a burst: 50 committed events while the worker is busy elsewhere
    for i in range(50):
        observe(bob, outcome=i % 2)
        if i == 24:  # the worker picks the message up mid-burst
            deliver()
    deliver()
    assert executions == [bob.pk, bob.pk]
    # nothing was missed: the last recompute saw all 50 events
    assert TrustScore.objects.get(subject=bob).evidence_count == 50


@pytest.mark.django_db(transaction=True)
def test_an_event_recorded_while_a_recompute_runs_schedules_another(bob, monkeypatch):
    queue = []
    monkeypatch.setattr(tasks.recompute_subject, "apply_async", lambda args, **kw: queue.append(args))
    observe(bob)
    assert len(queue) == 1

    # the task clears the flag before it reads the ledger ...
    def recompute_with_interleaved_event(user_id, **kwargs):
        observe(bob)  # ... so an event committed during the run is not lost
        return recompute_subject(user_id, **kwargs)

    monkeypatch.setattr(recompute, "recompute_subject", recompute_with_interleaved_event)
    tasks.recompute_subject.run(queue.pop(0)[0])
    assert len(queue) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_recomputes_of_one_person_end_in_the_correct_score(alice, bob):
    for i in range(20):
        observe(bob, dimension="integrity", outcome=(i % 3) / 2)
    as_of = clock.now()
    expected = scoring.belief(
        [
            scoring.Evidence(e.outcome, e.weight, e.occurred_at)
            for e in TrustEvent.objects.live().filter(subject=bob)
        ],
        dimension="integrity",
        prior_mean=params.DEFAULT_PRIOR_MEAN,
        as_of=as_of,
    )
    TrustScore.objects.filter(subject=bob).delete()
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            barrier.wait()
            recompute_subject(bob.pk, as_of=as_of)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    score = TrustScore.objects.get(subject=bob, dimension="integrity")
    assert score.mean == pytest.approx(expected.mean)
    assert score.lower == pytest.approx(expected.lower)
    assert score.evidence_count == 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_evidence_from_many_threads_is_all_counted(org, bob):
    raters = [member(org) for _ in range(6)]
    barrier = threading.Barrier(len(raters))
    errors = []

    def worker(rater):
        try:
            barrier.wait()
            rate(rater, bob, outcome=1.0)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(r,)) for r in raters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    recompute_subject(bob.pk)
    score = TrustScore.objects.get(subject=bob)
    assert (score.evidence_count, score.distinct_raters) == (6, 6)


def test_the_kind_used_for_observed_facts_is_not_a_rating():
    from trust import sources

    assert not sources.get_source(TEST_OBSERVED_KIND).is_rating


@pytest.mark.django_db
def test_the_nightly_recompute_of_one_workspace_leaves_other_workspaces_alone(org, bob):
    from tests.factories import OrganizationFactory

    outsider = member(OrganizationFactory())
    observe(bob)
    observe(outsider)
    recompute_subject(bob.pk)
    recompute_subject(outsider.pk)
    before = TrustScore.objects.get(subject=outsider).computed_at
    later = clock.now() + timedelta(minutes=5)
    assert recompute_all(organization_id=org.pk, as_of=later) == 1
    assert TrustScore.objects.get(subject=bob).computed_at == later
    assert TrustScore.objects.get(subject=outsider).computed_at == before
