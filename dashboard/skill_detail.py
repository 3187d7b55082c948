"""One skill for talent managers (``/manage/skills/<id>/``): its row of the supply and
demand table (``dashboard.skills``), the people who seek it and who can mentor it
(names and counts only), weekly trends over the period and "grow mentors here" hints.

Privacy: counts, names and dates only — never the text of a request, question,
answer or goal note. A fixed number of queries whatever the size of the workspace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count

from accounts.models import Expertise, LearningGoal, Membership, Skill
from core.errors import NotFound
from dashboard.period import Period
from dashboard.skills import (
    OPEN_REQUEST_STATES,
    SEEKING_QUESTION_STATES,
    Outcome,
    Routing,
    SkillRow,
    active_in,
    routing_counts,
    skills_supply_demand,
    weighted,
)
from mentoring.engagements.selectors import mentor_load_subquery
from mentoring.models import Engagement, MentoringRequest, Participant
from messaging.models import Answer, Question, RoutingAttempt

# Lists on the drill-down stop here; the page says how many more there are.
PEOPLE_LIMIT = 100
HINT_LIMIT = 20


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
        .filter(active_in(org_id, "user"))
        .order_by("created_at")
        .values_list("user_id", "user__full_name", "user__email", "created_at")
    ):
        person = seeker(user_id, full_name, email)
        person.goal_since = created_at
        person.seen(created_at)
    for user_id, full_name, email, created_at in (
        MentoringRequest.objects.filter(organization_id=org_id, skills=skill, state__in=OPEN_REQUEST_STATES)
        .filter(active_in(org_id, "seeker"))
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
        .filter(active_in(org_id, "author"))
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
        row["candidate_id"]: Routing.from_row(row)
        for row in RoutingAttempt.objects.filter(
            organization_id=org_id,
            question__skills=skill,
            notified_at__gte=period.start,
            notified_at__lt=period.end,
        )
        .order_by()
        .values("candidate_id")
        .annotate(**routing_counts())
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
            .filter(active_in(org_id, "user"))
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
        .filter(active_in(org_id, "author"))
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
        .filter(active_in(org_id, "user"))
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
