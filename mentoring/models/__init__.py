"""The engagement domain's models: programs, requests, invitations, engagements,
participants, commitments, milestones and wrap-up feedback.

One module per topic (``kinds``, ``programs``, ``requests``, ``engagements``); every
model and rule is importable from ``mentoring.models``. Writes go through the services
in ``mentoring.engagements.services`` and ``mentoring.programs``; reads through
``mentoring.engagements.selectors``. Invariants that can live in the database do (see
each model's ``Meta``); the rest (workspace scoping, who may do what, the state maps)
are in the services. See docs/engagements.md.
"""

from mentoring.models.engagements import (
    Commitment,
    Engagement,
    EngagementTransition,
    Feedback,
    Milestone,
    Participant,
)
from mentoring.models.kinds import (
    ABSOLUTE_MAX_DURATION_DAYS,
    DEFAULT_DURATION_DAYS,
    FEEDBACK_WINDOW,
    MAX_DURATION_DAYS,
    MAX_INVITATIONS_PER_REQUEST,
    MIN_GROUP_SIZE,
    EngagementKind,
)
from mentoring.models.programs import CohortDraft, Program, ProgramParticipant
from mentoring.models.requests import Invitation, MentoringRequest

__all__ = [
    "ABSOLUTE_MAX_DURATION_DAYS",
    "DEFAULT_DURATION_DAYS",
    "FEEDBACK_WINDOW",
    "MAX_DURATION_DAYS",
    "MAX_INVITATIONS_PER_REQUEST",
    "MIN_GROUP_SIZE",
    "CohortDraft",
    "Commitment",
    "Engagement",
    "EngagementKind",
    "EngagementTransition",
    "Feedback",
    "Invitation",
    "MentoringRequest",
    "Milestone",
    "Participant",
    "Program",
    "ProgramParticipant",
]
