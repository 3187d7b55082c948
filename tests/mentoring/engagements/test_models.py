"""The invariants the database itself enforces, whatever code writes the rows."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from core import clock
from mentoring.models import Commitment, Engagement, Feedback, Invitation, Participant
from tests.factories import member
from tests.mentoring.factories import (
    CommitmentFactory,
    EngagementFactory,
    MentoringRequestFactory,
    ProgramFactory,
    mentor,
    pair_engagement,
)

pytestmark = pytest.mark.django_db


def violates(make) -> bool:
    try:
        with transaction.atomic():
            make()
    except IntegrityError:
        return True
    return False


def test_an_engagement_must_end_after_it_starts(org):
    start = clock.now()

    assert violates(lambda: EngagementFactory(organization=org, starts_at=start, ends_at=start))
    assert not violates(
        lambda: EngagementFactory(organization=org, starts_at=start, ends_at=start + timedelta(1))
    )


def test_an_ended_engagement_records_when_and_an_extension_records_why(org):
    assert violates(lambda: EngagementFactory(organization=org, state="completed", ended_at=None))
    assert violates(lambda: EngagementFactory(organization=org, extended_once=True, extension_reason=""))
    assert violates(lambda: EngagementFactory(organization=org, state="paused"))


def test_a_request_has_at_most_one_live_invitation_and_unique_ranks_and_mentors(org):
    request = MentoringRequestFactory(organization=org, seeker=member(org))
    first, second, third = (mentor(org) for _ in range(3))
    now = clock.now()
    live = {"state": "pending", "sent_at": now, "expires_at": now + timedelta(hours=1)}
    Invitation.objects.create(request=request, mentor=first, rank=1, **live)

    assert violates(lambda: Invitation.objects.create(request=request, mentor=second, rank=2, **live))
    assert violates(lambda: Invitation.objects.create(request=request, mentor=second, rank=1))
    assert violates(lambda: Invitation.objects.create(request=request, mentor=first, rank=2))
    assert violates(lambda: Invitation.objects.create(request=request, mentor=third, rank=4))
    assert violates(lambda: Invitation.objects.create(request=request, mentor=third, rank=3, state="pending"))
    Invitation.objects.create(request=request, mentor=second, rank=2)
    assert request.invitations.count() == 2


def test_a_person_is_in_an_engagement_once_at_a_time_but_may_rejoin(org):
    engagement = pair_engagement(org)
    person = engagement.participants.first().user

    assert violates(lambda: Participant.objects.create(engagement=engagement, user=person, role="seeker"))
    Participant.objects.filter(engagement=engagement, user=person).update(left_at=clock.now())
    Participant.objects.create(engagement=engagement, user=person, role="seeker")
    assert engagement.participants.filter(user=person).count() == 2


def test_nobody_confirms_their_own_commitment_and_decisions_are_complete(org):
    engagement = pair_engagement(org)
    owner = engagement.participants.first().user
    other = engagement.participants.last().user
    at = clock.now()

    assert violates(
        lambda: CommitmentFactory(
            engagement=engagement, owner=owner, state="kept", confirmed_by=owner, decided_at=at
        )
    )
    assert violates(
        lambda: CommitmentFactory(engagement=engagement, owner=owner, state="kept", decided_at=at)
    )
    assert violates(
        lambda: CommitmentFactory(engagement=engagement, owner=owner, state="missed", confirmed_by=other)
    )
    CommitmentFactory(engagement=engagement, owner=owner, state="kept", confirmed_by=other, decided_at=at)
    assert Commitment.objects.count() == 1


def test_feedback_is_once_per_pair_never_about_oneself_and_ratings_are_1_to_5(org):
    engagement = pair_engagement(org, state="wrapping_up", ended_at=clock.now())
    rater, ratee = (p.user for p in engagement.participants.all())
    fields = {"respectful": True, "honest": True, "would_work_again": True}

    def give(**overrides):
        values = {"competence": 4, "responsiveness": 4, **fields, **overrides}
        return Feedback.objects.create(engagement=engagement, **values)

    assert violates(lambda: give(rater=rater, ratee=rater))
    assert violates(lambda: give(rater=rater, ratee=ratee, competence=6))
    assert violates(lambda: give(rater=rater, ratee=ratee, responsiveness=0))
    give(rater=rater, ratee=ratee)
    assert violates(lambda: give(rater=rater, ratee=ratee))
    give(rater=ratee, ratee=rater)
    assert Feedback.objects.count() == 2


def test_program_dates_and_durations_are_checked(org):
    today = clock.now().date()

    assert violates(
        lambda: ProgramFactory(organization=org, starts_on=today, ends_on=today - timedelta(days=1))
    )
    assert violates(lambda: ProgramFactory(organization=org, default_duration_days=0))
    assert violates(lambda: ProgramFactory(organization=org, default_duration_days=400))
    ProgramFactory(organization=org, name="Cohort", starts_on=today, ends_on=today)
    assert violates(lambda: ProgramFactory(organization=org, name="Cohort"))


def test_an_audit_row_always_records_a_move(org):
    engagement = EngagementFactory(organization=org)

    assert violates(lambda: engagement.transitions.create(from_state="active", to_state="active"))
    assert Engagement.objects.get(pk=engagement.pk).transitions.count() == 1
