"""Trust: the append-only evidence ledger, materialized scores, daily snapshots,
workspace priors and disputes.

Only the ``trust.services`` package writes these tables. Other apps emit evidence
through ``trust.services.record_evidence`` (``trust/services/evidence.py``).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.clock import now
from trust import params


class Dimension(models.TextChoices):
    COMPETENCE = params.COMPETENCE, "Competence"
    INTEGRITY = params.INTEGRITY, "Integrity"
    RESPONSIVENESS = params.RESPONSIVENESS, "Responsiveness"


class AppendOnlyError(Exception):
    """Raised on any attempt to update or delete ledger rows."""


class TrustEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The trust ledger is append-only: record a compensating event instead.")

    def delete(self):
        raise AppendOnlyError("The trust ledger is append-only: record a compensating event instead.")

    def live(self):
        """Events that count: not a void record, not voided."""
        return self.filter(voids__isnull=True, voided_by_record__isnull=True)


class TrustEvent(models.Model):
    """One piece of evidence about ``subject``. Never updated, never deleted.

    ``weight`` is the effective weight after the anti-gaming rules;
    ``base_weight`` what the emitting app asked for; ``weight_note`` why they differ.
    A void is a new row whose ``voids`` points at the event it cancels.
    """

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="trust_events"
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trust_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dimension = models.CharField(max_length=20, choices=Dimension.choices)
    skill = models.ForeignKey(
        "accounts.Skill", null=True, blank=True, on_delete=models.PROTECT, related_name="trust_events"
    )
    # skill id, or 0 for "no skill": a non-null column makes the idempotency key
    # (and the score key) unique on every database without NULL semantics.
    skill_key = models.BigIntegerField(default=0, editable=False)
    outcome = models.FloatField()
    # What the counterpart said, before calibration for their leniency (None: the same as
    # ``outcome``, as for observed facts). ``outcome`` is what counts.
    stated_outcome = models.FloatField(null=True, blank=True)
    weight = models.FloatField(default=1.0)
    base_weight = models.FloatField(default=1.0)
    weight_note = models.CharField(max_length=200, blank=True)
    # The share of its pair's budget this piece weighs (``weight`` includes it): the n sources
    # one counterpart gave about one subject for one quality within REPEAT_RATER_WINDOW share
    # Σ 1/k² equally (decision 0018); 1 for a pair's only piece and for evidence without one.
    pair_share = models.FloatField(default=1.0, db_default=1.0)
    # Found inside a suspicious pattern (a dense cluster about its own, a burst about its
    # target) and damped for it: counts toward no one's "enough evidence" and no workspace
    # prior (decision 0018), only, damped, toward the score itself.
    in_pattern = models.BooleanField(default=False, db_default=False)
    reciprocal_discounted = models.BooleanField(default=False)
    source_kind = models.CharField(max_length=60)
    source_id = models.CharField(max_length=64)
    # 0 for the original record; a discounted re-record of the same fact gets n+1.
    revision = models.PositiveSmallIntegerField(default=0)
    occurred_at = models.DateTimeField(default=now)
    recorded_at = models.DateTimeField(default=now, editable=False)
    voids = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="voided_by_record"
    )
    void_reason = models.TextField(blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = TrustEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_kind", "source_id", "subject", "dimension", "skill_key", "revision"],
                name="trust_event_idempotency_key",
            ),
            models.CheckConstraint(
                condition=Q(outcome__gte=0.0) & Q(outcome__lte=1.0), name="trust_event_outcome_0_1"
            ),
            models.CheckConstraint(
                condition=Q(weight__gt=0.0) & Q(base_weight__gt=0.0), name="trust_event_weight_positive"
            ),
            models.CheckConstraint(
                condition=Q(dimension__in=params.DIMENSIONS), name="trust_event_dimension_known"
            ),
            models.CheckConstraint(
                condition=(Q(dimension=params.COMPETENCE) & Q(skill__isnull=False))
                | (~Q(dimension=params.COMPETENCE) & Q(skill__isnull=True)),
                name="trust_event_skill_iff_competence",
            ),
            models.CheckConstraint(
                condition=(Q(skill__isnull=True) & Q(skill_key=0))
                | (Q(skill__isnull=False) & Q(skill_key=F("skill"))),
                name="trust_event_skill_key_matches",
            ),
            models.CheckConstraint(
                condition=Q(voids__isnull=True) | ~Q(void_reason=""), name="trust_event_void_has_reason"
            ),
        ]
        indexes = [
            models.Index(fields=["subject", "dimension", "occurred_at"], name="trust_event_subject_idx"),
            models.Index(fields=["organization", "dimension"], name="trust_event_org_dim_idx"),
            models.Index(fields=["actor", "subject", "occurred_at"], name="trust_event_pair_idx"),
        ]

    def __str__(self):
        skill = f" in {self.skill}" if self.skill_id else ""
        return f"{self.dimension}{skill} about {self.subject_id}: {self.outcome:.2f} ({self.source_kind})"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("Trust events cannot be changed: record a compensating event instead.")
        self.skill_key = self.skill_id or 0
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Trust events cannot be deleted: record a compensating event instead.")

    @property
    def is_void_record(self) -> bool:
        return self.voids_id is not None


class TrustPrior(models.Model):
    """The workspace mean per dimension (the swift-trust prior's mu), refreshed nightly."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    dimension = models.CharField(max_length=20, choices=Dimension.choices)
    mean = models.FloatField()
    # the prior's own lower bound: where everyone without enough evidence is ranked (written
    # with the mean by ``refresh_priors``; NULL on rows no nightly has written yet)
    lower = models.FloatField(null=True, blank=True)
    evidence = models.FloatField(default=0.0)
    computed_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "dimension"], name="trust_prior_unique"),
            models.CheckConstraint(condition=Q(mean__gt=0.0) & Q(mean__lt=1.0), name="trust_prior_mean_0_1"),
        ]

    def __str__(self):
        return f"{self.organization_id} {self.dimension}: {self.mean:.3f}"


class TrustScore(models.Model):
    """Materialized Beta belief per (subject, dimension, skill). Derived; rebuilt from the ledger.

    Two parts: the tally (``evidence_count``, ``distinct_raters``, ``last_evidence_at``,
    ``good_at_last``, ``bad_at_last``: the live evidence of the key, independent of time)
    and the belief at ``computed_at`` (``alpha`` … ``evidence_weight``). A row exists exactly
    for the keys that have live evidence.

    ``skill_key`` is the skill id or 0 ("no skill"): the unique key is then a plain,
    non-null triple that both SQLite and PostgreSQL can upsert on (ON CONFLICT).
    """

    # No separate FK indexes: the unique key starts with subject, and every extra index
    # is written for each of the hundreds of thousands of rows the nightly upsert touches.
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trust_scores", db_index=False
    )
    dimension = models.CharField(max_length=20, choices=Dimension.choices)
    skill = models.ForeignKey(
        "accounts.Skill",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="trust_scores",
        db_index=False,
    )
    skill_key = models.BigIntegerField(default=0)
    alpha = models.FloatField()
    beta = models.FloatField()
    mean = models.FloatField()
    lower = models.FloatField()
    upper = models.FloatField()
    evidence_weight = models.FloatField(default=0.0)  # Σ w·decay: how much evidence really counts now
    evidence_count = models.PositiveIntegerField(default=0)
    distinct_raters = models.PositiveIntegerField(default=0)
    last_evidence_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(default=now)
    # The tally: Σ w·x·2^(−(last_evidence_at − t)/h) and Σ w·(1−x)·2^(−(last_evidence_at − t)/h)
    # over the live evidence of this key — a pure function of the ledger, kept current in the
    # same transaction as every ledger write (record_evidence, voids, recompute_subject).
    # Decay is one factor per dimension, so the nightly refresh derives every score at any
    # later moment from these two numbers without reading the ledger (docs/trust.md §5).
    good_at_last = models.FloatField(default=0.0, db_default=0.0)
    bad_at_last = models.FloatField(default=0.0, db_default=0.0)
    # The same tally over the key's evidence found inside a suspicious pattern
    # (``TrustEvent.in_pattern``), and the established test's inputs without it: the weight at
    # computed_at and the count of the rest (decision 0018). Nobody is made "established", and
    # no prior is moved, by what a pattern traded.
    pattern_good_at_last = models.FloatField(default=0.0, db_default=0.0)
    pattern_bad_at_last = models.FloatField(default=0.0, db_default=0.0)
    established_weight = models.FloatField(default=0.0, db_default=0.0)
    established_count = models.PositiveIntegerField(default=0, db_default=0)
    # The lower bound without that evidence: what people are ranked by (the card shows
    # ``lower``, the pattern's damped evidence included). Equal to ``lower`` without any.
    established_lower = models.FloatField(default=0.0, db_default=0.0)

    class Meta:
        ordering = ["subject", "dimension", "skill_key"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "dimension", "skill_key"], name="trust_score_key"),
            models.CheckConstraint(
                condition=(Q(skill__isnull=True) & Q(skill_key=0))
                | (Q(skill__isnull=False) & Q(skill_key=F("skill"))),
                name="trust_score_skill_key_matches",
            ),
        ]

    def __str__(self):
        return f"{self.subject_id} {self.dimension}/{self.skill_key}: {self.mean:.2f} [{self.lower:.2f}]"


class TrustSnapshot(models.Model):
    """One day's score, for trends."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    dimension = models.CharField(max_length=20, choices=Dimension.choices)
    skill = models.ForeignKey(
        "accounts.Skill", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    skill_key = models.BigIntegerField(default=0)
    date = models.DateField()
    mean = models.FloatField()
    lower = models.FloatField()
    evidence_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "dimension", "skill_key", "date"], name="trust_snapshot_key"
            ),
        ]
        # The dashboard's trust movement reads one workspace's snapshots by date.
        indexes = [models.Index(fields=["organization", "date"], name="trust_snapshot_org_date")]

    def __str__(self):
        return f"{self.date} {self.subject_id} {self.dimension}/{self.skill_key}: {self.mean:.2f}"


class TrustDistribution(models.Model):
    """How one workspace's established scores were spread on one snapshot day: per dimension
    and tenth of 0–1 (``tenth`` 0–9), how many scores (competence: one per person and
    skill) had at least ``NEWCOMER_EVIDENCE`` pieces of evidence, and the sum of their
    means. Written from that day's ``TrustSnapshot`` rows by ``snapshot_daily`` (and
    ``distribution_rebuild``, both in ``trust.services.snapshots``) in the same
    transaction, so it always matches them; the dashboard's trust movement reads these
    few rows instead of every snapshot."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    dimension = models.CharField(max_length=20, choices=Dimension.choices)
    tenth = models.PositiveSmallIntegerField()
    scores = models.PositiveIntegerField()
    mean_sum = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "date", "dimension", "tenth"], name="trust_distribution_key"
            ),
            models.CheckConstraint(condition=Q(tenth__lte=9), name="trust_distribution_tenth_0_9"),
        ]

    def __str__(self):
        return f"{self.date} {self.dimension} {self.tenth / 10:.1f}: {self.scores}"


class TrustDispute(models.Model):
    """A subject's challenge of one evidence item; decided by a talent manager."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        UPHELD = "upheld", "Upheld"
        REJECTED = "rejected", "Rejected"

    # The allowed moves are trust.services.disputes.DISPUTE_MOVES (dispute_decide moves it).

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(TrustEvent, on_delete=models.PROTECT, related_name="disputes")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trust_disputes"
    )
    reason = models.TextField(max_length=2000)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_note = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event"], condition=Q(state="open"), name="trust_dispute_one_open_per_event"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="trust_dispute_reason_required"),
            models.CheckConstraint(
                condition=Q(state="open") | Q(decided_at__isnull=False), name="trust_dispute_decided_has_time"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "state", "-created_at"], name="trust_dispute_queue_idx")
        ]

    def __str__(self):
        return f"Dispute {self.pk} on event {self.event_id} ({self.state})"


class TrustRater(models.Model):
    """One member's standing as a counterpart, refreshed nightly (``trust.services.raters``)
    from the whole live ledger: a pure function of it, whatever the order of events.

    ``standing`` (0–1) multiplies the weight of the evidence they give from then on;
    the offsets are their leniency per dimension (positive: gives more than the other
    counterparts of the same people), subtracted from what they say."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    rater = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    standing = models.FloatField()
    pagerank_share = models.FloatField(default=0.0)
    age_factor = models.FloatField(default=0.0)
    is_seed = models.BooleanField(default=False)
    ratings = models.PositiveIntegerField(default=0)
    offset_competence = models.FloatField(default=0.0)
    offset_integrity = models.FloatField(default=0.0)
    offset_responsiveness = models.FloatField(default=0.0)
    computed_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(standing__gt=0.0) & Q(standing__lte=1.0), name="trust_rater_standing_0_1"
            ),
        ]

    def __str__(self):
        return f"rater {self.rater_id}: {self.standing:.2f}"

    def offset(self, dimension: str) -> float:
        return getattr(self, f"offset_{dimension}", 0.0)


class TrustPattern(models.Model):
    """A suspicious pattern the nightly detection found, for the talent manager's attention
    list: a dense reciprocal cluster or a burst of praise from new accounts. ``people``
    are the member ids involved, ``facts`` the counts behind the finding (no ratings)."""

    class Kind(models.TextChoices):
        CLUSTER = "cluster", "Dense reciprocal cluster"
        BURST = "burst", "Burst of praise from new accounts"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # the person the burst praised; for a cluster, its lowest member id (the key)
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    people = models.JSONField(default=list)
    facts = models.JSONField(default=dict)
    detected_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "kind", "subject"], name="trust_pattern_key"),
        ]

    def __str__(self):
        return f"{self.kind} around {self.subject_id} ({len(self.people)} people)"
