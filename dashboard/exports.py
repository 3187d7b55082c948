"""CSV exports for talent managers (engagements, participation, KPIs, skills gaps), streamed.

Every writer yields CSV lines one at a time; row sources are read with
``iterator(chunk_size=…)`` so a workspace of any size streams in bounded memory.
Every text cell goes through ``cell`` (``core.csv_stream.csv_cell``: a leading
``= + - @``, also fullwidth or after spaces, or a tab/CR is defused with a quote),
because spreadsheets run such cells as formulas. Metadata only: names,
e-mail addresses, roles, counts and dates — never what anyone wrote.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Max, Prefetch, Q, QuerySet

from accounts.models import Membership
from core.csv_stream import csv_cell
from dashboard.overview import overview
from dashboard.period import Period, overlapping
from dashboard.skills import skills_supply_demand
from mentoring.models import Commitment, Engagement, Participant, Program
from messaging.models import Answer, Message, Question

CHUNK = 500
cell = csv_cell  # every text cell: a spreadsheet will not run it as a formula


def _iso(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat() if value else ""


class _Echo:
    def write(self, value):
        return value


def csv_lines(header, rows) -> Iterator[str]:
    """The CSV text of ``header`` then each row, one line per ``yield``."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


# --- engagements ----------------------------------------------------------------------------------


def engagements_for_export(
    membership: Membership, period: Period, *, program: Program | None = None
) -> QuerySet[Engagement]:
    """Engagements running in the period (optionally of one program) with what the CSV needs:
    the program, people (prefetched per chunk when iterated) and commitment outcomes."""
    qs = Engagement.objects.filter(organization_id=membership.organization_id).filter(
        overlapping(period.start, period.end)
    )
    if program is not None:
        qs = qs.filter(program_id=program.pk)
    return (
        qs.select_related("program")
        .prefetch_related(
            Prefetch(
                "participants",
                queryset=Participant.objects.select_related("user").order_by("role", "joined_at", "id"),
            )
        )
        .annotate(
            commitments_kept=Count("commitments", filter=Q(commitments__state=Commitment.State.KEPT)),
            commitments_missed=Count("commitments", filter=Q(commitments__state=Commitment.State.MISSED)),
        )
        .order_by("starts_at", "id")
    )


ENGAGEMENTS_HEADER = (
    "id",
    "kind",
    "state",
    "title",
    "program",
    "starts_at",
    "ends_at",
    "participants",
    "mentors",
    "seekers",
    "commitments_kept",
    "commitments_missed",
)


def engagement_row(engagement: Engagement) -> list:
    people = list(engagement.participants.all())
    mentors = [p.user.display_name for p in people if p.role == Participant.Role.MENTOR]
    seekers = [p.user.display_name for p in people if p.role == Participant.Role.SEEKER]
    return [
        engagement.pk,
        engagement.kind,
        engagement.state,
        cell(engagement.title),
        cell(engagement.program.name) if engagement.program else "",
        engagement.starts_at.astimezone(UTC).isoformat(),
        engagement.ends_at.astimezone(UTC).isoformat(),
        len(people),
        cell("; ".join(mentors)),
        cell("; ".join(seekers)),
        engagement.commitments_kept,
        engagement.commitments_missed,
    ]


def engagements_csv(
    membership: Membership, period: Period, *, program: Program | None = None
) -> Iterator[str]:
    """The engagements CSV: the engagements running in the period (optionally of one
    program), read in chunks of CHUNK; each row counts the engagement's kept and
    missed commitments (all time)."""
    rows = engagements_for_export(membership, period, program=program).iterator(chunk_size=CHUNK)
    return csv_lines(ENGAGEMENTS_HEADER, (engagement_row(e) for e in rows))


# --- participation ------------------------------------------------------------------------------

PARTICIPATION_HEADER = (
    "user_id",
    "name",
    "email",
    "role",
    "joined_at",
    "engagements_as_mentor",
    "engagements_as_seeker",
    "messages_sent",
    "questions_asked",
    "questions_answered",
    "answers_accepted",
    "last_active_at",
)


@dataclass
class Activity:
    """One member's participation figures (zero when absent)."""

    as_mentor: int = 0
    as_seeker: int = 0
    messages_sent: int = 0
    questions_asked: int = 0
    questions_answered: int = 0
    answers_accepted: int = 0
    last_active_at: datetime | None = None

    def seen(self, at: datetime | None) -> None:
        if at is not None and (self.last_active_at is None or at > self.last_active_at):
            self.last_active_at = at


def participation_activity(membership: Membership, period: Period) -> dict[int, Activity]:
    """Per person, from seven grouped queries (one scan of each source, whatever the
    number of members): engagements running in the period by role, messages sent,
    questions asked, distinct questions answered and accepted answers (all in the
    period), and the latest message, question, answer, commitment or engagement join
    ever (last active)."""
    org = membership.organization_id
    activity: dict[int, Activity] = defaultdict(Activity)
    span = {"created_at__gte": period.start, "created_at__lt": period.end}
    running = Q(engagement__starts_at__lt=period.end) & (
        Q(engagement__ended_at__isnull=True) | Q(engagement__ended_at__gt=period.start)
    )
    for user_id, role, n in (
        Participant.objects.filter(engagement__organization_id=org)
        .filter(running)
        .order_by()
        .values_list("user_id", "role")
        .annotate(n=Count("engagement_id", distinct=True))
    ):
        if role == Participant.Role.MENTOR:
            activity[user_id].as_mentor = n
        else:
            activity[user_id].as_seeker = n
    for user_id, n, latest in (
        Message.objects.filter(conversation__organization_id=org, author_id__isnull=False)
        .order_by()
        .values_list("author_id")
        .annotate(n=Count("id", filter=Q(**span)), latest=Max("created_at"))
    ):
        activity[user_id].messages_sent = n
        activity[user_id].seen(latest)
    for user_id, n, latest in (
        Question.objects.filter(organization_id=org)
        .order_by()
        .values_list("author_id")
        .annotate(n=Count("id", filter=Q(**span)), latest=Max("created_at"))
    ):
        activity[user_id].questions_asked = n
        activity[user_id].seen(latest)
    for user_id, answered, accepted, latest in (
        Answer.objects.filter(question__organization_id=org)
        .order_by()
        .values_list("author_id")
        .annotate(
            answered=Count("question_id", distinct=True, filter=Q(**span)),
            accepted=Count("id", filter=Q(accepted=True, **span)),
            latest=Max("created_at"),
        )
    ):
        activity[user_id].questions_answered = answered
        activity[user_id].answers_accepted = accepted
        activity[user_id].seen(latest)
    for user_id, latest in (
        Commitment.objects.filter(engagement__organization_id=org)
        .order_by()
        .values_list("owner_id")
        .annotate(latest=Max("created_at"))
    ):
        activity[user_id].seen(latest)
    for user_id, latest in (
        Participant.objects.filter(engagement__organization_id=org)
        .order_by()
        .values_list("user_id")
        .annotate(latest=Max("joined_at"))
    ):
        activity[user_id].seen(latest)
    return activity


def participation_members(membership: Membership) -> QuerySet:
    """The workspace's active members in name order (read in chunks while streaming)."""
    return (
        Membership.objects.filter(organization_id=membership.organization_id, is_active=True)
        .select_related("user")
        .order_by("user__full_name", "user__email", "id")
    )


def participation_row(row: Membership, figures: Activity) -> list:
    return [
        row.user_id,
        cell(row.user.display_name),
        cell(row.user.email),
        row.role,
        _iso(row.joined_at),
        figures.as_mentor,
        figures.as_seeker,
        figures.messages_sent,
        figures.questions_asked,
        figures.questions_answered,
        figures.answers_accepted,
        _iso(figures.last_active_at),
    ]


def participation_csv(membership: Membership, period: Period) -> Iterator[str]:
    """The participation CSV: the figures are read first (grouped, bounded by the number
    of people), then the members stream in chunks of ``CHUNK``."""
    activity = participation_activity(membership, period)
    nothing = Activity()
    members = participation_members(membership).iterator(chunk_size=CHUNK)
    return csv_lines(
        PARTICIPATION_HEADER, (participation_row(m, activity.get(m.user_id, nothing)) for m in members)
    )


# --- KPIs -----------------------------------------------------------------------------------------

BUCKETS = ("week", "month")
KPI_LEAD = ("bucket_start", "bucket_end")


def _next_month(at: datetime) -> datetime:
    return at.replace(year=at.year + 1, month=1) if at.month == 12 else at.replace(month=at.month + 1)


def kpi_buckets(period: Period, bucket: str) -> list[Period]:
    """The period cut into calendar weeks (Monday 00:00 UTC) or months, the first and
    last clipped to the period."""
    start = period.start
    if bucket == "week":
        first = (start - timedelta(days=start.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)

        def step(at):
            return at + timedelta(days=7)
    else:
        first = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        step = _next_month
    buckets, at = [], first
    while at < period.end:
        following = step(at)
        lo, hi = max(at, period.start), min(following, period.end)
        buckets.append(Period(start=lo, end=hi, label=f"{lo:%Y-%m-%d} to {hi:%Y-%m-%d}"))
        at = following
    return buckets


def kpi_csv(membership: Membership, period: Period, bucket: str) -> Iterator[str]:
    """The overview figures (``dashboard.overview.overview``, its ``current`` values)
    for each bucket of the period, one row per bucket, computed as the stream is read.
    The columns are the overview's figure names, in its order (no data = empty cell)."""
    writer = csv.writer(_Echo())
    header: list[str] | None = None
    for part in kpi_buckets(period, bucket):
        figures = overview(membership, part)
        if header is None:
            header = list(figures)
            yield writer.writerow([*KPI_LEAD, *header])
        yield writer.writerow(
            [
                _iso(part.start),
                _iso(part.end),
                *("" if figures[name].current is None else figures[name].current for name in header),
            ]
        )


# --- skills gaps ----------------------------------------------------------------------------------

SKILLS_HEADER = (
    "skill_id",
    "skill",
    "seekers",
    "learners",
    "open_requests",
    "unanswered_questions",
    "mentors",
    "mentors_with_capacity",
    "weighted_supply",
    "gap",
    "routed_sent",
    "routed_answered",
    "routed_late",
    "routed_missed",
    "routed_passed_or_referred",
    "routed_pending",
)


def skills_csv(membership: Membership, period: Period) -> Iterator[str]:
    rows = skills_supply_demand(membership, period)
    return csv_lines(
        SKILLS_HEADER,
        (
            [
                r.skill_id,
                cell(r.name),
                r.seekers,
                r.learners,
                r.open_requests,
                r.unanswered_questions,
                r.mentors,
                r.mentors_with_capacity,
                r.weighted_supply,
                r.gap,
                r.routing.sent,
                r.routing.answered,
                r.routing.late,
                r.routing.missed,
                r.routing.declined,
                r.routing.pending,
            ]
            for r in rows
        ),
    )
