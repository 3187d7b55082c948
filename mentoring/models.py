"""The engagement domain: programs, requests, invitations, engagements,
participants, commitments, milestones and wrap-up feedback.

Writes go through ``mentoring.services``; reads through ``mentoring.engagements.selectors``.
Invariants that can live in the database do (see each model's ``Meta``); the
rest (workspace scoping, who may do what, the engagement state machine) are in
the services. See docs/engagements.md.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.clock import now


class EngagementKind(models.TextChoices):
    """Shared by programs, requests and engagements."""

    SITUATIONAL = "situational", "Situational (one need, a couple of weeks)"
    GROUP = "group", "Group (three or more people)"
    ONGOING = "ongoing", "Ongoing (up to six months)"


# Duration rules per kind, in days. The one place to change them (documented in
# docs/engagements.md). An engagement's whole span, extension included, never
# exceeds MAX_DURATION_DAYS for its kind.
DEFAULT_DURATION_DAYS = {
    EngagementKind.SITUATIONAL: 14,
    EngagementKind.GROUP: 30,
    EngagementKind.ONGOING: 90,
}
MAX_DURATION_DAYS = {
    EngagementKind.SITUATIONAL: 30,
    EngagementKind.GROUP: 90,
    EngagementKind.ONGOING: 183,
}
ABSOLUTE_MAX_DURATION_DAYS = max(MAX_DURATION_DAYS.values())
MIN_GROUP_SIZE = 3
MAX_INVITATIONS_PER_REQUEST = 3
# Feedback stays double blind until both sides submitted or this long after the end;
# wrapping_up engagements complete when it has passed.
FEEDBACK_WINDOW = timedelta(days=7)


def _choice_values(choices) -> list[str]:
    return [value for value, _label in choices]


class Program(models.Model):
    """A talent manager's frame for many engagements (a cohort, an onboarding track).

    Engagements may belong to one; cohort matching (later) reads
    ``matching_rules`` and the program's participants.
    """

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="programs"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(max_length=5000, blank=True)
    kind = models.CharField(max_length=12, choices=EngagementKind.choices, default=EngagementKind.SITUATIONAL)
    default_duration_days = models.PositiveSmallIntegerField(default=14)
    # Free-form rules for cohort matching, e.g. {"min_level": 3, "same_timezone_band": true}.
    matching_rules = models.JSONField(default=dict, blank=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="program_name_unique_per_org"),
            models.CheckConstraint(
                condition=Q(default_duration_days__gte=1)
                & Q(default_duration_days__lte=ABSOLUTE_MAX_DURATION_DAYS),
                name="program_default_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True)
                | Q(ends_on__isnull=True)
                | Q(ends_on__gte=F("starts_on")),
                name="program_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=_choice_values(EngagementKind.choices)), name="program_kind_valid"
            ),
        ]

    def __str__(self):
        return self.name


class ProgramParticipant(models.Model):
    """Someone enrolled in a program as mentor or seeker (input for cohort matching)."""

    class Role(models.TextChoices):
        MENTOR = "mentor", "Mentor"
        SEEKER = "seeker", "Seeker"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=10, choices=Role.choices)
    joined_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["program", "role", "user"]
        constraints = [
            models.UniqueConstraint(fields=["program", "user"], name="program_participant_unique"),
        ]

    def __str__(self):
        return f"{self.user} in {self.program} ({self.role})"


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
                condition=Q(kind__in=_choice_values(EngagementKind.choices)), name="request_kind_valid"
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
                condition=Q(kind__in=_choice_values(EngagementKind.choices)), name="engagement_kind_valid"
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


class CohortDraft(models.Model):
    """A bulk-matching result a talent manager is still adjusting before publishing it.

    ``pairs`` is a list of ``{"seeker": user id, "mentor": user id}``; scores are not
    stored but recomputed from the current profiles whenever the draft is shown, so
    they never go stale. ``version`` goes up with every change: an edit or a publish
    made from an older page is refused (two managers at once). ``summary`` keeps the
    optimal and greedy totals of the run the draft started from. Publishing creates
    the engagements (``mentoring.programs.cohorts.cohort_save``) and keeps the draft, published,
    as the record of what was created. At most one open draft per program.
    """

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="cohort_drafts")
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    pairs = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    adjustments = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    engagements_created = models.PositiveIntegerField(default=0)
    people_notified = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["program", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program"], condition=Q(state="draft"), name="cohort_draft_one_open_per_program"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["draft", "published"]), name="cohort_draft_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(published_at__isnull=False),
                name="cohort_draft_published_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.program} cohort ({self.state}, v{self.version})"
