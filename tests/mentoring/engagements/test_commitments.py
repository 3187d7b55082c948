from datetime import timedelta

import pytest

from core import clock
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mentoring.engagements.services.commitments import (
    commitment_confirm,
    commitment_record,
    commitment_release,
)
from mentoring.engagements.tasks import prompt_overdue_commitments
from mentoring.models import Commitment
from tests.factories import member
from tests.mentoring.factories import pair_engagement
from trust.models import TrustEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def engagement(org, seeker, ana):
    return pair_engagement(org, seeker=seeker, mentor_user=ana, active=False)


def integrity_of(user) -> list[tuple[float, int]]:
    return list(
        TrustEvent.objects.filter(subject=user, dimension="integrity", source_kind="commitment").values_list(
            "outcome", "actor"
        )
    )


def in_days(days: float):
    return clock.now() + timedelta(days=days)


def test_a_participant_records_a_commitment_and_the_engagement_counts_as_engaged(engagement, ana):
    commitment = commitment_record(
        actor=ana, engagement_id=engagement.pk, text="I'll review your module by Friday", due_at=in_days(3)
    )

    engagement.refresh_from_db()
    assert (commitment.owner, commitment.state) == (ana, Commitment.State.OPEN)
    assert engagement.last_activity_at is not None


@pytest.mark.parametrize(
    ("text", "days", "field"),
    [("", 3, "text"), ("x" * 501, 3, "text"), ("Review", -1, "due_at"), ("Review", 20, "due_at")],
)
def test_bad_commitments_name_the_field_and_save_nothing(engagement, ana, text, days, field):
    with pytest.raises(ValidationFailed) as caught:
        commitment_record(actor=ana, engagement_id=engagement.pk, text=text, due_at=in_days(days))

    assert field in caught.value.fields
    assert not Commitment.objects.exists()
    engagement.refresh_from_db()
    assert engagement.last_activity_at is None


def test_a_non_participant_cannot_record_and_gets_not_found(engagement, org):
    with pytest.raises(NotFound):
        commitment_record(actor=member(org), engagement_id=engagement.pk, text="Sneak", due_at=in_days(1))
    assert not Commitment.objects.exists()


def test_the_counterpart_confirms_kept_and_the_owner_gains_integrity_evidence(
    engagement, ana, seeker, mailoutbox, django_capture_on_commit_callbacks
):
    commitment = commitment_record(actor=ana, engagement_id=engagement.pk, text="Review", due_at=in_days(2))

    with django_capture_on_commit_callbacks(execute=True):
        commitment_confirm(actor=seeker, commitment_id=commitment.pk, kept=True)

    commitment.refresh_from_db()
    assert (commitment.state, commitment.confirmed_by) == (Commitment.State.KEPT, seeker)
    assert commitment.decided_at is not None
    assert integrity_of(ana) == [(1.0, seeker.pk)]
    assert mailoutbox[-1].to == [ana.email]


def test_a_missed_commitment_is_integrity_zero_and_only_after_it_is_due(engagement, ana, seeker):
    commitment = commitment_record(actor=ana, engagement_id=engagement.pk, text="Review", due_at=in_days(2))

    with pytest.raises(ValidationFailed) as caught:
        commitment_confirm(actor=seeker, commitment_id=commitment.pk, kept=False)
    assert "kept" in caught.value.fields

    with clock.travel_by(timedelta(days=2, minutes=1)):
        commitment_confirm(actor=seeker, commitment_id=commitment.pk, kept=False)

    commitment.refresh_from_db()
    assert commitment.state == Commitment.State.MISSED
    assert integrity_of(ana) == [(0.0, seeker.pk)]


def test_confirming_your_own_commitment_is_permission_denied(engagement, ana):
    commitment = commitment_record(actor=ana, engagement_id=engagement.pk, text="Review", due_at=in_days(2))

    with pytest.raises(PermissionDenied) as caught:
        commitment_confirm(actor=ana, commitment_id=commitment.pk, kept=True)

    assert "own commitment" in caught.value.message
    commitment.refresh_from_db()
    assert commitment.state == Commitment.State.OPEN
    assert commitment.confirmed_by is None
    assert integrity_of(ana) == []


def test_outsiders_cannot_confirm_and_a_decided_commitment_stays_decided(engagement, ana, seeker, org):
    commitment = commitment_record(actor=ana, engagement_id=engagement.pk, text="Review", due_at=in_days(2))

    with pytest.raises(NotFound):
        commitment_confirm(actor=member(org), commitment_id=commitment.pk, kept=True)
    with pytest.raises(NotFound):
        commitment_confirm(actor=seeker, commitment_id=424242, kept=True)
    commitment_confirm(actor=seeker, commitment_id=commitment.pk, kept=True)
    with pytest.raises(Conflict):
        commitment_confirm(actor=seeker, commitment_id=commitment.pk, kept=True)
    assert integrity_of(ana) == [(1.0, seeker.pk)]


def test_the_owner_releases_before_the_due_time_only(engagement, ana, seeker):
    early = commitment_record(actor=ana, engagement_id=engagement.pk, text="Draft", due_at=in_days(1))
    late = commitment_record(actor=ana, engagement_id=engagement.pk, text="Review", due_at=in_days(2))

    with pytest.raises(PermissionDenied):
        commitment_release(actor=seeker, commitment_id=early.pk)
    commitment_release(actor=ana, commitment_id=early.pk, reason="Plan changed")
    with clock.travel_by(timedelta(days=3)), pytest.raises(Conflict):
        commitment_release(actor=ana, commitment_id=late.pk)

    early.refresh_from_db()
    late.refresh_from_db()
    assert (early.state, late.state) == (Commitment.State.RELEASED, Commitment.State.OPEN)
    assert integrity_of(ana) == []


def test_overdue_commitments_prompt_the_counterpart_once(
    engagement, ana, seeker, mailoutbox, django_capture_on_commit_callbacks
):
    commitment = commitment_record(actor=ana, engagement_id=engagement.pk, text="Review", due_at=in_days(1))

    with django_capture_on_commit_callbacks(execute=True):
        assert prompt_overdue_commitments() == 0
        with clock.travel_by(timedelta(days=1, minutes=5)):
            assert prompt_overdue_commitments() == 1
            assert prompt_overdue_commitments() == 0

    commitment.refresh_from_db()
    assert commitment.overdue_prompted_at is not None
    assert [m.to for m in mailoutbox] == [[seeker.email]]
    assert "keep their commitment" in mailoutbox[0].subject


def test_commitments_cannot_be_recorded_after_the_engagement_ended(org, seeker, ana):
    ended = pair_engagement(org, seeker=seeker, mentor_user=ana, state="wrapping_up", ended_at=clock.now())

    with pytest.raises(Conflict):
        commitment_record(actor=ana, engagement_id=ended.pk, text="Late promise", due_at=in_days(1))
    assert not Commitment.objects.exists()


def test_a_commitment_confirmed_on_the_spot_weighs_less_than_one_confirmed_after_a_day():
    from mentoring.engagements.evidence import MIN_VERIFIABILITY, commitment_verifiability

    class Row:
        def __init__(self, created, due, decided):
            self.created_at, self.due_at, self.decided_at = created, due, decided

    now = clock.now()
    assert commitment_verifiability(Row(now, now + timedelta(days=3), now)) == MIN_VERIFIABILITY
    assert commitment_verifiability(Row(now, now + timedelta(days=3), now + timedelta(hours=12))) == 0.5
    assert commitment_verifiability(Row(now, now + timedelta(days=3), now + timedelta(days=1))) == 1.0
    # due in two hours and confirmed after the due time: fully verifiable
    assert commitment_verifiability(Row(now, now + timedelta(hours=2), now + timedelta(hours=3))) == 1.0
