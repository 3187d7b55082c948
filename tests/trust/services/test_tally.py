"""The score tally (docs/trust.md §5): every ledger write keeps the touched keys' tallies
equal to the ledger in its own transaction, and the nightly refresh — which reads the
tallies, not the ledger — gives the same scores as the full recompute from the ledger."""

import threading
import time
from collections import defaultdict
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import clock
from tests.factories import SkillFactory, member, talent_manager
from tests.trust.factories import TrustPriorFactory, TrustScoreFactory, observe, rate
from trust import params, scoring
from trust.models import TrustEvent, TrustPrior, TrustScore
from trust.services.disputes import dispute_decide, dispute_raise
from trust.services.nightly import recompute_all
from trust.services.recompute import recompute_subject
from trust.services.scheduling import pending_flag
from trust.services.voids import void_event

TALLY_FIELDS = ("evidence_count", "distinct_raters", "last_evidence_at", "good_at_last", "bad_at_last")
BELIEF_FIELDS = ("alpha", "beta", "mean", "lower", "upper", "evidence_weight")


def ledger_tallies() -> dict:
    """What the tallies must be: a pure function of the live ledger."""
    groups = defaultdict(list)
    for e in TrustEvent.objects.live():
        groups[(e.subject_id, e.dimension, e.skill_key)].append(
            scoring.Evidence(e.outcome, e.weight, e.occurred_at, e.actor_id)
        )
    tallies = {}
    for key, evidence in groups.items():
        b = scoring.belief(evidence, dimension=key[1], prior_mean=0.5, as_of=clock.now())
        tallies[key] = (
            b.evidence_count,
            b.distinct_raters,
            b.last_evidence_at,
            b.good_at_last,
            b.bad_at_last,
        )
    return tallies


def stored(fields) -> dict:
    return {
        (row[0], row[1], row[2]): row[3:]
        for row in TrustScore.objects.values_list("subject_id", "dimension", "skill_key", *fields)
    }


def assert_close(left: dict, right: dict) -> None:
    assert left.keys() == right.keys()
    for key, values in left.items():
        for a, b in zip(values, right[key], strict=True):
            if isinstance(a, float):
                assert a == pytest.approx(b, rel=1e-9, abs=1e-12), key
            else:
                assert a == b, key


def assert_tallies_match_ledger() -> None:
    assert_close(stored(TALLY_FIELDS), ledger_tallies())


class _Rollback(Exception):
    pass


@pytest.mark.django_db
def test_record_evidence_keeps_the_touched_keys_tally_in_its_own_transaction(org, alice, bob, carol, skill):
    # no recompute task runs here (nothing commits): only record_evidence's own work
    rate(alice, bob, dimension="integrity", outcome=0.5, occurred_at=clock.now() - timedelta(days=40))
    assert_tallies_match_ledger()
    rate(carol, bob, dimension="competence", skill=skill, outcome=1.0)
    observe(bob, dimension="responsiveness", outcome=0.0, occurred_at=clock.now() - timedelta(days=3))
    # an older fact after a newer one: the tally stays referenced to the newest
    observe(bob, dimension="integrity", outcome=1.0, occurred_at=clock.now() - timedelta(days=300))
    assert_tallies_match_ledger()
    score = TrustScore.objects.get(subject=bob, dimension="integrity")
    assert (score.evidence_count, score.distinct_raters) == (2, 1)
    # the belief of the touched key is current at commit, too
    expected = scoring.belief(
        [
            scoring.Evidence(e.outcome, e.weight, e.occurred_at)
            for e in TrustEvent.objects.live().filter(subject=bob, dimension="integrity")
        ],
        dimension="integrity",
        prior_mean=params.DEFAULT_PRIOR_MEAN,
        as_of=score.computed_at,
    )
    assert score.lower == pytest.approx(expected.lower, rel=1e-9)


@pytest.mark.django_db
def test_reciprocal_praise_rerecords_the_earlier_praise_and_both_tallies_follow(alice, bob):
    for _ in range(params.RECIPROCAL_FREE_EXCHANGES):
        rate(alice, bob, outcome=1.0)
        rate(bob, alice, outcome=1.0)
    rate(alice, bob, outcome=1.0)
    # beyond the free exchanges: voids and re-records Alice's praise at ×0.2, Bob's key changes
    rate(bob, alice, outcome=1.0)
    assert TrustEvent.objects.filter(subject=bob, revision=1).count() == 3
    assert_tallies_match_ledger()
    # Alice's three pieces (1, 1/4, 1/9 for the repeat pair), each ×0.2
    expected = params.RECIPROCAL_PRAISE_FACTOR * (1 + 1 / 4 + 1 / 9)
    assert TrustScore.objects.get(subject=bob).good_at_last == pytest.approx(expected, rel=1e-3)


@pytest.mark.django_db
def test_a_void_updates_the_tally_and_voiding_the_last_item_removes_the_score(alice, bob):
    first = rate(alice, bob, outcome=0.0)
    observe(bob, outcome=1.0, occurred_at=clock.now() - timedelta(days=10))
    void_event(event=first, reason="recorded twice", voided_by=None)
    assert_tallies_match_ledger()
    assert TrustScore.objects.get(subject=bob).distinct_raters == 0
    only = TrustEvent.objects.live().get(subject=bob)
    void_event(event=only, reason="recorded by mistake", voided_by=None)
    assert not TrustScore.objects.filter(subject=bob).exists()
    assert_tallies_match_ledger()


@pytest.mark.django_db
def test_an_upheld_dispute_updates_the_tally(alice, bob, manager):
    observe(bob, outcome=1.0)
    event = rate(alice, bob, outcome=0.0)
    dispute = dispute_raise(user=bob, event_id=event.pk, reason="Alice cancelled the meeting.")
    dispute_decide(manager=manager, dispute_id=dispute.pk, decision="upheld", note="Confirmed.")
    assert_tallies_match_ledger()
    assert TrustScore.objects.get(subject=bob).evidence_count == 1


@pytest.mark.django_db
def test_recompute_subject_repairs_a_damaged_tally(alice, bob):
    rate(alice, bob, outcome=0.75)
    observe(bob, dimension="responsiveness", outcome=1.0)
    TrustScore.objects.filter(subject=bob, dimension="integrity").update(good_at_last=42.0, evidence_count=9)
    TrustScore.objects.filter(subject=bob, dimension="responsiveness").delete()
    recompute_subject(bob.pk)
    assert_tallies_match_ledger()


@pytest.mark.django_db
def test_the_repair_path_rebuilds_tallies_inserts_missing_rows_and_deletes_orphans(org, alice, bob, carol):
    rate(alice, bob, outcome=0.75)
    rate(bob, carol, dimension="responsiveness", outcome=0.25)
    TrustScore.objects.filter(subject=bob).update(good_at_last=42.0)
    TrustScore.objects.filter(subject=carol).delete()
    # a row no ledger write produced: no tally, no live evidence
    TrustScoreFactory(subject=alice, dimension="integrity", evidence_count=0, last_evidence_at=None)
    recompute_all(from_ledger=True)
    assert_tallies_match_ledger()


@pytest.mark.django_db
def test_the_nightly_refresh_keeps_the_tallies_and_drops_rows_without_evidence(org, alice, bob):
    rate(alice, bob, outcome=0.75)
    before = stored(TALLY_FIELDS)
    # a row no ledger write produced: no tally, no live evidence
    TrustScoreFactory(subject=alice, dimension="integrity", evidence_count=0, last_evidence_at=None)
    with clock.travel_by(timedelta(days=30)):
        recompute_all()
    assert stored(TALLY_FIELDS) == before
    assert_tallies_match_ledger()


# --- the nightly refresh equals the full recompute from the ledger ----------------------------

operations = st.lists(
    st.fixed_dictionaries(
        {
            "subject": st.integers(0, 3),
            "actor": st.one_of(st.none(), st.integers(0, 3)),
            "dimension": st.sampled_from(params.DIMENSIONS),
            "skill": st.integers(0, 1),
            "outcome": st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]) | st.floats(0.0, 1.0),
            "weight": st.floats(0.1, 3.0),
            "age": st.integers(0, 500),
            "travel": st.integers(0, 60),  # days the clock moves forward before this event
            "void": st.booleans(),
        }
    ),
    min_size=1,
    max_size=14,
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, back=st.integers(0, 90), with_priors=st.booleans())
def test_the_nightly_refresh_gives_the_same_scores_as_the_full_recompute_from_the_ledger(
    org, ops, back, with_priors
):
    people = [member(org) for _ in range(4)]
    skills = [SkillFactory(organization=org), SkillFactory(organization=org)]
    manager = talent_manager(org)
    start = clock.now()

    def run():
        moment = start
        for op in ops:
            moment += timedelta(days=op["travel"])
            subject = people[op["subject"]]
            actor = None if op["actor"] in (None, op["subject"]) else people[op["actor"]]
            skill = skills[op["skill"]] if op["dimension"] == params.COMPETENCE else None
            with clock.travel_to(moment):
                occurred_at = clock.now() - timedelta(days=op["age"], minutes=1)
                fact = {"dimension": op["dimension"], "outcome": op["outcome"], "skill": skill,
                        "weight": op["weight"], "occurred_at": occurred_at}  # fmt: skip
                event = observe(subject, **fact) if actor is None else rate(actor, subject, **fact)
                if op["void"] and not TrustEvent.objects.filter(voids=event).exists():
                    void_event(event=event, reason="test void", voided_by=manager)
        assert_tallies_match_ledger()
        # as_of after everything, or back in time (events younger than as_of: the exact path)
        as_of = moment - timedelta(days=back)
        if with_priors:
            recompute_all(as_of=as_of, from_ledger=True)  # workspace priors move off 0.6
        recompute_all(as_of=as_of)
        nightly = stored(TALLY_FIELDS + BELIEF_FIELDS)
        priors = dict(TrustPrior.objects.values_list("dimension", "mean"))
        recompute_all(as_of=as_of, from_ledger=True)
        assert_close(nightly, stored(TALLY_FIELDS + BELIEF_FIELDS))
        assert dict(TrustPrior.objects.values_list("dimension", "mean")) == pytest.approx(priors, rel=1e-9)
        # and the per-subject recompute agrees with both
        for person in people:
            recompute_subject(person.pk, as_of=as_of)
        assert_close(nightly, stored(TALLY_FIELDS + BELIEF_FIELDS))

    try:
        with transaction.atomic():
            run()
            raise _Rollback
    except _Rollback:
        pass


# --- PostgreSQL: the nightly refresh does not overwrite a concurrent write -------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_score_written_while_the_nightly_refresh_runs_is_not_overwritten(org, alice, bob, carol):
    rate(alice, bob, outcome=1.0)
    rate(alice, carol, outcome=1.0)
    # The nightly refresh reads every tally, then upserts the workspace priors, then writes
    # the beliefs back. Holding the prior's row lock parks it between the read and the write.
    TrustPriorFactory(organization=org, dimension="integrity", mean=params.DEFAULT_PRIOR_MEAN)
    cache.set(pending_flag(bob.pk), 1)  # a recompute of Bob is "pending": the write below enqueues none
    errors, written = [], []

    def nightly():
        try:
            written.append(recompute_all(as_of=clock.now() + timedelta(days=7)))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=nightly)
    with transaction.atomic():
        list(TrustPrior.objects.select_for_update().filter(organization=org))
        thread.start()
        _wait_for_a_blocked_query()  # the nightly has read every tally ...
        rate(carol, bob, outcome=0.0)  # ... and this write commits (with the lock's release) first
    thread.join()
    assert errors == []
    assert written == [1]  # Carol's score only: Bob's row changed since it was read
    assert_tallies_match_ledger()
    bob_score = TrustScore.objects.get(subject=bob)
    assert bob_score.evidence_count == 2
    # Bob's belief is the one record_evidence computed from the new tally, not last night's
    expected = scoring.belief(
        [
            scoring.Evidence(e.outcome, e.weight, e.occurred_at)
            for e in TrustEvent.objects.live().filter(subject=bob)
        ],
        dimension="integrity",
        prior_mean=params.DEFAULT_PRIOR_MEAN,  # the prior stored when record_evidence ran
        as_of=bob_score.computed_at,
    )
    assert bob_score.alpha == pytest.approx(expected.alpha, rel=1e-9)


def _wait_for_a_blocked_query(timeout: float = 20.0) -> None:
    """Until another session waits for a lock this session holds (sessions of other
    databases on the same server do not count)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT count(*) FROM pg_locks "
                "WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
            )
            if cursor.fetchone()[0]:
                return
            assert time.monotonic() < deadline, "the nightly refresh never reached the prior upsert"
            time.sleep(0.05)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_evidence_about_one_person_keeps_an_exact_tally(org, bob):
    raters = [member(org) for _ in range(6)]
    barrier = threading.Barrier(len(raters))
    errors = []

    def worker(rater, i):
        try:
            barrier.wait()
            rate(rater, bob, outcome=i / 5, occurred_at=clock.now() - timedelta(days=i))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(r, i)) for i, r in enumerate(raters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert_tallies_match_ledger()
    assert TrustScore.objects.get(subject=bob).distinct_raters == 6
