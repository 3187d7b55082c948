"""The hidden world of bench/trust_quality.py: people, their true levels and temperaments,
and the plan of what happens (who asks whom, who keeps their word, how each rater
rates). Pure Python, no database: the same plan is played through the product's real
services in two workspaces (honest, and honest plus the attackers).

Hard on purpose (issue 12): heavy-tailed activity (a few people do most of the
mentoring, most have little evidence), per-skill truth with specialists, over-claimers
(declare skills they are poor at), competent-but-slow people, lenient / harsh /
retaliating raters, a collusion ring trading engagements, commitments, accepts and
answers, a sybil cluster of new accounts praising one person, twelve time zones.
"""

import random
from dataclasses import dataclass, field

ZONES = (
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Helsinki",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
)
STYLES = (("fair", 0.55), ("lenient", 0.17), ("harsh", 0.17), ("retaliating", 0.11))
RING_SIZE = 5
SYBILS = 6


@dataclass
class Person:
    index: int
    skills: list[int]  # declared (may include skills they are poor at)
    competence: dict[int, float]
    integrity: float
    responsiveness: float
    activity: float
    zone: str
    start_hour: int
    style: str
    kind: str = "plain"  # plain | specialist | over-claimer | slow


@dataclass
class Commitment:
    owner: str  # "mentor" | "seeker"
    due_hours: float
    kept: bool


@dataclass
class EngagementPlan:
    day: float
    seeker: int
    mentor: int
    skill: int
    answers_in_time: bool
    answer_after_minutes: float  # working minutes after the invitation
    commitments: list[Commitment]
    questions: list[bool]  # per question the seeker asks in the engagement: accepted?
    # per direction (rater, ratee): noise draws for the ratings
    noise: dict[str, list[float]]
    group: str = "honest"  # honest | ring | sybil


@dataclass
class QuestionPlan:
    day: float
    asker: int
    answerer: int
    skill: int
    accepted: bool
    noise: float
    group: str = "honest"


@dataclass
class World:
    people: list[Person]
    engagements: list[EngagementPlan] = field(default_factory=list)
    questions: list[QuestionPlan] = field(default_factory=list)
    ring: list[int] = field(default_factory=list)
    sybil_target: int | None = None
    sybils: list[int] = field(default_factory=list)  # indexes of the extra accounts
    attack_engagements: list[EngagementPlan] = field(default_factory=list)
    attack_questions: list[QuestionPlan] = field(default_factory=list)


def clip(x: float, low: float = 0.02, high: float = 0.98) -> float:
    return min(high, max(low, x))


def make_people(size: dict, rng: random.Random) -> list[Person]:
    people = []
    for i in range(size["people"]):
        n_skills = rng.choice((1, 2, 2, 3))
        skills = rng.sample(range(size["skills"]), n_skills)
        base = rng.uniform(0.1, 0.9)
        competence = {s: clip(base + rng.gauss(0, 0.15)) for s in skills}
        kind = rng.choices(("plain", "specialist", "over-claimer", "slow"), (0.55, 0.2, 0.12, 0.13))[0]
        responsiveness = rng.uniform(0.1, 0.95)
        if kind == "specialist":
            competence = {
                s: (rng.uniform(0.85, 0.97) if n == 0 else rng.uniform(0.15, 0.45))
                for n, s in enumerate(skills)
            }
        elif kind == "over-claimer":
            extra = [s for s in rng.sample(range(size["skills"]), 2) if s not in skills]
            skills += extra
            competence.update({s: rng.uniform(0.05, 0.25) for s in extra})
        elif kind == "slow":
            competence = {s: rng.uniform(0.75, 0.95) for s in skills}
            responsiveness = rng.uniform(0.05, 0.3)
        style = rng.choices([s for s, _ in STYLES], [w for _, w in STYLES])[0]
        people.append(
            Person(
                index=i,
                skills=skills,
                competence=competence,
                integrity=rng.uniform(0.1, 0.95),
                responsiveness=responsiveness,
                activity=min(12.0, rng.paretovariate(1.3)),
                zone=rng.choice(ZONES),
                start_hour=rng.choice((7, 8, 9, 10)),
                style=style,
                kind=kind,
            )
        )
    return people


def _engagement(rng, day, seeker: Person, mentor: Person, skill: int, group="honest", n_questions=None):
    # most invitations get an answer; the less responsive a mentor, the more time out
    answers = rng.random() < 0.35 + 0.65 * mentor.responsiveness
    commitments = [
        Commitment("mentor", rng.uniform(20, 70), rng.random() < mentor.integrity)
        for _ in range(rng.choice((1, 2, 2)))
    ] + [Commitment("seeker", rng.uniform(20, 70), rng.random() < seeker.integrity)]
    competence = mentor.competence.get(skill, 0.1)
    n_questions = rng.choice((0, 1, 1, 2)) if n_questions is None else n_questions
    return EngagementPlan(
        day=day,
        seeker=seeker.index,
        mentor=mentor.index,
        skill=skill,
        answers_in_time=answers,
        # a responsive mentor answers early in their window, a slow one late
        answer_after_minutes=rng.uniform(5, 120)
        if rng.random() < mentor.responsiveness
        else rng.uniform(120, 470),
        commitments=commitments,
        questions=[rng.random() < competence for _ in range(n_questions)],
        noise={
            "to_mentor": [rng.gauss(0, 0.12) for _ in range(5)],
            "to_seeker": [rng.gauss(0, 0.12) for _ in range(5)],
        },
        group=group,
    )


def make_world(size: dict, seed: int) -> World:
    rng = random.Random(seed)
    people = make_people(size, rng)
    world = World(people=people)
    holders = {s: [p for p in people if s in p.skills] for s in range(size["skills"])}
    weights = [p.activity for p in people]
    for day in range(size["days"] - 7):
        for _ in range(size["engagements_per_day"]):
            seeker = rng.choices(people, weights)[0]
            skill = rng.randrange(size["skills"])
            mentors = [p for p in holders[skill] if p.index != seeker.index]
            if not mentors:
                continue
            mentor = rng.choices(mentors, [p.activity for p in mentors])[0]
            world.engagements.append(_engagement(rng, day + rng.random(), seeker, mentor, skill))
    for day in range(size["days"]):
        for _ in range(size["questions_per_day"]):
            asker = rng.choices(people, weights)[0]
            skill = rng.randrange(size["skills"])
            answerers = [p for p in holders[skill] if p.index != asker.index]
            if not answerers:
                continue
            answerer = rng.choices(answerers, [p.activity for p in answerers])[0]
            accepted = rng.random() < answerer.competence[skill]
            world.questions.append(
                QuestionPlan(
                    day + rng.random(), asker.index, answerer.index, skill, accepted, rng.gauss(0, 0.1)
                )
            )

    # --- the attackers (workspace B only) ---------------------------------------------------
    def level(p):
        return (p.integrity + p.responsiveness + p.competence[p.skills[0]]) / 3

    lower_half = sorted(people, key=level)[: len(people) // 2]
    chosen = rng.sample(lower_half, RING_SIZE + 1)
    world.ring = [p.index for p in chosen[:RING_SIZE]]
    target = chosen[RING_SIZE]
    world.sybil_target = target.index
    ring = chosen[:RING_SIZE]
    # the ring: every week each member requests an engagement from each other member, every
    # promise is "kept", every question accepted, every rating perfect
    for week in range(size["days"] // 7):
        for a in ring:
            for b in ring:
                if a is b:
                    continue
                plan = _engagement(
                    rng, week * 7 + rng.uniform(0, 2), a, b, b.skills[0], group="ring", n_questions=1
                )
                plan.answers_in_time, plan.answer_after_minutes = True, 5
                plan.commitments = [Commitment(c.owner, c.due_hours, True) for c in plan.commitments]
                plan.questions = [True]
                world.attack_engagements.append(plan)
                world.attack_questions.append(
                    QuestionPlan(
                        week * 7 + rng.uniform(0, 6), a.index, b.index, b.skills[0], True, 0.0, "ring"
                    )
                )
    # the sybils: fresh accounts (created days before the attack) praising one target
    base = len(people)
    world.sybils = list(range(base, base + SYBILS))
    for n, sybil in enumerate(world.sybils):
        day = size["days"] - 12 + n * 0.7
        fake = Person(sybil, [], {}, 1.0, 1.0, 1.0, target.zone, 9, "lenient")
        plan = _engagement(rng, day, fake, target, target.skills[0], group="sybil", n_questions=2)
        plan.answers_in_time, plan.answer_after_minutes = True, 5
        plan.commitments = [Commitment(c.owner, c.due_hours, True) for c in plan.commitments]
        plan.questions = [True, True]
        world.attack_engagements.append(plan)
        world.attack_questions.append(
            QuestionPlan(day + 1, sybil, target.index, target.skills[0], True, 0.0, "sybil")
        )
    return world


# --- how each temperament rates ------------------------------------------------------------


def stars(truth: float, noise: float, style: str) -> int:
    shift = {"lenient": 0.22, "harsh": -0.22}.get(style, 0.0)
    return min(5, max(1, round(1 + 4 * (truth + noise + shift))))


def confirms_kept(kept: bool, style: str, rng: random.Random) -> bool:
    """What a counterpart says about a commitment: lenient ones wave misses through,
    harsh ones call some kept promises missed."""
    if style == "lenient" and not kept:
        return rng.random() < 0.6
    if style == "harsh" and kept:
        return rng.random() < 0.75
    return kept
