"""Voids: a compensating ledger record cancels an event (the ledger is append-only).

``void_event`` is the dispute flow's way to make evidence stop counting; the
reciprocal-praise rule (``trust.services.evidence``) appends voids through
``append_void`` inside its own transaction.
"""

from django.db import transaction

from core import clock
from core.errors import Conflict, ValidationFailed
from trust.models import TrustEvent
from trust.services.recompute import refresh_keys
from trust.services.scheduling import lock_subjects, schedule_recompute


def append_void(event: TrustEvent, *, reason: str, voided_by) -> TrustEvent:
    """Append the void record of ``event`` and schedule the subject's recompute. The caller
    holds the subject's lock in its transaction and refreshes the key's tally."""
    void = TrustEvent.objects.create(
        organization_id=event.organization_id,
        subject_id=event.subject_id,
        actor=None,
        dimension=event.dimension,
        skill_id=event.skill_id,
        outcome=event.outcome,
        weight=event.weight,
        base_weight=event.base_weight,
        source_kind="void",
        source_id=str(event.pk),
        occurred_at=event.occurred_at,
        recorded_at=clock.now(),
        voids=event,
        void_reason=reason,
        voided_by=voided_by,
    )
    schedule_recompute(event.subject_id)
    return void


def void_event(*, event: TrustEvent, reason: str, voided_by) -> TrustEvent:
    """Cancel ``event`` with a compensating record. Only the dispute flow calls this."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Voiding evidence needs a reason.", fields={"reason": ["Say why this evidence no longer counts."]}
        )
    with transaction.atomic():
        lock_subjects(event.subject_id)
        if event.voids_id is not None:
            raise ValidationFailed(
                "A void record cannot itself be voided.", fields={"event": ["Choose an evidence item."]}
            )
        if TrustEvent.objects.filter(voids_id=event.pk).exists():
            raise Conflict("This evidence was already voided.", fields={"event": ["Already voided."]})
        void = append_void(event, reason=reason, voided_by=voided_by)
        refresh_keys({(event.subject_id, event.dimension, event.skill_key)})
        return void


def rerecord_damped(
    event: TrustEvent,
    *,
    factor: float,
    note: str,
    reason: str,
    reciprocal=False,
    pair_share: float | None = None,
    replaces: str | None = None,
    in_pattern: bool = False,
) -> TrustEvent:
    """Void ``event`` and append the same fact with its weight × ``factor`` (the next
    revision): how a defence that learns something later damps earlier evidence while the
    ledger stays append-only. ``pair_share``: the piece's new share of its pair's budget
    (``factor`` moves it there); ``replaces``: the note fragment ``note`` takes the place of
    (the pair's earlier share), instead of being appended; ``in_pattern``: the damping is a
    suspicious pattern's. The caller holds the subject's lock and refreshes the key."""
    append_void(event, reason=reason, voided_by=None)
    kept = [part for part in (event.weight_note or "").split("; ") if part]
    if replaces is not None:
        kept = [part for part in kept if replaces not in part]
    earlier = "; ".join(kept) + "; " if kept else ""
    return TrustEvent.objects.create(
        organization_id=event.organization_id,
        subject_id=event.subject_id,
        actor_id=event.actor_id,
        dimension=event.dimension,
        skill_id=event.skill_id,
        outcome=event.outcome,
        stated_outcome=event.stated_outcome,
        weight=max(event.weight * factor, 1e-9),
        base_weight=event.base_weight,
        weight_note=(earlier + note)[:200],
        pair_share=event.pair_share if pair_share is None else pair_share,
        in_pattern=event.in_pattern or in_pattern,
        reciprocal_discounted=event.reciprocal_discounted or reciprocal,
        source_kind=event.source_kind,
        source_id=event.source_id,
        revision=event.revision + 1,
        occurred_at=event.occurred_at,
        recorded_at=clock.now(),
    )
