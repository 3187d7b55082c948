"""Disputes: the subject challenges an item, a talent manager upholds or rejects it."""

import pytest

from accounts.models import AuditEntry
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tests.factories import OrganizationFactory, talent_manager
from tests.trust.factories import observe, rate
from trust import selectors
from trust.models import TrustDispute, TrustEvent, TrustScore
from trust.services.disputes import DISPUTE_MOVES, dispute_decide, dispute_raise


@pytest.mark.django_db
def test_a_dispute_on_someone_elses_evidence_is_not_found(alice, bob):
    event = rate(alice, bob)
    with pytest.raises(NotFound):
        dispute_raise(user=alice, event_id=event.pk, reason="not fair")
    with pytest.raises(NotFound):
        dispute_raise(user=alice, event_id=999999, reason="not fair")
    assert not TrustDispute.objects.exists()


@pytest.mark.django_db
def test_a_dispute_needs_a_reason(alice, bob):
    event = rate(alice, bob)
    with pytest.raises(ValidationFailed) as info:
        dispute_raise(user=bob, event_id=event.pk, reason="  ")
    assert "reason" in info.value.fields
    assert not TrustDispute.objects.exists()


@pytest.mark.django_db
def test_an_item_can_have_only_one_open_dispute(alice, bob):
    event = rate(alice, bob)
    dispute_raise(user=bob, event_id=event.pk, reason="I was on leave")
    with pytest.raises(Conflict):
        dispute_raise(user=bob, event_id=event.pk, reason="again")
    assert TrustDispute.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_upheld_dispute_voids_the_evidence_and_recomputes_the_score(alice, bob, manager):
    # given a bad rating dragged Bob's integrity down
    observe(bob, outcome=1.0)
    event = rate(alice, bob, outcome=0.0)
    before = TrustScore.objects.get(subject=bob, dimension="integrity")
    dispute = dispute_raise(user=bob, event_id=event.pk, reason="The meeting was cancelled by Alice.")
    # when a talent manager upholds it
    decided = dispute_decide(
        manager=manager, dispute_id=dispute.pk, decision="upheld", note="Calendar confirms it."
    )
    # then the item is voided by a compensating record and the score no longer counts it
    assert decided.state == "upheld" and decided.decided_by == manager and decided.decided_at
    void = TrustEvent.objects.get(voids=event)
    assert void.voided_by == manager and "Calendar confirms it." in void.void_reason
    after = TrustScore.objects.get(subject=bob, dimension="integrity")
    assert after.evidence_count == before.evidence_count - 1
    assert after.mean > before.mean
    # and both sides see the outcome
    assert next(iter(selectors.my_disputes(bob))).state == "upheld"
    assert (
        selectors.dispute_queue(manager, include_decided=True).get().decision_note == "Calendar confirms it."
    )
    assert set(AuditEntry.objects.filter(target_type="trust_dispute").values_list("action", flat=True)) == {
        "trust.dispute_raised",
        "trust.dispute_upheld",
    }


@pytest.mark.django_db
def test_a_rejected_dispute_changes_nothing_in_the_ledger(alice, bob, manager):
    event = rate(alice, bob, outcome=0.0)
    dispute = dispute_raise(user=bob, event_id=event.pk, reason="unfair")
    ledger = TrustEvent.objects.count()
    dispute_decide(manager=manager, dispute_id=dispute.pk, decision="rejected", note="Commitment was missed.")
    assert TrustEvent.objects.count() == ledger
    assert TrustEvent.objects.live().filter(pk=event.pk).exists()
    assert TrustDispute.objects.get().state == "rejected"
    assert AuditEntry.objects.filter(action="trust.dispute_rejected").exists()


@pytest.mark.django_db
def test_a_decided_dispute_cannot_be_decided_again(alice, bob, manager):
    event = rate(alice, bob, outcome=0.0)
    dispute = dispute_raise(user=bob, event_id=event.pk, reason="unfair")
    dispute_decide(manager=manager, dispute_id=dispute.pk, decision="rejected", note="No.")
    with pytest.raises(Conflict):
        dispute_decide(manager=manager, dispute_id=dispute.pk, decision="upheld", note="Changed my mind.")
    assert TrustEvent.objects.filter(voids__isnull=False).count() == 0


@pytest.mark.django_db
def test_deciding_needs_a_known_decision_and_a_note(alice, bob, manager):
    event = rate(alice, bob, outcome=0.0)
    dispute = dispute_raise(user=bob, event_id=event.pk, reason="unfair")
    with pytest.raises(ValidationFailed) as info:
        dispute_decide(manager=manager, dispute_id=dispute.pk, decision="maybe", note="")
    assert set(info.value.fields) == {"decision", "note"}
    assert TrustDispute.objects.get().state == "open"


@pytest.mark.django_db
def test_members_and_managers_of_other_workspaces_cannot_decide(alice, bob, carol):
    event = rate(alice, bob, outcome=0.0)
    dispute = dispute_raise(user=bob, event_id=event.pk, reason="unfair")
    with pytest.raises(PermissionDenied):
        dispute_decide(manager=carol, dispute_id=dispute.pk, decision="upheld", note="ok")
    with pytest.raises(NotFound):
        dispute_decide(
            manager=talent_manager(OrganizationFactory()), dispute_id=dispute.pk, decision="upheld", note="ok"
        )
    assert TrustDispute.objects.get().state == "open"


@pytest.mark.django_db
def test_a_manager_cannot_decide_a_dispute_about_their_own_rating(org, bob, manager):
    event = rate(manager, bob, outcome=0.0)
    dispute = dispute_raise(user=bob, event_id=event.pk, reason="unfair")
    with pytest.raises(PermissionDenied):
        dispute_decide(manager=manager, dispute_id=dispute.pk, decision="rejected", note="fine")
    other = talent_manager(org)
    assert (
        dispute_decide(manager=other, dispute_id=dispute.pk, decision="rejected", note="fine").state
        == "rejected"
    )


def test_a_dispute_moves_from_open_to_upheld_or_rejected_and_no_further():
    assert DISPUTE_MOVES.allowed(TrustDispute.State.OPEN) == {"upheld", "rejected"}
    assert DISPUTE_MOVES.allowed(TrustDispute.State.UPHELD) == frozenset()
    assert DISPUTE_MOVES.allowed(TrustDispute.State.REJECTED) == frozenset()


@pytest.mark.django_db
def test_every_step_of_a_dispute_is_audited_against_the_dispute(alice, bob, manager):
    event = rate(alice, bob, outcome=0.0)
    dispute = dispute_raise(user=bob, event_id=event.pk, reason="unfair")
    dispute_decide(manager=manager, dispute_id=dispute.pk, decision="rejected", note="It happened.")
    rows = AuditEntry.objects.filter(target_type="trust_dispute", target_id=str(dispute.pk))
    assert sorted(rows.values_list("action", "actor_id", "details")) == [
        ("trust.dispute_raised", bob.pk, {"event": event.pk}),
        ("trust.dispute_rejected", manager.pk, {"event": event.pk}),
    ]


@pytest.mark.django_db
def test_a_second_decision_names_the_state_it_found(alice, bob, manager):
    event = rate(alice, bob, outcome=0.0)
    dispute = dispute_raise(user=bob, event_id=event.pk, reason="unfair")
    dispute_decide(manager=manager, dispute_id=dispute.pk, decision="upheld", note="Yes.")
    with pytest.raises(Conflict) as info:
        dispute_decide(manager=manager, dispute_id=dispute.pk, decision="rejected", note="No.")
    assert info.value.message == "This dispute was already upheld."
    assert "decision" in info.value.fields
