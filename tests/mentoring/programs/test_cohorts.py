"""Cohort matching: the pure assignment core (mentoring/programs/assignment.py), the fit of
every pair (fit.py) and the cohort services (cohorts.py)."""

import functools
import itertools
import math

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import AuditEntry
from accounts.working_hours import mask_to_hex
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mentoring.engagements import matching_params as mp
from mentoring.engagements.selectors import mentor_load
from mentoring.models import (
    Engagement,
    EngagementKind,
    EngagementTransition,
    Participant,
    ProgramParticipant,
)
from mentoring.programs import assignment, cohorts, fit
from tests.factories import ExpertiseFactory, LearningGoalFactory, SkillFactory, member
from tests.mentoring.factories import ProgramFactory, mentor, pair_engagement
from trust.models import TrustScore

# --- Pure core -------------------------------------------------------------------


def brute_force_best(fit: list[list[float | None]], capacities: list[int]) -> float:
    """Best total over every way to give each seeker one mentor or none."""
    n_mentors = len(capacities)
    best = 0.0
    for choice in itertools.product(range(-1, n_mentors), repeat=len(fit)):
        used = [0] * n_mentors
        total = 0.0
        for s, m in enumerate(choice):
            if m < 0:
                continue
            if fit[s][m] is None:
                break
            used[m] += 1
            total += fit[s][m]
        else:
            if all(u <= c for u, c in zip(used, capacities, strict=True)):
                best = max(best, total)
    return best


def check_valid(result: assignment.Assignment, fit, capacities) -> None:
    seekers = [s for s, _m, _f in result.pairs]
    assert len(seekers) == len(set(seekers))
    for m, cap in enumerate(capacities):
        assert sum(1 for _s, mm, _f in result.pairs if mm == m) <= cap
    for s, m, f in result.pairs:
        assert fit[s][m] is not None
        assert f == pytest.approx(fit[s][m])
    assert sorted(seekers + result.unassigned) == list(range(len(fit)))


@st.composite
def cohort_cases(draw):
    n_seekers = draw(st.integers(0, 5))
    n_mentors = draw(st.integers(0, 4))
    cell = st.one_of(st.none(), st.integers(0, 100).map(lambda x: x / 100))
    fit = [[draw(cell) for _ in range(n_mentors)] for _ in range(n_seekers)]
    capacities = [draw(st.integers(0, 3)) for _ in range(n_mentors)]
    return fit, capacities


@settings(max_examples=200, deadline=None)
@given(cohort_cases())
def test_optimal_total_is_the_best_possible_and_never_below_greedy(case):
    fit, capacities = case

    sparse = assignment.assign_optimal(fit, capacities)
    dense = assignment.assign_optimal(fit, capacities, solver="dense")
    greedy = assignment.assign_greedy(fit, capacities)

    best = brute_force_best(fit, capacities)
    for result in (sparse, dense, greedy):
        check_valid(result, fit, capacities)
    assert sparse.total_fit == pytest.approx(best, abs=1e-9)
    assert dense.total_fit == pytest.approx(best, abs=1e-9)
    assert sparse.total_fit >= greedy.total_fit - 1e-9


def test_greedy_takes_the_best_pair_and_strands_a_seeker_the_optimum_places():
    # given: seeker 0 fits both mentors, seeker 1 only mentor 0
    fit = [[0.9, 0.8], [0.85, None]]

    greedy = assignment.assign_greedy(fit, [1, 1])
    optimal = assignment.assign_optimal(fit, [1, 1])
    assert assignment.assign_optimal(fit, [1, 1], solver="dense").pairs == optimal.pairs

    assert greedy.pairs == [(0, 0, 0.9)]
    assert greedy.unassigned == [1]
    assert optimal.pairs == [(0, 1, 0.8), (1, 0, 0.85)]
    assert optimal.total_fit == pytest.approx(1.65)
    assert optimal.total_fit > greedy.total_fit
    assert (optimal.matched, greedy.matched) == (2, 1)


def test_a_mentor_never_gets_more_seekers_than_their_capacity():
    fit = [[0.9], [0.8], [0.7]]

    result = assignment.assign_optimal(fit, [2])

    assert result.pairs == [(0, 0, 0.9), (1, 0, 0.8)]
    assert result.unassigned == [2]


def test_a_mentor_without_capacity_gets_nobody():
    fit = [[0.9, 0.1]]

    for method in (assignment.assign_optimal, assignment.assign_greedy):
        assert method(fit, [0, 1]).pairs == [(0, 1, 0.1)]


def test_a_seeker_with_no_allowed_mentor_stays_unassigned():
    fit = np.array([[0.5, 0.4], [-math.inf, math.nan]])

    dense = functools.partial(assignment.assign_optimal, solver="dense")
    for method in (assignment.assign_optimal, dense, assignment.assign_greedy):
        result = method(fit, [3, 3])
        assert result.pairs == [(0, 0, 0.5)]
        assert result.unassigned == [1]


def test_more_seekers_than_seats_leaves_the_weakest_fits_out():
    fit = [[0.2, 0.3], [0.9, 0.1], [0.4, 0.8]]

    result = assignment.assign_optimal(fit, [1, 1])

    assert result.pairs == [(1, 0, 0.9), (2, 1, 0.8)]
    assert result.unassigned == [0]


def test_fits_outside_zero_to_one_and_wrong_capacities_are_rejected():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        assignment.assign_optimal([[1.5]], [1])
    with pytest.raises(ValueError, match="capacities"):
        assignment.assign_greedy([[0.5]], [1, 1])
    with pytest.raises(ValueError, match="negative"):
        assignment.assign_optimal([[0.5]], [-1])


# --- Database layer --------------------------------------------------------------

NINE_TO_FIVE = mask_to_hex(sum(1 << (day * 24 + hour) for day in range(5) for hour in range(9, 17)))


def _seeker(org, *skills, **kwargs):
    user = member(org, **kwargs)
    for skill in skills:
        LearningGoalFactory(user=user, skill=skill)
    return user


def _mentor(org, levels: dict, *, capacity=3, **kwargs):
    user = mentor(org, capacity=capacity, **kwargs)
    for skill, level in levels.items():
        ExpertiseFactory(user=user, skill=skill, level=level)
    return user


def test_pairs_without_shared_skill_or_with_oneself_are_forbidden(org, terraform, python_skill):
    # given: a person who both mentors Terraform and wants to learn it
    both = _mentor(org, {terraform: 5})
    LearningGoalFactory(user=both, skill=terraform)
    pythonista = _seeker(org, python_skill)
    tf_mentor = _mentor(org, {terraform: 3})

    data = fit.cohort_fit_matrix(organization=org, seekers=[both, pythonista], mentors=[both, tf_mentor])

    assert [u.pk for u in data.seekers] == [both.pk, pythonista.pk]
    assert math.isnan(data.fit[0, 0])  # oneself
    assert 0.0 < data.fit[0, 1] <= 1.0
    assert np.isnan(data.fit[1]).all()  # nobody mentors Python


def test_pair_fit_is_the_weighted_mean_of_the_suggestion_factors(org, terraform):
    seeker = _seeker(org, terraform)
    strong = _mentor(org, {terraform: 5})
    weak = _mentor(org, {terraform: 1})
    seeker.profile.utc_week_mask = NINE_TO_FIVE
    seeker.profile.save(update_fields=["utc_week_mask"])
    strong.profile.utc_week_mask = NINE_TO_FIVE
    strong.profile.save(update_fields=["utc_week_mask"])
    TrustScore.objects.create(
        organization=org,
        subject=strong,
        dimension="responsiveness",
        skill_key=0,
        alpha=9,
        beta=1,
        mean=0.9,
        lower=0.8,
        upper=0.97,
        evidence_weight=10.0,
        evidence_count=10,  # established: ranked by its own lower bound
        established_weight=10.0,
        established_count=10,
        established_lower=0.8,
    )

    data = fit.cohort_fit_matrix(organization=org, seekers=[seeker], mentors=[strong, weak])

    assert data.factors["skill_fit"][0].tolist() == pytest.approx([1.0, 0.2])
    assert data.factors["responsiveness"][0, 0] == pytest.approx(0.8)
    assert data.factors["working_hours"][0, 0] == pytest.approx(1.0)  # 40 shared hours
    assert data.factors["working_hours"][0, 1] == pytest.approx(0.5)  # unknown on one side
    assert data.overlap_hours[0].tolist() == [40, -1]
    weights = mp.WEIGHTS.as_dict()
    expected = sum(weights[k] * data.factors[k][0, 0] for k in weights) / mp.WEIGHTS.total
    assert data.fit[0, 0] == pytest.approx(expected)
    assert data.fit[0, 0] > data.fit[0, 1]


def test_away_closed_or_full_mentors_get_no_slots(org, terraform):
    seeker = _seeker(org, terraform)
    away = _mentor(org, {terraform: 5}, away=True)
    closed = _mentor(org, {terraform: 5}, open_to_mentor=False)
    full = _mentor(org, {terraform: 5}, capacity=1)
    pair_engagement(org, mentor_user=full)
    free = _mentor(org, {terraform: 2}, capacity=1)

    data = fit.cohort_fit_matrix(organization=org, seekers=[seeker], mentors=[away, closed, full, free])

    assert data.capacity_left.tolist() == [0, 0, 0, 1]
    assert data.mentor_problems == {0: "away", 1: "not open to mentoring", 2: "no capacity left"}
    assert assignment.assign_optimal(data.fit, data.capacity_left).pairs[0][1] == 3


def test_program_min_level_rule_forbids_weaker_expertise(org, terraform):
    program = ProgramFactory(organization=org, matching_rules={"min_level": 4})
    seeker = _seeker(org, terraform)
    weak = _mentor(org, {terraform: 3})
    strong = _mentor(org, {terraform: 4})
    for user, role in ((seeker, "seeker"), (weak, "mentor"), (strong, "mentor")):
        ProgramParticipant.objects.create(program=program, user=user, role=role)

    data = fit.cohort_fit_matrix(program=program)

    assert [u.pk for u in data.mentors] == [weak.pk, strong.pk]
    assert math.isnan(data.fit[0, 0])
    assert not math.isnan(data.fit[0, 1])


def test_invalid_min_level_rule_names_the_field(org):
    program = ProgramFactory(organization=org, matching_rules={"min_level": 9})

    with pytest.raises(ValidationFailed) as error:
        fit.cohort_fit_matrix(program=program)

    assert "matching_rules" in error.value.fields


def test_explicit_people_from_another_workspace_are_rejected_by_field(org, other_org, terraform):
    outsider = _mentor(other_org, {})
    seeker = _seeker(org, terraform)

    with pytest.raises(ValidationFailed) as error:
        fit.cohort_fit_matrix(organization=org, seekers=[seeker], mentors=[outsider])

    assert list(error.value.fields) == ["mentors"]


def _population(org, skills, n):
    seekers, mentors = [], []
    for i in range(n):
        seekers.append(_seeker(org, skills[i % 3], skills[(i + 1) % 3]))
        m = _mentor(org, {skills[i % 3]: 1 + i % 5, skills[(i + 2) % 3]: 3})
        TrustScore.objects.create(
            organization=org,
            subject=m,
            dimension="competence",
            skill=skills[i % 3],
            skill_key=skills[i % 3].pk,
            alpha=4,
            beta=2,
            mean=0.66,
            lower=0.4,
            upper=0.85,
        )
        mentors.append(m)
    pair_engagement(org, mentor_user=mentors[0])
    return seekers, mentors


def test_loading_a_cohort_takes_the_same_number_of_queries_for_more_people(org):
    skills = [SkillFactory(organization=org) for _ in range(3)]
    small = _population(org, skills, 2)
    large = _population(org, skills, 7)

    with CaptureQueriesContext(connection) as few:
        fit.cohort_fit_matrix(organization=org, seekers=small[0], mentors=small[1])
    with CaptureQueriesContext(connection) as many:
        data = fit.cohort_fit_matrix(organization=org, seekers=large[0], mentors=large[1])

    assert len(few.captured_queries) == len(many.captured_queries) <= 6
    assert data.fit.shape == (7, 7)
    assert data.load[0] == 1


# --- Preview and save --------------------------------------------------------------


@pytest.fixture
def program(org):
    return ProgramFactory(organization=org, kind=EngagementKind.SITUATIONAL, default_duration_days=21)


def _enrol(program, seekers=(), mentors=()):
    for user in seekers:
        ProgramParticipant.objects.create(program=program, user=user, role="seeker")
    for user in mentors:
        ProgramParticipant.objects.create(program=program, user=user, role="mentor")


def test_preview_explains_each_pair_and_compares_with_greedy(org, manager, program, terraform, python_skill):
    s1 = _seeker(org, terraform, python_skill)
    s2 = _seeker(org, terraform)
    nobody = _seeker(org)
    a = _mentor(org, {terraform: 5, python_skill: 5}, capacity=1)
    b = _mentor(org, {python_skill: 4}, capacity=1)
    _enrol(program, seekers=[s1, s2, nobody], mentors=[a, b])

    preview = cohorts.cohort_assign(actor=manager, program=program.pk)

    by_seeker = {p.seeker.pk: p for p in preview.pairs}
    assert by_seeker[s1.pk].mentor.pk == b.pk  # a is the only Terraform mentor s2 can have
    assert by_seeker[s2.pk].mentor.pk == a.pk
    assert [f.key for f in by_seeker[s2.pk].factors] == list(fit.FACTOR_KEYS)
    assert by_seeker[s1.pk].skills == [(python_skill.pk, "Python", 4)]
    assert [(u.pk, why) for u, why in preview.unassigned] == [
        (nobody.pk, "has no learning goals in this workspace")
    ]
    assert preview.optimal.total_fit >= preview.greedy.total_fit
    assert preview.seats == 2


def test_saving_a_preview_starts_one_engagement_per_pair(org, manager, program, terraform):
    seekers = [_seeker(org, terraform) for _ in range(3)]
    a = _mentor(org, {terraform: 5}, capacity=2)
    b = _mentor(org, {terraform: 3}, capacity=3)
    pair_engagement(org, mentor_user=b)
    _enrol(program, seekers=seekers, mentors=[a, b])
    preview = cohorts.cohort_assign(actor=manager, program=program)

    engagements = cohorts.cohort_save(actor=manager, preview=preview)

    assert len(engagements) == 3
    saved = Engagement.objects.filter(program=program)
    assert saved.count() == 3
    assert {e.kind for e in saved} == {EngagementKind.SITUATIONAL}
    assert all((e.ends_at - e.starts_at).days == 21 for e in saved)
    assert Participant.objects.filter(engagement__program=program, role="seeker").count() == 3
    assert EngagementTransition.objects.filter(engagement__program=program, from_state="").count() == 3
    assert all(list(e.skills.all()) == [terraform] for e in saved)
    assert mentor_load(a) == 2
    assert mentor_load(b) == 2
    assert AuditEntry.objects.get(action="program.cohort_matched").details["pairs"] == 3


def test_save_refuses_when_a_mentor_filled_up_since_the_preview(org, manager, program, terraform):
    seeker = _seeker(org, terraform)
    only = _mentor(org, {terraform: 5}, capacity=1)
    _enrol(program, seekers=[seeker], mentors=[only])
    preview = cohorts.cohort_assign(actor=manager, program=program)
    pair_engagement(org, mentor_user=only)

    with pytest.raises(Conflict) as error:
        cohorts.cohort_save(actor=manager, preview=preview)

    assert "preview" in error.value.fields
    assert not Engagement.objects.filter(program=program).exists()


def test_without_a_program_explicit_people_are_matched_and_enrolled_nowhere(org, manager, terraform):
    seeker = _seeker(org, terraform)
    m = _mentor(org, {terraform: 4})

    preview = cohorts.cohort_assign(actor=manager, seekers=[seeker.pk], mentors=[m.pk])
    [engagement] = cohorts.cohort_save(actor=manager, preview=preview)

    assert engagement.program is None
    assert engagement.kind == EngagementKind.SITUATIONAL
    assert not ProgramParticipant.objects.exists()


def test_only_talent_managers_can_match_a_cohort(org, program, seeker):
    with pytest.raises(PermissionDenied):
        cohorts.cohort_assign(actor=seeker, program=program)


def test_a_program_of_another_workspace_reads_as_missing(org, other_org, manager):
    elsewhere = ProgramFactory(organization=other_org)

    with pytest.raises(NotFound):
        cohorts.cohort_assign(actor=manager, program=elsewhere.pk)


def test_a_group_program_cannot_be_cohort_matched(org, manager):
    group = ProgramFactory(organization=org, kind=EngagementKind.GROUP, default_duration_days=30)

    with pytest.raises(ValidationFailed) as error:
        cohorts.cohort_assign(actor=manager, program=group)

    assert "program" in error.value.fields


def test_saving_an_empty_preview_is_refused_and_writes_nothing(org, manager, program):
    _enrol(program, seekers=[member(org)], mentors=[mentor(org)])
    preview = cohorts.cohort_assign(actor=manager, program=program)

    with pytest.raises(ValidationFailed):
        cohorts.cohort_save(actor=manager, preview=preview)

    assert not Engagement.objects.exists()
    assert not AuditEntry.objects.filter(action="program.cohort_matched").exists()


def test_everyone_matched_is_notified_unless_the_manager_announces_later(org, manager, program, terraform):
    from messaging.models import Notification

    seeker = _seeker(org, terraform)
    m = _mentor(org, {terraform: 4})
    _enrol(program, seekers=[seeker], mentors=[m])
    preview = cohorts.cohort_assign(actor=manager, program=program)

    cohorts.cohort_save(actor=manager, preview=preview, announce=False)
    assert not Notification.objects.filter(kind="engagement.started").exists()

    cohorts.cohort_announce(preview=preview)
    assert set(
        Notification.objects.filter(kind="engagement.started").values_list("recipient_id", flat=True)
    ) == {
        seeker.pk,
        m.pk,
    }


def test_save_refuses_when_a_mentor_went_away_since_the_preview(org, manager, program, terraform):
    seeker = _seeker(org, terraform)
    m = _mentor(org, {terraform: 5})
    _enrol(program, seekers=[seeker], mentors=[m])
    preview = cohorts.cohort_assign(actor=manager, program=program)
    m.profile.is_away = True
    m.profile.save(update_fields=["is_away"])

    with pytest.raises(Conflict):
        cohorts.cohort_save(actor=manager, preview=preview)

    assert not Engagement.objects.exists()


def test_saving_takes_the_same_number_of_queries_for_more_pairs(org, manager, terraform):
    def run(n):
        program = ProgramFactory(organization=org)
        _enrol(
            program,
            seekers=[_seeker(org, terraform) for _ in range(n)],
            mentors=[_mentor(org, {terraform: 3}) for _ in range(n)],
        )
        preview = cohorts.cohort_assign(actor=manager, program=program)
        with CaptureQueriesContext(connection) as queries:
            saved = cohorts.cohort_save(actor=manager, preview=preview, announce=False)
        assert len(saved) == n
        return len(queries.captured_queries)

    assert run(2) == run(6)
