"""The attention list: what in the workspace needs a talent manager's hand now.

Six lists, each a bounded page (``LIMIT`` rows, the most urgent first) with the total
count, each read in at most four queries whatever the size of the workspace. Metadata
only — people, dates, states and counts, never what anyone wrote:

- **idle engagements** — active ones with no sign of life for ``days`` days: the latest
  of its ``last_activity_at``, its chat's ``last_message_at`` and its commitments'
  creation or decision (the start when there is nothing yet);
- **unanswered questions** — network questions still without any answer after the
  routing window: every routed candidate's window ended (``RoutingAttempt
  .window_ends_at``), or nobody was routed and the question is older than
  ``QUESTION_WINDOW``;
- **overloaded mentors** — mentoring more engagements than their capacity, or with
  ``PENDING_ROUTED_LIMIT`` or more routed questions waiting on them;
- **responsiveness drops** — people whose responsiveness score (daily snapshots,
  ``trust.workspace_reads``) fell by ``RESPONSIVENESS_DROP`` or more against the snapshot
  ``RESPONSIVENESS_LOOKBACK`` earlier;
- **stuck invitations** — a live invitation past its deadline (the expiry sweep has
  not moved the cascade on), or a request still inviting after ``CASCADE_STUCK``;
- **open trust disputes** — waiting for a manager's decision;
- **suspicious patterns** — what the nightly trust detection found (``trust.workspace_reads
  .suspicious_patterns``): a dense reciprocal cluster or a burst of praise from new
  accounts, with the people and the counts behind it. Its evidence already counts a tenth;
  a manager who finds it is gaming voids it in the dispute queue, and voided evidence
  stops counting everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, DateTimeField, F, Max, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest

from accounts.models import Membership, User
from core import clock
from dashboard.skills import workspace_mentor_loads
from mentoring.models import Engagement, Invitation, MentoringRequest, Participant
from messaging.models import Question, RoutingAttempt
from trust import workspace_reads

LIMIT = 50
DEFAULT_IDLE_DAYS = 7
MAX_IDLE_DAYS = 365
PENDING_ROUTED_LIMIT = 3
RESPONSIVENESS_DROP = 0.15
RESPONSIVENESS_LOOKBACK = timedelta(days=30)
CASCADE_STUCK = timedelta(hours=72)


def question_window() -> timedelta:
    """How long an unrouted network question may wait for a first answer
    (``TANDEM_ATTENTION_QUESTION_WINDOW_HOURS``, default 24)."""
    return timedelta(hours=float(getattr(settings, "TANDEM_ATTENTION_QUESTION_WINDOW_HOURS", 24)))


@dataclass
class Section:
    items: list
    total: int

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.items))


def _page(queryset: QuerySet) -> Section:
    items = list(queryset[:LIMIT])
    total = len(items) if len(items) < LIMIT else queryset.order_by().count()
    return Section(items=items, total=total)


# --- engagements --------------------------------------------------------------------------------


def idle_engagements(membership: Membership, days: int) -> Section:
    """Active engagements with no message, commitment or other activity for ``days`` days,
    the longest idle first; participants prefetched (names for the list)."""
    now = clock.now()
    cutoff = now - timedelta(days=days)
    start = F("starts_at")
    last_seen = Greatest(
        Coalesce("last_activity_at", start),
        Coalesce(Max("conversations__last_message_at"), start),
        Coalesce(Max("commitments__created_at"), start),
        Coalesce(Max("commitments__decided_at"), start),
        output_field=DateTimeField(),
    )
    queryset = (
        Engagement.objects.filter(
            organization_id=membership.organization_id,
            state=Engagement.State.ACTIVE,
            starts_at__lt=cutoff,
        )
        .annotate(last_seen=last_seen)
        .filter(last_seen__lt=cutoff)
        .prefetch_related(
            Prefetch(
                "participants",
                queryset=Participant.objects.filter(left_at__isnull=True)
                .select_related("user")
                .order_by("role", "joined_at", "id"),
            )
        )
        .order_by("last_seen", "id")
    )
    items = list(queryset[:LIMIT])
    total = (
        len(items)
        if len(items) < LIMIT
        else Engagement.objects.filter(
            organization_id=membership.organization_id,
            state=Engagement.State.ACTIVE,
            starts_at__lt=cutoff,
        )
        .annotate(last_seen=last_seen)
        .filter(last_seen__lt=cutoff)
        .count()
    )
    for engagement in items:
        engagement.idle_days = (now - engagement.last_seen).days
    return Section(items=items, total=total)


# --- questions ----------------------------------------------------------------------------------


def unanswered_questions(membership: Membership) -> Section:
    """Network questions without an answer past the routing window, oldest first."""
    now = clock.now()
    queryset = (
        Question.objects.filter(
            organization_id=membership.organization_id,
            scope=Question.Scope.NETWORK,
            state=Question.State.OPEN,
        )
        .annotate(
            window_ends=Max("routing_attempts__window_ends_at"),
            routed=Count("routing_attempts"),
            waiting=Count(
                "routing_attempts",
                filter=Q(routing_attempts__outcome=RoutingAttempt.Outcome.PENDING),
            ),
        )
        .filter(Q(window_ends__lt=now) | Q(window_ends__isnull=True, created_at__lt=now - question_window()))
        .select_related("author")
        .order_by("created_at", "id")
    )
    section = _page(queryset)
    for question in section.items:
        question.waiting_hours = int((now - question.created_at).total_seconds() // 3600)
    return section


# --- mentors ------------------------------------------------------------------------------------


@dataclass
class Overloaded:
    user: object
    load: int
    capacity: int
    pending_routed: int

    @property
    def user_id(self) -> int:
        return self.user.pk

    @property
    def over(self) -> int:
        return self.load - self.capacity


def overloaded_mentors(membership: Membership) -> Section:
    """Members mentoring more engagements than their capacity, or with
    ``PENDING_ROUTED_LIMIT`` or more routed questions waiting on them; the most over
    capacity first. Four queries: loads and pending attempts grouped per person, the
    capacities, then the people of the page."""
    org_id = membership.organization_id
    loads = workspace_mentor_loads(org_id)
    pending = dict(
        RoutingAttempt.objects.filter(organization_id=org_id, outcome=RoutingAttempt.Outcome.PENDING)
        .order_by()
        .values_list("candidate_id")
        .annotate(n=Count("id"))
    )
    found = []
    for user_id, capacity in (
        Membership.objects.filter(organization_id=org_id, is_active=True)
        .order_by()
        .values_list("user_id", "user__profile__capacity")
    ):
        load, waiting = loads.get(user_id, 0), pending.get(user_id, 0)
        if load > (capacity or 0) or waiting >= PENDING_ROUTED_LIMIT:
            found.append((user_id, load, capacity or 0, waiting))
    found.sort(key=lambda row: (-(row[1] - row[2]), -row[3], row[0]))
    page = found[:LIMIT]
    users = User.objects.in_bulk([row[0] for row in page])
    items = [Overloaded(users[user_id], load, capacity, waiting) for user_id, load, capacity, waiting in page]
    return Section(items=items, total=len(found))


# --- trust ----------------------------------------------------------------------------------------


def responsiveness_drops(membership: Membership) -> Section:
    """People whose latest responsiveness snapshot is ``RESPONSIVENESS_DROP`` or more below
    their latest one from ``RESPONSIVENESS_LOOKBACK`` earlier; the sharpest fall first."""
    today = clock.now().date()
    queryset = (
        Membership.objects.filter(organization_id=membership.organization_id, is_active=True)
        .annotate(
            **workspace_reads.responsiveness_then_and_now(
                user_ref="user_id", today=today, then=today - RESPONSIVENESS_LOOKBACK
            )
        )
        .annotate(drop=F("before_mean") - F("now_mean"))
        .filter(drop__gte=RESPONSIVENESS_DROP - 1e-9)
        .select_related("user")
        .order_by("-drop", "user_id")
    )
    return _page(queryset)


def open_disputes(membership: Membership) -> Section:
    """Trust disputes waiting for a decision, oldest first (who raised it and when)."""
    queryset = workspace_reads.open_disputes(membership.organization_id)
    return _page(queryset)


def suspicious_patterns(membership: Membership) -> Section:
    """Dense reciprocal clusters and bursts from new accounts, newest first, each with the
    people involved (``members``) and a plain-words account of the evidence (``summary``)."""
    section = _page(workspace_reads.suspicious_patterns(membership.organization_id))
    ids = {person for pattern in section.items for person in pattern.people}
    people = User.objects.in_bulk(ids)
    for pattern in section.items:
        pattern.members = [people[i] for i in pattern.people if i in people]
        facts = pattern.facts
        if pattern.kind == "cluster":
            pattern.summary = (
                f"{facts.get('members', len(pattern.people))} people traded evidence both ways along "
                f"{facts.get('mutual_ties', 0)} ties, {facts.get('pieces_inside', 0)} pieces among "
                "themselves in the last 90 days"
            )
        else:
            pattern.summary = (
                f"{facts.get('new_accounts', len(pattern.people))} accounts younger than "
                f"{facts.get('account_age_days', 30)} days praised {pattern.subject.display_name} "
                f"within {facts.get('window_days', 30)} days"
            )
    return section


# --- invitations --------------------------------------------------------------------------------


def stuck_invitations(membership: Membership) -> Section:
    """Live invitations past their deadline, or whose request has been inviting for longer
    than ``CASCADE_STUCK``; the oldest request first."""
    now = clock.now()
    queryset = (
        Invitation.objects.filter(
            request__organization_id=membership.organization_id,
            request__state=MentoringRequest.State.INVITING,
            state__in=Invitation.LIVE_STATES,
        )
        .filter(Q(expires_at__lt=now) | Q(request__created_at__lt=now - CASCADE_STUCK))
        .select_related("request", "request__seeker", "mentor")
        .annotate(choices_left=Count("request__invitations", filter=Q(request__invitations__state="queued")))
        .order_by("request__created_at", "id")
    )
    section = _page(queryset)
    for invitation in section.items:
        invitation.overdue = invitation.expires_at is not None and invitation.expires_at < now
        invitation.inviting_hours = int((now - invitation.request.created_at).total_seconds() // 3600)
    return section


# --- the page -------------------------------------------------------------------------------------


def attention(membership: Membership, *, idle_days: int = DEFAULT_IDLE_DAYS) -> dict[str, Section]:
    return {
        "idle_engagements": idle_engagements(membership, idle_days),
        "unanswered_questions": unanswered_questions(membership),
        "overloaded_mentors": overloaded_mentors(membership),
        "responsiveness_drops": responsiveness_drops(membership),
        "stuck_invitations": stuck_invitations(membership),
        "open_disputes": open_disputes(membership),
        "suspicious_patterns": suspicious_patterns(membership),
    }
