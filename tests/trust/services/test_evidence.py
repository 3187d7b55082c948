"""record_evidence: validation, idempotency and the anti-gaming rules, all in the service."""

import math
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import clock
from core.errors import Conflict, ValidationFailed
from tests.factories import OrganizationFactory, SkillFactory, member
from tests.trust.factories import observe, rate
from tests.trust.shared_sources import TEST_FEEDBACK_KIND, TEST_KIND, shared_context
from trust import params
from trust.models import TrustEvent, TrustRater, TrustScore
from trust.services.evidence import pair_share, record_evidence

pytestmark = pytest.mark.django_db


def _record(subject, actor, **overrides):
    arguments = {
        "subject": subject,
        "actor": actor,
        "dimension": "integrity",
        "outcome": 1.0,
        "source_kind": TEST_FEEDBACK_KIND,
        "source_id": shared_context(subject, actor) if actor else shared_context(subject),
    }
    arguments.update(overrides)
    return record_evidence(**arguments)


def _rejected(call, *, field, error=ValidationFailed):
    before = TrustEvent.objects.count()
    with pytest.raises(error) as info:
        call()
    assert field in info.value.fields, info.value.fields
    assert info.value.fields[field][0]
    assert TrustEvent.objects.count() == before
    return info.value


@pytest.mark.parametrize("outcome", [-0.01, 1.01, float("nan"), "1", True])
def test_an_outcome_outside_zero_to_one_is_rejected_and_nothing_is_written(alice, bob, outcome):
    _rejected(lambda: _record(bob, alice, outcome=outcome), field="outcome")


def test_an_unknown_dimension_is_rejected(alice, bob):
    error = _rejected(lambda: _record(bob, alice, dimension="charisma"), field="dimension")
    assert "charisma" in error.fields["dimension"][0]


def test_competence_evidence_without_a_skill_is_rejected(alice, bob):
    _rejected(lambda: _record(bob, alice, dimension="competence"), field="skill")


def test_integrity_evidence_with_a_skill_is_rejected(alice, bob, skill):
    _rejected(lambda: _record(bob, alice, skill=skill), field="skill")


def test_a_skill_of_another_workspace_is_rejected(alice, bob):
    foreign = SkillFactory(organization=OrganizationFactory())
    _rejected(lambda: _record(bob, alice, dimension="competence", skill=foreign), field="skill")


def test_evidence_between_people_who_never_shared_anything_is_rejected(alice, bob, carol):
    error = _rejected(lambda: _record(bob, alice, source_id=shared_context(bob, carol)), field="actor")
    assert error.code == "no_shared_context"


def test_an_observed_fact_needs_the_subject_among_the_participants(alice, bob):
    _rejected(lambda: _record(bob, None, source_id=shared_context(alice)), field="subject")


def test_self_evidence_is_rejected(alice):
    error = _rejected(lambda: _record(alice, alice, source_id=shared_context(alice)), field="actor")
    assert error.code == "self_evidence"


def test_an_unknown_source_kind_is_rejected(alice, bob):
    _rejected(lambda: _record(bob, alice, source_kind="engagement.gossip"), field="source_kind")


def test_an_actor_from_another_workspace_is_rejected(bob):
    outsider = member(OrganizationFactory())
    _rejected(lambda: _record(bob, outsider, source_id=shared_context(bob, outsider)), field="actor")


def test_a_weight_that_is_not_positive_is_rejected(alice, bob):
    _rejected(lambda: _record(bob, alice, weight=0), field="weight")
    _rejected(lambda: _record(bob, alice, weight=params.MAX_WEIGHT + 1), field="weight")


def test_evidence_about_the_future_is_rejected(alice, bob):
    _rejected(lambda: _record(bob, alice, occurred_at=clock.now() + timedelta(days=2)), field="occurred_at")


def test_replaying_the_same_evidence_returns_the_same_event(alice, bob):
    source_id = shared_context(alice, bob)
    first = _record(bob, alice, source_id=source_id, outcome=0.75)
    again = _record(bob, alice, source_id=source_id, outcome=0.75)
    assert again.pk == first.pk
    assert TrustEvent.objects.count() == 1


def test_a_second_feedback_for_the_same_engagement_is_rejected(alice, bob):
    source_id = shared_context(alice, bob)
    _record(bob, alice, source_id=source_id, outcome=1.0)
    error = _rejected(
        lambda: _record(bob, alice, source_id=source_id, outcome=0.0), field="source_id", error=Conflict
    )
    assert "already recorded" in error.message
    assert TrustEvent.objects.get().outcome == 1.0


def test_one_feedback_may_cover_several_dimensions_and_skills(alice, bob, skill, org):
    source_id = shared_context(alice, bob)
    other = SkillFactory(organization=org, name="Go")
    _record(bob, alice, source_id=source_id, dimension="integrity")
    _record(bob, alice, source_id=source_id, dimension="competence", skill=skill)
    _record(bob, alice, source_id=source_id, dimension="competence", skill=other)
    events = TrustEvent.objects.filter(subject=bob)
    assert events.count() == 3
    # one rating, not three: none of them is discounted as a repeat
    assert {e.weight for e in events} == {1.0}


def _live(subject, **filters):
    return list(TrustEvent.objects.live().filter(subject=subject, **filters).order_by("occurred_at", "id"))


def test_a_pairs_pieces_within_90_days_share_one_budget_equally(alice, bob):
    for n in range(1, 5):
        rate(alice, bob)
        # every live piece weighs the same share of the pair's budget Σ_{k≤n} 1/k²
        budget = sum(1 / k**2 for k in range(1, n + 1))
        assert [e.weight for e in _live(bob)] == pytest.approx([budget / n] * n)
        assert [e.pair_share for e in _live(bob)] == pytest.approx([budget / n] * n)
    # the earlier pieces were re-recorded (the ledger stays append-only), each note says so once
    assert all(e.weight_note.count("from the same person") == 1 for e in _live(bob))
    assert "one of 4 pieces from the same person" in _live(bob)[0].weight_note


@given(n=st.integers(1, 40))
def test_a_pair_never_adds_more_than_pi_squared_over_six_pieces(n):
    assert n * pair_share(n) <= math.pi**2 / 6
    assert pair_share(n) <= pair_share(max(n - 1, 1))


def test_repeat_ratings_count_across_kinds(alice, bob, skill):
    # an accepted answer, then the end-of-engagement feedback from the same person: two pieces
    rate(alice, bob, dimension="competence", skill=skill, kind=TEST_KIND)
    rate(alice, bob, dimension="competence", skill=skill, kind=TEST_FEEDBACK_KIND)
    assert [e.weight for e in _live(bob)] == pytest.approx([1.25 / 2] * 2)


def test_a_pairs_mixed_record_counts_at_its_own_mean(alice, bob):
    # three kept commitments and one missed, confirmed by the same colleague, in any order
    for outcome in (1.0, 0.0, 1.0, 1.0):
        rate(alice, bob, outcome=outcome)
    live = _live(bob)
    said = sum(e.weight * e.outcome for e in live) / sum(e.weight for e in live)
    # the pair's budget does not pull its record toward a half: 3 of 4, as it said
    assert said == pytest.approx(0.75)
    assert sum(e.weight for e in live) == pytest.approx(sum(1 / k**2 for k in range(1, 5)))


def test_ratings_more_than_90_days_apart_are_not_discounted(alice, bob):
    first = rate(alice, bob, occurred_at=clock.now() - timedelta(days=120))
    second = rate(alice, bob)
    assert (first.weight, second.weight) == (1.0, 1.0)


def test_observed_facts_are_never_discounted_as_repeat_ratings(bob):
    weights = [observe(bob).weight for _ in range(3)]
    assert weights == [1.0, 1.0, 1.0]


def test_one_honest_exchange_of_praise_is_not_discounted(alice, bob):
    # double-blind feedback both ways at the end of one engagement
    first = rate(alice, bob, outcome=1.0)
    back = rate(bob, alice, outcome=1.0)
    assert (first.weight, back.weight) == (1.0, 1.0)


@pytest.mark.django_db(transaction=True)
def test_praise_traded_beyond_one_engagement_is_discounted_on_both_sides_and_compounds(alice, bob):
    # given Alice and Bob praised each other twice each (the free allowance)
    for _ in range(params.RECIPROCAL_FREE_EXCHANGES):
        rate(alice, bob, outcome=1.0)
        rate(bob, alice, outcome=1.0)
    # when Bob praises Alice a third time: Alice praised him twice, then once more
    rate(alice, bob, outcome=1.0)
    back = rate(bob, alice, outcome=1.0)
    # then his third piece (a third of the pair's budget for three) is discounted for the one
    # exchange beyond the allowance
    assert back.weight == pytest.approx(params.RECIPROCAL_PRAISE_FACTOR * pair_share(3))
    assert "reciprocal praise (3×)" in back.weight_note
    # and Alice's earlier praise of Bob was re-recorded discounted (append-only)
    discounted = TrustEvent.objects.live().filter(subject=bob, reciprocal_discounted=True)
    assert discounted.count() == 3
    assert all(e.revision >= 1 for e in discounted)


def test_praise_from_someone_who_trades_evidence_with_the_subjects_other_raters_counts_as_one_voice(
    org, alice, bob, carol
):
    # given Carol traded evidence with Alice both ways beyond one engagement's worth (three
    # sources each way), and gave Bob evidence
    for dimension in ("integrity", "responsiveness", "integrity"):
        rate(carol, alice, dimension=dimension, outcome=1.0)
        rate(alice, carol, dimension=dimension, outcome=1.0)
    rate(carol, bob, outcome=1.0)
    # when Alice praises Bob
    praise = rate(alice, bob, outcome=1.0)
    # then Alice and Carol speak with one voice about Bob
    assert praise.weight == pytest.approx(1 / 2)
    assert "one voice with 1 connected colleagues" in praise.weight_note


def test_two_colleagues_who_worked_together_once_are_two_voices(org, alice, bob, carol):
    # one engagement between Alice and Carol: feedback and a confirmed commitment each way
    for _ in range(2):
        rate(carol, alice, outcome=1.0)
        rate(alice, carol, outcome=1.0)
    rate(carol, bob, outcome=1.0)
    praise = rate(alice, bob, outcome=1.0)
    assert praise.weight == 1.0 and "one voice" not in praise.weight_note


def test_praise_between_people_without_shared_mutual_partners_is_one_voice_each(org, alice, bob, carol):
    # Carol praised both (one way only): no mutual exchange, independent voices
    rate(carol, alice, outcome=1.0)
    rate(carol, bob, outcome=1.0)
    assert rate(alice, bob, outcome=1.0).weight == 1.0


def test_praise_for_a_different_quality_in_return_is_not_reciprocal(alice, bob, skill):
    # Alice accepted Bob's answer (competence); Bob thanks her for keeping her word (integrity)
    rate(alice, bob, dimension="competence", skill=skill, outcome=1.0)
    back = rate(bob, alice, dimension="integrity", outcome=1.0)
    assert back.weight == 1.0
    assert TrustEvent.objects.live().get(subject=bob).weight == 1.0
    # competence praise in return — in any skill — is an exchange, free within one engagement's
    # allowance; Bob's integrity piece does not count against his competence budget
    other = SkillFactory(organization=skill.organization, name="Go")
    assert rate(bob, alice, dimension="competence", skill=other, outcome=1.0).weight == 1.0


def test_criticism_in_return_is_not_reciprocal_praise(alice, bob):
    rate(alice, bob, outcome=1.0)
    back = rate(bob, alice, outcome=0.25)
    assert back.weight == 1.0
    assert TrustEvent.objects.live().get(subject=bob).weight == 1.0


def test_replaying_an_event_that_was_discounted_returns_the_discounted_record(alice, bob):
    source_id = shared_context(alice, bob)
    rate(alice, bob, source_id=source_id)
    for _ in range(params.RECIPROCAL_FREE_EXCHANGES):
        rate(alice, bob)
    for _ in range(params.RECIPROCAL_FREE_EXCHANGES + 1):
        rate(bob, alice)  # the last one goes beyond the allowance: Alice's praise is discounted
    replay = rate(alice, bob, source_id=source_id)
    # the newest copy (re-recorded as the pair grew, then for reciprocity), not the original
    live = TrustEvent.objects.live().get(subject=bob, source_id=source_id)
    assert replay.pk == live.pk and replay.revision >= 1 and replay.reciprocal_discounted
    assert TrustEvent.objects.filter(subject=bob, source_id=source_id).count() == replay.revision + 1


@pytest.mark.django_db(transaction=True)
def test_a_committed_event_updates_the_subjects_score(alice, bob):
    rate(alice, bob, outcome=1.0)
    score = TrustScore.objects.get(subject=bob, dimension="integrity")
    assert score.evidence_count == 1
    assert score.distinct_raters == 1
    assert score.mean > params.DEFAULT_PRIOR_MEAN


def test_criticism_from_a_connected_colleague_counts_in_full(org, alice, bob, carol):
    # given Carol traded evidence both ways with Alice, and praised Bob
    for a, b in ((carol, alice), (alice, carol), (carol, bob)):
        rate(a, b, outcome=1.0)
    # when Alice says Bob missed his commitment, it is against the group's interest: one voice
    # is for praise, criticism is not divided
    criticism = rate(alice, bob, outcome=0.0)
    assert criticism.weight == 1.0
    assert "one voice" not in criticism.weight_note


def test_a_complaint_calibrated_upwards_shares_the_pairs_budget_like_any_piece(org, alice, bob):
    # given Alice is a harsh rater (the nightly found her 0.4 below her colleagues)
    TrustRater.objects.create(
        organization=org, rater=alice, standing=1.0, age_factor=1.0, offset_integrity=-0.4
    )
    first = rate(alice, bob, outcome=0.3)
    assert first.outcome > params.GOOD_OUTCOME and first.stated_outcome == pytest.approx(0.3)
    rate(alice, bob, outcome=0.0)
    # two pieces of one pair, whatever their sign or calibration: 1.25 between them
    assert [e.weight for e in _live(bob)] == pytest.approx([0.625, 0.625])


@pytest.mark.django_db(transaction=True)
def test_the_score_follows_the_re_recorded_share(alice, bob):
    for _ in range(3):
        rate(alice, bob, outcome=1.0)
    score = TrustScore.objects.get(subject=bob, dimension="integrity")
    assert score.evidence_count == 3
    assert score.good_at_last == pytest.approx(sum(1 / k**2 for k in range(1, 4)))
