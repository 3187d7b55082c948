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
    away: bool = False
    decliner: bool = False
    slow: bool = False
    overclaimed: tuple[int, ...] = ()  # skills declared two levels above the truth
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
                person.overclaimed += (skill,)
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


# --- the harder world (``--hard``): aliases, no tags, paraphrases, awkward people -------

HARD = {"people": 150, "skills": 10, "questions": 200, "days": 4, "tail_days": 2, "sweep_minutes": 5}
HARD_SKILLS = [
    (
        "Terraform",
        ["tf", "hcl"],
        "Infrastructure as code: providers, modules, state files and plans for cloud resources.",
    ),
    (
        "Kubernetes",
        ["k8s", "kube", "kubectl"],
        "Container orchestration: pods, deployments, services, helm charts and cluster operations.",
    ),
    (
        "Python",
        ["py", "pip"],
        "The Python language: packaging, virtual environments, typing, asyncio, the standard library.",
    ),
    ("Django", ["drf"], "The Django web framework: models, migrations, views, the admin and REST APIs."),
    (
        "PostgreSQL",
        ["psql", "postgres", "pg"],
        "Relational database: SQL queries, indexes, query plans, vacuum and replication.",
    ),
    (
        "React",
        ["jsx", "reactjs"],
        "Front-end UI library: components, hooks, state and rendering in the browser.",
    ),
    ("TypeScript", ["ts", "tsc"], "Typed JavaScript: types, generics, the compiler and its type errors."),
    ("Golang", ["Go", "goroutine"], "The Go language: goroutines, channels, modules and concurrency."),
    (
        "Kafka",
        ["kstreams", "confluent"],
        "Event streaming: topics, partitions, consumers, producers and offsets.",
    ),
    (
        "Spark",
        ["pyspark", "databricks"],
        "Distributed data processing: dataframes, jobs, shuffles and executors.",
    ),
]
ALIAS_WORDING = [
    ("my {a} setup is broken", "Since this morning {a} fails for me. What should I check first?"),
    ("{a} question", "Has anyone dealt with this in {a}? I am stuck and the docs did not help."),
    ("stuck with {a}", "Can someone who knows {a} well help me debug this today?"),
    ("{a} is slow", "Everything around {a} got slow after the last change; where do I start looking?"),
]
PARAPHRASES = [
    [
        (
            "the plan wants to destroy everything",
            "After renaming a module the infrastructure code plan shows every cloud resource being replaced.",
        ),
        ("remote state lock is stuck", "The infrastructure state file stays locked after a crashed apply."),
        (
            "pinning provider versions",
            "How should we pin cloud provider versions across our infrastructure modules?",
        ),
    ],
    [
        (
            "pods keep restarting",
            "My pods go into CrashLoopBackOff after the deployment rollout. How do I see why?",
        ),
        (
            "service has no endpoints",
            "A service in the cluster has no endpoints although the deployment runs.",
        ),
        (
            "helm values per environment",
            "How do you structure helm charts for staging and production clusters?",
        ),
    ],
    [
        (
            "virtualenv uses the wrong interpreter",
            "My virtual environment runs the system interpreter, packages vanish.",
        ),
        (
            "async task never finishes",
            "A coroutine started with create_task never completes and the event loop hangs.",
        ),
        (
            "type hints for a decorator",
            "How do I type a decorator so it keeps the wrapped function's signature?",
        ),
    ],
    [
        (
            "migration conflict after a merge",
            "Two branches added migrations to one app; makemigrations reports conflicting leaf nodes.",
        ),
        (
            "admin changelist is slow",
            "The admin list page runs hundreds of queries; where do I add select_related?",
        ),
        (
            "validating nested serializer data",
            "How do I validate nested objects in a REST framework serializer?",
        ),
    ],
    [
        (
            "query ignores my index",
            "A query joining two big tables got slow; the planner does a sequential scan.",
        ),
        (
            "autovacuum never finishes",
            "Autovacuum runs for hours on one table and the database keeps growing.",
        ),
        (
            "read replica lagging",
            "Our read replica falls minutes behind the primary during the nightly batch.",
        ),
    ],
    [
        (
            "component renders twice",
            "A UI component re-renders on every keystroke and useEffect fires twice.",
        ),
        (
            "state lost on navigation",
            "Form state kept in hooks disappears when the user navigates back in the single page app.",
        ),
        ("list keys warning", "The browser console warns about unique keys when I render a list of items."),
    ],
    [
        ("generic constraint error", "The compiler says my generic type does not satisfy the constraint."),
        (
            "strict null checks everywhere",
            "After turning on strict mode the compiler reports hundreds of possibly undefined errors.",
        ),
        (
            "declarations for an untyped library",
            "How do I write declaration files for an untyped JavaScript package?",
        ),
    ],
    [
        (
            "worker pool deadlocks",
            "All goroutines are asleep: my worker pool deadlocks when the results channel is full.",
        ),
        (
            "using a local fork of a dependency",
            "How do I point the module file's replace directive at a local fork?",
        ),
        (
            "handler ignores client disconnect",
            "My HTTP handler keeps running after the client leaves; how do I propagate context cancellation?",
        ),
    ],
    [
        (
            "consumer lag keeps growing",
            "Our consumer group falls behind on one partition and rebalances every few minutes.",
        ),
        (
            "exactly once delivery",
            "How do I get exactly-once semantics between a producer and a consumer of an event stream?",
        ),
        (
            "offsets reset after a deploy",
            "After a deploy the consumers re-read the whole topic from the earliest offset.",
        ),
    ],
    [
        (
            "job stuck on its last task",
            "A distributed dataframe job spends an hour on the last task of a stage: skewed shuffle?",
        ),
        (
            "executors run out of memory",
            "Executors on the cluster die with out-of-memory errors during a wide join.",
        ),
        (
            "thousands of tiny output files",
            "Our batch job writes thousands of tiny parquet files; how do I coalesce the output?",
        ),
    ],
]
CONTEXTS = [
    "",
    " This is for the billing service.",
    " We hit it in staging first.",
    " It blocks a release this week.",
    " A customer reported it yesterday.",
    " I tried the obvious things already.",
]
# wording of the hard questions: (kind, share); "alias" and "paraphrase" carry no skill tag
WORDINGS = [("named", 0.25), ("untagged", 0.15), ("alias", 0.35), ("paraphrase", 0.25)]
AWAY_SHARE = 0.06  # on leave (the product never asks them)
DECLINER_SHARE = 0.08  # always pass, whatever they know
SLOW_EXPERT_SHARE = 0.08  # excellent in one skill, answer reliably but after ~40 working minutes


def make_hard_world(size: dict, rng: random.Random) -> list[Person]:
    """``make_world`` plus people on leave, decliners and slow excellent answerers."""
    people = make_world(size, rng)
    for person in people:
        roll = rng.random()
        if roll < AWAY_SHARE:
            person.away = True
        elif roll < AWAY_SHARE + DECLINER_SHARE:
            person.decliner = True
        elif roll < AWAY_SHARE + DECLINER_SHARE + SLOW_EXPERT_SHARE:
            skill = rng.choice(list(person.competence))
            person.competence[skill] = rng.uniform(0.85, 0.97)
            person.declared[skill] = rng.choice([3, 4])  # modest about it
            person.responsiveness = rng.uniform(0.85, 0.95)
            person.slow = True
    return people


def hard_wording(skill: int, rng: random.Random) -> tuple[str, str, str, bool]:
    """(kind, title, body, tagged) of one question about ``skill``."""
    name, aliases, _ = HARD_SKILLS[skill]
    kind = rng.choices([k for k, _ in WORDINGS], weights=[w for _, w in WORDINGS])[0]
    tail = rng.choice(CONTEXTS)
    if kind == "alias":
        alias = rng.choice(aliases)
        title, body = rng.choice(ALIAS_WORDING)
        return kind, title.format(a=alias), body.format(a=alias) + tail, False
    title, body = rng.choice(PARAPHRASES[skill])
    if kind == "paraphrase":
        return kind, title, body + tail, False
    return kind, f"{name}: {title}", body + tail, kind == "named"
