"""The explicit maps of allowed moves of requests, invitations and commitments (the
engagement's map is pinned in test_engagements), and that the services move states
only along them."""

from datetime import timedelta

import pytest

from core import clock
from core.errors import Conflict
from mentoring.engagements.services.commitments import COMMITMENT_MOVES, commitment_release
from mentoring.engagements.services.invitations import INVITATION_MOVES
from mentoring.engagements.services.requests import REQUEST_MOVES
from mentoring.models import Commitment, Invitation, MentoringRequest
from tests.mentoring.factories import CommitmentFactory, pair_engagement


def moves(machine) -> list[tuple[str, str]]:
    return sorted((source, target) for source, targets in machine.moves.items() for target in targets)


def test_a_request_is_invited_once_and_ends_matched_exhausted_or_cancelled():
    assert moves(REQUEST_MOVES) == [
        ("inviting", "cancelled"),
        ("inviting", "exhausted"),
        ("inviting", "matched"),
        ("open", "cancelled"),
        ("open", "inviting"),
    ]
    for final in ("matched", "exhausted", "cancelled"):
        assert REQUEST_MOVES.allowed(final) == frozenset()


def test_an_invitation_waits_is_answered_or_ends_and_never_comes_back():
    assert moves(INVITATION_MOVES) == [
        ("clarifying", "expired"),
        ("clarifying", "pending"),
        ("clarifying", "withdrawn"),
        ("pending", "accepted"),
        ("pending", "clarifying"),
        ("pending", "declined"),
        ("pending", "expired"),
        ("pending", "withdrawn"),
        ("queued", "pending"),
        ("queued", "withdrawn"),
    ]
    for final in ("accepted", "declined", "expired", "withdrawn"):
        assert INVITATION_MOVES.allowed(final) == frozenset()


def test_a_commitment_is_decided_once():
    assert moves(COMMITMENT_MOVES) == [("open", "kept"), ("open", "missed"), ("open", "released")]


def test_a_move_off_the_map_is_a_conflict_that_names_the_allowed_moves():
    request = MentoringRequest(state=MentoringRequest.State.MATCHED)

    with pytest.raises(Conflict) as caught:
        REQUEST_MOVES.move(request, MentoringRequest.State.INVITING)

    assert request.state == MentoringRequest.State.MATCHED
    assert caught.value.fields == {"state": ["Allowed from matched: nothing (it is final)."]}


def test_each_invitation_state_the_model_knows_has_a_row_in_the_map():
    assert set(INVITATION_MOVES.moves) == set(Invitation.State.values)
    assert set(COMMITMENT_MOVES.moves) == set(Commitment.State.values)


@pytest.mark.django_db
def test_a_released_commitment_stays_released(org, seeker, ana):
    engagement = pair_engagement(org, seeker=seeker, mentor_user=ana)
    commitment = CommitmentFactory(engagement=engagement, owner=ana, due_at=clock.now() + timedelta(days=1))
    commitment_release(actor=ana, commitment_id=commitment.pk)

    with pytest.raises(Conflict):
        commitment_release(actor=ana, commitment_id=commitment.pk)
    commitment.refresh_from_db()
    assert commitment.state == Commitment.State.RELEASED
