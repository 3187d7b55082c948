"""Benchmark: does "ask the network" reach someone who answers well and soon?

    python bench/routing_sim.py [--quick | --hard] [--seed N] [--keep] [--routing-only] [--explain FILE]

``--hard`` is the issue's table (docs/benchmarks.md): 150 people, 10 skills with aliases
and descriptions, questions worded by alias, without tags or as paraphrases, people on
leave, decliners and slow excellent answerers; the baseline picks random declared
holders of the true skill; figures and checks in ``bench/routing_figures.py``.

A simulated workspace of 500 people (quick: 120) with HIDDEN traits: per skill a
true competence (declared levels are noisy, 15 % overclaim by two levels, 10 %
have an undeclared skill that only their headline mentions), a time zone and
weekday working hours (seven zones from Los Angeles to Sydney), and response
behaviour tied to a hidden responsiveness r: a routed person responds with
probability r, after an exponential delay of working minutes (mean 2 + 12·(1 − r));
they answer when truly competent, else pass or (30 %) refer a colleague they know.

300 network questions (quick: 50) are asked over five simulated weekdays (quick: two) by
random people during their own working hours, and driven THROUGH THE REAL
SERVICES: ``questions.question_ask`` → ``routing.routing_start`` (what the Celery
task runs after commit) → the simulated people answer (``questions.answer_post``),
pass or refer (``routing.routing_respond``) when their time comes → the escalation
countdowns (``messaging.routing_escalate``, captured with their ETA and run when
the simulated clock reaches it) and the beat sweep every 5 simulated minutes (quick: 15) →
askers accept the first truly good answer after 20 minutes and resolve after a
day (competence evidence) → the nightly ``trust.services.recompute_all``. Time
moves with ``core.clock.travel_to``. Presence is simulated (no sockets):
people are online during their working hours with probability 0.75 per hour;
the channel-layer doorbells are skipped (nobody is connected).

Baseline in the same run: a second, identical workspace where routing picks
three RANDOM eligible members per wave (same hard filters, waves, cap, people).

Targets (routing): ≥ 90 % of questions answered, median time to first answer
≤ 10 working minutes (in the first answerer's working time), nobody above the
daily cap in any 24 hours, and wave 1 holding a truly competent person
(true competence ≥ 0.7 in the question's skill) for ≥ 80 % of questions.

Database: a scratch PostgreSQL database next to DATABASE_URL when it points at
PostgreSQL, otherwise a temporary SQLite file. The last line printed is one
JSON object (DESIGN §9).
"""

import argparse
import contextlib
import heapq
import itertools
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from scratch import log, recreate_database, scratch_database, setup_django  # noqa: E402

FULL = {"people": 500, "skills": 20, "questions": 300, "days": 5, "tail_days": 2, "sweep_minutes": 5}
QUICK = {"people": 120, "skills": 8, "questions": 50, "days": 2, "tail_days": 1, "sweep_minutes": 15}
import routing_explain  # noqa: E402
import routing_figures  # noqa: E402
from routing_world import (  # noqa: E402
    ACCEPT_AFTER,
    ANSWERS_IF,
    COMPETENT,
    GOOD_ANSWER,
    HARD,
    HARD_SKILLS,
    ONLINE_SHARE,
    REFER_SHARE,
    RESOLVE_AFTER,
    SKILL_NAMES,
    Person,
    hard_wording,
    make_hard_world,
    make_questions,
    make_world,
)

# --- the database side -----------------------------------------------------------------


def skill_name(index: int, hard: bool) -> str:
    return HARD_SKILLS[index][0] if hard else SKILL_NAMES[index]


def build_workspace(label: str, people: list[Person], size: dict, start: datetime, hard: bool = False):
    from accounts import working_hours as wh
    from accounts.models import Expertise, Membership, Organization, Profile, Skill, SkillAlias, User

    org = Organization.objects.create(name=f"Routing sim {label}", slug=f"routing-sim-{label.lower()}")
    skills = []
    for i in range(size["skills"]):
        name = skill_name(i, hard)
        skill = Skill.objects.create(
            organization=org, name=name, slug=name.lower(), description=HARD_SKILLS[i][2] if hard else ""
        )
        if hard:
            for alias in HARD_SKILLS[i][1]:
                SkillAlias.objects.create(organization=org, skill=skill, name=alias)
        skills.append(skill)
    expertise = []
    for person in people:
        user = User.objects.create(
            email=f"p{person.index}@{label.lower()}.sim", full_name=f"Person {person.index}"
        )
        Membership.objects.create(user=user, organization=org)
        hours = [
            {"day": d, "start": f"{person.start_hour:02d}:00", "end": f"{person.start_hour + 8:02d}:00"}
            for d in range(5)
        ]
        mask = wh.utc_week_mask(hours, person.zone, reference=start + timedelta(days=2))
        headline = (
            f"Also into {skill_name(person.headline_skill, hard)}"
            if person.headline_skill is not None
            else ""
        )
        Profile.objects.filter(user=user).update(
            timezone=person.zone,
            working_hours=hours,
            utc_week_mask=wh.mask_to_hex(mask),
            headline=headline,
            open_to_mentor=True,
            onboarded_at=start,
            is_away=person.away,
        )
        person.user_id, person.mask = user.pk, mask
        for skill, level in person.declared.items():
            expertise.append(Expertise(user=user, skill=skills[skill], level=level, years=level))
    Expertise.objects.bulk_create(expertise)
    return org, skills


@dataclass(order=True)
class Event:
    at: datetime
    seq: int
    kind: str = field(compare=False)
    data: dict = field(compare=False, default_factory=dict)


class Simulation:
    """One workspace driven through the real services; ``mode``: routing | random."""

    def __init__(self, mode, people, plan, size, start, seed, hard=False, explain=None):
        self.mode, self.people, self.plan, self.size, self.start = mode, people, plan, size, start
        self.hard = hard
        self.explain = explain  # an open file: every wave's choice with the hidden truth (JSON lines)
        self.asking_skill = None  # the hidden skill of the question being asked right now
        self.asking_kind = None
        self.rng = random.Random(seed)
        self.by_user = {}
        self.heap: list[Event] = []
        self.seq = itertools.count()
        self.questions = {}  # question id -> {"skill", "asker", "at"}
        self.last_attempt = 0
        self.seconds: dict[str, list] = {}  # event kind -> [count, seconds]
        self.accept_planned: set[int] = set()
        self.resolve_planned: set[int] = set()

    def push(self, at, kind, **data):
        heapq.heappush(self.heap, Event(at, next(self.seq), kind, data))

    # presence: online during working hours with probability ONLINE_SHARE per hour
    def presence_of(self, user_ids):
        from accounts.working_hours import is_working_at
        from core import clock

        now = clock.now()
        hour = int(now.timestamp() // 3600)
        result = {}
        for user_id in user_ids:
            person = self.by_user.get(user_id)
            online = (
                person is not None
                and is_working_at(person.mask, now)
                and random.Random(f"{user_id}:{hour}").random() < ONLINE_SHARE
            )
            result[user_id] = {"state": "online" if online else "offline", "last_seen": None}
        return result

    def install(self):
        from messaging.routing import ranking, tasks
        from messaging.routing import waves as routing

        sim = self
        routing.presence.presence_of = self.presence_of
        tasks.routing_start.delay = lambda question_id: routing.routing_start(question_id)

        def escalate_later(args, countdown=0, **kwargs):
            from core import clock

            sim.push(clock.now() + timedelta(seconds=countdown), "escalate", question=args[0], wave=args[1])

        tasks.routing_escalate.apply_async = escalate_later
        tasks.routing_refresh_expertise.delay = lambda org_id, user_id: sim.refresh(org_id, user_id)
        if self.mode == "random":

            def random_candidates(question, *, now=None, wave=1):
                from core import clock

                now = now or clock.now()
                eligible = routing._eligible_profiles(question, now)
                if sim.hard:  # the generous baseline: a random declared holder of the true skill
                    info = sim.questions.get(question.pk)
                    skill = sim.skills[info["skill"] if info else sim.asking_skill]
                    eligible = eligible.filter(user__expertise__skill=skill)
                rows = list(eligible.values("user_id", "user__full_name", "utc_week_mask"))
                rng = random.Random(f"random:{question.pk}:{question.routing_wave}")
                rng.shuffle(rows)
                return [
                    routing.Candidate(
                        user_id=row["user_id"],
                        name=row["user__full_name"],
                        score=0.0,
                        breakdown={"random": True, "exploration": False},
                        mask=row["utc_week_mask"],
                    )
                    for row in rows
                ]

            routing.rank_candidates = random_candidates
        elif self.explain is not None:
            routing_explain.install(self, ranking)

    def run(self, org, skills):
        from accounts.models import User
        from core import clock
        from core.errors import DomainError
        from messaging.models import RoutingAttempt
        from messaging.qa import services as questions
        from messaging.routing import sweep as routing
        from trust import services as trust

        self.org, self.skills = org, skills
        self.by_user = {p.user_id: p for p in self.people}
        self.users = {u.pk: u for u in User.objects.filter(membership__organization=org)}
        for number, item in enumerate(self.plan):
            self.push(item["at"], "ask", number=number)
        end = self.start + timedelta(days=self.size["days"] + self.size["tail_days"])
        sweep_every = timedelta(minutes=self.size["sweep_minutes"])
        moment = self.start + sweep_every
        while moment < end:
            self.push(moment, "sweep")
            moment += sweep_every
        day = self.start + timedelta(days=1)
        while day <= end:
            self.push(day, "nightly")
            day += timedelta(days=1)

        while self.heap:
            event = heapq.heappop(self.heap)
            if event.at > end:
                break
            began = time.perf_counter()
            with clock.travel_to(event.at):
                try:
                    if event.kind == "ask":
                        item = self.plan[event.data["number"]]
                        asker = self.users[self.people[item["asker"]].user_id]
                        name = SKILL_NAMES[item["skill"]]
                        title = item.get("title", f"How do I get unstuck with {name}?")
                        body = item.get("body", f"A {name} problem at work: what would you check first?")
                        self.asking_skill = item["skill"]
                        self.asking_kind = item.get("kind", "named")
                        question = questions.question_ask(
                            author=asker,
                            title=title,
                            body=body,
                            scope="network",
                            skill_ids=[skills[item["skill"]].pk] if item.get("tagged", True) else [],
                        )
                        self.questions[question.pk] = {
                            "skill": item["skill"],
                            "asker": asker.pk,
                            "at": event.at,
                            "kind": item.get("kind", "named"),
                        }
                    elif event.kind == "escalate":
                        routing.routing_next_wave(event.data["question"], expected_wave=event.data["wave"])
                    elif event.kind == "sweep":
                        routing.routing_sweep()
                    elif event.kind == "nightly":
                        trust.recompute_all(organization_id=org.pk)
                    elif event.kind == "respond":
                        self.respond(event.data)
                    elif event.kind == "accept":
                        questions.answer_accept(
                            actor=self.users[event.data["asker"]], answer_id=event.data["answer"]
                        )
                    elif event.kind == "resolve":
                        questions.question_resolve(
                            actor=self.users[event.data["asker"]], question_id=event.data["question"]
                        )
                except DomainError:
                    pass  # e.g. responding to a question resolved meanwhile: the product says no
                # new attempts since the last event: the notified people decide what to do
                fresh = RoutingAttempt.objects.filter(organization=org, pk__gt=self.last_attempt).order_by(
                    "pk"
                )
                for attempt in fresh.values("pk", "question_id", "candidate_id", "notified_at"):
                    self.last_attempt = attempt["pk"]
                    self.plan_response(attempt)
            spent = self.seconds.setdefault(event.kind, [0, 0.0])
            spent[0] += 1
            spent[1] += time.perf_counter() - began

    def refresh(self, organization_id, user_id):
        """The worker's expertise refresh, run when the answer's transaction commits."""
        from messaging.routing import profiles

        if self.mode == "routing":
            profiles.expertise_refresh(organization_id, user_id)

    def plan_response(self, attempt):
        from accounts.working_hours import working_deadline

        person = self.by_user[attempt["candidate_id"]]
        info = self.questions.get(attempt["question_id"])
        if info is None:
            return
        if self.rng.random() >= person.responsiveness:
            return  # ignores it: the sweep will mark it missed
        mean_delay = 40.0 if person.slow else 2 + 12 * (1 - person.responsiveness)
        delay = self.rng.expovariate(1.0 / mean_delay)
        at = working_deadline(person.mask, attempt["notified_at"], delay)
        truth = person.competence.get(info["skill"], 0.0)
        if person.decliner:
            action = "pass"
        elif truth >= ANSWERS_IF:
            action = "answer"
        elif self.rng.random() < REFER_SHARE:
            action = "refer"
        else:
            action = "pass"
        self.push(at, "respond", question=attempt["question_id"], user=person.user_id, action=action)

    def respond(self, data):
        from core import clock
        from messaging.qa import services as questions
        from messaging.routing import replies as routing

        user = self.users[data["user"]]
        info = self.questions[data["question"]]
        if data["action"] == "answer":
            answer = questions.answer_post(
                author=user, question_id=data["question"], body="Here is what I would do."
            )
            person = self.by_user[user.pk]
            if (
                person.competence.get(info["skill"], 0.0) >= GOOD_ANSWER
                and data["question"] not in self.accept_planned
            ):
                self.accept_planned.add(data["question"])
                self.push(clock.now() + ACCEPT_AFTER, "accept", asker=info["asker"], answer=answer.pk)
            if data["question"] not in self.resolve_planned:
                self.resolve_planned.add(data["question"])
                self.push(
                    clock.now() + RESOLVE_AFTER, "resolve", asker=info["asker"], question=data["question"]
                )
        elif data["action"] == "refer":
            known = [
                p
                for p in self.people
                if p.competence.get(info["skill"], 0) >= COMPETENT
                and p.user_id not in (user.pk, info["asker"])
            ]
            target = (
                self.rng.choice(known) if known and self.rng.random() < 0.5 else self.rng.choice(self.people)
            )
            if target.user_id in (user.pk, info["asker"]):
                routing.routing_respond(user=user, question_id=data["question"], action="pass")
            else:
                routing.routing_respond(
                    user=user, question_id=data["question"], action="refer", refer_to_id=target.user_id
                )
        else:
            routing.routing_respond(user=user, question_id=data["question"], action="pass")

    def measure(self) -> dict:
        from django.db.models import Count

        from accounts.working_hours import working_minutes_between
        from messaging.models import Answer, RoutingAttempt
        from messaging.routing.params import daily_cap

        answered, working, wall, competent = 0, [], [], 0
        first_answers = {}
        for answer in Answer.objects.filter(question_id__in=self.questions).order_by("created_at", "pk"):
            first_answers.setdefault(answer.question_id, answer)
        wave1: dict[int, list[int]] = {}
        for question_id, candidate_id in RoutingAttempt.objects.filter(
            question_id__in=self.questions, wave=1, referred_by__isnull=True
        ).values_list("question_id", "candidate_id"):
            wave1.setdefault(question_id, []).append(candidate_id)
        for question_id, info in self.questions.items():
            answer = first_answers.get(question_id)
            if answer is not None:
                answered += 1
                person = self.by_user[answer.author_id]
                working.append(working_minutes_between(person.mask, info["at"], answer.created_at))
                wall.append((answer.created_at - info["at"]).total_seconds() / 60)
            if any(
                self.by_user[c].competence.get(info["skill"], 0) >= COMPETENT
                for c in wave1.get(question_id, [])
            ):
                competent += 1
        # the cap: most requests anyone got in any 24 hours
        times: dict[int, list[datetime]] = {}
        for candidate_id, notified_at in RoutingAttempt.objects.filter(organization=self.org).values_list(
            "candidate_id", "notified_at"
        ):
            times.setdefault(candidate_id, []).append(notified_at)
        most = 0
        for moments in times.values():
            moments.sort()
            left = 0
            for right, moment in enumerate(moments):
                while moment - moments[left] >= timedelta(hours=24):
                    left += 1
                most = max(most, right - left + 1)
        outcomes = dict(
            RoutingAttempt.objects.filter(organization=self.org)
            .values("outcome")
            .annotate(n=Count("id"))
            .values_list("outcome", "n")
        )
        n = len(self.questions)
        figures = routing_figures.figures(self, first_answers, times)
        return {
            **figures,
            "questions": n,
            "answered": round(answered / n, 3) if n else 0.0,
            "median_working_minutes": round(statistics.median(working), 1) if working else None,
            "median_wall_minutes": round(statistics.median(wall), 1) if wall else None,
            "competent_in_wave1": round(competent / n, 3) if n else 0.0,
            "max_requests_per_person_24h": most,
            "daily_cap": daily_cap(),
            "attempts": sum(outcomes.values()),
            "outcomes": outcomes,
        }


# --- setup and main ---------------------------------------------------------------------


def setup_database(keep: bool):
    base_url = os.environ.get("DATABASE_URL", "")
    env = {"CELERY_BROKER_URL": "memory://", "REDIS_URL": None, "CELERY_TASK_ALWAYS_EAGER": "0"}
    if base_url.startswith(("postgres://", "postgresql://")):
        admin_url, scratch_url, name = scratch_database(base_url, "routing_sim")
        recreate_database(admin_url, name)
        setup_django(scratch_url, env=env)

        def cleanup():
            from django.db import connections

            connections.close_all()
            if not keep:
                recreate_database(admin_url, name, drop_only=True)

        return "postgresql", cleanup
    folder = tempfile.mkdtemp(prefix="routing-sim-")
    setup_django(f"sqlite:///{folder}/sim.sqlite3", env=env)

    def cleanup():
        from django.db import connections

        connections.close_all()
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)

    return "sqlite", cleanup


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="120 people, 50 questions: about a minute")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--hard",
        action="store_true",
        help="150 people, 10 skills with aliases; questions worded with aliases, without tags "
        "or as paraphrases; people on leave, decliners, slow experts (the issue's table)",
    )
    parser.add_argument(
        "--routing-only", action="store_true", help="skip the random baseline (tuning only; not recorded)"
    )
    parser.add_argument(
        "--explain",
        metavar="FILE",
        help="write every routed wave's top candidates with their breakdown and hidden truth "
        "(JSON lines; bench/routing_explain.py sums them up)",
    )
    args = parser.parse_args()
    size = HARD if args.hard else QUICK if args.quick else FULL
    started = time.perf_counter()
    db_kind, cleanup = setup_database(args.keep)
    try:
        with open(args.explain, "w") if args.explain else contextlib.nullcontext() as explain:
            result = run(
                size, args.seed, db_kind, hard=args.hard, routing_only=args.routing_only, explain=explain
            )
    finally:
        cleanup()
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))


def run(
    size: dict, seed: int, db_kind: str, hard: bool = False, routing_only: bool = False, explain=None
) -> dict:
    import copy

    from django.conf import settings

    from messaging.routing import tasks
    from messaging.routing import waves as routing

    rng = random.Random(seed)
    # a Monday, four weeks back: the simulation stays in the past of the real clock
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=today.weekday() + 28)
    world = make_hard_world(size, rng) if hard else make_world(size, rng)
    plan = make_questions(size, world, rng, start)
    if hard:
        for item in plan:
            item["kind"], item["title"], item["body"], item["tagged"] = hard_wording(item["skill"], rng)
    log(f"{db_kind}: {size['people']} people, {size['questions']} questions from {start:%Y-%m-%d}")

    # no sockets here: without a channel layer every doorbell is a no-op
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {}
    channel_layers.backends.clear()

    from messaging.routing import ranking

    real = (
        routing.rank_candidates,
        routing.presence.presence_of,
        tasks.routing_start.delay,
        tasks.routing_escalate.apply_async,
        tasks.routing_refresh_expertise.delay,
        ranking.choose_wave,
    )
    results = {}
    for mode in ("routing",) if routing_only else ("routing", "random"):
        t = time.perf_counter()
        people = copy.deepcopy(world)
        org, skills = build_workspace(mode, people, size, start, hard)
        if mode == "routing":  # what the routing sweep does for members without a vector
            from messaging.routing import profiles

            profiles.forget()
            for person in people:
                profiles.expertise_refresh(org.pk, person.user_id)
        sim = Simulation(mode, people, plan, size, start, seed, hard, explain=explain)
        sim.install()
        try:
            sim.run(org, skills)
        finally:
            (
                routing.rank_candidates,
                routing.presence.presence_of,
                tasks.routing_start.delay,
                tasks.routing_escalate.apply_async,
                tasks.routing_refresh_expertise.delay,
                ranking.choose_wave,
            ) = real
        results[mode] = sim.measure()
        log(
            f"{mode} time per event kind: "
            + ", ".join(f"{k} {n}× {sec:.1f}s" for k, (n, sec) in sim.seconds.items())
        )
        log(f"{mode}: {results[mode]} ({time.perf_counter() - t:.1f}s)")

    ours = results["routing"]
    base = results.get("random") or dict.fromkeys(ours, 0.0)
    if hard:
        return routing_figures.hard_result(ours, base, db_kind, size, seed, settings.ROUTING_DAILY_CAP)
    return routing_figures.plain_result(ours, base, db_kind, size, settings.ROUTING_DAILY_CAP)


if __name__ == "__main__":
    main()
