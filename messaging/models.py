"""Conversations and messages (protocol: docs/messaging.md).

A conversation belongs to an engagement today (one per engagement) and to a
question later (``Kind.QUESTION``, its own nullable foreign key then). Every
message gets a per-conversation ``seq`` that is gap-free and monotonic: it is
assigned while the conversation row is locked (``messaging.chat.services``), and a
deleted message stays as a tombstone so the numbering never has holes. Clients
resume from the last ``seq`` they saw.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q

from core.clock import now

MAX_BODY_CHARS = 10_000


class Conversation(models.Model):
    class Kind(models.TextChoices):
        ENGAGEMENT = "engagement", "Engagement chat"
        QUESTION = "question", "Question thread"

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="conversations"
    )
    engagement = models.ForeignKey(
        "mentoring.Engagement",
        on_delete=models.CASCADE,
        related_name="conversations",
        null=True,
        blank=True,
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.ENGAGEMENT)
    created_at = models.DateTimeField(default=now)
    # The highest seq handed out; only ever raised while this row is locked.
    last_seq = models.PositiveBigIntegerField(default=0)
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["engagement"],
                condition=Q(engagement__isnull=False),
                name="conversation_one_per_engagement",
            ),
            models.CheckConstraint(
                condition=~Q(kind="engagement") | Q(engagement__isnull=False),
                name="conversation_engagement_kind_has_engagement",
            ),
        ]
        indexes = [models.Index(fields=["organization", "kind"], name="conversation_org_kind")]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"


class ConversationMember(models.Model):
    """Who may read and write a conversation. ``left_at`` set = no longer a member
    (rows are kept so a person who comes back keeps their read state)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_memberships"
    )
    joined_at = models.DateTimeField(default=now)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="conversation_member_unique"),
        ]
        indexes = [models.Index(fields=["user", "left_at"], name="conversation_member_user")]

    def __str__(self):
        return f"{self.user_id} in {self.conversation_id}"

    @property
    def is_active(self) -> bool:
        return self.left_at is None


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveBigIntegerField()
    # SET_NULL keeps the tombstone (and the gap-free numbering) if an account is erased.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="messages"
    )
    body = models.TextField(max_length=MAX_BODY_CHARS, blank=True)
    body_html = models.TextField(blank=True)
    client_id = models.UUIDField()
    reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )
    created_at = models.DateTimeField(default=now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(fields=["author", "client_id"], name="message_client_id_unique"),
            models.CheckConstraint(condition=Q(seq__gte=1), name="message_seq_positive"),
            models.CheckConstraint(
                condition=Q(deleted_at__isnull=False) | ~Q(body=""), name="message_body_unless_deleted"
            ),
            models.CheckConstraint(
                condition=Q(deleted_at__isnull=True) | Q(body=""), name="message_deleted_has_no_body"
            ),
        ]
        ordering = ["conversation_id", "seq"]

    def __str__(self):
        return f"#{self.seq} in {self.conversation_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class MessageMention(models.Model):
    """@someone in a message, for the notifications work (one row per person)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions")
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "user"], name="message_mention_unique")]
        indexes = [models.Index(fields=["user", "created_at"], name="message_mention_user")]

    def __str__(self):
        return f"@{self.user_id} in {self.message_id}"


class ReadState(models.Model):
    """How far a member has read. Only ever raised (``services.read_update``)."""

    member = models.OneToOneField(ConversationMember, on_delete=models.CASCADE, related_name="read_state")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="read_states")
    last_read_seq = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [models.Index(fields=["conversation", "last_read_seq"], name="read_state_conversation")]

    def __str__(self):
        return f"member {self.member_id} read to {self.last_read_seq}"


# --- notifications (messaging/notifications/: notify.py creates, services.py marks read) ---

NOTIFICATION_TITLE_CHARS = 200
NOTIFICATION_BODY_CHARS = 500


class Notification(models.Model):
    """Something a person should know about: shown in the bell, sent live over the
    socket, e-mailed when still unread after their delay, and listed in the daily
    digest. ``payload`` holds ids only; ``body`` is a short plain-text excerpt of
    what the recipient can read anyway at ``link`` (a path inside the product)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
    )
    kind = models.CharField(max_length=64)
    title = models.CharField(max_length=NOTIFICATION_TITLE_CHARS)
    body = models.CharField(max_length=NOTIFICATION_BODY_CHARS, blank=True)
    link = models.CharField(max_length=500, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    digested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(link="") | (Q(link__startswith="/") & ~Q(link__startswith="//")),
                name="notification_link_is_relative",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at", "created_at"], name="notification_recipient"),
            # the e-mail and digest sweeps: unread rows by age
            models.Index(
                fields=["created_at"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_age",
            ),
        ]

    def __str__(self):
        return f"{self.kind} for {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """One row per person (absent = the defaults). In-app is always on; per kind
    group (``messaging.notifications.preferences.GROUPS``) ``groups`` holds
    ``{"<group>": {"email_when_unread": bool, "daily_digest": bool}}``."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    groups = models.JSONField(default=dict, blank=True)
    unread_email_delay_minutes = models.PositiveSmallIntegerField(default=30)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(unread_email_delay_minutes__lte=1440),
                name="notification_preference_delay_at_most_a_day",
            ),
        ]

    def __str__(self):
        return f"notification preferences of {self.user_id}"


# --- questions and answers (services and selectors: messaging/qa/services.py) -----------

QUESTION_TITLE_CHARS = 200


class Question(models.Model):
    """A question to the people of one engagement or to the whole workspace.

    ``state``: open (no answer yet) → answered (at least one answer) → resolved
    (the asker closed it; no more answers). ``accepted_answer`` mirrors the one
    ``Answer.accepted`` row so lists need no extra join. Routing to likely
    answerers ("ask the network") hangs off this model in its own table."""

    class Scope(models.TextChoices):
        ENGAGEMENT = "engagement", "My engagement"
        NETWORK = "network", "The whole network"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        ANSWERED = "answered", "Answered"
        RESOLVED = "resolved", "Resolved"

    class RoutingState(models.TextChoices):
        IDLE = "idle", "Not routed"  # engagement questions, or not started yet
        ROUTING = "routing", "Routing"  # waves are being sent
        DONE = "done", "Done"  # answered by someone routed, or resolved
        EXHAUSTED = "exhausted", "Exhausted"  # no candidates or waves left

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="questions"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="questions")
    title = models.CharField(max_length=QUESTION_TITLE_CHARS)
    body = models.TextField(max_length=MAX_BODY_CHARS)
    body_html = models.TextField(blank=True)
    skills = models.ManyToManyField("accounts.Skill", blank=True, related_name="questions")
    scope = models.CharField(max_length=12, choices=Scope.choices, default=Scope.NETWORK)
    engagement = models.ForeignKey(
        "mentoring.Engagement", on_delete=models.CASCADE, null=True, blank=True, related_name="questions"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    accepted_answer = models.OneToOneField(
        "messaging.Answer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # --- routing ("ask the network", messaging/routing/); idle for engagement questions
    routing_state = models.CharField(max_length=10, choices=RoutingState.choices, default=RoutingState.IDLE)
    routing_wave = models.PositiveSmallIntegerField(default=0)  # the last wave sent
    next_wave_at = models.DateTimeField(null=True, blank=True)
    # PostgreSQL: title (A), body (B) and every answer's text (C) as one tsvector, kept by
    # triggers on this table and on answers (migration 0008), searched through a GIN index
    # on (organization_id, search_vector). Unused (NULL) on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(scope="engagement") & Q(engagement__isnull=False))
                | (Q(scope="network") & Q(engagement__isnull=True)),
                name="question_engagement_iff_engagement_scope",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["open", "answered", "resolved"]), name="question_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(state="resolved", resolved_at__isnull=False)
                | (~Q(state="resolved") & Q(resolved_at__isnull=True)),
                name="question_resolved_at_iff_resolved",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="question_title_not_empty"),
            models.CheckConstraint(condition=~Q(body=""), name="question_body_not_empty"),
        ]
        indexes = [
            models.Index(fields=["organization", "scope", "-created_at"], name="question_org_scope_recent"),
            models.Index(fields=["engagement", "-created_at"], name="question_engagement_recent"),
            # the beat sweep: questions whose next wave is due
            models.Index(
                fields=["next_wave_at"], condition=Q(routing_state="routing"), name="question_routing_due"
            ),
        ]

    def __str__(self):
        return f"Question #{self.pk}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("messaging:question", args=[self.pk])


class Answer(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="answers")
    body = models.TextField(max_length=MAX_BODY_CHARS)
    body_html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=now)
    edited_at = models.DateTimeField(null=True, blank=True)
    accepted = models.BooleanField(default=False)
    # Set the first time the asker accepts it (and never cleared): the acceptance
    # evidence is then in the trust ledger, so resolving does not also count it as
    # "answered but not accepted".
    first_accepted_at = models.DateTimeField(null=True, blank=True)
    helpful_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["question"], condition=Q(accepted=True), name="answer_one_accepted_per_question"
            ),
            models.CheckConstraint(condition=~Q(body=""), name="answer_body_not_empty"),
        ]
        indexes = [models.Index(fields=["question", "created_at"], name="answer_question_created")]

    def __str__(self):
        return f"Answer #{self.pk} to {self.question_id}"


class AnswerVote(models.Model):
    """One "helpful" vote per person and answer."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="answer_votes")
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["answer", "voter"], name="answer_vote_unique")]

    def __str__(self):
        return f"{self.voter_id} found {self.answer_id} helpful"


class RoutingAttempt(models.Model):
    """One person asked to answer one network question (messaging/routing/).

    Created when the candidate is notified (a wave, or a referral), with the score
    and its breakdown at that moment; ``outcome`` moves once from pending to a
    final value (answered / late / passed / referred / missed / cancelled), except
    that a missed attempt may still become late when the answer arrives after all.
    ``window_ends_at`` is the end of the answer window counted in the candidate's
    working time. One attempt per question and candidate (the database enforces it,
    so two escalations racing cannot notify anyone twice)."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Pending"
        ANSWERED = "answered", "Answered in time"
        LATE = "late", "Answered late"
        PASSED = "passed", "Passed"
        REFERRED = "referred", "Referred someone"
        MISSED = "missed", "Missed"
        CANCELLED = "cancelled", "Cancelled"

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="routing_attempts")
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="routing_attempts"
    )
    candidate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="routing_attempts"
    )
    wave = models.PositiveSmallIntegerField()
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    breakdown = models.JSONField(default=dict, blank=True)
    exploration = models.BooleanField(default=False)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="routing_referrals",
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    notified_at = models.DateTimeField(default=now)
    window_ends_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    answer = models.ForeignKey(
        Answer, on_delete=models.SET_NULL, null=True, blank=True, related_name="routing_attempts"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["question", "candidate"], name="routing_attempt_once_per_candidate"
            ),
            models.CheckConstraint(
                condition=Q(
                    outcome__in=["pending", "answered", "late", "passed", "referred", "missed", "cancelled"]
                ),
                name="routing_attempt_outcome_valid",
            ),
            models.CheckConstraint(condition=Q(wave__gte=1), name="routing_attempt_wave_positive"),
        ]
        indexes = [
            models.Index(fields=["candidate", "notified_at"], name="routing_attempt_candidate"),
            models.Index(fields=["organization", "notified_at"], name="routing_attempt_org"),
            # the miss sweep: pending attempts by window end
            models.Index(
                fields=["window_ends_at"], condition=Q(outcome="pending"), name="routing_attempt_pending"
            ),
        ]
        ordering = ["question_id", "wave", "rank"]

    def __str__(self):
        return f"question {self.question_id} → {self.candidate_id} (wave {self.wave}, {self.outcome})"


# --- activity rollup for the talent-manager dashboard (services: messaging/chat/activity.py) ----------


class MessageActivityDay(models.Model):
    """How many chat messages one person sent in one workspace on one UTC day.

    Metadata only (no text). ``message_send`` increments it in the send's own
    transaction (an atomic upsert); ``activity.activity_rebuild`` recounts it from
    the messages (the nightly repair and the backfill). Deleted messages keep
    counting — the send happened; a tombstone only removes the text — and edits
    change nothing. Messages whose author was erased are not counted (the row goes
    with the person)."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    messages = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # the upsert's conflict target, and the dashboard's index (workspace, day range, authors)
            models.UniqueConstraint(
                fields=["organization", "day", "author"], name="message_activity_day_key"
            ),
            models.CheckConstraint(condition=Q(messages__gte=1), name="message_activity_day_positive"),
        ]

    def __str__(self):
        return f"{self.day} {self.author_id}: {self.messages}"


class ChatFirstReply(models.Model):
    """When a mentor of an engagement first wrote in its chat (at or after the
    engagement's start): the dashboard's "time to first answer". Written once by
    ``message_send`` (insert, conflict = already answered), repaired from the
    messages by ``activity.first_replies_rebuild``."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, primary_key=True, related_name="first_reply"
    )
    engagement = models.OneToOneField(
        "mentoring.Engagement", on_delete=models.CASCADE, related_name="chat_first_reply"
    )
    replied_at = models.DateTimeField()

    def __str__(self):
        return f"engagement {self.engagement_id} answered at {self.replied_at:%Y-%m-%d %H:%M}"


class MemberActivityMonth(models.Model):
    """On which UTC days of one month one person sent at least one chat message in
    one workspace: ``days`` is a bitmap (bit 0 = the 1st, bit 30 = the 31st), the
    ``MessageActivityDay`` rows of that month folded into one row, so the dashboard's
    "active members" reads a dozen rows per person a year instead of one per day.

    Metadata only (no text, no counts). ``message_send`` sets the day's bit in the
    send's own transaction, only on the person's first message of that day (an
    atomic ``days = days | bit`` upsert); ``activity.activity_rebuild`` recomputes the
    months it touches from ``MessageActivityDay`` (the nightly repair and the
    backfill). Always equal to ``MessageActivityDay`` folded per month; rows go with
    the person (erased) and the workspace."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The 1st of the month (UTC).")
    days = models.IntegerField(help_text="Bitmap of the days with a message: bit 0 = the 1st.")

    class Meta:
        constraints = [
            # the upsert's conflict target, and the dashboard's index (workspace, month range, authors)
            models.UniqueConstraint(
                fields=["organization", "month", "author"], name="member_activity_month_key"
            ),
            models.CheckConstraint(condition=Q(days__gte=1), name="member_activity_month_nonempty"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.author_id}: {self.days:031b}"


# the meaning vectors live in their own module; imported here so the app registers them
from messaging.vectors import ExpertiseVector, QuestionVector  # noqa: E402, F401
