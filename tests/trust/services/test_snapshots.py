"""Daily snapshots, and TrustDistribution: the per-day spread of established scores the
dashboard's trust movement reads, written with the nightly snapshot and always equal to
counting the snapshot rows themselves."""

import math
from datetime import date

import pytest

from core import clock
from tests.factories import OrganizationFactory, SkillFactory, member
from tests.trust.factories import TrustScoreFactory, TrustSnapshotFactory, observe
from trust import params
from trust.models import TrustDistribution, TrustScore, TrustSnapshot
from trust.services.recompute import recompute_subject
from trust.services.snapshots import distribution_rebuild, snapshot_daily

pytestmark = pytest.mark.django_db

DAY = date(2026, 6, 1)


def snapshot(user, dimension, mean, evidence, *, day=DAY, skill=None):
    return TrustSnapshotFactory(
        subject=user, dimension=dimension, skill=skill, date=day, mean=mean, evidence_count=evidence
    )


def distribution(org=None, day=DAY) -> dict[tuple[str, int], tuple[int, float]]:
    rows = TrustDistribution.objects.filter(date=day)
    if org is not None:
        rows = rows.filter(organization=org)
    return {(r.dimension, r.tenth): (r.scores, round(r.mean_sum, 9)) for r in rows}


def counted_by_hand(org, day=DAY) -> dict[tuple[str, int], tuple[int, float]]:
    """What the table must hold: the established snapshot rows, bucketed in Python."""
    result: dict[tuple[str, int], list] = {}
    for s in TrustSnapshot.objects.filter(organization=org, date=day):
        if s.evidence_count < params.NEWCOMER_EVIDENCE:
            continue
        if s.skill_key != 0 and s.dimension != params.COMPETENCE:
            continue
        key = (s.dimension, min(math.floor(s.mean * 10), 9))
        entry = result.setdefault(key, [0, 0.0])
        entry[0] += 1
        entry[1] += s.mean
    return {key: (n, round(total, 9)) for key, (n, total) in result.items()}


def test_buckets_are_tenths_with_exact_edges_and_newcomers_left_out():
    a, b, c, d = (member() for _ in range(4))
    org = a.membership.organization
    for user in (b, c, d):
        user.membership.organization = org
        user.membership.save()
    snapshot(a, "integrity", 0.3, 5)  # exactly 0.3 → the 0.3–0.4 tenth (3)
    snapshot(b, "integrity", 0.7, 5)  # 0.7 → 7
    snapshot(c, "integrity", 1.0, 5)  # the top tenth holds 1.0
    snapshot(d, "integrity", 0.95, 2)  # still new: not counted
    snapshot(a, "responsiveness", 0.0, 3)  # exactly the evidence threshold: counted
    distribution_rebuild(day=DAY)
    assert distribution(org) == {
        ("integrity", 3): (1, 0.3),
        ("integrity", 7): (1, 0.7),
        ("integrity", 9): (1, 1.0),
        ("responsiveness", 0): (1, 0.0),
    }
    assert distribution(org) == counted_by_hand(org)


def test_competence_counts_one_score_per_person_and_skill():
    person = member()
    python, sql = SkillFactory(), SkillFactory()
    snapshot(person, "competence", 0.82, 4, skill=python)
    snapshot(person, "competence", 0.41, 4, skill=sql)
    distribution_rebuild(day=DAY)
    org = person.membership.organization
    assert distribution(org) == {("competence", 8): (1, 0.82), ("competence", 4): (1, 0.41)}


def test_the_nightly_snapshot_writes_the_days_distribution_and_rerunning_it_replaces_it():
    person, other = member(), member()
    today = clock.now().date()
    for user, mean in ((person, 0.64), (other, 0.12)):
        TrustScoreFactory(subject=user, dimension="integrity", mean=mean, evidence_count=5)
    snapshot_daily()
    assert distribution(person.membership.organization, today) == {("integrity", 6): (1, 0.64)}
    assert distribution(other.membership.organization, today) == {("integrity", 1): (1, 0.12)}

    TrustScore.objects.filter(subject=person).update(mean=0.91)
    snapshot_daily()
    assert distribution(person.membership.organization, today) == {("integrity", 9): (1, 0.91)}
    assert TrustDistribution.objects.filter(date=today).count() == 2


def test_a_rebuild_of_one_workspace_and_day_leaves_the_others_alone():
    first, second = member(), member()
    snapshot(first, "integrity", 0.5, 5)
    snapshot(second, "integrity", 0.5, 5)
    snapshot(first, "integrity", 0.2, 5, day=date(2026, 6, 2))
    distribution_rebuild()
    TrustDistribution.objects.update(scores=99)  # corrupt every row

    distribution_rebuild(day=DAY, organization_id=first.membership.organization_id)

    assert distribution(first.membership.organization) == {("integrity", 5): (1, 0.5)}
    assert TrustDistribution.objects.get(organization=second.membership.organization).scores == 99
    assert TrustDistribution.objects.get(date=date(2026, 6, 2)).scores == 99


def test_the_table_equals_the_snapshots_counted_by_hand_for_a_mixed_workspace():
    org = OrganizationFactory()
    people = [member(organization=org) for _ in range(6)]
    means = [0.05, 0.15, 0.3, 0.45, 0.6, 0.99]
    for index, (person, mean) in enumerate(zip(people, means, strict=True)):
        snapshot(person, "integrity", mean, 2 + index)
        snapshot(person, "responsiveness", 1 - mean, 3 + index)
    distribution_rebuild()
    assert distribution(org) == counted_by_hand(org)
    # integrity: evidence 2–7, the first still new; responsiveness: 3–8, all established
    assert sum(n for n, _ in distribution(org).values()) == 5 + 6


def test_the_daily_snapshot_copies_scores_and_rerunning_the_day_overwrites(bob):
    observe(bob, outcome=1.0)
    recompute_subject(bob.pk)
    assert snapshot_daily() == 1
    observe(bob, outcome=0.0)
    recompute_subject(bob.pk)
    snapshot_daily()
    snapshot = TrustSnapshot.objects.get(subject=bob)
    assert snapshot.date == clock.now().date()
    assert snapshot.evidence_count == 2
    assert snapshot.mean == pytest.approx(TrustScore.objects.get(subject=bob).mean)
