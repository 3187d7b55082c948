"""Disputes: the subject of an evidence item challenges it, a talent manager decides.

A dispute moves only through ``DISPUTE_MOVES`` (open → upheld | rejected), on a locked
row, with an audit row per step. Upholding voids the item (``trust.services.voids``),
so it stops counting in the subject's scores.
"""

from django.db import IntegrityError, transaction

from accounts.access import active_membership, is_talent_manager
from accounts.audit import audit_record
from core import clock
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.transitions import StateMachine
from trust.models import TrustDispute, TrustEvent
from trust.services.voids import void_event

DISPUTE_MOVES = StateMachine(
    TrustDispute.State,
    {
        TrustDispute.State.OPEN: {TrustDispute.State.UPHELD, TrustDispute.State.REJECTED},
        TrustDispute.State.UPHELD: set(),
        TrustDispute.State.REJECTED: set(),
    },
    noun="dispute",
)


def access_own_event(user, event_id) -> TrustEvent:
    """A live evidence item about ``user``; the same NotFound for missing and not-yours."""
    try:
        event_id = int(event_id)
    except (TypeError, ValueError):
        raise NotFound("No such evidence item.") from None
    event = TrustEvent.objects.live().filter(pk=event_id, subject_id=user.pk).first()
    if event is None:
        raise NotFound("No such evidence item.", fields={"event": ["No such evidence item about you."]})
    return event


def dispute_raise(*, user, event_id, reason: str) -> TrustDispute:
    """The subject of an evidence item disputes it. One open dispute per item."""
    event = access_own_event(user, event_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Say why this evidence is wrong.",
            fields={"reason": ["A reason is required to dispute evidence."]},
        )
    if len(reason) > 2000:
        raise ValidationFailed(
            "The reason is too long.", fields={"reason": ["Keep it under 2000 characters."]}
        )
    with transaction.atomic():
        if TrustDispute.objects.filter(event=event, state=TrustDispute.State.OPEN).exists():
            raise Conflict(
                "This evidence is already disputed; wait for the decision.",
                fields={"event": ["A dispute on this item is open."]},
            )
        try:
            with transaction.atomic():
                dispute = TrustDispute.objects.create(
                    organization_id=event.organization_id, event=event, raised_by=user, reason=reason
                )
        except IntegrityError:
            raise Conflict(
                "This evidence is already disputed.", fields={"event": ["Already disputed."]}
            ) from None
        audit_record(
            organization_id=event.organization_id,
            actor=user,
            action="trust.dispute_raised",
            target=dispute,
            target_type="trust_dispute",
            details={"event": event.pk},
        )
    return dispute


def access_dispute_for_manager(manager, dispute_id) -> TrustDispute:
    """A dispute of the talent manager's workspace; the same NotFound for missing and
    not-yours, PermissionDenied for anyone but a talent manager."""
    membership = active_membership(manager)
    if not is_talent_manager(membership):
        raise PermissionDenied("Only talent managers decide disputes.")
    try:
        dispute_id = int(dispute_id)
    except (TypeError, ValueError):
        raise NotFound("No such dispute.") from None
    dispute = (
        TrustDispute.objects.select_related("event")
        .filter(pk=dispute_id, organization_id=membership.organization_id)
        .first()
    )
    if dispute is None:
        raise NotFound("No such dispute.")
    return dispute


def dispute_decide(*, manager, dispute_id, decision: str, note: str) -> TrustDispute:
    """A talent manager upholds (evidence voided, score recomputed) or rejects a dispute.

    Moves through ``DISPUTE_MOVES`` only, on the locked row; audited; the note is shown
    to the subject."""
    dispute = access_dispute_for_manager(manager, dispute_id)
    if dispute.raised_by_id == manager.pk or dispute.event.actor_id == manager.pk:
        raise PermissionDenied("Another talent manager must decide a dispute you are part of.")
    errors = {}
    if decision not in DISPUTE_MOVES.allowed(TrustDispute.State.OPEN):
        errors["decision"] = ['Decide "upheld" or "rejected".']
    note = (note or "").strip()
    if not note:
        errors["note"] = ["Explain the decision; the person who disputed will read it."]
    elif len(note) > 2000:
        errors["note"] = ["Keep it under 2000 characters."]
    if errors:
        raise ValidationFailed("The decision is incomplete.", fields=errors)
    with transaction.atomic():
        dispute = TrustDispute.objects.select_for_update().get(pk=dispute.pk)
        if not DISPUTE_MOVES.can_move(dispute.state, decision):
            raise Conflict(
                f"This dispute was already {dispute.state}.", fields={"decision": ["Already decided."]}
            )
        if decision == TrustDispute.State.UPHELD:
            void_event(event=dispute.event, reason=f"Dispute upheld: {note}", voided_by=manager)
        DISPUTE_MOVES.move(dispute, decision)
        dispute.decided_by = manager
        dispute.decision_note = note
        dispute.decided_at = clock.now()
        dispute.save(update_fields=["state", "decided_by", "decision_note", "decided_at"])
        audit_record(
            organization_id=dispute.organization_id,
            actor=manager,
            action=f"trust.dispute_{decision}",
            target=dispute,
            target_type="trust_dispute",
            details={"event": dispute.event_id},
        )
    return dispute
