"""Wrap-up feedback, double blind.

Each participant rates each other participant once per engagement, after it
ended (wrapping up or completed). A rating stays hidden from its ratee — and
out of the trust ledger, so a moving score cannot give it away — until the
ratee also rated the rater in that engagement, or FEEDBACK_WINDOW after the
end. At reveal it becomes trust evidence (``feedback_record_evidence``), called
right away when the second side submits and by the beat sweep otherwise.
"""

from django.db import IntegrityError, transaction

from core import clock
from core.errors import Conflict, ValidationFailed
from mentoring.engagements import evidence
from mentoring.engagements.selectors import feedback_reveal_condition
from mentoring.engagements.services.engagements import engagement_transition, participant_engagement
from mentoring.models import Engagement, Feedback, Participant

NOTE_MAX = 2000
OPEN_FOR_FEEDBACK = (Engagement.State.WRAPPING_UP, Engagement.State.COMPLETED)


def _rating(value, *, field: str, label: str, errors: dict) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool) or not 1 <= number <= 5:
        errors[field] = [f"Rate {label} from 1 to 5."]
        return None
    return number


def _flag(value, *, field: str, errors: dict) -> bool | None:
    if not isinstance(value, bool):
        errors[field] = ["Answer yes or no."]
        return None
    return value


def feedback_submit(
    *,
    rater,
    engagement_id,
    ratee,
    competence: int,
    respectful: bool,
    honest: bool,
    responsiveness: int,
    would_work_again: bool,
    private_note: str = "",
) -> Feedback:
    """``rater`` (an active participant) rates ``ratee`` (another participant) in an
    engagement that ended. One per rater, ratee and engagement (Conflict on a
    second). Locks the engagement row. When the pair is now mutual, both
    ratings are revealed and recorded as evidence; when everyone rated
    everyone, the engagement completes."""
    errors: dict[str, list[str]] = {}
    competence = _rating(competence, field="competence", label="competence", errors=errors)
    responsiveness = _rating(responsiveness, field="responsiveness", label="responsiveness", errors=errors)
    respectful = _flag(respectful, field="respectful", errors=errors)
    honest = _flag(honest, field="honest", errors=errors)
    would_work_again = _flag(would_work_again, field="would_work_again", errors=errors)
    private_note = str(private_note or "").strip()
    if len(private_note) > NOTE_MAX:
        errors["private_note"] = [f"Use at most {NOTE_MAX} characters (this has {len(private_note)})."]
    if errors:
        raise ValidationFailed("The feedback could not be saved.", fields=errors)
    with transaction.atomic():
        engagement = participant_engagement(rater, engagement_id, lock=True)
        if engagement.state not in OPEN_FOR_FEEDBACK:
            raise Conflict(
                "Feedback opens when the engagement ends.",
                fields={"engagement": ["Come back when it is wrapping up."]},
                code="feedback_not_open",
            )
        if ratee.pk == rater.pk:
            raise ValidationFailed(
                "You cannot rate yourself.", fields={"ratee": ["Choose another participant."]}
            )
        if not Participant.objects.filter(engagement=engagement, user=ratee).exists():
            raise ValidationFailed(
                "You can only rate people who took part in this engagement.",
                fields={"ratee": ["Choose a participant of this engagement."]},
            )
        if Feedback.objects.filter(engagement=engagement, rater=rater, ratee=ratee).exists():
            raise Conflict(
                f"You already gave feedback about {ratee.display_name} for this engagement.",
                code="feedback_exists",
            )
        try:
            with transaction.atomic():
                feedback = Feedback.objects.create(
                    engagement=engagement,
                    rater=rater,
                    ratee=ratee,
                    competence=competence,
                    respectful=respectful,
                    honest=honest,
                    responsiveness=responsiveness,
                    would_work_again=would_work_again,
                    private_note=private_note,
                    submitted_at=clock.now(),
                )
        except IntegrityError:
            raise Conflict(
                f"You already gave feedback about {ratee.display_name} for this engagement.",
                code="feedback_exists",
            ) from None
        # the pair may now be mutual: reveal (and record) both directions
        for revealed in Feedback.objects.filter(
            engagement=engagement, rater__in=[rater, ratee], ratee__in=[rater, ratee]
        ):
            _record(revealed, engagement)
        if engagement.state == Engagement.State.WRAPPING_UP and _everyone_rated(engagement):
            engagement_transition(
                engagement=engagement, to_state=Engagement.State.COMPLETED, reason="everyone gave feedback"
            )
    return feedback


def _everyone_rated(engagement: Engagement) -> bool:
    people = set(
        Participant.objects.filter(engagement=engagement, left_at__isnull=True).values_list(
            "user_id", flat=True
        )
    )
    pairs = set(
        Feedback.objects.filter(engagement=engagement, rater_id__in=people, ratee_id__in=people).values_list(
            "rater_id", "ratee_id"
        )
    )
    return len(pairs) >= len(people) * (len(people) - 1)


def _record(feedback: Feedback, engagement: Engagement) -> None:
    """Turn revealed ``feedback`` into evidence once (caller holds a lock)."""
    if feedback.evidence_recorded_at is not None:
        return
    if not Feedback.objects.filter(pk=feedback.pk).filter(feedback_reveal_condition()).exists():
        return
    evidence.feedback_revealed(feedback=feedback, skills=list(engagement.skills.all()))
    feedback.evidence_recorded_at = clock.now()
    feedback.save(update_fields=["evidence_recorded_at"])


def feedback_record_evidence(*, feedback_id: int) -> bool:
    """Record revealed feedback as trust evidence. Idempotent (``evidence_recorded_at``
    plus the ledger's unique key); a missing or still-blind row does nothing.
    Returns whether evidence was recorded now. Called by the beat sweep."""
    with transaction.atomic():
        feedback = (
            Feedback.objects.select_for_update()
            .select_related("rater", "ratee", "engagement")
            .filter(pk=feedback_id)
            .first()
        )
        if feedback is None or feedback.evidence_recorded_at is not None:
            return False
        _record(feedback, feedback.engagement)
        return feedback.evidence_recorded_at is not None
