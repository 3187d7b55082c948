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

from datetime import timedelta

from accounts.access import active_membership
from accounts.models import Profile


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
    not anyone's judgement (the kind is not a rating: no calibration), but it has a
    counterpart, the seeker. Nothing is recorded about someone who left the workspace, and a timeout
    never counts against a mentor who is away (away time never counts against anyone);
    the window itself is the mentor's working time (``invitation_deadline``)."""
    if active_membership(invitation.mentor) is None:
        return
    if not on_time and Profile.objects.filter(user_id=invitation.mentor_id, is_away=True).exists():
        return
    record_evidence(
        subject=invitation.mentor,
        # the seeker who invited is the counterpart: a pair (or a ring) trading invitations
        # goes through the same defences as any other evidence between two people
        actor=invitation.request.seeker,
        dimension=RESPONSIVENESS,
        outcome=1.0 if on_time else 0.0,
        source_kind=SOURCE_INVITATION,
        source_id=invitation.pk,
        occurred_at=at,
    )


def commitment_decided(*, commitment) -> None:
    """Integrity for the owner, judged by the counterpart who confirmed it. Its weight is how
    verifiable the confirmation is: a "kept" confirmed before the commitment is a day old
    (or, if it was due sooner, before it was due) counts in proportion, down to
    ``MIN_VERIFIABILITY``; a counterpart cannot mint integrity by confirming on the spot."""
    if active_membership(commitment.owner) is None:
        return
    record_evidence(
        subject=commitment.owner,
        actor=commitment.confirmed_by,
        dimension=INTEGRITY,
        outcome=1.0 if commitment.state == "kept" else 0.0,
        weight=commitment_verifiability(commitment),
        source_kind=SOURCE_COMMITMENT,
        source_id=commitment.pk,
        occurred_at=commitment.decided_at,
    )


MIN_VERIFIABILITY = 0.1
VERIFIABLE_AFTER = timedelta(days=1)


def commitment_verifiability(commitment) -> float:
    """1 for a confirmation after the due time or once the commitment lived a day; less
    for one confirmed sooner (a missed one can only be confirmed after the due time)."""
    lived = commitment.decided_at - commitment.created_at
    needed = min(VERIFIABLE_AFTER, max(commitment.due_at - commitment.created_at, timedelta(minutes=1)))
    if commitment.decided_at >= commitment.due_at or lived >= needed:
        return 1.0
    return max(MIN_VERIFIABILITY, lived / needed)


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
