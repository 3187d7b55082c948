"""The rater model and the counterpart defences: properties (hypothesis) and examples.

- a rater's calibrated weight (standing and leniency offsets) is independent of the
  order events were recorded in;
- voided evidence has no effect on any rater's standing, offsets or the patterns;
- adding a colluding pair's evidence never moves a third person's rank by more than the
  bound docs/trust.md §4 claims: two places (the two colluders may pass them), because it
  never changes anyone else's score;
- a ring is found as a dense cluster and its evidence damped; a burst from new accounts
  is found and counts a tenth.
"""

import random
from datetime import timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import clock
from tests.factories import member, talent_manager
from tests.trust.factories import rate
from trust import params, rater_model, scoring
from trust.models import TrustEvent, TrustPattern, TrustPrior, TrustRater, TrustScore
from trust.scoring import is_established
from trust.services.nightly import recompute_all
from trust.services.raters import raters_refresh
from trust.services.recompute import recompute_subject
from trust.services.voids import void_event

pair_evidence = st.lists(
    st.builds(
        rater_model.PairEvidence,
        rater=st.integers(1, 6),
        subject=st.integers(1, 6),
        dimension=st.sampled_from(params.DIMENSIONS),
        count=st.integers(1, 4),
        outcome_sum=st.floats(0, 1),
        praise=st.integers(0, 1),
    ).map(lambda p: rater_model.PairEvidence(**{**p.__dict__, "outcome_sum": p.outcome_sum * p.count})),
    max_size=30,
)


class _Rollback(Exception):
    pass


@given(pairs=pair_evidence, seed=st.integers(0, 1000))
def test_calibration_offsets_do_not_depend_on_the_order_of_the_evidence(pairs, seed):
    shuffled = list(pairs)
    random.Random(seed).shuffle(shuffled)
    assert rater_model.calibration_offsets(pairs) == rater_model.calibration_offsets(shuffled)


@given(
    edges=st.dictionaries(st.tuples(st.integers(1, 8), st.integers(1, 8)), st.floats(0.1, 5), max_size=30),
    seeds=st.sets(st.integers(1, 8), min_size=1, max_size=3),
    seed=st.integers(0, 1000),
)
def test_pagerank_does_not_depend_on_the_order_of_the_edges(edges, seeds, seed):
    items = list(edges.items())
    random.Random(seed).shuffle(items)
    assert rater_model.pagerank(dict(items), nodes=range(1, 9), seeds=seeds) == rater_model.pagerank(
        edges, nodes=range(1, 9), seeds=seeds
    )


def test_a_lenient_rater_gets_a_positive_offset_and_a_harsh_one_a_negative_one():
    pairs = []
    for subject in range(10, 20):
        pairs.append(rater_model.PairEvidence(1, subject, "integrity", 1, 1.0, 1))  # lenient: always 1
        pairs.append(rater_model.PairEvidence(2, subject, "integrity", 1, 0.0, 0))  # harsh: always 0
        pairs.append(rater_model.PairEvidence(3, subject, "integrity", 1, 0.5, 0))
        pairs.append(rater_model.PairEvidence(4, subject, "integrity", 1, 0.5, 0))
    offsets = rater_model.calibration_offsets(pairs)
    assert offsets[(1, "integrity")] > 0.1
    assert offsets[(2, "integrity")] < -0.1
    # a rater with a single rating moves little: the prior
    few = rater_model.calibration_offsets([*pairs, rater_model.PairEvidence(5, 10, "integrity", 1, 1.0, 1)])
    assert abs(few[(5, "integrity")]) < 0.1


def test_nobody_outside_the_seeds_reach_gets_any_pagerank():
    ranks = rater_model.pagerank(
        {(1, 2): 1.0, (2, 1): 1.0, (7, 8): 5.0, (8, 7): 5.0}, nodes=[1, 2, 7, 8], seeds=[1]
    )
    assert ranks[7] == ranks[8] == 0.0
    assert ranks[1] > 0 and ranks[2] > 0


def test_a_ring_of_five_is_a_dense_cluster_and_an_engagement_pair_is_not():
    ring = [(a, b) for a in range(1, 6) for b in range(1, 6) if a != b]
    honest = [(10, 11), (11, 10), (11, 12), (12, 11), (12, 13)]
    assert rater_model.dense_clusters(ring + honest) == [[1, 2, 3, 4, 5]]
    assert rater_model.dense_clusters(honest) == []
    # a popular colleague who worked (both ways) with three of the five is not in the ring
    popular = [(20, m) for m in (1, 2, 3)] + [(m, 20) for m in (1, 2, 3)]
    assert rater_model.dense_clusters(ring + popular) == [[1, 2, 3, 4, 5]]


def test_a_trust_graph_without_seeds_weighs_nobody_down_and_one_with_few_seeds_little():
    old = 365.0
    assert rater_model.standing(pagerank_share=0.0, age_days=old, seeds=0) == (1.0, 1.0)
    few = rater_model.standing(pagerank_share=0.0, age_days=old, seeds=2)[0]
    enough = rater_model.standing(pagerank_share=0.0, age_days=old, seeds=params.PAGERANK_FULL_SEEDS)[0]
    assert 1.0 > few > enough == params.RATER_MIN_FACTOR
    # a new account is weighed by its age whatever the graph says
    assert rater_model.standing(pagerank_share=0.0, age_days=9.0, seeds=0)[0] == pytest.approx(0.1)


def test_a_cluster_is_suspicious_only_when_its_members_are_judged_mostly_by_each_other():
    team = [1, 2, 3, 4]
    inside = {(a, b): 3 for a in team for b in team if a != b}  # 36 pieces among themselves
    assert rater_model.is_closed(team, inside)
    # the same close team, busy with the rest of the workspace: 60 pieces from 20 colleagues
    outside = {(100 + n, team[n % 4]): 3 for n in range(20)}
    assert not rater_model.is_closed(team, inside | outside)
    # what the team says about outsiders does not make it any less closed
    given = {(team[n % 4], 100 + n): 3 for n in range(20)}
    assert rater_model.is_closed(team, inside | given)


# --- through the database ---------------------------------------------------------------------


def _rater_rows():
    return {
        row["rater_id"]: row
        for row in TrustRater.objects.values(
            "rater_id",
            "standing",
            "is_seed",
            "offset_competence",
            "offset_integrity",
            "offset_responsiveness",
        )
    }


def _patterns():
    return sorted((p.kind, p.subject_id, tuple(p.people)) for p in TrustPattern.objects.all())


operations = st.lists(
    st.fixed_dictionaries(
        {
            "actor": st.integers(0, 4),
            "subject": st.integers(0, 4),
            "dimension": st.sampled_from((params.INTEGRITY, params.RESPONSIVENESS)),
            "outcome": st.sampled_from((0.0, 0.25, 0.5, 0.75, 1.0)),
            "age": st.integers(1, 60),
        }
    ),
    min_size=1,
    max_size=10,
)


@pytest.mark.django_db
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, extra=operations, seed=st.integers(0, 1000))
def test_voided_evidence_has_no_effect_on_standing_offsets_or_patterns(org, ops, extra, seed):
    people = [member(org, date_joined=clock.now() - timedelta(days=400)) for _ in range(5)]
    manager = talent_manager(org)

    def record(op_list):
        events = []
        for op in op_list:
            if op["actor"] == op["subject"]:
                continue
            events.append(
                rate(people[op["actor"]], people[op["subject"]], dimension=op["dimension"],
                     outcome=op["outcome"], occurred_at=clock.now() - timedelta(days=op["age"]))
            )  # fmt: skip
        return events

    try:
        with transaction.atomic():
            record(ops)
            raters_refresh(organization_id=org.pk)
            before = (_rater_rows(), _patterns())
            for event in record(extra):
                live = TrustEvent.objects.live().filter(
                    source_id=event.source_id, subject_id=event.subject_id
                )
                for row in live:
                    void_event(event=row, reason="test: voided", voided_by=manager)
            raters_refresh(organization_id=org.pk)
            after = (_rater_rows(), _patterns())
            assert after == before
            raise _Rollback
    except _Rollback:
        pass


@pytest.mark.django_db
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, exchanges=st.integers(1, 6), seed=st.integers(0, 1000))
def test_a_colluding_pairs_evidence_moves_a_third_persons_rank_by_at_most_two_places(
    org, ops, exchanges, seed
):
    people = [member(org, date_joined=clock.now() - timedelta(days=400)) for _ in range(7)]
    as_of = clock.now()

    def ranks():
        for person in people:
            recompute_subject(person.pk, as_of=as_of)
        lower = dict(TrustScore.objects.filter(dimension=params.INTEGRITY).values_list("subject_id", "lower"))
        prior = 0.0  # no evidence ranks last; ties by id
        order = sorted(people, key=lambda p: (-lower.get(p.pk, prior), p.pk))
        return {p.pk: i for i, p in enumerate(order)}, lower

    try:
        with transaction.atomic():
            for op in ops:
                if op["actor"] != op["subject"]:
                    moment = clock.now() - timedelta(days=op["age"])
                    rate(people[op["actor"]], people[op["subject"]], dimension=params.INTEGRITY,
                         outcome=op["outcome"], occurred_at=moment)  # fmt: skip
            raters_refresh(organization_id=org.pk)
            before, lower_before = ranks()
            a, b = people[5], people[6]  # the colluding pair trades praise
            for n in range(exchanges):
                rate(a, b, outcome=1.0, occurred_at=clock.now() - timedelta(hours=2 * n + 1))
                rate(b, a, outcome=1.0, occurred_at=clock.now() - timedelta(hours=2 * n + 1))
            raters_refresh(organization_id=org.pk)
            after, lower_after = ranks()
            for person in people[:5]:
                # their own score: untouched
                if lower_before.get(person.pk) is None:
                    assert lower_after.get(person.pk) is None
                else:
                    assert lower_after.get(person.pk) == pytest.approx(lower_before[person.pk], rel=1e-12)
                assert abs(after[person.pk] - before[person.pk]) <= 2
            raise _Rollback
    except _Rollback:
        pass


def praising_ring(org, size=5):
    """Old accounts that praised each other, every pair both ways, weekly for two weeks."""
    ring = [member(org, date_joined=clock.now() - timedelta(days=400)) for _ in range(size)]
    for week in range(2):
        for a in ring:
            for b in ring:
                if a is not b:
                    rate(a, b, outcome=1.0, occurred_at=clock.now() - timedelta(days=14 - 7 * week))
    return ring


@pytest.mark.django_db
def test_the_nightly_finds_a_ring_damps_its_evidence_and_the_attention_list_can_show_it(org):
    ring = praising_ring(org)
    raters_refresh(organization_id=org.pk)
    pattern = TrustPattern.objects.get(kind=TrustPattern.Kind.CLUSTER)
    assert sorted(pattern.people) == sorted(p.pk for p in ring)
    assert pattern.facts["members"] == 5
    inside = TrustEvent.objects.live().filter(subject__in=ring)
    assert inside.exists()
    assert all("suspicious pattern" in e.weight_note for e in inside)
    # and new praise between them counts a tenth from the start
    fresh = rate(ring[0], ring[1], outcome=1.0)
    assert "inside a suspicious pattern" in fresh.weight_note


@pytest.mark.django_db
def test_praise_from_a_burst_of_new_accounts_counts_little(org):
    target = member(org, date_joined=clock.now() - timedelta(days=400))
    old = [member(org, date_joined=clock.now() - timedelta(days=400)) for _ in range(4)]
    for a in old:
        for b in old:
            if a is not b:
                rate(
                    a,
                    b,
                    dimension=params.RESPONSIVENESS,
                    outcome=0.5,
                    occurred_at=clock.now() - timedelta(days=30),
                )
    raters_refresh(organization_id=org.pk)  # the workspace has standing rows now
    sybils = [member(org, date_joined=clock.now() - timedelta(days=3)) for _ in range(4)]
    weights = [rate(s, target, outcome=1.0).weight for s in sybils]
    assert all(w <= 0.1 for w in weights)  # new accounts: age × UNKNOWN_RATER_STANDING
    raters_refresh(organization_id=org.pk)
    burst = TrustPattern.objects.get(kind=TrustPattern.Kind.BURST)
    assert burst.subject_id == target.pk and sorted(burst.people) == sorted(s.pk for s in sybils)
    # the burst's evidence was re-recorded at a tenth of that
    assert all(
        e.weight <= 0.1 * max(weights) + 1e-12 for e in TrustEvent.objects.live().filter(subject=target)
    )
    # and the target's praise of the accounts that praise it is the same trade: a tenth, and
    # nothing a sybil's own record or the workspace prior is built on
    back = rate(target, sybils[0], outcome=1.0)
    assert "inside a suspicious pattern" in back.weight_note and back.in_pattern


@pytest.mark.django_db
def test_damped_praise_alone_never_makes_a_person_established_nor_moves_the_prior(org):
    target = member(org, date_joined=clock.now() - timedelta(days=400))
    # given honest colleagues with a middling record, and a workspace with standing rows
    old = [member(org, date_joined=clock.now() - timedelta(days=400)) for _ in range(4)]
    for a in old:
        for b in old:
            if a is not b:
                rate(a, b, outcome=0.5, occurred_at=clock.now() - timedelta(days=30))
    raters_refresh(organization_id=org.pk)
    recompute_all(organization_id=org.pk)
    honest_prior = TrustPrior.objects.get(organization=org, dimension=params.INTEGRITY).mean
    # when eight fresh accounts praise the target three times each and the nightly finds the burst
    sybils = [member(org, date_joined=clock.now() - timedelta(days=3)) for _ in range(8)]
    for sybil in sybils:
        for _ in range(3):
            rate(sybil, target, outcome=1.0)
    raters_refresh(organization_id=org.pk)
    recompute_all(organization_id=org.pk)
    score = TrustScore.objects.get(subject=target, dimension=params.INTEGRITY)
    live = TrustEvent.objects.live().filter(subject=target)
    assert live.count() == 24 and all(e.in_pattern for e in live)
    # then the target has 24 pieces but none that count toward "enough evidence"
    assert score.evidence_count == 24 and score.established_count == 0
    assert score.established_weight == 0.0
    assert not is_established(score.established_weight, score.established_count)
    # and the workspace's usual level is what the honest colleagues set
    assert TrustPrior.objects.get(organization=org, dimension=params.INTEGRITY).mean == pytest.approx(
        honest_prior
    )
    # the repair path from the ledger agrees
    recompute_all(organization_id=org.pk, from_ledger=True)
    again = TrustScore.objects.get(subject=target, dimension=params.INTEGRITY)
    assert (again.established_count, again.established_weight) == (0, pytest.approx(0.0, abs=1e-12))
    assert again.pattern_good_at_last == pytest.approx(score.pattern_good_at_last)
    assert TrustPrior.objects.get(organization=org, dimension=params.INTEGRITY).mean == pytest.approx(
        honest_prior
    )


@pytest.mark.django_db
@pytest.mark.parametrize("from_ledger", [False, True])
def test_a_rings_damped_praise_raises_no_members_ranking_bound(org, from_ledger):
    # given a member with an honest record of their own from six colleagues
    established_colleagues(org)
    ring = praising_ring(org)
    for _ in range(6):
        honest = member(org, date_joined=clock.now() - timedelta(days=400))
        rate(honest, ring[0], outcome=0.5, occurred_at=clock.now() - timedelta(days=2))
    raters_refresh(organization_id=org.pk)
    recompute_all(organization_id=org.pk, from_ledger=from_ledger)
    score = TrustScore.objects.get(subject=ring[0], dimension=params.INTEGRITY)
    # the ring's praise (found, damped, in_pattern) is in the card's bound but not the ranking's
    assert score.established_count == 6 and score.evidence_count > 6
    assert score.lower > score.established_lower
    rest = TrustEvent.objects.live().filter(subject=ring[0], dimension=params.INTEGRITY, in_pattern=False)
    prior = TrustPrior.objects.get(organization=org, dimension=params.INTEGRITY).mean
    alone = scoring.belief(
        [scoring.Evidence(e.outcome, e.weight, e.occurred_at) for e in rest],
        dimension=params.INTEGRITY,
        prior_mean=prior,
        as_of=score.computed_at,
    )
    assert score.established_lower == pytest.approx(alone.lower, abs=1e-9)


def established_colleagues(org, size=7):
    """Old accounts each rated (well) by three others, one way only: seeds of the trust graph
    that form no cluster."""
    people = [member(org, date_joined=clock.now() - timedelta(days=400)) for _ in range(size)]
    for i, subject in enumerate(people):
        for step in (1, 2, 3):
            rate(
                people[(i + step) % size], subject, outcome=0.75, occurred_at=clock.now() - timedelta(days=20)
            )
    return people


@pytest.mark.django_db
def test_criticism_inside_a_ring_is_not_damped_and_the_rings_praise_makes_nobody_a_seed(org):
    established_colleagues(org)
    ring = praising_ring(org)
    # one member honestly reports that another missed a commitment
    missed = rate(ring[0], ring[1], outcome=0.0, occurred_at=clock.now() - timedelta(days=1))
    raters_refresh(organization_id=org.pk)
    assert TrustPattern.objects.filter(kind=TrustPattern.Kind.CLUSTER).count() == 1
    live = TrustEvent.objects.live().get(source_kind=missed.source_kind, source_id=missed.source_id)
    assert live.pk == missed.pk and "suspicious pattern" not in live.weight_note  # counts as it was
    # praise from inside the ring counts toward nobody's seed status, offset or standing
    rows = {row.rater_id: row for row in TrustRater.objects.filter(rater__in=ring)}
    assert not any(row.is_seed for row in rows.values())
    assert all(row.offset_integrity == 0.0 for row in rows.values())
    assert all(row.standing < 1.0 for row in rows.values())
    # a new complaint between members is neither damped as the pattern nor by the pair's praise
    # budget (the damped praise is out of the pair's count), nor silenced by the group's low
    # graph standing: it counts by the account's age (400 days: in full)
    complaint = rate(ring[2], ring[3], outcome=0.0)
    assert complaint.weight == pytest.approx(1.0)
    assert "pattern" not in complaint.weight_note and "same person" not in complaint.weight_note
    # while the member's praise of a colleague outside the ring still counts by their standing
    outside = member(org, date_joined=clock.now() - timedelta(days=400))
    assert rate(ring[2], outside, outcome=1.0).weight == pytest.approx(rows[ring[2].pk].standing)


@pytest.mark.django_db
def test_a_rings_damped_praise_does_not_make_an_independent_colleagues_praise_its_echo(org):
    established_colleagues(org)
    ring = praising_ring(org)
    raters_refresh(organization_id=org.pk)
    assert TrustPattern.objects.filter(kind=TrustPattern.Kind.CLUSTER).count() == 1
    # given an honest colleague who worked a lot with one member (three sources each way)
    honest = member(org, date_joined=clock.now() - timedelta(days=400))
    for _ in range(3):
        rate(honest, ring[0], outcome=0.5, dimension=params.RESPONSIVENESS)
        rate(ring[0], honest, outcome=0.5, dimension=params.RESPONSIVENESS)
    # when they praise another member, whom the ring praised (damped inside the pattern), their
    # word is their own: the ring's damped praise is no voice their praise would echo
    praise = rate(honest, ring[1], outcome=1.0)
    assert "one voice" not in praise.weight_note
    # while a colleague who did not trade inside a pattern still makes it one voice
    other = member(org, date_joined=clock.now() - timedelta(days=400))
    rate(other, ring[1], outcome=1.0)
    for _ in range(3):
        rate(honest, other, outcome=0.5, dimension=params.RESPONSIVENESS)
        rate(other, honest, outcome=0.5, dimension=params.RESPONSIVENESS)
    assert "one voice with 1" in rate(honest, ring[1], outcome=1.0).weight_note


@pytest.mark.django_db
def test_a_little_connected_raters_complaint_counts_as_little_as_their_praise(org):
    colleagues = established_colleagues(org)
    loner, subject = (member(org, date_joined=clock.now() - timedelta(days=400)) for _ in range(2))
    raters_refresh(organization_id=org.pk)
    standing = TrustRater.objects.get(rater=loner).standing
    assert standing == params.RATER_MIN_FACTOR  # nobody established ever praised them
    praise = rate(loner, subject, outcome=1.0)
    complaint = rate(loner, colleagues[0], outcome=0.0)
    assert praise.weight == complaint.weight == pytest.approx(standing)


@pytest.mark.django_db
def test_a_workspace_without_established_members_weighs_nobody_down_by_the_graph(org):
    a, b = (member(org, date_joined=clock.now() - timedelta(days=400)) for _ in range(2))
    raters_refresh(organization_id=org.pk)  # a first nightly: nobody has evidence from 3 people yet
    assert not TrustRater.objects.filter(is_seed=True).exists()
    assert rate(a, b, outcome=1.0).weight == 1.0
