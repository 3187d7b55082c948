"""Routing quality: who ranks first for a question (messaging.routing.ranking) — evidence
that never pulls a proven expert below their declared level, a meaning-only match
judged by the person's closest skill, and the tags of earlier questions like this one."""

import pytest

from messaging.routing import params, ranking, waves
from tests.factories import SkillFactory
from tests.messaging.routing.test_meaning import needs_model
from tests.messaging.routing.test_routing import MONDAY_10, ask, asked, person
from trust.models import TrustScore

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]


def competence_evidence(user, skill, *, mean, lower, count):
    TrustScore.objects.create(
        subject=user,
        organization=skill.organization,
        dimension="competence",
        skill=skill,
        skill_key=skill.pk,
        alpha=1 + mean * count,
        beta=1 + (1 - mean) * count,
        mean=mean,
        lower=lower,
        upper=min(mean + 0.1, 1.0),
        evidence_count=count,
    )


def test_a_few_accepted_answers_raise_an_expert_above_their_declared_level_never_below(org):
    skill = SkillFactory(organization=org, name="Terraform")
    asker = person(org)
    declared = person(org, skills=[skill], level=4)
    proven = person(org, skills=[skill], level=4)
    overclaimer = person(org, skills=[skill], level=5)
    # three good pieces: a wide interval, so the lower bound is low; the mean is high
    competence_evidence(proven, skill, mean=0.8, lower=0.4, count=3)
    competence_evidence(overclaimer, skill, mean=0.25, lower=0.1, count=4)

    ranked = waves.rank_candidates(ask(asker, [skill]))

    by_id = {c.user_id: c.breakdown["competence"] for c in ranked}
    assert [c.user_id for c in ranked] == [proven.pk, declared.pk, overclaimer.pk]
    assert by_id[declared.pk] == pytest.approx(params.LEVEL_PRIOR[4])
    assert by_id[proven.pk] > params.LEVEL_PRIOR[4]
    assert by_id[overclaimer.pk] < params.LEVEL_PRIOR[4]  # bad evidence still overrides a claim


def test_a_match_by_meaning_only_counts_the_competence_of_the_closest_skill_they_hold(org):
    tagged, close = (
        SkillFactory(organization=org, name="Django"),
        SkillFactory(organization=org, name="Python"),
    )
    asker = person(org)
    expert = person(org, skills=[close], level=5)
    novice = person(org, skills=[close], level=1)
    stranger = person(org)
    question = ask(asker, [tagged], title="A migration conflict", body="Two leaf nodes after a merge.")
    ctx = ranking.context(question, MONDAY_10)
    ctx.near = {close.pk: 0.5}  # what the model says of the question and "Python"
    ctx.near_names = {close.pk: "Python"}
    rows = [ranking.profile_row(u.pk) for u in (expert, novice, stranger)]
    data = ranking.batch(ctx, [row["user_id"] for row in rows], presence_states={})
    data["meaning"] = {row["user_id"]: 0.6 for row in rows}  # all three close by expertise vector

    scored = {c.user_id: c for c in (ranking.score(row, ctx, data) for row in rows)}

    assert scored[expert.pk].breakdown["competence"] == pytest.approx(params.LEVEL_PRIOR[5])
    assert scored[novice.pk].breakdown["competence"] == pytest.approx(params.LEVEL_PRIOR[1])
    assert scored[stranger.pk].breakdown["competence"] == pytest.approx(params.MENTION_PRIOR)
    assert scored[expert.pk].score > scored[stranger.pk].score > scored[novice.pk].score
    assert "you list Python, close to this question" in scored[expert.pk].breakdown["reasons"]


@needs_model
def test_an_untagged_question_reaches_holders_of_the_tag_an_earlier_question_like_it_had(org, commit):
    # a skill whose name and description say nothing about databases
    platform = SkillFactory(organization=org, name="Platform team", description="Our internal tooling.")
    asker = person(org)
    holder = person(org, skills=[platform], level=4)
    with commit():
        ask(
            asker,
            [platform],
            title="Join of two large tables is very slow",
            body="The SQL planner picks a sequential scan although the column has an index.",
        )

    with commit():
        question = ask(
            person(org),
            title="database query got slow, index not used",
            body="Joining the orders table with customers takes minutes; the query plan shows a seq scan.",
        )

    ctx = ranking.context(question, MONDAY_10)
    assert ctx.inferred and ctx.skills.get(platform.pk, 0) >= 0.5
    assert holder.pk in asked(question)
