"""Skills supply and demand for talent managers: where the workspace should grow mentors.

Per skill of the workspace's taxonomy:

- **demand** — the distinct active members who seek it: a learning goal for it, an
  open request (open or inviting) tagged with it, or a network question tagged with
  it that is not resolved yet (a person counted once even with all three);
- **unanswered demand** — open requests plus questions nobody answered yet;
- **supply** — active members who declared expertise in it and are open to mentoring
  and not away, and their *weighted* supply ``Σ level/5 × capacity left`` (capacity
  left = profile capacity − engagements they currently mentor, never below 0): an
  expert (5) with two free slots weighs 2.0, a practising member (2) with one 0.4;
- **gap** — demand − weighted supply (sorted by it, largest first);
- **routing outcomes** — routed-question attempts (``messaging.RoutingAttempt``) for
  questions tagged with it, notified in the period: sent, answered in time, late,
  missed, passed or referred, still pending.

Privacy: counts, names and dates only — never the text of a request, question,
answer or goal note. Each selector runs a fixed number of queries whatever the size
of the workspace (grouped counts; the demand union is counted in SQL). One skill's
page is ``dashboard.skill_detail``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, F, Q, QuerySet

from accounts.models import Expertise, LearningGoal, Membership, Skill
from dashboard.period import Period
from mentoring.engagements.selectors import mentoring_now
from mentoring.models import MentoringRequest
from messaging.models import Question, RoutingAttempt

OPEN_REQUEST_STATES = (MentoringRequest.State.OPEN, MentoringRequest.State.INVITING)
SEEKING_QUESTION_STATES = (Question.State.OPEN, Question.State.ANSWERED)
MAX_LEVEL = 5


Outcome = RoutingAttempt.Outcome


@dataclass
class Routing:
    sent: int = 0
    answered: int = 0
    late: int = 0
    missed: int = 0
    declined: int = 0  # passed or referred someone else
    pending: int = 0

    @classmethod
    def from_row(cls, row: dict) -> Routing:
        """From a row annotated with ``routing_counts()``."""
        return cls(**{name: row[name] for name in ROUTING_COUNTS})

    @property
    def answer_rate(self) -> float | None:
        """Answered within the window / sent (``None`` when nothing was sent)."""
        return round(self.answered / self.sent, 4) if self.sent else None

    def as_dict(self) -> dict:
        return {
            "sent": self.sent,
            "answered": self.answered,
            "late": self.late,
            "missed": self.missed,
            "declined": self.declined,
            "pending": self.pending,
            "answer_rate": self.answer_rate,
        }


ROUTING_COUNTS = ("sent", "answered", "late", "missed", "declined", "pending")


def routing_counts() -> dict:
    """Annotations counting a group of ``RoutingAttempt`` rows into ``Routing``'s fields."""
    return {
        "sent": Count("id"),
        "answered": Count("id", filter=Q(outcome=Outcome.ANSWERED)),
        "late": Count("id", filter=Q(outcome=Outcome.LATE)),
        "missed": Count("id", filter=Q(outcome=Outcome.MISSED)),
        "declined": Count("id", filter=Q(outcome__in=[Outcome.PASSED, Outcome.REFERRED])),
        "pending": Count("id", filter=Q(outcome=Outcome.PENDING)),
    }


@dataclass
class SkillRow:
    skill_id: int
    name: str
    learners: int = 0
    open_requests: int = 0
    unanswered_questions: int = 0
    seekers: int = 0
    mentors: int = 0
    mentors_with_capacity: int = 0
    weighted_supply: float = 0.0
    routing: Routing = field(default_factory=Routing)

    @property
    def unanswered(self) -> int:
        return self.open_requests + self.unanswered_questions

    @property
    def gap(self) -> float:
        return round(self.seekers - self.weighted_supply, 2)

    def as_dict(self) -> dict:
        return {
            "skill": self.skill_id,
            "name": self.name,
            "learners": self.learners,
            "open_requests": self.open_requests,
            "unanswered_questions": self.unanswered_questions,
            "unanswered": self.unanswered,
            "seekers": self.seekers,
            "mentors": self.mentors,
            "mentors_with_capacity": self.mentors_with_capacity,
            "weighted_supply": self.weighted_supply,
            "gap": self.gap,
            "routing": self.routing.as_dict(),
        }


# --- building blocks (each one query) ----------------------------------------------------------


def active_in(org_id: int, user_path: str) -> Q:
    """The person at ``user_path`` is an active member of the workspace."""
    return Q(
        **{
            f"{user_path}__membership__organization_id": org_id,
            f"{user_path}__membership__is_active": True,
        }
    )


def _demand_pairs(org_id: int, skill_id: int | None = None):
    """(skill, person) pairs of demand, one queryset per source, ready for a UNION."""
    goals = LearningGoal.objects.filter(skill__organization_id=org_id).filter(active_in(org_id, "user"))
    requests = MentoringRequest.skills.through.objects.filter(
        mentoringrequest__organization_id=org_id, mentoringrequest__state__in=OPEN_REQUEST_STATES
    ).filter(active_in(org_id, "mentoringrequest__seeker"))
    questions = Question.skills.through.objects.filter(
        question__organization_id=org_id,
        question__scope=Question.Scope.NETWORK,
        question__state__in=SEEKING_QUESTION_STATES,
    ).filter(active_in(org_id, "question__author"))
    if skill_id is not None:
        goals, requests, questions = (qs.filter(skill_id=skill_id) for qs in (goals, requests, questions))
    return (
        goals.annotate(s=F("skill_id"), p=F("user_id")).order_by().values_list("s", "p"),
        requests.annotate(s=F("skill_id"), p=F("mentoringrequest__seeker_id"))
        .order_by()
        .values_list("s", "p"),
        questions.annotate(s=F("skill_id"), p=F("question__author_id")).order_by().values_list("s", "p"),
    )


def distinct_seekers_per_skill(org_id: int, skill_id: int | None = None) -> dict[int, int]:
    """Distinct people seeking each skill, counted in SQL over the UNION of the three
    sources (UNION drops the duplicate (skill, person) pairs)."""
    goals, requests, questions = _demand_pairs(org_id, skill_id)
    union = goals.union(requests, questions)
    sql, params = union.query.get_compiler(connection=connection).as_sql()
    with connection.cursor() as cursor:
        # ``sql`` is Django's own compiled query; every value travels in ``params``.
        cursor.execute(f"SELECT demand.s, COUNT(*) FROM ({sql}) demand GROUP BY demand.s", params)  # noqa: S608
        return dict(cursor.fetchall())


def _grouped(queryset: QuerySet, key: str) -> dict[int, int]:
    return {row[key]: row["n"] for row in queryset.order_by().values(key).annotate(n=Count("id"))}


def _supply_rows(org_id: int, skill_id: int | None = None) -> QuerySet:
    """Expertise of active members who are open to mentoring and not away."""
    qs = Expertise.objects.filter(
        skill__organization_id=org_id,
        user__profile__open_to_mentor=True,
        user__profile__is_away=False,
    ).filter(active_in(org_id, "user"))
    if skill_id is not None:
        qs = qs.filter(skill_id=skill_id)
    return qs.order_by().values_list("skill_id", "user_id", "level", "user__profile__capacity")


def workspace_mentor_loads(org_id: int) -> dict[int, int]:
    """How many engagements each person of the workspace mentors now (the one definition
    of load, ``mentoring.engagements.selectors.mentoring_now``), in one grouped query."""
    return dict(
        mentoring_now()
        .filter(engagement__organization_id=org_id)
        .order_by()
        .values_list("user_id")
        .annotate(n=Count("id"))
    )


def weighted(level: int, capacity: int, load: int) -> float:
    """A mentor's weight for one skill: level/5 × remaining capacity (≥ 0)."""
    return level / MAX_LEVEL * max(0, capacity - load)


def _routing_per_skill(org_id: int, period: Period, skill_id: int | None = None) -> dict[int, Routing]:
    qs = RoutingAttempt.objects.filter(
        organization_id=org_id,
        notified_at__gte=period.start,
        notified_at__lt=period.end,
        question__skills__isnull=False,
    )
    if skill_id is not None:
        qs = qs.filter(question__skills=skill_id)
    rows = qs.order_by().values("question__skills").annotate(**routing_counts())
    return {row["question__skills"]: Routing.from_row(row) for row in rows}


# --- the table ----------------------------------------------------------------------------------


def skills_supply_demand(
    membership: Membership, period: Period, *, skill: Skill | None = None
) -> list[SkillRow]:
    """Every skill of the workspace (or just ``skill``) with its demand, supply and routing
    outcomes, the largest gap first (then the most unanswered demand, then the name).
    Eight queries."""
    org_id = membership.organization_id
    only = skill.pk if skill is not None else None

    def one(queryset: QuerySet, field_name: str = "skill_id") -> QuerySet:
        return queryset if only is None else queryset.filter(**{field_name: only})

    rows = {
        skill_id: SkillRow(skill_id=skill_id, name=name)
        for skill_id, name in one(Skill.objects.filter(organization_id=org_id), "pk").values_list(
            "id", "name"
        )
    }
    learners = _grouped(
        one(LearningGoal.objects.filter(skill__organization_id=org_id).filter(active_in(org_id, "user"))),
        "skill_id",
    )
    open_requests = _grouped(
        one(
            MentoringRequest.skills.through.objects.filter(
                mentoringrequest__organization_id=org_id, mentoringrequest__state__in=OPEN_REQUEST_STATES
            )
        ),
        "skill_id",
    )
    unanswered_questions = _grouped(
        one(
            Question.skills.through.objects.filter(
                question__organization_id=org_id,
                question__scope=Question.Scope.NETWORK,
                question__state=Question.State.OPEN,
            )
        ),
        "skill_id",
    )
    seekers = distinct_seekers_per_skill(org_id, only)
    routing = _routing_per_skill(org_id, period, only)
    loads = workspace_mentor_loads(org_id)
    for skill_id, user_id, level, capacity in _supply_rows(org_id, only):
        load = loads.get(user_id, 0)
        row = rows.get(skill_id)
        if row is None:
            continue
        row.mentors += 1
        if capacity - load > 0:
            row.mentors_with_capacity += 1
        row.weighted_supply += weighted(level, capacity, load)
    for skill_id, row in rows.items():
        row.weighted_supply = round(row.weighted_supply, 2)
        row.learners = learners.get(skill_id, 0)
        row.open_requests = open_requests.get(skill_id, 0)
        row.unanswered_questions = unanswered_questions.get(skill_id, 0)
        row.seekers = seekers.get(skill_id, 0)
        row.routing = routing.get(skill_id, Routing())
    return sorted(rows.values(), key=lambda r: (-r.gap, -r.unanswered, r.name.lower(), r.skill_id))
