"""Milestones: steps toward an engagement's goal, added and marked done by its participants."""

from datetime import datetime

from django.db import transaction

from core import clock
from core.errors import Conflict, NotFound, ValidationFailed
from mentoring.engagements.services.engagements import clean_text, engagement_touch, participant_engagement
from mentoring.models import Engagement, Milestone

State = Engagement.State


def milestone_add(*, actor, engagement_id, title: str, due_at: datetime | None = None) -> Milestone:
    """Add a milestone to an active engagement. Participants only."""
    title = clean_text(title, field="title", label="A title", max_length=200, required=True)
    with transaction.atomic():
        engagement = participant_engagement(actor, engagement_id, lock=True)
        if engagement.state != State.ACTIVE:
            raise Conflict("Milestones can only be added while the engagement is active.")
        if due_at is not None and not (engagement.starts_at <= due_at <= engagement.ends_at):
            raise ValidationFailed(
                "The milestone must fall within the engagement.",
                fields={"due_at": [f"Choose a time between the start and {engagement.ends_at:%Y-%m-%d}."]},
            )
        milestone = Milestone.objects.create(
            engagement=engagement, title=title, due_at=due_at, created_by=actor, created_at=clock.now()
        )
        engagement_touch(engagement=engagement)
    return milestone


def milestone_complete(*, actor, milestone_id) -> Milestone:
    """Mark a milestone done (idempotent: done stays done). Participants only."""
    with transaction.atomic():
        milestone = Milestone.objects.select_for_update().filter(pk=milestone_id).first()
        if milestone is None:
            raise NotFound("No such milestone.")
        engagement = participant_engagement(actor, milestone.engagement_id)
        if engagement.state not in (State.ACTIVE, State.WRAPPING_UP):
            raise Conflict("This engagement is closed; its milestones can no longer change.")
        if milestone.done_at is None:
            milestone.done_at = clock.now()
            milestone.save(update_fields=["done_at"])
            engagement_touch(engagement=engagement)
    return milestone
