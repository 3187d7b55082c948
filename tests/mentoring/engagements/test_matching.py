"""Mentor suggestions: hard filters, ranking, the explained breakdown, query count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import working_hours as wh
from accounts.models import Membership, Profile
from accounts.services.profiles import profile_update
from core import clock
from core.errors import ValidationFailed
from mentoring.engagements import matching_params as mp
from mentoring.engagements.matching import (
    need_tokens,
    suggest_mentors,
    suggestions_for_request,
    work_style_fit,
)
from mentoring.engagements.services.invitations import invitation_decline, invitation_expire, invitations_send
from mentoring.engagements.services.requests import request_create
from tests.factories import ExpertiseFactory, SkillFactory, member, talent_manager
from tests.mentoring.factories import mentor, pair_engagement
from trust.services import recompute_subject, vouch_for

pytestmark = pytest.mark.django_db


def expert(org, skill, level, **kwargs):
    user = mentor(org, **kwargs)
    ExpertiseFactory(user=user, skill=skill, level=level)
    return user


def answered_invitations(org, person, *, on_time: bool, count: int = 3):
    """Real responsiveness evidence: ``count`` invitations answered quickly or left to time out."""
    for n in range(count):
        asker = member(org)
        need = request_create(seeker=asker, title=f"Question {n} for {person.pk}")
        (invitation,) = invitations_send(seeker=asker, request_id=need.pk, mentors=[person])
        if on_time:
            invitation_decline(mentor=person, invitation_id=invitation.pk, reason="Not my area")
        else:
            with clock.travel_by(timedelta(hours=25)):
                invitation_expire(invitation_id=invitation.pk)
    recompute_subject(person.pk)


def names(suggestions) -> list[str]:
    return [s.user.full_name for s in suggestions]


# --- ranking -----------------------------------------------------------------------------


def test_strong_available_responsive_mentor_ranks_above_a_weaker_busier_one(org, seeker, terraform):
    # given: Ana is an expert with a vouch, answers in time and is free;
    # Ben is proficient, lets invitations time out and is mostly booked
    ana = expert(org, terraform, 5, full_name="Ana Strong", capacity=3)
    ben = expert(org, terraform, 3, full_name="Ben Weaker", capacity=2)
    vouch_for(manager=talent_manager(org), subject=ana, skill=terraform)
    # enough evidence for the signal to rank at all (decision 0014): six invitations each
    answered_invitations(org, ana, on_time=True, count=6)
    answered_invitations(org, ben, on_time=False, count=6)
    recompute_subject(ana.pk)
    pair_engagement(org, mentor_user=ben)

    # when
    suggestions = suggest_mentors(seeker=seeker, skills=[terraform], need_text="Ship a Terraform module")

    # then
    assert names(suggestions) == ["Ana Strong", "Ben Weaker"]
    first, second = ({f.key: f for f in s.factors} for s in suggestions)
    assert first["skill_fit"].value > second["skill_fit"].value
    # a vouch alone is not enough evidence to rank above colleagues nobody knows (decision 0014)
    assert first["competence"].value == second["competence"].value
    assert first["responsiveness"].value > second["responsiveness"].value
    assert first["load"].value == 1.0 and second["load"].value == 0.5
    assert suggestions[0].score > suggestions[1].score


def test_every_factor_is_in_the_unit_interval_and_explained(org, seeker, terraform):
    expert(org, terraform, 4, full_name="Ana")
    (suggestion,) = suggest_mentors(seeker=seeker, skills=[terraform], need_text="")

    assert [f.key for f in suggestion.factors] == list(mp.WEIGHTS.as_dict())
    for factor in suggestion.factors:
        assert 0.0 <= factor.value <= 1.0
        assert factor.detail
    assert 0.0 <= suggestion.score <= 1.0
    assert suggestion.skill_levels == [("Terraform", 4)]
    assert sum(f.weight_percent for f in suggestion.factors) == 100


def test_newcomer_gets_the_workspace_prior_not_zero_for_competence_and_responsiveness(org, seeker, terraform):
    expert(org, terraform, 3)
    (suggestion,) = suggest_mentors(seeker=seeker, skills=[terraform])
    factors = {f.key: f for f in suggestion.factors}

    assert 0.2 < factors["competence"].value < 0.8
    assert 0.2 < factors["responsiveness"].value < 0.8
    assert "typical" in factors["responsiveness"].detail


def test_working_hours_overlap_lifts_the_mentor_who_works_at_the_same_time(org, seeker, terraform):
    profile_update(user=seeker, timezone="Europe/Berlin", working_hours=wh.DEFAULT_WORKING_HOURS)
    near = expert(org, terraform, 4, full_name="Near")
    far = expert(org, terraform, 4, full_name="Far")
    profile_update(user=near, timezone="Europe/Paris", working_hours=wh.DEFAULT_WORKING_HOURS)
    profile_update(user=far, timezone="Pacific/Auckland", working_hours=wh.DEFAULT_WORKING_HOURS)

    suggestions = suggest_mentors(seeker=seeker, skills=[terraform])

    assert names(suggestions) == ["Near", "Far"]
    assert suggestions[0].overlap_hours == 40
    assert suggestions[1].overlap_hours < 10


def test_text_of_the_need_ranks_the_mentor_whose_profile_talks_about_it(org, seeker, terraform):
    plain = expert(org, terraform, 4, full_name="Plain")
    modules = expert(org, terraform, 4, full_name="Modules")
    profile_update(user=modules, headline="Writes reusable Terraform modules for AWS")
    profile_update(user=plain, headline="Backend developer")

    suggestions = suggest_mentors(seeker=seeker, skills=[terraform], need_text="reusable modules on AWS")

    assert names(suggestions) == ["Modules", "Plain"]


def test_without_skills_the_need_text_finds_skills_it_names_and_matching_profiles(org, seeker):
    kubernetes = SkillFactory(organization=org, name="Kubernetes")
    k8s = expert(org, kubernetes, 5, full_name="Kube Expert")
    writer = mentor(org, full_name="Helm Writer")
    profile_update(user=writer, headline="I write helm charts")
    expert(org, SkillFactory(organization=org, name="Go"), 5, full_name="Gopher")

    by_skill = suggest_mentors(seeker=seeker, skills=[], need_text="Our kubernetes cluster keeps failing")
    by_text = suggest_mentors(seeker=seeker, skills=[], need_text="helm charts")

    assert names(by_skill) == ["Kube Expert"]
    assert by_skill[0].skill_levels == [("Kubernetes", 5)]
    assert names(by_text) == ["Helm Writer"]
    assert k8s not in [s.user for s in by_text]


def test_a_short_alias_in_the_need_text_names_its_skill(org, seeker):
    from accounts.models import SkillAlias

    terraform = SkillFactory(organization=org, name="Terraform")
    SkillAlias.objects.create(organization=org, skill=terraform, name="tf")  # two letters: once dropped
    expert(org, terraform, 4, full_name="Terra Expert")
    expert(org, SkillFactory(organization=org, name="Kubernetes"), 5, full_name="Kube Expert")

    suggestions = suggest_mentors(seeker=seeker, skills=[], need_text="tf plans scare me")

    assert names(suggestions) == ["Terra Expert"]
    assert suggestions[0].skill_levels == [("Terraform", 4)]


def test_work_style_compatibility_tables():
    same = {"work_mode": "async", "cadence": "weekly", "feedback_style": "direct"}
    opposite = {"work_mode": "live", "cadence": "daily", "feedback_style": "gentle"}

    assert work_style_fit(same, same)[0] == 1.0
    value, detail = work_style_fit(same, opposite)
    assert value == pytest.approx(0.1)
    assert "work mode" in detail and "cadence" in detail and "feedback style" in detail


def test_need_tokens_drop_stop_words_short_words_and_duplicates():
    assert need_tokens("I need help with the Terraform terraform module in C#") == ["terraform", "module"]


# --- hard filters --------------------------------------------------------------------------


def test_hard_filters_exclude_away_full_self_other_workspace_closed_inactive_and_excluded(
    org, other_org, seeker, terraform
):
    good = expert(org, terraform, 3, full_name="Good")
    expert(org, terraform, 5, full_name="Away", away=True)
    full = expert(org, terraform, 5, full_name="Full", capacity=1)
    pair_engagement(org, mentor_user=full)
    expert(org, terraform, 5, full_name="Zero capacity", capacity=0)
    expert(org, terraform, 5, full_name="Not open", open_to_mentor=False)
    gone = expert(org, terraform, 5, full_name="Gone")
    Membership.objects.filter(user=gone).update(is_active=False)
    excluded = expert(org, terraform, 5, full_name="Excluded")
    ExpertiseFactory(user=seeker, skill=terraform, level=5)
    Profile.objects.filter(user=seeker).update(open_to_mentor=True)
    outsider = mentor(other_org, full_name="Outsider")
    ExpertiseFactory(user=outsider, skill=SkillFactory(organization=other_org, name="Terraform"), level=5)

    suggestions = suggest_mentors(seeker=seeker, skills=[terraform], exclude_user_ids=[excluded.pk])

    assert [s.user for s in suggestions] == [good]


def test_wrapping_up_engagements_do_not_count_against_capacity(org, seeker, terraform):
    busy = expert(org, terraform, 4, full_name="Busy", capacity=1)
    engagement = pair_engagement(org, mentor_user=busy)
    engagement.state = "wrapping_up"
    engagement.ended_at = clock.now()
    engagement.save(update_fields=["state", "ended_at"])

    assert names(suggest_mentors(seeker=seeker, skills=[terraform])) == ["Busy"]


def test_people_without_expertise_in_the_requested_skills_are_not_candidates(org, seeker, terraform):
    expert(org, SkillFactory(organization=org, name="Rust"), 5, full_name="Rustacean")
    assert suggest_mentors(seeker=seeker, skills=[terraform], need_text="terraform") == []


def test_suggestions_for_a_request_leave_out_mentors_already_invited(org, seeker, terraform):
    ana = expert(org, terraform, 5, full_name="Ana")
    expert(org, terraform, 4, full_name="Ben")
    need = request_create(seeker=seeker, title="Terraform module", skill_ids=[terraform.pk])
    invitations_send(seeker=seeker, request_id=need.pk, mentors=[ana])

    assert names(suggestions_for_request(seeker=seeker, request=need)) == ["Ben"]


def test_skills_from_another_workspace_are_refused(org, other_org, seeker):
    foreign = SkillFactory(organization=other_org, name="Terraform")
    with pytest.raises(ValidationFailed) as error:
        suggest_mentors(seeker=seeker, skills=[foreign])
    assert "skills" in error.value.fields


def test_limit_cuts_the_list_after_ranking(org, seeker, terraform):
    for level in (1, 2, 3, 4, 5):
        expert(org, terraform, level, full_name=f"Level {level}")

    assert names(suggest_mentors(seeker=seeker, skills=[terraform], limit=2)) == ["Level 5", "Level 4"]


# --- cost ----------------------------------------------------------------------------------


def _count_queries(**kwargs) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        found = suggest_mentors(**kwargs)
    return len(captured.captured_queries), len(found)


def test_query_count_does_not_grow_with_the_number_of_candidates(org, seeker, terraform, python_skill):
    def add_mentors(n):
        for _ in range(n):
            user = expert(org, terraform, 4)
            ExpertiseFactory(user=user, skill=python_skill, level=2)
            pair_engagement(org, mentor_user=user)

    add_mentors(2)
    few_queries, few = _count_queries(seeker=seeker, skills=[terraform, python_skill], need_text="modules")
    add_mentors(8)
    many_queries, many = _count_queries(seeker=seeker, skills=[terraform, python_skill], need_text="modules")

    assert (few, many) == (2, 10)
    assert few_queries == many_queries
    # the seeker with the workspace priors, the candidates (the strongest experts are a
    # UNION subquery on PostgreSQL, one small query per skill on SQLite), their levels
    assert few_queries <= 3 + 2
