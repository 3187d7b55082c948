"""Explanations in plain words; newcomers are "new", never "low"."""

from datetime import timedelta

import pytest

from core import clock
from tests.factories import SkillFactory, member
from tests.trust.factories import observe, rate
from tests.trust.shared_sources import TEST_KIND, shared_context
from trust import params, selectors
from trust.explain import NEWCOMER_HEADLINE, explain_subject
from trust.services.evidence import record_evidence
from trust.services.recompute import recompute_subject

pytestmark = pytest.mark.django_db


def by_title(explanations):
    return {e.title: e for e in explanations}


def test_a_newcomer_reads_new_building_a_track_record_never_a_low_score(bob):
    observe(bob, outcome=0.0)
    recompute_subject(bob.pk)
    for explanation in explain_subject(bob):
        assert explanation.is_new
        assert explanation.headline == NEWCOMER_HEADLINE
        assert "%" not in explanation.headline


def test_commitments_are_summarised_as_kept_n_of_m_in_the_last_90_days(bob):
    for i in range(12):
        observe(
            bob,
            dimension="integrity",
            outcome=0.0 if i == 0 else 1.0,
            occurred_at=clock.now() - timedelta(days=i),
        )
    recompute_subject(bob.pk)
    integrity = by_title(explain_subject(bob))["Integrity"]
    assert not integrity.is_new
    assert integrity.contributions[0] == "Kept 11 of 12 commitments in the last 90 days"
    assert integrity.evidence_count == 12
    assert integrity.lower < integrity.mean < integrity.upper
    assert integrity.headline.endswith(f"{integrity.mean}%")


def test_competence_is_explained_per_skill_with_the_skill_named(org, alice, bob, skill):
    from trust import sources

    sources.register_source(
        "test.answer",
        participants=lambda sid: {alice.pk, bob.pk},
        summary=sources.DEFAULT_PHRASES["answer.accepted"][0],
    )
    try:
        for i in range(9):
            record_evidence(
                subject=bob,
                actor=None,
                dimension="competence",
                skill=skill,
                outcome=1.0 if i < 7 else 0.3,
                source_kind="test.answer",
                source_id=f"q{i}",
            )
        recompute_subject(bob.pk)
        python = by_title(explain_subject(bob))["Competence in Python"]
        assert python.contributions[0] == "Answers in Python accepted 7 of 9 times in the last 90 days"
    finally:
        sources.unregister_source("test.answer")


def test_distinct_raters_are_counted_and_names_never_appear(org, bob):
    raters = [member(org, full_name=f"Rater Number{i}") for i in range(4)]
    for rater in raters:
        for _ in range(2):
            rate(rater, bob, dimension="responsiveness", outcome=1.0)
    recompute_subject(bob.pk)
    responsiveness = by_title(explain_subject(bob))["Responsiveness"]
    assert responsiveness.distinct_raters == 4
    assert responsiveness.evidence_count == 8
    text = " ".join(responsiveness.contributions + responsiveness.next_steps + [responsiveness.headline])
    assert "Number" not in text and "Rater" not in text


def test_the_trend_compares_with_30_and_90_days_ago(bob):
    now = clock.now()
    for days in range(100, 40, -5):
        observe(bob, dimension="integrity", outcome=0.0, occurred_at=now - timedelta(days=days))
    for days in range(20, 0, -2):
        observe(bob, dimension="integrity", outcome=1.0, occurred_at=now - timedelta(days=days))
    recompute_subject(bob.pk)
    trends = {t.days: t for t in by_title(explain_subject(bob))["Integrity"].trends}
    assert trends[30].delta_points > 0 and trends[30].text.startswith("Up ")
    assert trends[90].text.startswith("Up ")


def test_what_would_move_it_quantifies_one_more_piece_of_evidence(bob):
    for _ in range(6):
        observe(bob, dimension="integrity", outcome=1.0)
    recompute_subject(bob.pk)
    steps = by_title(explain_subject(bob))["Integrity"].next_steps
    assert steps[0].startswith("One more positive piece of evidence would move the ranking bound from")
    assert any("commitments" in step for step in steps)


def test_the_card_of_a_member_of_another_workspace_is_not_found(bob):
    from core.errors import NotFound

    outsider = member()
    with pytest.raises(NotFound):
        selectors.trust_card(outsider, bob.pk)


def test_the_card_shows_the_strongest_skills_first(org, alice, bob, skill):
    weak = SkillFactory(organization=org, name="Cobol")
    for _ in range(5):
        record_evidence(
            subject=bob,
            actor=None,
            dimension="competence",
            skill=skill,
            outcome=1.0,
            source_kind=TEST_KIND,
            source_id=shared_context(bob),
        )
        record_evidence(
            subject=bob,
            actor=None,
            dimension="competence",
            skill=weak,
            outcome=0.2,
            source_kind=TEST_KIND,
            source_id=shared_context(bob),
        )
    recompute_subject(bob.pk)
    card = selectors.trust_card(alice, bob.pk)
    assert [c.skill_name for c in card.competence] == ["Python", "Cobol"]
    assert card.integrity.headline == NEWCOMER_HEADLINE
    assert params.NEWCOMER_EVIDENCE <= 5


def test_without_enough_evidence_the_card_says_how_the_signal_is_ranked(bob):
    observe(bob, outcome=1.0)
    recompute_subject(bob.pk)
    integrity = by_title(explain_subject(bob))["Integrity"]
    assert integrity.is_new and integrity.headline == NEWCOMER_HEADLINE
    assert any("never above or below them" in step for step in integrity.next_steps)
