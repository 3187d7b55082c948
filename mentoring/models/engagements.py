"""Engagements and what happens inside one: participants, the state audit trail,
milestones, commitments and wrap-up feedback."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.clock import now
from mentoring.models.kinds import MAX_DURATION_DAYS, EngagementKind, choice_values
from mentoring.models.programs import Program
from mentoring.models.requests import MentoringRequest


class Engagement(models.Model):
    """A bounded piece of mentoring between participants.

    State machine (the only way to change ``state`` is
    ``mentoring.engagements.services.engagements.engagement_transition``)::

        active ──► wrapping_up ──► completed
          │  │          │
          │  └──► cancelled ◄──┘
          └──► expired (end date reached and nobody ever engaged)
    """

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        WRAPPING_UP = "wrapping_up", "Wrapping up"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    ENDED_STATES = (State.WRAPPING_UP, State.COMPLETED, State.CANCELLED, State.EXPIRED)

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="engagements"
    )
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.SET_NULL, related_name="engagements"
    )
    request = models.OneToOneField(
        MentoringRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="engagement"
    )
    kind = models.CharField(max_length=12, choices=EngagementKind.choices)
    title = models.CharField(max_length=160)
    goal = models.TextField(max_length=5000, blank=True)
    skills = models.ManyToManyField("accounts.Skill", related_name="engagements", blank=True)
    starts_at = models.DateTimeField(default=now)
    ends_at = models.DateTimeField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.ACTIVE)
    extended_once = models.BooleanField(default=False)
    extension_reason = models.TextField(max_length=1000, blank=True)
    # Touched by anything that shows people engaged (a commitment, a milestone, a
    # message): an engagement that reaches its end date with this still empty expires.
    last_activity_at = models.DateTimeField(null=True, blank=True)
    # When the engagement left ``active`` (wrap-up, cancellation or expiry).
    ended_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="engagement_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["active", "wrapping_up", "completed", "cancelled", "expired"]),
                name="engagement_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=choice_values(EngagementKind.choices)), name="engagement_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(state="active") | Q(ended_at__isnull=False), name="engagement_ended_has_time"
            ),
            models.CheckConstraint(
                condition=Q(extended_once=False) | ~Q(extension_reason=""),
                name="engagement_extension_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "state"], name="engagement_org_state"),
            models.Index(fields=["state", "ends_at"], name="engagement_due_sweep"),
            models.Index(fields=["state", "ended_at"], name="engagement_wrapup_sweep"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_ended(self) -> bool:
        return self.state in self.ENDED_STATES

    @property
    def max_ends_at(self):
        return self.starts_at + timedelta(days=MAX_DURATION_DAYS[EngagementKind(self.kind)])


class Participant(models.Model):
    """A person in an engagement. Leaving sets ``left_at``; the row stays for history."""

    class Role(models.TextChoices):
        MENTOR = "mentor", "Mentor"
        SEEKER = "seeker", "Seeker"

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="engagement_participations"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    joined_at = models.DateTimeField(default=now)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["engagement", "role", "joined_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "user"],
                condition=Q(left_at__isnull=True),
                name="participant_unique_active",
            ),
            models.CheckConstraint(condition=Q(role__in=["mentor", "seeker"]), name="participant_role_valid"),
            models.CheckConstraint(
                condition=Q(left_at__isnull=True) | Q(left_at__gte=F("joined_at")),
                name="participant_left_after_joined",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "left_at"], name="participant_user_active"),
            models.Index(fields=["engagement", "left_at"], name="participant_engagement_active"),
        ]

    def __str__(self):
        return f"{self.user} ({self.role}) in {self.engagement}"

    @property
    def is_active(self) -> bool:
        return self.left_at is None


class EngagementTransition(models.Model):
    """Audit row: one per state move (and one for the creation, from "")."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, choices=Engagement.State.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["engagement", "at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_state=F("to_state")), name="engagement_transition_moves"
            ),
        ]

    def __str__(self):
        return f"{self.engagement}: {self.from_state or '∅'} → {self.to_state}"


class Milestone(models.Model):
    """A step toward the engagement's goal."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    due_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["engagement", "due_at", "id"]

    def __str__(self):
        return self.title


class Commitment(models.Model):
    """A promise with a due time ("I'll review your module by Friday").

    Only a counterpart (another active participant) decides kept or missed;
    the owner may release it before it is due. Kept/missed are integrity evidence.
    """

    class State(models.TextChoices):
        OPEN = "open", "Open"
        KEPT = "kept", "Kept"
        MISSED = "missed", "Missed"
        RELEASED = "released", "Released"

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="commitments")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="commitments")
    text = models.CharField(max_length=500)
    due_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    overdue_prompted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["engagement", "due_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["open", "kept", "missed", "released"]), name="commitment_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(state="open") | Q(decided_at__isnull=False), name="commitment_decided_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["kept", "missed"]) | Q(confirmed_by__isnull=False),
                name="commitment_confirmed_has_confirmer",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=F("owner")),
                name="commitment_not_self_confirmed",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "due_at"], name="commitment_overdue_sweep"),
            models.Index(fields=["owner", "state"], name="commitment_owner_state"),
        ]

    def __str__(self):
        return self.text


class Feedback(models.Model):
    """Wrap-up feedback from one participant about another (double blind)."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="feedback")
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feedback_given"
    )
    ratee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feedback_received"
    )
    competence = models.PositiveSmallIntegerField()
    respectful = models.BooleanField()
    honest = models.BooleanField()
    responsiveness = models.PositiveSmallIntegerField()
    would_work_again = models.BooleanField()
    private_note = models.TextField(max_length=2000, blank=True)
    submitted_at = models.DateTimeField(default=now)
    # Set once the feedback has been turned into trust evidence (at reveal time).
    evidence_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["engagement", "submitted_at", "id"]
        verbose_name_plural = "feedback"
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "rater", "ratee"], name="feedback_one_per_rater_ratee_engagement"
            ),
            models.CheckConstraint(condition=~Q(rater=F("ratee")), name="feedback_not_self"),
            models.CheckConstraint(
                condition=Q(competence__gte=1) & Q(competence__lte=5), name="feedback_competence_1_5"
            ),
            models.CheckConstraint(
                condition=Q(responsiveness__gte=1) & Q(responsiveness__lte=5),
                name="feedback_responsiveness_1_5",
            ),
        ]
        indexes = [
            models.Index(fields=["ratee", "engagement"], name="feedback_ratee"),
            models.Index(fields=["evidence_recorded_at"], name="feedback_evidence_pending"),
        ]

    def __str__(self):
        return f"{self.rater} → {self.ratee} in {self.engagement}"
