from datetime import timedelta

import pytest

from core import clock
from core.errors import Conflict, NotFound, ValidationFailed
from mentoring.engagements.selectors import feedback_owed_by, feedback_revealed_about
from mentoring.engagements.services.engagements import group_engagement_create
from mentoring.engagements.services.feedback import feedback_submit
from mentoring.engagements.tasks import move_engagements, record_revealed_feedback
from mentoring.models import Engagement, Feedback
from tests.factories import member
from tests.mentoring.factories import pair_engagement
from trust.models import TrustEvent

pytestmark = pytest.mark.django_db

GOOD = {"competence": 5, "respectful": True, "honest": True, "responsiveness": 4, "would_work_again": True}


@pytest.fixture
def ended(org, seeker, ana, terraform, python_skill):
    engagement = pair_engagement(
        org, seeker=seeker, mentor_user=ana, state=Engagement.State.WRAPPING_UP, ended_at=clock.now()
    )
    engagement.skills.set([terraform, python_skill])
    return engagement


def evidence_about(user) -> list[tuple]:
    return sorted(
        TrustEvent.objects.filter(subject=user, source_kind="engagement.feedback").values_list(
            "dimension", "skill__name", "outcome", "actor"
        ),
        key=lambda row: (row[0], row[1] or ""),
    )


def test_feedback_stays_blind_and_out_of_the_ledger_until_both_sides_submitted(ended, seeker, ana, terraform):
    # given the seeker rated the mentor
    first = feedback_submit(
        rater=seeker, engagement_id=ended.pk, ratee=ana, private_note="Great reviews", **GOOD
    )

    # then the mentor sees nothing and no evidence exists yet
    assert list(feedback_revealed_about(ana)) == []
    assert evidence_about(ana) == []

    # when the mentor rates back, both are revealed and recorded
    feedback_submit(
        rater=ana,
        engagement_id=ended.pk,
        ratee=seeker,
        competence=3,
        respectful=True,
        honest=False,
        responsiveness=1,
        would_work_again=True,
    )
    assert list(feedback_revealed_about(ana)) == [first]
    assert evidence_about(ana) == [
        ("competence", "Python", 1.0, seeker.pk),
        ("competence", "Terraform", 1.0, seeker.pk),
        ("integrity", None, 1.0, seeker.pk),
        ("responsiveness", None, 0.75, seeker.pk),
    ]
    assert evidence_about(seeker) == [
        ("competence", "Python", 0.5, ana.pk),
        ("competence", "Terraform", 0.5, ana.pk),
        ("integrity", None, 0.5, ana.pk),
        ("responsiveness", None, 0.0, ana.pk),
    ]
    # and everyone rated everyone: the engagement completes
    ended.refresh_from_db()
    assert ended.state == Engagement.State.COMPLETED
    assert ended.transitions.last().reason == "everyone gave feedback"


def test_one_sided_feedback_is_revealed_and_recorded_seven_days_after_the_end(ended, seeker, ana):
    feedback = feedback_submit(rater=seeker, engagement_id=ended.pk, ratee=ana, **GOOD)

    with clock.travel_by(timedelta(days=6)):
        assert record_revealed_feedback() == 0
        assert list(feedback_revealed_about(ana)) == []
    with clock.travel_by(timedelta(days=7, minutes=1)):
        assert list(feedback_revealed_about(ana)) == [feedback]
        assert record_revealed_feedback() == 1
        assert record_revealed_feedback() == 0  # idempotent

    feedback.refresh_from_db()
    assert feedback.evidence_recorded_at is not None
    assert len(evidence_about(ana)) == 4
    assert evidence_about(seeker) == []


def test_a_second_feedback_for_the_same_person_is_a_conflict(ended, seeker, ana):
    feedback_submit(rater=seeker, engagement_id=ended.pk, ratee=ana, **GOOD)

    with pytest.raises(Conflict) as caught:
        feedback_submit(rater=seeker, engagement_id=ended.pk, ratee=ana, **{**GOOD, "competence": 1})

    assert caught.value.code == "feedback_exists"
    assert list(Feedback.objects.values_list("competence", flat=True)) == [5]


def test_feedback_before_the_engagement_ends_is_refused(org, seeker, ana):
    running = pair_engagement(org, seeker=seeker, mentor_user=ana)

    with pytest.raises(Conflict) as caught:
        feedback_submit(rater=seeker, engagement_id=running.pk, ratee=ana, **GOOD)

    assert caught.value.code == "feedback_not_open"
    assert not Feedback.objects.exists()


def test_feedback_on_a_cancelled_engagement_is_refused(org, seeker, ana):
    cancelled = pair_engagement(org, seeker=seeker, mentor_user=ana, state="cancelled", ended_at=clock.now())

    with pytest.raises(Conflict):
        feedback_submit(rater=seeker, engagement_id=cancelled.pk, ratee=ana, **GOOD)
    assert not Feedback.objects.exists()


def test_feedback_only_between_participants(ended, org, seeker, ana):
    outsider = member(org)

    with pytest.raises(NotFound):
        feedback_submit(rater=outsider, engagement_id=ended.pk, ratee=ana, **GOOD)
    with pytest.raises(ValidationFailed) as caught:
        feedback_submit(rater=seeker, engagement_id=ended.pk, ratee=outsider, **GOOD)
    assert "ratee" in caught.value.fields
    with pytest.raises(ValidationFailed):
        feedback_submit(rater=seeker, engagement_id=ended.pk, ratee=seeker, **GOOD)
    assert not Feedback.objects.exists()


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"competence": 0}, "competence"),
        ({"competence": 6}, "competence"),
        ({"responsiveness": "fast"}, "responsiveness"),
        ({"respectful": None}, "respectful"),
        ({"honest": "yes"}, "honest"),
        ({"would_work_again": 1}, "would_work_again"),
        ({"private_note": "x" * 2001}, "private_note"),
    ],
)
def test_bad_ratings_name_the_field_and_save_nothing(ended, seeker, ana, override, field):
    with pytest.raises(ValidationFailed) as caught:
        feedback_submit(rater=seeker, engagement_id=ended.pk, ratee=ana, **{**GOOD, **override})

    assert field in caught.value.fields
    assert not Feedback.objects.exists()


def test_in_a_group_the_engagement_completes_only_when_everyone_rated_everyone(
    org, manager, ana, ben, seeker
):
    group = group_engagement_create(actor=manager, title="Club", mentors=[ana], seekers=[ben, seeker])
    group.last_activity_at = clock.now()
    group.save(update_fields=["last_activity_at"])
    with clock.travel_by(timedelta(days=31)):
        move_engagements()
        pairs = [(a, b) for a in (ana, ben, seeker) for b in (ana, ben, seeker) if a != b]
        for rater, ratee in pairs[:-1]:
            feedback_submit(rater=rater, engagement_id=group.pk, ratee=ratee, **GOOD)
        group.refresh_from_db()
        assert group.state == Engagement.State.WRAPPING_UP
        assert feedback_owed_by(pairs[-1][0], group) == [pairs[-1][1]]
        feedback_submit(rater=pairs[-1][0], engagement_id=group.pk, ratee=pairs[-1][1], **GOOD)

    group.refresh_from_db()
    assert group.state == Engagement.State.COMPLETED
