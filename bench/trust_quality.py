"""Benchmark: does the trust model find the truth, resist a collusion ring, and
let a strong newcomer through?

    python bench/trust_quality.py [--quick] [--seed N]

A simulated workspace where every person has a hidden true competence (per
skill), integrity and responsiveness. Four simulated weeks of engagements and
network questions produce evidence THROUGH THE REAL SERVICES
(``trust.services.record_evidence`` with its anti-gaming rules, ``vouch_for``,
``recompute_all``, ``recompute_subject``); the simulation registers its own
source kinds ("sim.*") in ``trust.sources`` because engagements are not built
yet. The same plan is applied to two workspaces: A (honest) and B (honest plus a
ring of 5 people who rate each other perfectly every week).

Targets
- Spearman correlation between each dimension's lower bound and the hidden
  truth in A: ≥ 0.8 (competence over (person, skill) pairs with evidence).
- The ring moves its members up at most one decile (B vs A, per dimension).
- A truly strong newcomer, vouched for by a talent manager, reaches the top
  half (competence lower bound in their skill) within 5 engagements.

Database: a scratch PostgreSQL database next to DATABASE_URL when it points at
PostgreSQL (with ``synchronous_commit = off``: it is thrown away, and each of the
~8,000 facts of --quick commits on its own), otherwise a temporary SQLite file. Evidence timestamps lie in the
past (the simulation ends today), so no clock travel is needed. Per-event
recompute tasks go to an in-memory broker nobody consumes; the simulation runs
the nightly set-based recompute itself, as Celery beat would.

The last line printed is one JSON object (DESIGN §9).
"""

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FULL = {"people": 240, "skills": 12, "days": 28, "seek_rate": 0.14, "questions_per_person_day": 0.35}
QUICK = {"people": 60, "skills": 6, "days": 28, "seek_rate": 0.14, "questions_per_person_day": 0.35}
RING_SIZE = 5
NEWCOMER_MAX_ENGAGEMENTS = 8


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the hidden world -----------------------------------------------------------------


@dataclass
class Person:
    index: int
    skills: list[int]
    competence: dict[int, float]
    integrity: float
    responsiveness: float


@dataclass
class Fact:
    """One piece of evidence to emit: subject/actor are person indexes (actor None = observed)."""

    day: float
    kind: str
    source: str
    subject: int
    actor: int | None
    dimension: str
    outcome: float
    skill: int | None = None


@dataclass
class Plan:
    people: list[Person]
    facts: list[Fact] = field(default_factory=list)
    participants: dict[str, set[int]] = field(default_factory=dict)


def make_people(size: dict, rng: random.Random) -> list[Person]:
    people = []
    for i in range(size["people"]):
        skills = rng.sample(range(size["skills"]), 2)
        people.append(
            Person(
                index=i,
                skills=skills,
                competence={s: rng.uniform(0.05, 0.95) for s in skills},
                integrity=rng.uniform(0.05, 0.95),
                responsiveness=rng.uniform(0.05, 0.95),
            )
        )
    return people


def rating(truth: float, rng: random.Random, noise: float = 0.12) -> float:
    """A 1–5 rating of a true level, as an outcome in [0, 1]."""
    stars = min(5, max(1, round(1 + 4 * (truth + rng.gauss(0, noise)))))
    return (stars - 1) / 4


def engagement_facts(
    plan: Plan, eid: str, seeker: Person, mentor: Person, skill: int, day: float, rng
) -> None:
    plan.participants[eid] = {seeker.index, mentor.index}
    add = plan.facts.append
    # the mentor answered the invitation in time (or not): observed
    add(
        Fact(
            day,
            "sim.invitation",
            eid,
            mentor.index,
            None,
            "responsiveness",
            float(rng.random() < mentor.responsiveness),
        )
    )
    for n, person in enumerate((seeker, mentor)):
        for k in range(2):  # messages needing a reply, answered within the window or not
            add(
                Fact(
                    day + 1 + k,
                    "sim.reply",
                    f"{eid}:r{n}{k}",
                    person.index,
                    None,
                    "responsiveness",
                    float(rng.random() < person.responsiveness),
                )
            )
            plan.participants[f"{eid}:r{n}{k}"] = plan.participants[eid]
        for k in range(2 if person is mentor else 1):  # commitments kept or missed
            add(
                Fact(
                    day + 3 + k,
                    "sim.commitment",
                    f"{eid}:c{n}{k}",
                    person.index,
                    None,
                    "integrity",
                    float(rng.random() < person.integrity),
                )
            )
            plan.participants[f"{eid}:c{n}{k}"] = plan.participants[eid]
    for k in range(2):  # the seeker's questions in the engagement: accepted (1) or not (0.3)
        accepted = rng.random() < mentor.competence.get(skill, 0.1)
        add(
            Fact(
                day + 2 + k,
                "sim.answer",
                f"{eid}:a{k}",
                mentor.index,
                seeker.index,
                "competence",
                1.0 if accepted else 0.3,
                skill,
            )
        )
        plan.participants[f"{eid}:a{k}"] = plan.participants[eid]
    end = day + 6
    # double-blind feedback, both ways, revealed at the end
    add(
        Fact(
            end,
            "sim.feedback",
            eid,
            mentor.index,
            seeker.index,
            "competence",
            rating(mentor.competence.get(skill, 0.1), rng),
            skill,
        )
    )
    for rater, ratee in ((seeker, mentor), (mentor, seeker)):
        respectful = rng.random() < ratee.integrity
        honest = rng.random() < ratee.integrity
        add(Fact(end, "sim.feedback", eid, ratee.index, rater.index, "integrity", (respectful + honest) / 2))
        add(
            Fact(
                end,
                "sim.feedback",
                eid,
                ratee.index,
                rater.index,
                "responsiveness",
                rating(ratee.responsiveness, rng),
            )
        )


def make_plan(size: dict, rng: random.Random) -> Plan:
    people = make_people(size, rng)
    plan = Plan(people=people)
    holders = {s: [p for p in people if s in p.skills] for s in range(size["skills"])}
    eid = 0
    for day in range(size["days"] - 6):
        for seeker in people:
            if rng.random() < size["seek_rate"]:
                skill = rng.randrange(size["skills"])
                mentors = [p for p in holders[skill] if p.index != seeker.index]
                if mentors:
                    engagement_facts(
                        plan, f"e{eid}", seeker, rng.choice(mentors), skill, day + rng.random(), rng
                    )
                    eid += 1
    # "ask the network": questions answered by someone with the skill
    qid = 0
    for day in range(size["days"]):
        for _ in range(int(size["people"] * size["questions_per_person_day"])):
            asker = rng.choice(people)
            skill = rng.randrange(size["skills"])
            answerers = [p for p in holders[skill] if p.index != asker.index]
            if not answerers:
                continue
            answerer = rng.choice(answerers)
            source = f"q{qid}"
            qid += 1
            plan.participants[source] = {asker.index, answerer.index}
            accepted = rng.random() < answerer.competence[skill]
            plan.facts.append(
                Fact(
                    day + rng.random(),
                    "sim.answer",
                    source,
                    answerer.index,
                    asker.index,
                    "competence",
                    1.0 if accepted else 0.3,
                    skill,
                )
            )
            plan.facts.append(
                Fact(
                    day + rng.random(),
                    "sim.routing",
                    source,
                    answerer.index,
                    None,
                    "responsiveness",
                    float(rng.random() < answerer.responsiveness),
                )
            )
    plan.facts.sort(key=lambda f: (f.day, f.source, f.dimension))
    return plan


def ring_facts(plan: Plan, ring: list[Person], size: dict) -> list[Fact]:
    """Every week, every pair in the ring holds an 'engagement' and rates each other perfectly."""
    facts = []
    for week in range(size["days"] // 7):
        for a in ring:
            for b in ring:
                if a.index >= b.index:
                    continue
                eid = f"ring{week}:{a.index}:{b.index}"
                plan.participants[eid] = {a.index, b.index}
                day = week * 7 + 3
                for rater, ratee in ((a, b), (b, a)):
                    facts.append(
                        Fact(
                            day,
                            "sim.feedback",
                            eid,
                            ratee.index,
                            rater.index,
                            "competence",
                            1.0,
                            ratee.skills[0],
                        )
                    )
                    facts.append(Fact(day, "sim.feedback", eid, ratee.index, rater.index, "integrity", 1.0))
                    facts.append(
                        Fact(day, "sim.feedback", eid, ratee.index, rater.index, "responsiveness", 1.0)
                    )
    return facts


# --- the real product ---------------------------------------------------------------------


def setup_database() -> tuple[str, callable]:
    base_url = os.environ.get("DATABASE_URL", "")
    os.environ["DJANGO_SETTINGS_MODULE"] = "mentoring.config.settings"
    os.environ["DJANGO_ENV"] = "development"
    os.environ["DEBUG"] = "0"
    os.environ["DB_POOL"] = "0"
    os.environ["CELERY_BROKER_URL"] = "memory://"  # per-event recomputes queue up unconsumed
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if base_url.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(base_url)
        name = f"{parts.path.lstrip('/') or 'tandem'}_trust_quality"
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
            # A throw-away database: no WAL flush per committed fact (every record_evidence is
            # its own transaction). Changes timing only, never a result.
            conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))

        def cleanup():
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        kind = "postgresql"
    else:
        tmp = tempfile.mkdtemp(prefix="trust-quality-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/quality.sqlite3"

        def cleanup():
            from django.db import connections

            connections.close_all()
            shutil.rmtree(tmp, ignore_errors=True)

        kind = "sqlite"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "trust", verbosity=0)
    return kind, cleanup


class Workspace:
    """One organization in the database, mirroring the simulated people."""

    def __init__(self, label: str, plan: Plan, size: dict):
        from django.utils.text import slugify

        from accounts.models import Membership, Organization, Skill, User

        self.org = Organization.objects.create(name=f"Sim {label}", slug=slugify(f"sim-{label}"))
        self.users = []
        for person in plan.people:
            user = User.objects.create_user(
                email=f"{label.lower()}{person.index}@sim.example", full_name=f"{label}{person.index}"
            )
            Membership.objects.create(user=user, organization=self.org)
            self.users.append(user)
        self.manager = User.objects.create_user(
            email=f"{label.lower()}-manager@sim.example", full_name="Manager"
        )
        Membership.objects.create(
            user=self.manager, organization=self.org, role=Membership.Role.TALENT_MANAGER
        )
        self.skills = [
            Skill.objects.create(organization=self.org, name=f"Skill {s}", slug=f"skill-{s}")
            for s in range(size["skills"])
        ]
        self.label = label

    def emit(self, fact: Fact, start) -> None:
        from trust import services

        services.record_evidence(
            subject=self.users[fact.subject],
            actor=None if fact.actor is None else self.users[fact.actor],
            dimension=fact.dimension,
            outcome=fact.outcome,
            skill=None if fact.skill is None else self.skills[fact.skill],
            source_kind=fact.kind,
            source_id=f"{self.label}:{fact.source}",
            occurred_at=start + timedelta(days=fact.day),
        )


def register_sources() -> dict:
    """sim.* kinds; participants are database user ids, filled as workspaces are created."""
    from trust import sources

    members: dict[str, set[int]] = {}

    def participants(source_id: str) -> set[int]:
        return members.get(source_id, set())

    for kind, is_rating in (
        ("sim.feedback", True),
        ("sim.answer", True),
        ("sim.commitment", False),
        ("sim.invitation", False),
        ("sim.reply", False),
        ("sim.routing", False),
    ):
        sources.register_source(kind, participants=participants, is_rating=is_rating)
    return members


def spearman(xs, ys) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(xs, ys).statistic)


def scores_by_key(org):
    from trust.models import TrustScore

    return {(s.subject_id, s.dimension, s.skill_key): s for s in TrustScore.objects.filter(organization=org)}


def decile(value: float, population: list[float]) -> int:
    below = sum(1 for v in population if v < value)
    return min(9, int(10 * below / len(population)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    size = QUICK if args.quick else FULL
    started = time.perf_counter()
    db_kind, cleanup = setup_database()
    try:
        result = run(size, args.seed, db_kind)
    finally:
        cleanup()
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))


def run(size: dict, seed: int, db_kind: str) -> dict:
    from core import clock
    from trust import services

    rng = random.Random(seed)
    plan = make_plan(size, rng)
    people = plan.people

    # the ring: five people from the lower half (room to climb), by mean true level
    def level(p):
        return (p.integrity + p.responsiveness + p.competence[p.skills[0]]) / 3

    lower_half = sorted(people, key=level)[: len(people) // 2]
    ring = rng.sample(lower_half, RING_SIZE)
    ring_plan_facts = ring_facts(plan, ring, size)

    members = register_sources()
    start = clock.now() - timedelta(days=size["days"] + 2 * NEWCOMER_MAX_ENGAGEMENTS + 8)
    workspaces = {}
    for label in ("A", "B"):
        ws = Workspace(label, plan, size)
        workspaces[label] = ws
        for source, indexes in plan.participants.items():
            members[f"{label}:{source}"] = {ws.users[i].pk for i in indexes}
        facts = (
            plan.facts
            if label == "A"
            else sorted(plan.facts + ring_plan_facts, key=lambda f: (f.day, f.source, f.dimension))
        )
        t = time.perf_counter()
        for fact in facts:
            ws.emit(fact, start)
        log(f"workspace {label}: {len(facts)} facts recorded in {time.perf_counter() - t:.1f}s")
    nightly_at = start + timedelta(days=size["days"])
    with clock.travel_to(nightly_at):
        services.recompute_all()

    # 1. accuracy in the honest workspace
    a = workspaces["A"]
    scores = scores_by_key(a.org)
    correlations = {}
    for dimension, truth in (
        ("integrity", lambda p: p.integrity),
        ("responsiveness", lambda p: p.responsiveness),
    ):
        pairs = [
            (scores[(a.users[p.index].pk, dimension, 0)].lower, truth(p))
            for p in people
            if (a.users[p.index].pk, dimension, 0) in scores
        ]
        correlations[dimension] = spearman(*zip(*pairs, strict=True))
    pairs = []
    for p in people:
        for s in p.skills:
            key = (a.users[p.index].pk, "competence", a.skills[s].pk)
            if key in scores:
                pairs.append((scores[key].lower, p.competence[s]))
    correlations["competence"] = spearman(*zip(*pairs, strict=True))
    log("Spearman(lower bound, truth): " + ", ".join(f"{k} {v:.3f}" for k, v in correlations.items()))

    # 2. the ring: decile of each member, B (with ring) vs A (without)
    b = workspaces["B"]
    scores_b = scores_by_key(b.org)
    moves = {}
    for dimension in ("integrity", "responsiveness", "competence"):

        def key_of(ws, p, dimension=dimension):
            skill_key = ws.skills[p.skills[0]].pk if dimension == "competence" else 0
            return (ws.users[p.index].pk, dimension, skill_key)

        def population(ws, table, dimension=dimension, key_of=key_of):
            return [table[key_of(ws, p)].lower for p in people if key_of(ws, p) in table]

        pop_a, pop_b = population(a, scores), population(b, scores_b)
        moves[dimension] = []
        for p in ring:
            before = decile(scores[key_of(a, p)].lower, pop_a) if key_of(a, p) in scores else 0
            after = decile(scores_b[key_of(b, p)].lower, pop_b)
            moves[dimension].append(after - before)
    max_move = max(max(v) for v in moves.values())
    log("ring decile moves (B − A): " + "; ".join(f"{k} {v}" for k, v in moves.items()))

    # 3. a strong newcomer, vouched for, mentoring in skill 0 of workspace A
    newcomer_result = {}
    skill_index = 0
    holders = [p for p in people if skill_index in p.skills]
    with clock.travel_to(nightly_at):
        median_lower = sorted(
            scores[(a.users[p.index].pk, "competence", a.skills[skill_index].pk)].lower
            for p in holders
            if (a.users[p.index].pk, "competence", a.skills[skill_index].pk) in scores
        )
    threshold = median_lower[len(median_lower) // 2]
    for vouched in (True, False):
        from accounts.models import Membership, User

        label = "vouched" if vouched else "not-vouched"
        user = User.objects.create_user(email=f"newcomer-{label}@sim.example", full_name=f"Newcomer {label}")
        Membership.objects.create(user=user, organization=a.org)
        truth = Person(
            index=len(a.users),
            skills=[skill_index],
            competence={skill_index: 0.95},
            integrity=0.95,
            responsiveness=0.95,
        )
        a.users.append(user)
        newcomer_rng = random.Random(seed + 1)  # the same luck for both newcomers
        day0 = size["days"] + 1
        if vouched:
            with clock.travel_to(start + timedelta(days=day0)):
                services.vouch_for(manager=a.manager, subject=user, skill=a.skills[skill_index])
        reached = None
        lowers = []
        for n in range(1, NEWCOMER_MAX_ENGAGEMENTS + 1):
            seeker = newcomer_rng.choice([p for p in people if p.index != truth.index])
            sub = Plan(people=people)
            engagement_facts(sub, f"new-{label}-{n}", seeker, truth, skill_index, day0 + 2 * n, newcomer_rng)
            for source, indexes in sub.participants.items():
                members[f"A:{source}"] = {a.users[i].pk for i in indexes}
            for fact in sub.facts:
                a.emit(fact, start)
            at = start + timedelta(days=day0 + 2 * n + 7)
            services.recompute_subject(user.pk, as_of=at)
            lower = scores_by_key(a.org)[(user.pk, "competence", a.skills[skill_index].pk)].lower
            lowers.append(round(lower, 3))
            if reached is None and lower >= threshold:
                reached = n
        newcomer_result[label] = {"engagements_to_top_half": reached, "lower_after_each": lowers}
        log(f"newcomer ({label}): top half (lower ≥ {threshold:.3f}) after {reached} engagements; {lowers}")

    min_corr = min(correlations.values())
    vouched_reached = newcomer_result["vouched"]["engagements_to_top_half"]
    passed = min_corr >= 0.8 and max_move <= 1 and vouched_reached is not None and vouched_reached <= 5
    return {
        "bench": "trust_quality",
        "metric": "min Spearman(lower bound, hidden truth) over dimensions",
        "value": round(min_corr, 3),
        "baseline": 0.8,
        "ratio": round(min_corr / 0.8, 3),
        "target": ">= 0.8; ring moves <= 1 decile; vouched newcomer top half within 5 engagements",
        "pass": bool(passed),
        "spearman": {k: round(v, 3) for k, v in correlations.items()},
        "ring_max_decile_move": max_move,
        "ring_moves": moves,
        "newcomer": newcomer_result,
        "people": size["people"],
        "facts": len(plan.facts),
        "database": db_kind,
    }


if __name__ == "__main__":
    main()
