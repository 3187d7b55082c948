"""Programs (a talent manager's frame for many engagements), their participants and
cohort drafts (bulk matching before it is published)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.clock import now
from mentoring.models.kinds import ABSOLUTE_MAX_DURATION_DAYS, EngagementKind, choice_values


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
                condition=Q(kind__in=choice_values(EngagementKind.choices)), name="program_kind_valid"
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
