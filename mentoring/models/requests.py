"""A seeker's need (``MentoringRequest``) and the ranked invitations that cascade for it.

States move only through the maps in ``mentoring.engagements.services.requests``
(``REQUEST_MOVES``) and ``mentoring.engagements.services.invitations`` (``INVITATION_MOVES``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.clock import now
from mentoring.models.kinds import (
    ABSOLUTE_MAX_DURATION_DAYS,
    MAX_INVITATIONS_PER_REQUEST,
    EngagementKind,
    choice_values,
)
from mentoring.models.programs import Program


class MentoringRequest(models.Model):
    """A seeker's need ("I must ship my first Terraform module this week").

    States: open (written, nobody invited) → inviting (a cascade runs) →
    matched (an invitation was accepted) | exhausted (every choice failed) |
    cancelled (the seeker withdrew it).
    """

    class Urgency(models.TextChoices):
        LOW = "low", "Whenever someone has time"
        NORMAL = "normal", "This week"
        HIGH = "high", "Today or tomorrow"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        INVITING = "inviting", "Inviting"
        MATCHED = "matched", "Matched"
        EXHAUSTED = "exhausted", "No one available"
        CANCELLED = "cancelled", "Cancelled"

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="mentoring_requests"
    )
    seeker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentoring_requests"
    )
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    title = models.CharField(max_length=160)
    description = models.TextField(max_length=5000, blank=True)
    skills = models.ManyToManyField("accounts.Skill", related_name="mentoring_requests", blank=True)
    kind = models.CharField(max_length=12, choices=EngagementKind.choices, default=EngagementKind.SITUATIONAL)
    urgency = models.CharField(max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    desired_duration_days = models.PositiveSmallIntegerField(default=14)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(desired_duration_days__gte=1)
                & Q(desired_duration_days__lte=ABSOLUTE_MAX_DURATION_DAYS),
                name="request_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["open", "inviting", "matched", "exhausted", "cancelled"]),
                name="request_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=choice_values(EngagementKind.choices)), name="request_kind_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["seeker", "state"], name="request_seeker_state"),
            models.Index(fields=["organization", "state", "-created_at"], name="request_org_state"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.state in {self.State.MATCHED, self.State.EXHAUSTED, self.State.CANCELLED}


class Invitation(models.Model):
    """One of up to three ranked choices for a request.

    Exactly one invitation per request is live (pending or clarifying) at a
    time; the others wait as ``queued`` and become pending in rank order when
    the live one is declined or times out.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Queued (not sent yet)"
        PENDING = "pending", "Waiting for an answer"
        CLARIFYING = "clarifying", "Mentor asked a question"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Timed out"
        WITHDRAWN = "withdrawn", "Withdrawn"

    LIVE_STATES = (State.PENDING, State.CLARIFYING)

    request = models.ForeignKey(MentoringRequest, on_delete=models.CASCADE, related_name="invitations")
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentoring_invitations"
    )
    rank = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    decline_reason = models.TextField(max_length=1000, blank=True)
    clarification_question = models.TextField(max_length=2000, blank=True)
    clarification_answer = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=now)
    sent_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["request", "mentor"], name="invitation_unique_request_mentor"),
            models.UniqueConstraint(fields=["request", "rank"], name="invitation_unique_request_rank"),
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(state__in=["pending", "clarifying"]),
                name="invitation_one_live_per_request",
            ),
            models.CheckConstraint(
                condition=Q(rank__gte=1) & Q(rank__lte=MAX_INVITATIONS_PER_REQUEST),
                name="invitation_rank_1_3",
            ),
            models.CheckConstraint(
                condition=Q(
                    state__in=[
                        "queued",
                        "pending",
                        "clarifying",
                        "accepted",
                        "declined",
                        "expired",
                        "withdrawn",
                    ]
                ),
                name="invitation_state_valid",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["pending", "clarifying"])
                | (Q(sent_at__isnull=False) & Q(expires_at__isnull=False)),
                name="invitation_live_has_window",
            ),
        ]
        indexes = [
            models.Index(fields=["mentor", "state"], name="invitation_inbox"),
            models.Index(fields=["state", "expires_at"], name="invitation_expiry_sweep"),
        ]

    def __str__(self):
        return f"#{self.rank} {self.mentor} for {self.request} ({self.state})"
