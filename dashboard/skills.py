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
of the workspace (grouped counts; the demand union is counted in SQL).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Count, F, Q, QuerySet

from accounts.models import Expertise, LearningGoal, Membership, Skill
from core.errors import NotFound
from dashboard.overview import Period
from mentoring.engagements.selectors import LOAD_STATES, mentor_load_subquery
from mentoring.models import Engagement, MentoringRequest, Participant
from messaging.models import Answer, Question, RoutingAttempt

OPEN_REQUEST_STATES = (MentoringRequest.State.OPEN, MentoringRequest.State.INVITING)
SEEKING_QUESTION_STATES = (Question.State.OPEN, Question.State.ANSWERED)
MAX_LEVEL = 5
# Lists on the drill-down stop here; the page says how many more there are.
PEOPLE_LIMIT = 100
HINT_LIMIT = 20

Outcome = RoutingAttempt.Outcome


@dataclass
class Routing:
    sent: int = 0
    answered: int = 0
    late: int = 0
    missed: int = 0
    declined: int = 0  # passed or referred someone else
    pending: int = 0

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


def _active(org_id: int, user_path: str) -> Q:
    return Q(
        **{
            f"{user_path}__membership__organization_id": org_id,
            f"{user_path}__membership__is_active": True,
        }
    )


def _demand_pairs(org_id: int, skill_id: int | None = None):
    """(skill, person) pairs of demand, one queryset per source, ready for a UNION."""
    goals = LearningGoal.objects.filter(skill__organization_id=org_id).filter(_active(org_id, "user"))
    requests = MentoringRequest.skills.through.objects.filter(
        mentoringrequest__organization_id=org_id, mentoringrequest__state__in=OPEN_REQUEST_STATES
    ).filter(_active(org_id, "mentoringrequest__seeker"))
    questions = Question.skills.through.objects.filter(
        question__organization_id=org_id,
        question__scope=Question.Scope.NETWORK,
        question__state__in=SEEKING_QUESTION_STATES,
    ).filter(_active(org_id, "question__author"))
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
    ).filter(_active(org_id, "user"))
    if skill_id is not None:
        qs = qs.filter(skill_id=skill_id)
    return qs.order_by().values_list("skill_id", "user_id", "level", "user__profile__capacity")


def mentor_loads(org_id: int) -> dict[int, int]:
    """How many engagements each person of the workspace mentors now (the same count as
    ``mentoring.engagements.selectors.mentor_load``), in one grouped query instead of one per person."""
    return dict(
        Participant.objects.filter(
            engagement__organization_id=org_id,
            engagement__state__in=LOAD_STATES,
            role=Participant.Role.MENTOR,
            left_at__isnull=True,
        )
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
    rows = (
        qs.order_by()
        .values("question__skills")
        .annotate(
            sent=Count("id"),
            answered=Count("id", filter=Q(outcome=Outcome.ANSWERED)),
            late=Count("id", filter=Q(outcome=Outcome.LATE)),
            missed=Count("id", filter=Q(outcome=Outcome.MISSED)),
            declined=Count("id", filter=Q(outcome__in=[Outcome.PASSED, Outcome.REFERRED])),
            pending=Count("id", filter=Q(outcome=Outcome.PENDING)),
        )
    )
    return {
        row["question__skills"]: Routing(
            sent=row["sent"],
            answered=row["answered"],
            late=row["late"],
            missed=row["missed"],
            declined=row["declined"],
            pending=row["pending"],
        )
        for row in rows
    }


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
        one(LearningGoal.objects.filter(skill__organization_id=org_id).filter(_active(org_id, "user"))),
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
    loads = mentor_loads(org_id)
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


# --- drill-down ---------------------------------------------------------------------------------


def access_skill(membership: Membership, skill_id) -> Skill:
    """A skill of the manager's workspace; one ``NotFound`` for missing and elsewhere."""
    try:
        skill_id = int(skill_id)
    except (TypeError, ValueError):
        raise NotFound("No such skill in this workspace.") from None
    skill = Skill.objects.filter(pk=skill_id, organization_id=membership.organization_id).first()
    if skill is None:
        raise NotFound("No such skill in this workspace.")
    return skill


@dataclass
class Seeker:
    user_id: int
    name: str
    goal_since: datetime | None = None
    open_requests: int = 0
    open_questions: int = 0
    unanswered_questions: int = 0
    since: datetime | None = None

    def seen(self, at: datetime) -> None:
        self.since = at if self.since is None else min(self.since, at)


@dataclass
class Mentor:
    user_id: int
    name: str
    level: int
    capacity: int
    load: int
    open_to_mentor: bool
    is_away: bool
    routing: Routing = field(default_factory=Routing)

    @property
    def capacity_left(self) -> int:
        return max(0, self.capacity - self.load)

    @property
    def available(self) -> bool:
        return self.open_to_mentor and not self.is_away

    @property
    def weight(self) -> float:
        return round(weighted(self.level, self.capacity, self.load), 2) if self.available else 0.0


@dataclass
class Hint:
    user_id: int
    name: str
    reason: str


@dataclass
class SkillDetail:
    skill: Skill
    row: SkillRow
    seekers: list[Seeker]
    seekers_total: int
    mentors: list[Mentor]
    mentors_total: int
    weeks: list[dict]
    hints: list[Hint]


def _week(at: datetime | date) -> date:
    day = at.date() if isinstance(at, datetime) else at
    return day - timedelta(days=day.weekday())


def _weeks(period: Period) -> list[date]:
    first, last = _week(period.start), _week(period.end - timedelta(microseconds=1))
    weeks, day = [], first
    while day <= last:
        weeks.append(day)
        day += timedelta(days=7)
    return weeks


def skill_detail(membership: Membership, skill: Skill, period: Period) -> SkillDetail:
    """One skill: its table row, the people who seek it and who can mentor it (names
    and counts only), weekly trends over the period and "grow mentors here" hints."""
    org_id = membership.organization_id
    (row,) = skills_supply_demand(membership, period, skill=skill)

    # seekers: three sources merged per person
    seekers: dict[int, Seeker] = {}

    def seeker(user_id, full_name, email) -> Seeker:
        if user_id not in seekers:
            seekers[user_id] = Seeker(user_id=user_id, name=full_name or email.split("@")[0])
        return seekers[user_id]

    for user_id, full_name, email, created_at in (
        LearningGoal.objects.filter(skill=skill)
        .filter(_active(org_id, "user"))
        .order_by("created_at")
        .values_list("user_id", "user__full_name", "user__email", "created_at")
    ):
        person = seeker(user_id, full_name, email)
        person.goal_since = created_at
        person.seen(created_at)
    for user_id, full_name, email, created_at in (
        MentoringRequest.objects.filter(organization_id=org_id, skills=skill, state__in=OPEN_REQUEST_STATES)
        .filter(_active(org_id, "seeker"))
        .order_by("created_at")
        .values_list("seeker_id", "seeker__full_name", "seeker__email", "created_at")
    ):
        person = seeker(user_id, full_name, email)
        person.open_requests += 1
        person.seen(created_at)
    for user_id, full_name, email, created_at, state in (
        Question.objects.filter(
            organization_id=org_id,
            scope=Question.Scope.NETWORK,
            skills=skill,
            state__in=SEEKING_QUESTION_STATES,
        )
        .filter(_active(org_id, "author"))
        .order_by("created_at")
        .values_list("author_id", "author__full_name", "author__email", "created_at", "state")
    ):
        person = seeker(user_id, full_name, email)
        person.open_questions += 1
        if state == Question.State.OPEN:
            person.unanswered_questions += 1
        person.seen(created_at)
    seeker_list = sorted(seekers.values(), key=lambda s: (s.since, s.user_id))

    # mentors: everyone who declared the skill (available or not), with their routing record
    routing_by_candidate = {
        r["candidate_id"]: Routing(
            sent=r["sent"],
            answered=r["answered"],
            late=r["late"],
            missed=r["missed"],
            declined=r["declined"],
            pending=r["pending"],
        )
        for r in RoutingAttempt.objects.filter(
            organization_id=org_id,
            question__skills=skill,
            notified_at__gte=period.start,
            notified_at__lt=period.end,
        )
        .order_by()
        .values("candidate_id")
        .annotate(
            sent=Count("id"),
            answered=Count("id", filter=Q(outcome=Outcome.ANSWERED)),
            late=Count("id", filter=Q(outcome=Outcome.LATE)),
            missed=Count("id", filter=Q(outcome=Outcome.MISSED)),
            declined=Count("id", filter=Q(outcome__in=[Outcome.PASSED, Outcome.REFERRED])),
            pending=Count("id", filter=Q(outcome=Outcome.PENDING)),
        )
    }
    mentors = [
        Mentor(
            user_id=user_id,
            name=full_name or email.split("@")[0],
            level=level,
            capacity=capacity,
            load=load,
            open_to_mentor=open_to_mentor,
            is_away=is_away,
            routing=routing_by_candidate.get(user_id, Routing()),
        )
        for user_id, full_name, email, level, capacity, load, open_to_mentor, is_away in (
            Expertise.objects.filter(skill=skill)
            .filter(_active(org_id, "user"))
            .annotate(load=mentor_load_subquery("user_id"))
            .order_by("-level", "user__full_name", "user_id")
            .values_list(
                "user_id",
                "user__full_name",
                "user__email",
                "level",
                "user__profile__capacity",
                "load",
                "user__profile__open_to_mentor",
                "user__profile__is_away",
            )
        )
    ]

    return SkillDetail(
        skill=skill,
        row=row,
        seekers=seeker_list[:PEOPLE_LIMIT],
        seekers_total=len(seeker_list),
        mentors=mentors[:PEOPLE_LIMIT],
        mentors_total=len(mentors),
        weeks=_skill_weeks(org_id, skill, period),
        hints=_hints(org_id, skill, mentors),
    )


def _skill_weeks(org_id: int, skill: Skill, period: Period) -> list[dict]:
    """Per week of the period: new learning goals, requests and network questions for the
    skill, and routed attempts for it that were answered in time or missed."""
    weeks = {
        week: {"week": week, "goals": 0, "requests": 0, "questions": 0, "answered": 0, "missed": 0}
        for week in _weeks(period)
    }

    def add(key: str, timestamps) -> None:
        for at in timestamps:
            bucket = weeks.get(_week(at))
            if bucket is not None:
                bucket[key] += 1

    span = {"gte": period.start, "lt": period.end}
    add(
        "goals",
        LearningGoal.objects.filter(skill=skill, created_at__gte=span["gte"], created_at__lt=span["lt"])
        .order_by()
        .values_list("created_at", flat=True),
    )
    add(
        "requests",
        MentoringRequest.objects.filter(
            organization_id=org_id, skills=skill, created_at__gte=span["gte"], created_at__lt=span["lt"]
        )
        .order_by()
        .values_list("created_at", flat=True),
    )
    add(
        "questions",
        Question.objects.filter(
            organization_id=org_id,
            scope=Question.Scope.NETWORK,
            skills=skill,
            created_at__gte=span["gte"],
            created_at__lt=span["lt"],
        )
        .order_by()
        .values_list("created_at", flat=True),
    )
    for notified_at, outcome in (
        RoutingAttempt.objects.filter(
            organization_id=org_id,
            question__skills=skill,
            outcome__in=[Outcome.ANSWERED, Outcome.MISSED],
            notified_at__gte=span["gte"],
            notified_at__lt=span["lt"],
        )
        .order_by()
        .values_list("notified_at", "outcome")
    ):
        bucket = weeks.get(_week(notified_at))
        if bucket is not None:
            bucket["answered" if outcome == Outcome.ANSWERED else "missed"] += 1
    return list(weeks.values())


def _hints(org_id: int, skill: Skill, mentors: list[Mentor]) -> list[Hint]:
    """People the organization could grow into (more) mentors for this skill:

    - declared it at level 3+ but are not open to mentoring, or away;
    - mentor it but their capacity is used up (raise it, or spread the load);
    - wrote answers the asker accepted on questions about it, without declaring it;
    - completed an engagement about it as a seeker and have not declared it yet.
    """
    hints: list[Hint] = []
    for m in mentors:
        if not m.open_to_mentor and m.level >= 3:
            hints.append(Hint(m.user_id, m.name, f"Declared level {m.level} but is not open to mentoring."))
        elif m.is_away and m.level >= 3:
            hints.append(Hint(m.user_id, m.name, f"Level {m.level}, currently away."))
        elif m.available and m.capacity_left == 0:
            hints.append(
                Hint(m.user_id, m.name, f"At capacity ({m.load} of {m.capacity}); more capacity adds supply.")
            )
    declared = Expertise.objects.filter(skill=skill).values("user_id")
    for user_id, full_name, email, n in (
        Answer.objects.filter(
            accepted=True,
            question__organization_id=org_id,
            question__skills=skill,
        )
        .filter(_active(org_id, "author"))
        .exclude(author_id__in=declared)
        .order_by()
        .values_list("author_id", "author__full_name", "author__email")
        .annotate(n=Count("id"))
        .order_by("-n", "author_id")[:HINT_LIMIT]
    ):
        name = full_name or email.split("@")[0]
        hints.append(Hint(user_id, name, f"{n} accepted answer(s) on it, but has not declared the skill."))
    for user_id, full_name, email, n in (
        Participant.objects.filter(
            role=Participant.Role.SEEKER,
            engagement__organization_id=org_id,
            engagement__state=Engagement.State.COMPLETED,
            engagement__skills=skill,
        )
        .filter(_active(org_id, "user"))
        .exclude(user_id__in=declared)
        .order_by()
        .values_list("user_id", "user__full_name", "user__email")
        .annotate(n=Count("engagement_id", distinct=True))
        .order_by("-n", "user_id")[:HINT_LIMIT]
    ):
        name = full_name or email.split("@")[0]
        hints.append(
            Hint(user_id, name, f"Completed {n} engagement(s) on it as a seeker; could mentor beginners.")
        )
    return hints
