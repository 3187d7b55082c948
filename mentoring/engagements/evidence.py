"""Turning engagement facts into trust evidence, through the trust app's one
public function ``trust.services.record_evidence``. Source kinds are registered
in ``mentoring/engagements/trust_sources.py``. The mapping (docs/engagements.md):

- invitation answered (accept, decline, clarifying question) before it timed
  out → responsiveness 1 for the mentor; timed out → responsiveness 0.
- commitment kept → integrity 1 for its owner; missed → integrity 0.
- feedback (at reveal time) → for the ratee: competence (r−1)/4 per engagement
  skill, integrity (respectful + honest)/2, responsiveness (r−1)/4.

Each call is idempotent in the ledger through (source kind, source id, subject,
dimension[, skill]); calling twice records nothing new.
"""

from accounts.access import active_membership


def record_evidence(**kwargs):
    # Imported at call time: trust's services may import mentoring models
    # (source registry), and this keeps the two apps' import order free.
    from trust.services import record_evidence as trust_record_evidence

    return trust_record_evidence(**kwargs)


# Names the trust app already phrases explanations for (trust.sources.DEFAULT_PHRASES).
SOURCE_INVITATION = "invitation"
SOURCE_COMMITMENT = "commitment"
SOURCE_FEEDBACK = "engagement.feedback"

COMPETENCE = "competence"
INTEGRITY = "integrity"
RESPONSIVENESS = "responsiveness"


def invitation_answered(*, invitation, on_time: bool, at) -> None:
    """Responsiveness is an observed fact (answered before the deadline or not),
    not anyone's judgement: no actor, and the trust app does not treat it as a
    rating. Nothing is recorded about someone who left the workspace."""
    if active_membership(invitation.mentor) is None:
        return
    record_evidence(
        subject=invitation.mentor,
        actor=None,
        dimension=RESPONSIVENESS,
        outcome=1.0 if on_time else 0.0,
        source_kind=SOURCE_INVITATION,
        source_id=invitation.pk,
        occurred_at=at,
    )


def commitment_decided(*, commitment) -> None:
    """Integrity for the owner, judged by the counterpart who confirmed it."""
    if active_membership(commitment.owner) is None:
        return
    record_evidence(
        subject=commitment.owner,
        actor=commitment.confirmed_by,
        dimension=INTEGRITY,
        outcome=1.0 if commitment.state == "kept" else 0.0,
        source_kind=SOURCE_COMMITMENT,
        source_id=commitment.pk,
        occurred_at=commitment.decided_at,
    )


def scale_1_5(rating: int) -> float:
    """A 1–5 rating as an outcome in [0, 1]."""
    return (rating - 1) / 4


def feedback_revealed(*, feedback, skills) -> None:
    """Competence per engagement skill, integrity and responsiveness for the ratee.
    Feedback between people who left the workspace is kept but not recorded."""
    if active_membership(feedback.ratee) is None or active_membership(feedback.rater) is None:
        return
    common = {
        "subject": feedback.ratee,
        "actor": feedback.rater,
        "source_kind": SOURCE_FEEDBACK,
        "source_id": feedback.pk,
        "occurred_at": feedback.submitted_at,
    }
    for skill in skills:
        record_evidence(dimension=COMPETENCE, outcome=scale_1_5(feedback.competence), skill=skill, **common)
    record_evidence(
        dimension=INTEGRITY, outcome=(int(feedback.respectful) + int(feedback.honest)) / 2, **common
    )
    record_evidence(dimension=RESPONSIVENESS, outcome=scale_1_5(feedback.responsiveness), **common)
