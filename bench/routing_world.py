"""The hidden world of ``bench/routing_sim.py``: people with a true competence per skill, a
hidden responsiveness, time zones and declared (noisy, sometimes over-claimed) levels, and the
questions they will ask. Pure Python; nothing here touches the product."""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

ZONES = [
    "America/Los_Angeles",
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
]
SKILL_NAMES = [
    "Terraform",
    "Kubernetes",
    "Python",
    "Django",
    "PostgreSQL",
    "React",
    "TypeScript",
    "Rust",
    "Kafka",
    "Spark",
    "Figma",
    "Accessibility",
    "Security",
    "Networking",
    "Golang",
    "Swift",
    "Kotlin",
    "Pricing",
    "Negotiation",
    "Statistics",
]
COMPETENT = 0.7  # "truly competent" in a skill
ANSWERS_IF = 0.45  # a routed person answers (rather than passes) at this true competence
GOOD_ANSWER = 0.6  # the asker accepts an answer from someone this competent
ACCEPT_AFTER = timedelta(minutes=20)
RESOLVE_AFTER = timedelta(days=1)
ONLINE_SHARE = 0.75
REFER_SHARE = 0.3
TARGETS = {"answered": 0.90, "median_working_minutes": 10.0, "competent_in_wave1": 0.80}


# --- the hidden world ----------------------------------------------------------------


@dataclass
class Person:
    index: int
    zone: str
    start_hour: int
    responsiveness: float
    competence: dict[int, float]  # skill index -> true competence
    declared: dict[int, int]  # skill index -> declared level
    headline_skill: int | None = None
    user_id: int = 0
    mask: int = 0


def make_world(size: dict, rng: random.Random) -> list[Person]:
    people = []
    skills = list(range(size["skills"]))
    for index in range(size["people"]):
        person = Person(
            index=index,
            zone=rng.choice(ZONES),
            start_hour=rng.choice([8, 9, 9, 10]),
            responsiveness=rng.betavariate(4, 1.8),
            competence={},
            declared={},
        )
        for skill in rng.sample(skills, rng.choice([1, 2, 2, 3])):
            truth = min(max(rng.gauss(0.55, 0.22), 0.02), 0.99)
            level = min(max(round(truth * 5 + rng.gauss(0, 0.5)), 1), 5)
            if rng.random() < 0.15:
                level = min(level + 2, 5)  # overclaims
            person.competence[skill] = truth
            person.declared[skill] = level
        if rng.random() < 0.10:
            hidden = rng.choice([s for s in skills if s not in person.competence])
            person.competence[hidden] = rng.uniform(0.72, 0.95)
            person.headline_skill = hidden
        people.append(person)
    return people


def make_questions(size: dict, people: list[Person], rng: random.Random, start: datetime) -> list[dict]:
    """(asker, skill, moment) — asked during the asker's own working hours on a weekday."""
    from zoneinfo import ZoneInfo

    plan = []
    for _ in range(size["questions"]):
        asker = rng.choice(people)
        skill = rng.randrange(size["skills"])
        day = rng.randrange(size["days"])
        tz = ZoneInfo(asker.zone)
        local_day = (start + timedelta(days=day)).astimezone(tz).date()
        if local_day.weekday() >= 5:
            local_day -= timedelta(days=local_day.weekday() - 4)
        local = datetime(local_day.year, local_day.month, local_day.day, asker.start_hour, tzinfo=tz)
        moment = (local + timedelta(minutes=rng.randrange(8 * 60))).astimezone(UTC)
        plan.append({"asker": asker.index, "skill": skill, "at": max(moment, start)})
    plan.sort(key=lambda q: q["at"])
    return plan
