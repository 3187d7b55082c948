"""Commitments: promises with a due time, confirmed kept or missed by a counterpart.

Kept and missed become integrity evidence for the owner. Overdue open
commitments prompt the counterparts once (beat, ``commitment_prompt_overdue``).
A commitment's state changes only through ``COMMITMENT_MOVES.move`` on its locked row.
"""

from datetime import datetime

from django.db import transaction

from core import clock
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.transitions import StateMachine
from mentoring.engagements import evidence
from mentoring.engagements.services.engagements import (
    engagement_link,
    engagement_touch,
    participant_engagement,
)
from mentoring.models import Commitment, Engagement, Participant
from messaging.notifications.notify import notify

TEXT_MAX = 500
DECIDABLE_STATES = (Engagement.State.ACTIVE, Engagement.State.WRAPPING_UP)

State = Commitment.State
# open → kept | missed (a counterpart decides) | released (the owner, before it is due)
COMMITMENT_MOVES = StateMachine(
    State,
    {
        State.OPEN: {State.KEPT, State.MISSED, State.RELEASED},
        State.KEPT: set(),
        State.MISSED: set(),
        State.RELEASED: set(),
    },
    noun="commitment",
)


def commitment_record(*, actor, engagement_id, text: str, due_at: datetime) -> Commitment:
    """An active participant records their own commitment in an active engagement,
    due in the future and no later than the engagement's end."""
    text = " ".join(str(text or "").split())
    if not text:
        raise ValidationFailed(
            "Say what you commit to.", fields={"text": ["For example “I'll review your module by Friday”."]}
        )
    if len(text) > TEXT_MAX:
        raise ValidationFailed(
            "The commitment is too long.",
            fields={"text": [f"Use at most {TEXT_MAX} characters ({len(text)})."]},
        )
    with transaction.atomic():
        engagement = participant_engagement(actor, engagement_id, lock=True)
        if engagement.state != Engagement.State.ACTIVE:
            raise Conflict("Commitments can only be recorded while the engagement is active.")
        at = clock.now()
        if due_at is None or due_at <= at:
            raise ValidationFailed(
                "The due time must be in the future.", fields={"due_at": ["Choose a later time."]}
            )
        if due_at > engagement.ends_at:
            raise ValidationFailed(
                "The due time is after the engagement ends.",
                fields={
                    "due_at": [
                        f"Choose a time before {engagement.ends_at:%Y-%m-%d %H:%M} UTC, or extend first."
                    ]
                },
            )
        commitment = Commitment.objects.create(
            engagement=engagement, owner=actor, text=text, due_at=due_at, created_at=at
        )
        engagement_touch(engagement=engagement, at=at)
    return commitment


def _lock_commitment(actor, commitment_id) -> tuple[Engagement, Commitment]:
    owner_engagement = (
        Commitment.objects.filter(pk=commitment_id).values_list("engagement_id", flat=True).first()
    )
    if owner_engagement is None:
        raise NotFound("No such commitment.")
    engagement = participant_engagement(actor, owner_engagement, lock=True)
    commitment = Commitment.objects.select_for_update().select_related("owner").get(pk=commitment_id)
    return engagement, commitment


def commitment_confirm(*, actor, commitment_id, kept: bool) -> Commitment:
    """A counterpart (another active participant; never the owner) confirms an open
    commitment kept or missed. Missed only once it is due. Records integrity
    evidence for the owner. Confirming your own commitment is PermissionDenied."""
    with transaction.atomic():
        engagement, commitment = _lock_commitment(actor, commitment_id)
        if commitment.owner_id == actor.pk:
            raise PermissionDenied(
                "You cannot confirm your own commitment; the other side of the engagement does.",
                fields={"commitment": ["Ask your counterpart to confirm it."]},
            )
        if commitment.state != Commitment.State.OPEN:
            raise Conflict(f"This commitment is already {commitment.state}.")
        if engagement.state not in DECIDABLE_STATES:
            raise Conflict("This engagement is closed; its commitments can no longer be confirmed.")
        at = clock.now()
        if not kept and commitment.due_at > at:
            raise ValidationFailed(
                "A commitment can only be missed once it is due.",
                fields={"kept": [f"Wait until {commitment.due_at:%Y-%m-%d %H:%M} UTC to mark it missed."]},
            )
        COMMITMENT_MOVES.move(commitment, State.KEPT if kept else State.MISSED)
        commitment.confirmed_by = actor
        commitment.decided_at = at
        commitment.save(update_fields=["state", "confirmed_by", "decided_at"])
        evidence.commitment_decided(commitment=commitment)
        notify(
            recipients=[commitment.owner],
            kind=f"commitment.{commitment.state}",
            subject=f"{actor.display_name} marked your commitment {commitment.state}",
            body=commitment.text,
            link=engagement_link(engagement.pk),
        )
    return commitment


def commitment_release(*, actor, commitment_id, reason: str = "") -> Commitment:
    """The owner releases an open commitment before it is due (no evidence).
    Anyone else: PermissionDenied; after the due time: Conflict."""
    with transaction.atomic():
        engagement, commitment = _lock_commitment(actor, commitment_id)
        if commitment.owner_id != actor.pk:
            raise PermissionDenied("Only the person who made a commitment can release it.")
        if commitment.state != Commitment.State.OPEN:
            raise Conflict(f"This commitment is already {commitment.state}.")
        at = clock.now()
        if commitment.due_at <= at:
            raise Conflict(
                "This commitment is already due; your counterpart decides whether it was kept.",
                fields={"commitment": ["Release a commitment before its due time."]},
            )
        COMMITMENT_MOVES.move(commitment, State.RELEASED)
        commitment.decided_at = at
        commitment.save(update_fields=["state", "decided_at"])
        notify(
            recipients=_counterparts(engagement, commitment.owner_id),
            kind="commitment.released",
            subject=f"{actor.display_name} released a commitment",
            body=f"{commitment.text}"
            + (f"\n\nReason: {reason.strip()}" if reason and reason.strip() else ""),
            link=engagement_link(engagement.pk),
        )
    return commitment


def _counterparts(engagement: Engagement, owner_id: int) -> list:
    return [
        p.user
        for p in Participant.objects.filter(engagement=engagement, left_at__isnull=True)
        .exclude(user_id=owner_id)
        .select_related("user")
    ]


def commitment_prompt_overdue(*, commitment_id: int) -> bool:
    """Ask the counterparts of an overdue open commitment to confirm it, once.
    Idempotent (``overdue_prompted_at``); returns whether a prompt went out."""
    with transaction.atomic():
        commitment = (
            Commitment.objects.select_for_update()
            .select_related("engagement", "owner")
            .filter(pk=commitment_id)
            .first()
        )
        if (
            commitment is None
            or commitment.state != Commitment.State.OPEN
            or commitment.overdue_prompted_at is not None
            or commitment.due_at > clock.now()
        ):
            return False
        commitment.overdue_prompted_at = clock.now()
        commitment.save(update_fields=["overdue_prompted_at"])
        notify(
            recipients=_counterparts(commitment.engagement, commitment.owner_id),
            kind="commitment.overdue",
            subject=f"Did {commitment.owner.display_name} keep their commitment?",
            body=f"“{commitment.text}” was due {commitment.due_at:%Y-%m-%d %H:%M} UTC."
            " Mark it kept or missed.",
            link=engagement_link(commitment.engagement_id),
        )
    return True
