"""trust.standing: the one trust read other apps use — stored beliefs where there is
evidence, the workspace prior for everyone and everything else."""

import pytest

from accounts.models import User
from tests.factories import SkillFactory, member
from tests.trust.factories import TrustPriorFactory, TrustScoreFactory, observe
from trust import params
from trust.services.priors import prior_means as prior_means_of_the_services
from trust.standing import (
    Belief,
    prior_belief,
    prior_means,
    standing_annotations,
    standings,
    workspace_prior,
)

pytestmark = pytest.mark.django_db


def test_a_workspace_without_stored_priors_gets_the_default_prior_in_every_dimension(org):
    assert prior_means(org.pk) == dict.fromkeys(params.DIMENSIONS, params.DEFAULT_PRIOR_MEAN)
    prior = workspace_prior(org.pk)
    assert prior.competence == prior.responsiveness == prior.integrity == prior_belief(None)
    assert prior.competence.evidence == 0
    assert prior.competence.lower < prior.competence.mean == pytest.approx(params.DEFAULT_PRIOR_MEAN)


def test_a_stored_prior_replaces_the_default_for_its_dimension_only(org):
    TrustPriorFactory(organization=org, dimension=params.COMPETENCE, mean=0.8)
    prior = workspace_prior(org.pk)
    assert prior.means == {
        params.COMPETENCE: 0.8,
        params.INTEGRITY: params.DEFAULT_PRIOR_MEAN,
        params.RESPONSIVENESS: params.DEFAULT_PRIOR_MEAN,
    }
    assert prior.competence == prior_belief(0.8)
    assert prior.responsiveness == prior_belief(params.DEFAULT_PRIOR_MEAN)
    assert prior.competence.lower > prior.responsiveness.lower


def test_the_recomputes_read_the_same_prior_fallback_as_the_standing(org, other_org):
    TrustPriorFactory(organization=org, dimension=params.INTEGRITY, mean=0.7)
    for workspace in (org, other_org):
        assert prior_means_of_the_services(workspace.pk) == workspace_prior(workspace.pk).means


def test_people_and_skills_without_evidence_get_the_workspace_prior(org):
    python, go = SkillFactory(organization=org), SkillFactory(organization=org)
    known, newcomer = member(org), member(org)
    TrustPriorFactory(organization=org, dimension=params.COMPETENCE, mean=0.7)
    TrustPriorFactory(organization=org, dimension=params.RESPONSIVENESS, mean=0.5)
    TrustScoreFactory(subject=known, dimension=params.COMPETENCE, skill=python, lower=0.81)

    result = standings(organization_id=org.pk, user_ids=[known.pk, newcomer.pk], skill_ids=[python.pk, go.pk])

    prior = workspace_prior(org.pk)
    assert result[known.pk].competence_in(python.pk).lower == 0.81
    assert result[known.pk].competence_in(go.pk) == prior.competence  # a skill without evidence
    assert result[known.pk].responsiveness == prior.responsiveness
    assert result[newcomer.pk].competence_in(python.pk) == prior.competence  # a person without any
    assert result[newcomer.pk].responsiveness == prior.responsiveness
    assert result[newcomer.pk].competence == {}


def test_every_stored_score_asked_for_is_one_belief_and_nothing_else_is_read(org):
    python, go, cobol = (SkillFactory(organization=org) for _ in range(3))
    person = member(org)
    scores = [
        TrustScoreFactory(subject=person, dimension=params.COMPETENCE, skill=python, lower=0.7, mean=0.8),
        TrustScoreFactory(subject=person, dimension=params.COMPETENCE, skill=go, lower=0.4, mean=0.6),
        TrustScoreFactory(subject=person, dimension=params.RESPONSIVENESS, lower=0.5, evidence_count=9),
    ]
    TrustScoreFactory(subject=person, dimension=params.COMPETENCE, skill=cobol, lower=0.9)  # not asked
    TrustScoreFactory(subject=person, dimension=params.INTEGRITY, lower=0.9)  # not a standing dimension

    standing = standings(organization_id=org.pk, user_ids=[person.pk], skill_ids=[python.pk, go.pk])[
        person.pk
    ]

    python_score, go_score, responsiveness = scores
    assert standing.competence == {
        python.pk: Belief(lower=0.7, mean=0.8, evidence=python_score.evidence_count),
        go.pk: Belief(lower=0.4, mean=0.6, evidence=go_score.evidence_count),
    }
    assert standing.responsiveness == Belief(
        lower=0.5, mean=responsiveness.mean, evidence=responsiveness.evidence_count
    )


def test_beliefs_follow_the_evidence_recorded_through_the_service(org, bob, skill):
    for _ in range(3):
        observe(bob, dimension=params.COMPETENCE, skill=skill, outcome=1.0)
    standing = standings(organization_id=org.pk, user_ids=[bob.pk], skill_ids=[skill.pk])[bob.pk]
    belief = standing.competence_in(skill.pk)
    assert belief.evidence == 3
    # three pieces, however good, are not enough evidence: ranked exactly with the unknown
    assert belief.lower == workspace_prior(org.pk).competence.lower
    for _ in range(2):
        observe(bob, dimension=params.COMPETENCE, skill=skill, outcome=1.0)
    standing = standings(organization_id=org.pk, user_ids=[bob.pk], skill_ids=[skill.pk])[bob.pk]
    assert standing.competence_in(skill.pk).lower > workspace_prior(org.pk).competence.lower


@pytest.mark.parametrize("lower", [0.05, 0.75])  # poor or good
@pytest.mark.parametrize(
    ("weight", "count"),
    [(1.0, 1), (2.9, 4), (0.4, 30), (2.99, params.MIN_EVIDENCE_PIECES)],
)
def test_without_enough_evidence_a_signal_ranks_exactly_at_the_prior(org, lower, weight, count):
    # a few pieces, or many pieces the defences damped to little weight (a ring's praise), rank
    # neither above the colleagues nobody knows nor below them (one harsh rater is no record)
    TrustPriorFactory(organization=org, dimension=params.COMPETENCE, mean=0.7)
    skill = SkillFactory(organization=org)
    known, unknown = member(org), member(org)
    TrustScoreFactory(
        subject=known, dimension=params.COMPETENCE, skill=skill, lower=lower, mean=lower + 0.15,
        evidence_weight=weight, evidence_count=count,
    )  # fmt: skip
    result = standings(organization_id=org.pk, user_ids=[known.pk, unknown.pk], skill_ids=[skill.pk])
    assert result[known.pk].competence_in(skill.pk).lower == result[unknown.pk].competence_in(skill.pk).lower
    assert result[known.pk].competence_in(skill.pk).lower == workspace_prior(org.pk).competence.lower


def test_evidence_found_inside_a_pattern_makes_nobody_established(org, skill):
    # 2.99 of independent weight on 4 pieces, and thirty damped pieces of a pattern on top
    person = member(org)
    TrustScoreFactory(
        subject=person, dimension=params.COMPETENCE, skill=skill, lower=0.75, mean=0.9,
        evidence_weight=3.4, evidence_count=34, established_weight=2.99, established_count=4,
    )  # fmt: skip
    python = standings(organization_id=org.pk, user_ids=[person.pk], skill_ids=[skill.pk])[person.pk]
    sql = User.objects.filter(pk=person.pk).annotate(
        **standing_annotations(user_ref="pk", skill_ids=[skill.pk])
    )
    assert python.competence_in(skill.pk).lower == workspace_prior(org.pk).competence.lower
    assert sql.get().competence_sum == pytest.approx(prior_belief(None).lower)


@pytest.mark.parametrize("lower", [0.05, 0.75])
def test_with_established_evidence_the_lower_bound_is_the_ranking_bound(org, skill, lower):
    person = member(org)
    TrustScoreFactory(
        subject=person, dimension=params.COMPETENCE, skill=skill, lower=lower, mean=lower + 0.15,
        evidence_weight=params.NEWCOMER_EVIDENCE, evidence_count=params.MIN_EVIDENCE_PIECES,
    )  # fmt: skip
    belief = standings(organization_id=org.pk, user_ids=[person.pk], skill_ids=[skill.pk])[person.pk]
    assert belief.competence_in(skill.pk).lower == lower


@pytest.mark.parametrize("people", [1, 12])
def test_standings_cost_the_same_queries_whatever_the_number_of_people(
    org, people, django_assert_num_queries
):
    skills = [SkillFactory(organization=org) for _ in range(3)]
    user_ids = []
    for _ in range(people):
        person = member(org)
        user_ids.append(person.pk)
        TrustScoreFactory(subject=person, dimension=params.COMPETENCE, skill=skills[0])
        TrustScoreFactory(subject=person, dimension=params.RESPONSIVENESS)
    skill_ids = [skill.pk for skill in skills]
    with django_assert_num_queries(2):  # the workspace prior, then every score
        result = standings(organization_id=org.pk, user_ids=user_ids, skill_ids=skill_ids)
    assert len(result) == people


def test_no_people_cost_one_query_and_give_nothing(org, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert standings(organization_id=org.pk, user_ids=[], skill_ids=[1]) == {}


def test_the_annotations_are_null_where_there_is_no_evidence(org, skill):
    known, newcomer = member(org), member(org)
    TrustScoreFactory(subject=known, dimension=params.COMPETENCE, skill=skill, lower=0.6)
    TrustScoreFactory(subject=known, dimension=params.RESPONSIVENESS, lower=0.3)
    rows = {
        row["pk"]: row
        for row in User.objects.filter(pk__in=[known.pk, newcomer.pk])
        .annotate(**standing_annotations(user_ref="pk", skill_ids=[skill.pk]))
        .values("pk", "competence_sum", "competence_n", "responsiveness_lower")
    }
    assert (rows[known.pk]["competence_sum"], rows[known.pk]["competence_n"]) == (0.6, 1)
    assert rows[known.pk]["responsiveness_lower"] == 0.3
    assert rows[newcomer.pk]["competence_sum"] is None
    assert rows[newcomer.pk]["responsiveness_lower"] is None


@pytest.mark.parametrize("stored_prior", [None, 0.8])
@pytest.mark.parametrize("lower", [0.1, 0.82])
@pytest.mark.parametrize(
    ("weight", "evidence"),
    [(0.0, 0), (1.0, 1), (2.5, 3), (0.5, 12), (3.0, params.MIN_EVIDENCE_PIECES), (8.0, 12)],
)
def test_the_python_and_sql_ranking_bounds_agree(org, stored_prior, lower, weight, evidence):
    # ranking_lower is written twice (Python for standings, SQL for annotations): pin them together
    if stored_prior is not None:
        TrustPriorFactory(organization=org, dimension=params.RESPONSIVENESS, mean=stored_prior)
    person = member(organization=org)
    TrustScoreFactory(
        subject=person,
        organization=org,
        dimension=params.RESPONSIVENESS,
        lower=lower,
        evidence_weight=weight,
        evidence_count=evidence,
    )

    from_python = standings(organization_id=org.pk, user_ids=[person.pk], skill_ids=[])[person.pk]
    from_sql = (
        User.objects.filter(pk=person.pk)
        .annotate(**standing_annotations(user_ref="pk", skill_ids=[]))
        .get()
        .responsiveness_lower
    )

    assert from_sql == from_python.responsiveness.lower


def test_the_stored_prior_lower_bound_is_the_prior_belief_of_its_mean(org, bob):
    from datetime import timedelta

    from core import clock
    from trust.models import TrustPrior
    from trust.services import recompute_all

    observe(bob, dimension=params.INTEGRITY, outcome=1.0)
    recompute_all(as_of=clock.now() + timedelta(days=1))
    for prior in TrustPrior.objects.filter(organization=org):
        assert prior.lower == prior_belief(prior.mean).lower
