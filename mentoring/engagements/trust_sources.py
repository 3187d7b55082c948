"""The evidence source kinds of the engagement domain, registered with the
trust app (imported from ``MentoringConfig.ready()``).

Each ``participants`` callable answers "who shared this source?" so the trust
app can refuse evidence between people who never worked together. A missing
source answers the empty set.
"""

from mentoring.engagements import evidence
from trust.sources import register_source


def _int_id(source_id) -> int | None:
    try:
        return int(str(source_id))
    except (TypeError, ValueError):
        return None


def invitation_participants(source_id) -> set[int]:
    """The mentor invited and the seeker who invited them."""
    from mentoring.models import Invitation

    pk = _int_id(source_id)
    row = (
        Invitation.objects.filter(pk=pk).values_list("mentor_id", "request__seeker_id").first()
        if pk
        else None
    )
    return set(row) if row else set()


def commitment_participants(source_id) -> set[int]:
    """Everyone who ever took part in the commitment's engagement."""
    from mentoring.models import Commitment, Participant

    pk = _int_id(source_id)
    engagement_id = (
        Commitment.objects.filter(pk=pk).values_list("engagement_id", flat=True).first() if pk else None
    )
    if engagement_id is None:
        return set()
    return set(Participant.objects.filter(engagement_id=engagement_id).values_list("user_id", flat=True))


def feedback_participants(source_id) -> set[int]:
    """The rater and the ratee of one feedback."""
    from mentoring.models import Feedback

    pk = _int_id(source_id)
    row = Feedback.objects.filter(pk=pk).values_list("rater_id", "ratee_id").first() if pk else None
    return set(row) if row else set()


def register() -> None:
    register_source(evidence.SOURCE_INVITATION, participants=invitation_participants, is_rating=False)
    # kept/missed is the counterpart's judgement: calibrated for their leniency like a rating
    # (every kind with a counterpart goes through the same defences, trust.services.evidence)
    register_source(evidence.SOURCE_COMMITMENT, participants=commitment_participants, is_rating=True)
    register_source(evidence.SOURCE_FEEDBACK, participants=feedback_participants, is_rating=True)
